// The harness is shown to find real bugs: a build whose deposed leaders serve reads from local
// state (no ReadIndex) is caught as non-linearizable within a few dozen seeds of partitions,
// while the real build passes the same seeds (randomized-*.test.ts).
import { describe, expect, it } from "vitest";
import { runCells } from "../../../runtime/virtual/run.js";
import { nemesisFor } from "../../../chaos/nemesis.js";
import { oneCellConfig } from "./helpers.js";

describe("bug injection", () => {
  it("stale reads from a deposed leader are caught by the linearizability checker", () => {
    const config = oneCellConfig(200);
    let caughtAt: number | null = null;
    for (let seed = 1; seed <= 60 && caughtAt === null; seed++) {
      const result = runCells({
        config,
        seed,
        durationUs: 10_000_000,
        check: true,
        replica: { unsafeLocalReads: true },
        nemesis: nemesisFor(["partition"], 2_000_000),
      });
      if (result.verdicts?.checkers.linearizable.valid === false) caughtAt = seed;
    }
    expect(caughtAt, "no seed in 1..60 exposed stale reads").not.toBeNull();
    // The same seed with the real ReadIndex path is valid: the checker blamed the bug, not noise.
    const control = runCells({
      config,
      seed: caughtAt as number,
      durationUs: 10_000_000,
      check: true,
      nemesis: nemesisFor(["partition"], 2_000_000),
    });
    expect(control.verdicts?.checkers.linearizable.valid).toBe(true);
  });
});
