// The two targeted nemesis families of the bug catalogue (docs/harness.md): deposed-leader
// resumes a paused leader as soon as a successor has committed, not when its lease ends;
// leader-move asks the controller's own target choice (controller/safety.ts) for leadership moves,
// so a switch in that choice (transfer-to-lagging) is reached from a simulated run.
import { describe, expect, it } from "vitest";
import { nemesisFor } from "../../../chaos/nemesis.js";
import { parseWorldConfig } from "../../../domain/config.js";
import { defaultSafetyLimits } from "../../../controller/safety.js";
import { MUTANTS_WORLD } from "../../../harness/mutants.js";
import { runCells } from "../../../runtime/virtual/run.js";

const INTERVAL_US = 1_000_000;

describe("targeted nemeses", () => {
  it("deposed-leader: pauses a leader and resumes it once a successor committed, before the pause's own end", () => {
    const result = runCells({
      config: parseWorldConfig(MUTANTS_WORLD),
      seed: 1,
      durationUs: 5_000_000,
      nemesis: nemesisFor(["deposed-leader"], INTERVAL_US),
    });
    const pauses = result.faultWindows.filter((window) => window.kind === "pause");
    expect(pauses.length).toBeGreaterThan(0);
    // A pause lasts half the interval unless the successor's commit ends it first.
    const early = pauses.filter((window) => window.endUs - window.startUs < INTERVAL_US / 2);
    expect(early.length, JSON.stringify(pauses)).toBeGreaterThan(0);
    // The cell moved on to later terms, and a correct Raft core refused every stale append.
    expect(result.cells["cell-1"]?.term).toBeGreaterThan(2);
    expect(result.invariantViolations).toEqual([]);
  }, 120_000);

  const moves = (bug: boolean) =>
    runCells({
      config: parseWorldConfig(MUTANTS_WORLD),
      seed: 1,
      durationUs: 10_000_000,
      nemesis: nemesisFor(["kill", "leader-move"], INTERVAL_US, 3_000_000),
      ...(bug && { bugs: new Set(["transfer-to-lagging" as const]) }),
    }).virtual.leaderMoves;

  it("leader-move: the controller's choice moves leaders, never to a replica beyond lagEntriesMax", () => {
    const made = moves(false);
    expect(made.length).toBeGreaterThan(0);
    expect(made.some((move) => move.result === null)).toBe(true);
    for (const move of made) expect(move.lag).toBeLessThanOrEqual(defaultSafetyLimits.lagEntriesMax);
  }, 120_000);

  it("leader-move reaches transfer-to-lagging: with the switch on, the same seed moves leadership to a lagging replica", () => {
    expect(moves(true).some((move) => move.lag > defaultSafetyLimits.lagEntriesMax)).toBe(true);
  }, 120_000);
});
