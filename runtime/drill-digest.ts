// What a drill's result and report take from its window of the history, as plain data: where the
// window is checked in a child process (runtime/drill-spool.ts) the child computes it and the
// server never holds the window; in-process the same function runs over the copy.
import type { Op } from "../harness/history.js";
import type { FaultWindow } from "../harness/checkers/availability.js";
import { checkShedWithinCapacity, type ShedVerdict, type ShedWindow } from "../harness/checkers/shed-within-capacity.js";
import { latencyPhases, type DrillResult } from "../chaos/drill/result.js";
import { reportBins, type ReportBins } from "../chaos/drill/report.js";

export interface DigestParameters {
  /** Absolute µs of the drill's start (its steps count from here). */
  readonly startUs: number;
  readonly faultWindows: readonly FaultWindow[];
  /** The drill's scale-out budget per cell (null: no scale-out section, no shedding judged). */
  readonly scaleOutBudgetOpsPerSecond: number | null;
  readonly steps: readonly { readonly atMs: number; readonly field: string; readonly detail: string }[];
  /** The report's bins: aligned on this (the page's chart periods) and this wide; absent: no bins taken. */
  readonly binOriginUs?: number;
  readonly binUs?: number;
}

export interface DrillWindowDigest {
  readonly operations: number;
  readonly latency: DrillResult["latency"];
  readonly shedding: ShedVerdict | null;
  readonly bins: ReportBins | null;
}

export function digestWindow(window: readonly Op[], parameters: DigestParameters): DrillWindowDigest {
  const budget = parameters.scaleOutBudgetOpsPerSecond;
  return {
    operations: window.length,
    latency: latencyPhases(window, parameters.faultWindows, parameters.startUs),
    shedding: budget === null ? null : scaleOutShedding(budget, parameters.steps, parameters.startUs, window),
    bins: parameters.binOriginUs === undefined ? null : reportBins(window, parameters.binOriginUs, parameters.binUs),
  };
}

/**
 * The drill's automatic scale-outs as shedding windows (harness/checkers/shed-within-capacity.ts):
 * each cut over (its step record, `scale-out.scale-out` "<cell>: <added> took a..b (cut-over, ...)")
 * opens a window over the split cell and the added one, closed by that added cell's consolidation
 * (`scale-out.consolidate` "<added>: shards back to ...") or the history's end.
 */
export function scaleOutShedding(
  budgetOpsPerSecond: number,
  steps: readonly { readonly atMs: number; readonly field: string; readonly detail: string }[],
  startUs: number,
  history: readonly Op[],
): ShedVerdict {
  const endUs = history.reduce((latest, op) => Math.max(latest, (op.time ?? 0) + 1), startUs);
  const open = new Map<string, { cells: string[]; fromUs: number }>();
  const windows: ShedWindow[] = [];
  for (const step of steps) {
    const atUs = startUs + step.atMs * 1000;
    const out = step.field === "scale-out.scale-out" ? /^(\S+): (\S+) took \d+\.\.\d+ \(cut-over/.exec(step.detail) : null;
    if (out !== null) open.set(out[2] as string, { cells: [out[1] as string, out[2] as string], fromUs: atUs });
    const back = step.field === "scale-out.consolidate" ? /^(\S+): shards back to /.exec(step.detail) : null;
    const closing = back === null ? undefined : open.get(back[1] as string);
    if (back !== null && closing !== undefined) {
      windows.push({ ...closing, toUs: atUs });
      open.delete(back[1] as string);
    }
  }
  for (const window of open.values()) windows.push({ ...window, toUs: endUs });
  return checkShedWithinCapacity(history, windows, budgetOpsPerSecond);
}
