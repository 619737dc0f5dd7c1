// One run of the bug catalogue's world (harness/mutants.ts): a seed, a bug (or none), the bug's
// nemesis mix, every checker, and who caught what. Shared by `ldc bench mutants` and the test
// that keeps the catalogue honest (test/harness/mutants.test.ts).

import { parseWorldConfig } from "../../domain/config.js";
import { nemesisFor } from "../../chaos/nemesis.js";
import type { BugName } from "../../cells/bugs.js";
import {
  catchersOf,
  MUTANTS_DURATION_US,
  MUTANTS_NEMESIS_INTERVAL_US,
  mutantWorld,
  type Catcher,
  type MutantEntry,
} from "../../harness/mutants.js";
import { runCells } from "./run.js";
import { InvariantViolation } from "./invariants.js";

export interface MutantRun {
  readonly seed: number;
  readonly bug: BugName | null;
  /** Empty: every checker and invariant passed (and nothing asserted). */
  readonly caughtBy: readonly Catcher[];
  /** The first invariant violation or assertion message, for the report. */
  readonly detail: string | null;
  readonly traceHash: string | null;
  readonly wallMs: number;
}

/** The world config file that reproduces these runs with `ldc sim --config` (bench/mutants-world.yaml). */
export const MUTANTS_WORLD_FILE = "bench/mutants-world.yaml";
/** The cross-cell bugs' world (harness/mutants.ts MUTANTS_CROSS_CELL_WORLD). */
export const MUTANTS_CROSS_CELL_WORLD_FILE = "bench/mutants-cross-cell-world.yaml";

export function mutantWorldFile(entry: MutantEntry): string {
  return entry.world === "cross-cell" ? MUTANTS_CROSS_CELL_WORLD_FILE : MUTANTS_WORLD_FILE;
}

export function mutantReproduceCommand(entry: MutantEntry, seed: number, withBug: boolean): string {
  return [
    "ldc sim",
    `--config ${mutantWorldFile(entry)}`,
    `--seed ${seed}`,
    `--duration ${MUTANTS_DURATION_US / 1_000_000}s`,
    `--nemesis ${entry.nemesis.join(",")}`,
    `--nemesis-interval ${MUTANTS_NEMESIS_INTERVAL_US / 1_000_000}s`,
    ...(entry.faultUs !== undefined ? [`--nemesis-fault ${entry.faultUs / 1000}ms`] : []),
    "--check",
    ...(withBug ? [`--bug ${entry.name}`] : []),
  ].join(" ");
}

/**
 * `stopAtFirstViolation`: end the run at the first online invariant violation (failFast) and
 * report its catcher, rather than run on to the checkers: the catalogue's test uses it to keep
 * its runtime down (a run that broke state machine safety at 1.5 s need not be checked for
 * linearizability). A clean run is unchanged by it: nothing throws.
 */
export function runMutant(entry: MutantEntry, seed: number, withBug: boolean, options: { stopAtFirstViolation?: boolean } = {}): MutantRun {
  const startedMs = performance.now();
  const config = parseWorldConfig(mutantWorld(entry));
  const bug = withBug ? entry.name : null;
  // Outside the try: a bad mix is a mistake in the catalogue, not a catch.
  const nemesis = nemesisFor(entry.nemesis, MUTANTS_NEMESIS_INTERVAL_US, entry.faultUs);
  try {
    const result = runCells({
      config,
      seed,
      durationUs: MUTANTS_DURATION_US,
      check: true,
      nemesis,
      ...(options.stopAtFirstViolation === true && { failFast: true }),
      ...(bug !== null && { bugs: new Set([bug]) }),
    });
    const caughtBy = catchersOf(result.verdicts, result.invariantViolations, null);
    return {
      seed,
      bug,
      caughtBy,
      detail: result.invariantViolations[0] ?? null,
      traceHash: result.traceHash,
      wallMs: Math.round(performance.now() - startedMs),
    };
  } catch (error) {
    if (error instanceof InvariantViolation)
      return {
        seed,
        bug,
        caughtBy: catchersOf(undefined, [error.message], null),
        detail: error.message,
        traceHash: null,
        wallMs: Math.round(performance.now() - startedMs),
      };
    return {
      seed,
      bug,
      caughtBy: ["assertion"],
      detail: error instanceof Error ? error.message : String(error),
      traceHash: null,
      wallMs: Math.round(performance.now() - startedMs),
    };
  }
}
