// `ldc bench mutants [--json]`: the harness proves itself. For each deliberate bug of the
// catalogue (harness/mutants.ts), run seeds 1, 2, ... of its nemesis mix in the catalogue's world
// with the bug on until a checker, an online invariant or an assertion reports it (at most
// MUTANTS_SEEDS_MAX seeds); then run that same seed without the bug, which must be clean.
// Prints per bug: the first failing seed, the seeds tried, who caught it, the reproducing
// command, and the clean control. `LDC_MUTANTS=a,b` limits the run to those bugs.

import { MUTANTS, MUTANTS_SEEDS_MAX, type MutantEntry } from "../harness/mutants.js";
import { mutantReproduceCommand, mutantWorldFile, runMutant } from "../runtime/virtual/mutants.js";

interface BugReport {
  readonly bug: string;
  readonly layer: string;
  readonly world: string;
  readonly nemesis: string;
  readonly caught: boolean;
  readonly firstFailingSeed: number | null;
  readonly seedsTried: number;
  readonly caughtBy: readonly string[];
  readonly detail: string | null;
  readonly reproduce: string | null;
  /** The first failing seed without the bug: the violations it found (0 = the checkers blamed the bug). */
  readonly controlViolations: number | null;
  readonly wallMs: number;
}

function huntOne(entry: MutantEntry, progress: (phase: string) => void): BugReport {
  const startedMs = performance.now();
  const bug = { bug: entry.name, layer: entry.layer, world: mutantWorldFile(entry), nemesis: entry.nemesis.join(",") };
  if (entry.reachable === false) {
    return {
      ...bug,
      caught: false,
      firstFailingSeed: null,
      seedsTried: 0,
      caughtBy: [],
      detail: `not run: ${entry.gap ?? "the catalogue's world does not reach this switch"}`,
      reproduce: null,
      controlViolations: null,
      wallMs: 0,
    };
  }
  for (let seed = 1; seed <= MUTANTS_SEEDS_MAX; seed++) {
    progress(`${entry.name}: seed ${seed}`);
    const run = runMutant(entry, seed, true);
    if (run.caughtBy.length === 0) continue;
    progress(`${entry.name}: control run of seed ${seed} without the bug`);
    const control = runMutant(entry, seed, false);
    return {
      ...bug,
      caught: true,
      firstFailingSeed: seed,
      seedsTried: seed,
      caughtBy: run.caughtBy,
      detail: run.detail,
      reproduce: mutantReproduceCommand(entry, seed, true),
      controlViolations: control.caughtBy.length,
      wallMs: Math.round(performance.now() - startedMs),
    };
  }
  return {
    ...bug,
    caught: false,
    firstFailingSeed: null,
    seedsTried: MUTANTS_SEEDS_MAX,
    caughtBy: [],
    detail: entry.gap ?? null,
    reproduce: null,
    controlViolations: null,
    wallMs: Math.round(performance.now() - startedMs),
  };
}

export function run(options: Record<string, unknown>): Promise<object> {
  const progress = typeof options.progress === "function" ? (options.progress as (phase: string) => void) : () => {};
  const only = process.env.LDC_MUTANTS?.split(",").map((name) => name.trim());
  const startedMs = performance.now();
  const bugs = MUTANTS.filter((entry) => only === undefined || only.includes(entry.name)).map((entry) => huntOne(entry, progress));
  return Promise.resolve({
    method: `per bug, seeds 1..${MUTANTS_SEEDS_MAX} of its nemesis mix in its world (bench/mutants-world.yaml, or bench/mutants-cross-cell-world.yaml for the cross-cell protocol's bugs; 10 s simulated, a fault every 1 s) until caught; then the same seed without the bug`,
    bugs,
    caught: bugs.filter((bug) => bug.caught).length,
    total: bugs.length,
    controlViolations: bugs.reduce((sum, bug) => sum + (bug.controlViolations ?? 0), 0),
    wallMs: Math.round(performance.now() - startedMs),
  });
}
