import { describe, expect, it } from "vitest";
import { createRandom } from "../../ground/random.js";

describe("Random (xoshiro128**)", () => {
  it("is a pure function of the seed", () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const c = createRandom(43);
    const drawsA = Array.from({ length: 100 }, () => a.nextUint32());
    const drawsB = Array.from({ length: 100 }, () => b.nextUint32());
    const drawsC = Array.from({ length: 100 }, () => c.nextUint32());
    expect(drawsA).toEqual(drawsB);
    expect(drawsA).not.toEqual(drawsC);
  });

  it("forks independent named streams: draws on one stream never shift another", () => {
    const quiet = createRandom(7);
    const busy = createRandom(7);
    for (let i = 0; i < 1000; i++) busy.fork("network").nextUint32(); // a fresh fork each time
    const busyNet = busy.fork("network");
    for (let i = 0; i < 1234; i++) busyNet.nextFloat(); // many extra draws on "network"
    busy.nextUint32(); // and on the root
    const fromQuiet = quiet.fork("disk");
    const fromBusy = busy.fork("disk");
    const seqQuiet = Array.from({ length: 50 }, () => fromQuiet.nextUint32());
    const seqBusy = Array.from({ length: 50 }, () => fromBusy.nextUint32());
    expect(seqBusy).toEqual(seqQuiet);
    expect(quiet.fork("disk").fork("host-1").nextUint32()).not.toEqual(quiet.fork("disk").nextUint32());
  });

  it("intBetween stays in range and is roughly uniform", () => {
    const random = createRandom(1);
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 60_000; i++) {
      const value = random.intBetween(0, 5);
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(5);
      counts[value]!++;
    }
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  it("rejects a bad seed and a bad range", () => {
    expect(() => createRandom(1.5)).toThrow(/seed/);
    expect(() => createRandom(1).intBetween(3, 2)).toThrow(/range/);
  });
});
