// The planned-switchover checker over real runs (harness/checkers/planned-switchover.ts): `ldc sim
// --check` judges every leadership move the controller planned (the leader-move nemesis,
// runtime/virtual/leader-move.ts records them) and names the checker in its verdicts. A run of
// correct moves passes the default bound; the same run held to a bound below what a correct
// move measurably costs (the first write after a handover is acknowledged 25-450 ms after the
// request: docs/BENCHMARKS.md "Planned switchover") fails, naming the moves: the checker can fail.
import { describe, expect, it } from "vitest";
import { nemesisFor } from "../../../chaos/nemesis.js";
import { parseWorldConfig } from "../../../domain/config.js";
import { MUTANTS_WORLD } from "../../../harness/mutants.js";
import { checkRun } from "../../../harness/run-check.js";
import { PLANNED_SWITCHOVER_BOUND_US_DEFAULT, type PlannedSwitchoverVerdict } from "../../../harness/checkers/planned-switchover.js";
import { runCells } from "../../../runtime/virtual/run.js";

describe("planned switchover in simulated runs", () => {
  const result = () =>
    runCells({
      config: parseWorldConfig(MUTANTS_WORLD),
      seed: 2,
      durationUs: 10_000_000,
      check: true,
      nemesis: nemesisFor(["leader-move"], 1_000_000),
    });

  it("judges the controller's planned moves in --check: correct moves in a healthy cell pass the bound; a tighter bound fails them", () => {
    const run = result();
    const verdict = run.verdicts?.checkers["planned-switchover"] as unknown as PlannedSwitchoverVerdict | undefined;
    expect(verdict?.valid).toBe(true);
    expect(verdict?.boundMs).toBe(PLANNED_SWITCHOVER_BOUND_US_DEFAULT / 1000);
    // Moves were made, led, and judged (no fault is active in this mix).
    expect(verdict?.judged).toBeGreaterThan(3);
    expect(verdict?.moves.filter((move) => move.result === null && move.notJudged === null).length).toBeGreaterThan(3);
    for (const move of verdict?.moves ?? []) if (move.switchoverMs !== null) expect(move.switchoverMs).toBeGreaterThan(0);
    expect(run.verdicts?.valid).toBe(true);

    const tight = checkRun(run.virtual, {
      checkers: ["planned-switchover"],
      plannedMoves: run.virtual.leaderMoves,
      faultWindows: run.faultWindows,
      plannedSwitchoverBoundUs: 20_000,
    });
    const slow = tight.checkers["planned-switchover"] as unknown as PlannedSwitchoverVerdict;
    expect(tight.valid).toBe(false);
    expect(slow.slow.length).toBeGreaterThan(0);
    expect(slow.slow[0]).toMatch(/^move-\d+\/cell-1: to cell-1\/\S+ \(lag \d+, led\): first write acknowledged after \d+ ms > 20 ms$/);
  }, 120_000);

  it("a run without planned moves has the row, valid, with nothing judged", () => {
    const run = runCells({ config: parseWorldConfig(MUTANTS_WORLD), seed: 2, durationUs: 3_000_000, check: true });
    expect(run.verdicts?.checkers["planned-switchover"]).toMatchObject({ valid: true, judged: 0, moves: [] });
  }, 120_000);
});
