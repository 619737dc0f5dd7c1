// Replays catalogue entries at their recorded seeds (shared by the two halves of the catalogue's
// test, mutants.test.ts and mutants-cross-cell.test.ts, which vitest runs in parallel).
import { expect, it } from "vitest";
import { mutant, type MutantEntry } from "../../harness/mutants.js";
import { runMutant } from "../../runtime/virtual/mutants.js";

export function replayRecordedSeeds(entries: readonly MutantEntry[]): void {
  for (const entry of entries.filter((candidate) => candidate.firstFailingSeed !== null)) {
    it(`${entry.name}: caught at its recorded seed, and the same seed without it is clean`, () => {
      const seed = mutant(entry.name).firstFailingSeed as number;
      // Stops at the first online invariant violation (its catcher is named all the same): a run
      // that broke state machine safety need not go on to the linearizability search.
      const buggy = runMutant(entry, seed, true, { stopAtFirstViolation: true });
      expect(buggy.caughtBy.length, `seed ${seed} with ${entry.name} reported nothing`).toBeGreaterThan(0);
      expect(
        buggy.caughtBy.some((catcher) => entry.expected.includes(catcher)),
        `caught by ${buggy.caughtBy.join(", ")}; the catalogue expects ${entry.expected.join(", ")}`,
      ).toBe(true);
      const clean = runMutant(entry, seed, false);
      expect(clean.caughtBy, `${clean.detail ?? ""}`).toEqual([]);
    }, 180_000);
  }
}
