// The resilience score: over a window, how each drill and each schedule fared. A run passes when
// it SUCCEEDED with every checker valid; a checker violation is a failure whatever the RTO was
// (also in a run that was aborted or failed for another reason); ABORTED (a stop condition or an
// operator) counts apart; an INTERRUPTED run and a schedule slot that was skipped (outside its
// windows, refused by a rule, the kill switch) did not run. score = passed / (passed + failed +
// aborted): what fraction of the drills that really ran showed the system resilient.
import type { DrillRunRecord } from "../domain/records.js";

export const RESILIENCE_WINDOW_MS_DEFAULT = 7 * 86_400_000;

export interface ResilienceTally {
  readonly passed: number;
  readonly failed: number;
  readonly aborted: number;
  readonly notRun: number;
  /** passed / (passed + failed + aborted); null when nothing ran in the window. */
  readonly score: number | null;
}

export interface Resilience {
  readonly atMs: number;
  readonly windowMs: number;
  readonly drills: readonly (ResilienceTally & { readonly drill: string })[];
  readonly schedules: readonly (ResilienceTally & { readonly schedule: string; readonly drill: string })[];
}

export type RunVerdict = "passed" | "failed" | "aborted" | "notRun";

function checkersValid(run: DrillRunRecord): boolean {
  return Object.values(run.checkers).every(
    (verdict) => (verdict as { valid?: unknown } | null)?.valid !== false && (verdict as { valid?: unknown } | null)?.valid !== "unknown",
  );
}

export function verdictOf(run: DrillRunRecord): RunVerdict | null {
  if (run.state !== "done" || run.outcome === null) return null;
  if (!checkersValid(run)) return "failed";
  switch (run.outcome) {
    case "SUCCEEDED":
      return "passed";
    case "FAILED":
      return "failed";
    case "ABORTED":
      return "aborted";
    case "INTERRUPTED":
      return "notRun";
    default: {
      const never: never = run.outcome;
      return never;
    }
  }
}

function tally(verdicts: readonly RunVerdict[], skipped: number): ResilienceTally {
  const count = (which: RunVerdict): number => verdicts.filter((verdict) => verdict === which).length;
  const passed = count("passed");
  const failed = count("failed");
  const aborted = count("aborted");
  const ran = passed + failed + aborted;
  return {
    passed,
    failed,
    aborted,
    notRun: count("notRun") + skipped,
    score: ran === 0 ? null : Math.round((passed / ran) * 10_000) / 10_000,
  };
}

export function resilienceOf(input: {
  readonly runs: readonly DrillRunRecord[];
  readonly drills: readonly string[];
  readonly schedules: readonly { readonly id: string; readonly drill: string }[];
  /** Simulated ms of every skipped schedule slot, per schedule id. */
  readonly skipsMs: ReadonlyMap<string, readonly number[]>;
  readonly nowMs: number;
  readonly windowMs: number;
}): Resilience {
  const fromMs = input.nowMs - input.windowMs;
  const inWindow = input.runs.filter((run) => run.startedMs >= fromMs);
  const verdictsOf = (runs: readonly DrillRunRecord[]): RunVerdict[] =>
    runs.map(verdictOf).filter((verdict): verdict is RunVerdict => verdict !== null);
  const skipsOf = (schedule: string): number => (input.skipsMs.get(schedule) ?? []).filter((atMs) => atMs >= fromMs).length;
  return {
    atMs: input.nowMs,
    windowMs: input.windowMs,
    drills: input.drills.map((drill) => ({
      drill,
      ...tally(
        verdictsOf(inWindow.filter((run) => run.drill === drill)),
        input.schedules.filter((schedule) => schedule.drill === drill).reduce((sum, schedule) => sum + skipsOf(schedule.id), 0),
      ),
    })),
    schedules: input.schedules.map((schedule) => ({
      schedule: schedule.id,
      drill: schedule.drill,
      ...tally(verdictsOf(inWindow.filter((run) => run.schedule === schedule.id)), skipsOf(schedule.id)),
    })),
  };
}
