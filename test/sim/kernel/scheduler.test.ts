import { describe, expect, it } from "vitest";
import { Scheduler } from "../../../sim/kernel/scheduler.js";
import { createRandom } from "../../../ground/random.js";

describe("Scheduler", () => {
  it("delivers by time, then by scheduling order at equal times", () => {
    const scheduler = new Scheduler();
    const seen: string[] = [];
    scheduler.at(20, () => seen.push("c"));
    scheduler.at(10, () => seen.push("a"));
    scheduler.at(20, () => seen.push("d"));
    scheduler.at(10, () => {
      seen.push("b");
      scheduler.after(0, () => seen.push("b2")); // same instant, scheduled later: after "b"'s peers
    });
    scheduler.runUntil(100);
    expect(seen).toEqual(["a", "b", "b2", "c", "d"]);
    expect(scheduler.nowUs).toBe(100);
  });

  it("never delivers a cancelled event and refuses the past", () => {
    const scheduler = new Scheduler();
    let fired = false;
    const event = scheduler.at(5, () => (fired = true));
    scheduler.cancel(event);
    scheduler.runUntil(10);
    expect(fired).toBe(false);
    expect(() => scheduler.at(3, () => {})).toThrow(/past/);
  });

  it("the trace hash is equal for equal runs and differs when anything differs", () => {
    const run = (seed: number): string => {
      const scheduler = new Scheduler();
      const random = createRandom(seed);
      const spawn = (depth: number): void => {
        if (depth === 0) return;
        scheduler.after(random.intBetween(0, 1000), () => spawn(depth - 1), depth);
        scheduler.after(random.intBetween(0, 1000), () => spawn(depth - 1), depth + 100);
      };
      spawn(10);
      scheduler.runUntil(Number.POSITIVE_INFINITY);
      return scheduler.traceHash;
    };
    expect(run(1)).toBe(run(1));
    expect(run(1)).not.toBe(run(2));
  });

  it("bounds pending events", () => {
    const scheduler = new Scheduler({ pendingEventsMax: 3 });
    for (let i = 0; i < 3; i++) scheduler.at(i, () => {});
    expect(() => scheduler.at(9, () => {})).toThrow(/pendingEventsMax/);
  });
});
