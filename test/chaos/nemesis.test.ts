import { describe, expect, it } from "vitest";
import { FaultManager } from "../../chaos/fault-manager.js";
import { ACTION_FAMILIES, NEMESIS_FAMILIES, drawFault, parseNemesisNames, scheduleNemesis } from "../../chaos/nemesis.js";
import { parseFaultSpec } from "../../chaos/catalogue.js";
import { fakeCluster } from "../domain/fake-cluster.js";

function schedule(seed: number) {
  const cluster = fakeCluster(seed);
  const manager = new FaultManager(cluster);
  const handle = scheduleNemesis(
    { cluster },
    ["partition", "kill", "pause", "disk", "clock", "latency", "loss", "dc-outage", "region-outage"],
    { intervalUs: 2_000_000, startUs: 1_000_000, endUs: 30_000_000 },
    manager,
  );
  cluster.scheduler.runUntil(40_000_000);
  return { cluster, manager, handle };
}

describe("nemesis", () => {
  it("draws the same faults for the same seed, and different ones for another", () => {
    const kinds = (seed: number): string =>
      schedule(seed)
        .handle.windows()
        .map((window) => `${window.kind}@${window.startUs}-${window.endUs}`)
        .join(" ");
    expect(kinds(11)).toBe(kinds(11));
    expect(kinds(11)).not.toBe(kinds(12));
  });

  it("injects one fault per interval, each ending before the next, and ends with a final heal", () => {
    const { cluster, manager, handle } = schedule(3);
    const windows = handle.windows();
    expect(windows.length + handle.skipped().length).toBe(15);
    for (const window of windows) {
      expect(window.endUs - window.startUs).toBeLessThanOrEqual(1_000_000);
      expect(window.endUs).toBeLessThanOrEqual(30_000_000);
    }
    expect(manager.active()).toHaveLength(0);
    expect(cluster.port.calls.at(-1)).toBe("healAll");
    expect(cluster.port.down.size + cluster.port.paused.size + cluster.port.live.size).toBe(0);
  });

  it("every family draws a spec the catalogue accepts", () => {
    const cluster = fakeCluster(1);
    const random = cluster.random.fork("test");
    for (const family of NEMESIS_FAMILIES.filter((candidate) => !ACTION_FAMILIES.includes(candidate)))
      for (let draw = 0; draw < 20; draw++) expect(() => parseFaultSpec(drawFault(family, cluster, random, 5_000_000))).not.toThrow();
  });

  it("names an unknown nemesis", () => {
    expect(parseNemesisNames("partition, kill")).toEqual(["partition", "kill"]);
    expect(() => parseNemesisNames("partition,meteor")).toThrow('--nemesis: unknown nemesis "meteor"');
    // `all` is every family, for `ldc sim` as for `ldc swarm` (a swarm's reproducing command names them).
    expect(parseNemesisNames(" all ")).toEqual([...NEMESIS_FAMILIES]);
    expect(() => parseNemesisNames("all,kill")).toThrow('--nemesis: unknown nemesis "all"');
  });
});
