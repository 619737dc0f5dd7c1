// Availability per fault window: for each affected cell, the time from the fault's start to the
// first successful operation invoked after it (the RTO users saw), and the error rate and
// latency percentiles of the ops invoked before, during and after the window.
import { CHECK_STEP_ITEMS, drainSteps, HistoryError, pairHistorySteps, type Op, type PairedOp } from "../history.js";
import { opCell } from "../models.js";

export interface FaultWindow {
  id: string;
  kind: string;
  startUs: number;
  endUs: number;
  /** Cells the fault affects; all cells seen in the history when absent. */
  cells?: readonly string[];
}

export interface PhaseStats {
  ops: number;
  /** (fail + info) / ops, 0 when there are no ops. */
  errorRate: number;
  latencyUsP50: number | null;
  latencyUsP99: number | null;
}

export interface CellAvailability {
  cell: string;
  /** Fault start to the completion of the first ok op invoked at or after it; null: none. */
  rtoUs: number | null;
  before: PhaseStats;
  during: PhaseStats;
  after: PhaseStats;
}

export interface WindowAvailability {
  id: string;
  kind: string;
  startUs: number;
  endUs: number;
  cells: CellAvailability[];
}

export interface AvailabilityOptions {
  /** When given, a cell whose RTO exceeds it (or that never recovers) makes the verdict invalid. */
  rtoUsMax?: number;
}

export interface AvailabilityVerdict {
  valid: boolean;
  windows: WindowAvailability[];
  /** Cells over `rtoUsMax`, as "windowId/cell". */
  slow: string[];
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], fraction: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(fraction * sorted.length));
  return sorted[rank - 1] as number;
}

function phaseStats(ops: readonly PairedOp[]): PhaseStats {
  let errors = 0;
  const latencies: number[] = [];
  for (const op of ops) {
    if (op.type !== "ok") errors++;
    if (op.completion !== null) latencies.push((op.completion.time as number) - (op.invoke.time as number));
  }
  latencies.sort((a, b) => a - b);
  return {
    ops: ops.length,
    errorRate: ops.length === 0 ? 0 : errors / ops.length,
    latencyUsP50: percentile(latencies, 0.5),
    latencyUsP99: percentile(latencies, 0.99),
  };
}

export function checkAvailability(
  history: readonly Op[],
  windows: readonly FaultWindow[],
  options: AvailabilityOptions = {},
): AvailabilityVerdict {
  return drainSteps(checkAvailabilitySteps(history, windows, options));
}

/** checkAvailability, yielding every CHECK_STEP_ITEMS ops (harness/run-check.ts checkRunSteps). */
export function* checkAvailabilitySteps(
  history: readonly Op[],
  windows: readonly FaultWindow[],
  options: AvailabilityOptions = {},
): Generator<void, AvailabilityVerdict, void> {
  const paired = yield* pairHistorySteps(history);
  let seen = 0;
  for (const op of paired) {
    if (++seen % CHECK_STEP_ITEMS === 0) yield;
    for (const event of [op.invoke, op.completion]) {
      if (event !== null && typeof event.time !== "number")
        throw new HistoryError("HISTORY_FORMAT", `op ${event.index}: availability needs a time (µs) on every op`, event.index);
    }
  }
  const byCell = new Map<string, PairedOp[]>();
  for (const op of paired) {
    if (++seen % CHECK_STEP_ITEMS === 0) yield;
    const cell = opCell(op);
    const list = byCell.get(cell) ?? [];
    list.push(op);
    byCell.set(cell, list);
  }
  const ordered = [...windows].sort((a, b) => a.startUs - b.startUs);
  const verdict: AvailabilityVerdict = { valid: true, windows: [], slow: [] };
  for (const [position, window] of ordered.entries()) {
    if (!(window.endUs >= window.startUs)) throw new RangeError(`faultWindows[${position}] (${window.id}): endUs must be >= startUs`);
    // Before runs from the previous window's end; after runs to the next window's start.
    const previousEndUs = position > 0 ? (ordered[position - 1] as FaultWindow).endUs : -Infinity;
    const nextStartUs = position + 1 < ordered.length ? (ordered[position + 1] as FaultWindow).startUs : Infinity;
    const cells = window.cells ?? [...byCell.keys()].sort();
    const result: WindowAvailability = { id: window.id, kind: window.kind, startUs: window.startUs, endUs: window.endUs, cells: [] };
    for (const cell of cells) {
      yield;
      const ops = byCell.get(cell) ?? [];
      const invokedIn = (fromUs: number, toUs: number): PairedOp[] =>
        ops.filter((op) => (op.invoke.time as number) >= fromUs && (op.invoke.time as number) < toUs);
      let rtoUs: number | null = null;
      for (const op of ops) {
        if (op.type !== "ok" || (op.invoke.time as number) < window.startUs) continue;
        const recoveredUs = (op.completion?.time as number) - window.startUs;
        if (rtoUs === null || recoveredUs < rtoUs) rtoUs = recoveredUs;
      }
      result.cells.push({
        cell,
        rtoUs,
        before: phaseStats(invokedIn(previousEndUs, window.startUs)),
        during: phaseStats(invokedIn(window.startUs, window.endUs)),
        after: phaseStats(invokedIn(window.endUs, nextStartUs)),
      });
      if (options.rtoUsMax !== undefined && (rtoUs === null || rtoUs > options.rtoUsMax)) verdict.slow.push(`${window.id}/${cell}`);
    }
    verdict.windows.push(result);
  }
  verdict.valid = verdict.slow.length === 0;
  return verdict;
}
