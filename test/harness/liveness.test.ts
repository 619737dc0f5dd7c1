// The liveness checker's judgement (harness/checkers/liveness.ts): a cell that commits and is
// routed within the bound passes; late, never, or committed but routed elsewhere fails, naming it.
import { describe, expect, it } from "vitest";
import { checkLiveness } from "../../harness/checkers/liveness.js";

describe("liveness checker", () => {
  const healedAtUs = 10_000_000;
  const boundUs = 5_000_000;

  it("passes cells that commit and are routed to their leader within the bound", () => {
    const verdict = checkLiveness({
      healedAtUs,
      boundUs,
      cells: { "cell-1": { committedAtUs: healedAtUs + 300_000, routedAtUs: healedAtUs + 350_000, leader: "cell-1/hz-a" } },
    });
    expect(verdict.valid).toBe(true);
    expect(verdict.cells["cell-1"]).toMatchObject({ committedAfterMs: 300, routedAfterMs: 350, valid: true });
    expect(verdict.stuck).toEqual([]);
  });

  it("fails a cell that commits too late, one that never does, and one routed elsewhere", () => {
    const verdict = checkLiveness({
      healedAtUs,
      boundUs,
      cells: {
        "cell-1": { committedAtUs: healedAtUs + 5_000_001, routedAtUs: healedAtUs + 5_100_000, leader: "cell-1/hz-a" },
        "cell-2": { committedAtUs: null, routedAtUs: null, leader: null },
        "cell-3": { committedAtUs: healedAtUs + 100_000, routedAtUs: null, leader: "cell-3/sh-a" },
      },
    });
    expect(verdict.valid).toBe(false);
    expect(verdict.stuck).toEqual([
      "cell-1: no commit within 5000 ms of the heal",
      "cell-2: no commit within 5000 ms of the heal",
      "cell-3: routing did not reach leader cell-3/sh-a within 5000 ms",
    ]);
    expect(verdict.cells["cell-2"]).toMatchObject({ committedAfterMs: null, valid: false });
  });
});
