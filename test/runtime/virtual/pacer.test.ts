// The pacer shares the event loop with the HTTP server: it must advance the world in small steps,
// yield between slices while behind, and keep the reported lag bounded when the machine is too slow.
import { describe, expect, it } from "vitest";
import { LAG_WALL_MS_MAX, startPacer, type Pacer } from "../../../runtime/virtual/pacer.js";

function fakeWorld(stepCostMs: number) {
  let nowUs = 0;
  const steps: number[] = [];
  return {
    steps,
    nowUs: () => nowUs,
    runUntil(atUs: number) {
      steps.push(atUs - nowUs);
      const until = performance.now() + stepCostMs;
      while (performance.now() < until) {
        // a world too slow for the requested speed
      }
      nowUs = atUs;
    },
  };
}

describe("pacer", () => {
  it("steps at most stepSimUs at a time and lets other callbacks run between slices while behind", async () => {
    const world = fakeWorld(1);
    const pacer = startPacer(
      { speed: 1_000, sliceMs: 5, sliceSimUsMax: 10_000_000, stepSimUs: 2_000, sliceWorkMsMax: 5 },
      world,
      (error) => {
        throw error;
      },
    );
    let otherTurns = 0;
    let running = true;
    const other = (): void => {
      otherTurns++;
      if (running) setImmediate(other);
    };
    setImmediate(other);
    await new Promise((resolve) => setTimeout(resolve, 300));
    running = false;
    pacer.stop();
    const { slices } = pacer.stats();
    expect(slices).toBeGreaterThan(3);
    expect(Math.max(...world.steps)).toBeLessThanOrEqual(2_000);
    // Every slice yields: the competing callback got (about) a turn per slice.
    expect(otherTurns).toBeGreaterThanOrEqual(slices - 1);
    // 1000x real time is out of reach: behind, but the lag is re-based to at most ~5 s of wall time.
    expect(pacer.lagUs()).toBeGreaterThan(0);
    expect(pacer.lagUs()).toBeLessThanOrEqual(5_000 * 1_000 * 1_000 + 10_000_000);
  });

  it("keeps up with an idle world and then stops advancing once stopped", async () => {
    const world = fakeWorld(0);
    const pacer = startPacer({ speed: 2, sliceMs: 5, sliceSimUsMax: 1_000_000 }, world, (error) => {
      throw error;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    pacer.stop();
    const stoppedAtUs = world.nowUs();
    expect(stoppedAtUs).toBeGreaterThan(100_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(world.nowUs()).toBe(stoppedAtUs);
  });

  it("never reports more lag than the cap, even right after a step blocked the loop for twice the cap (issue 15: 9-12.7 s against 5 s)", async () => {
    // Wall time is injected: it moves 1 ms per reading, and the first step 'takes' 2 x the cap
    // (a GC pause, a drill's checks). The lag is read right after the slice that notices it, as
    // an overdue interval timer reads it (cli/start.ts's lag warning).
    let wallMs = 0;
    let nowUs = 0;
    let calls = 0;
    let pacer: Pacer | null = null;
    const world = {
      nowUs: () => nowUs,
      runUntil(atUs: number) {
        calls++;
        if (calls === 1) wallMs += 2 * LAG_WALL_MS_MAX;
        if (calls === 2) pacer?.stop();
        nowUs = atUs;
      },
    };
    pacer = startPacer(
      { speed: 1, sliceMs: 1, sliceSimUsMax: 2_000, stepSimUs: 2_000, sliceWorkMsMax: 15 },
      world,
      (error) => {
        throw error;
      },
      () => wallMs++,
    );
    for (let turn = 0; turn < 1_000 && calls < 2; turn++) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(calls).toBe(2);
    expect(pacer.lagUs()).toBeGreaterThan(0);
    expect(pacer.lagUs()).toBeLessThanOrEqual(LAG_WALL_MS_MAX * 1_000);
  });

  it("refuses a non-positive speed", () => {
    expect(() => startPacer({ speed: 0, sliceMs: 5, sliceSimUsMax: 1_000 }, fakeWorld(0), () => {})).toThrow(/speed/);
  });
});
