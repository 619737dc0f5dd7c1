// One simulated run of the default world: warm up until every cell has a leader, open the
// accounts, run the workload (with an optional nemesis), heal everything, drain, and summarise.

import type { FaultWindow } from "../../harness/checkers/availability.js";
import { percentile } from "../../harness/checkers/availability.js";
import type { WorldConfig } from "../../domain/config.js";
import { checkRun, type RunVerdicts } from "../../harness/run-check.js";
import { LIVENESS_BOUND_US_DEFAULT } from "../../harness/checkers/liveness.js";
import type { CrossCellFigures } from "../../harness/checkers/global-conservation.js";
import { VirtualRuntime, type VirtualRuntimeOptions } from "./runtime.js";
import type { WorkloadOptions } from "../../sim/workload/workload.js";
import { scheduleRandomMoves, shardOwnershipViolations } from "./random-moves.js";

export type Nemesis = (virtual: VirtualRuntime, window: { startUs: number; endUs: number }) => FaultWindow[];

export interface CellsRunOptions {
  readonly config: WorldConfig;
  readonly seed: number;
  readonly durationUs: number;
  readonly nemesis?: Nemesis;
  readonly check?: boolean;
  readonly failFast?: boolean;
  readonly workload?: Partial<WorkloadOptions>;
  readonly replica?: VirtualRuntimeOptions["replica"];
  readonly worldLog?: VirtualRuntimeOptions["worldLog"];
  readonly bugs?: VirtualRuntimeOptions["bugs"];
  /** With `check`: the liveness bound after the last heal (default LIVENESS_BOUND_US_DEFAULT, 5 s). */
  readonly livenessBoundUs?: number;
  /** Ledger and relay options (tests inject the cross-cell protocol bugs here). */
  readonly ledger?: VirtualRuntimeOptions["ledger"];
  readonly relay?: VirtualRuntimeOptions["relay"];
  /** Random elastic-cell activity (add cells, move shard ranges) during the run (runtime/virtual/random-moves.ts). */
  readonly moves?: boolean;
}

export interface CellSummary {
  readonly committed: number;
  readonly reads: number;
  readonly failed: number;
  readonly info: number;
  readonly commitLatencyMs: { readonly p50: number | null; readonly p99: number | null };
  readonly leader: string | null;
  readonly term: number;
}

export interface CellsRunResult {
  readonly seed: number;
  readonly simulatedMs: number;
  readonly events: number;
  readonly traceHash: string;
  readonly operations: number;
  readonly cells: Record<string, CellSummary>;
  readonly faultWindows: readonly FaultWindow[];
  readonly rtoMs: Record<string, number | null>;
  readonly invariantViolations: readonly string[];
  /** Cross-cell transfers initiated, settled, refunded, in flight at the end, settle latency (issue 17). */
  readonly crossCell: CrossCellFigures;
  readonly verdicts?: RunVerdicts;
  readonly moves?: { readonly done: readonly object[]; readonly added: readonly string[]; readonly refused: number };
  readonly virtual: VirtualRuntime;
}

/** Time the run spends electing the first leaders before users arrive. */
export const WARMUP_US = 2_000_000;
export const DRAIN_US_MAX = 30_000_000;

export function runCells(options: CellsRunOptions): CellsRunResult {
  const virtual = new VirtualRuntime({
    seed: options.seed,
    config: options.config,
    failFast: options.failFast ?? false,
    ...(options.workload ? { workload: options.workload } : {}),
    ...(options.replica ? { replica: options.replica } : {}),
    ...(options.worldLog ? { worldLog: options.worldLog } : {}),
    ...(options.bugs ? { bugs: options.bugs } : {}),
    ...(options.ledger ? { ledger: options.ledger } : {}),
    ...(options.relay ? { relay: options.relay } : {}),
  });
  virtual.settleLeaders(WARMUP_US);
  virtual.startWorkload();
  const startUs = virtual.nowUs();
  const endUs = startUs + options.durationUs;
  const faultWindows = options.nemesis ? options.nemesis(virtual, { startUs, endUs }) : [];
  const moves = options.moves === true ? scheduleRandomMoves(virtual, { startUs: startUs + 1_000_000, endUs }) : null;
  virtual.runUntil(endUs);
  virtual.faults.healAll();
  const liveness = options.check === true ? virtual.watchLiveness(options.livenessBoundUs ?? LIVENESS_BOUND_US_DEFAULT) : null;
  virtual.drain(DRAIN_US_MAX);
  // Let followers that were down catch up before comparing replicas.
  virtual.runFor(3_000_000);
  // A cell not yet live gets the rest of its bound (a live run has settled long before: no change to its trace).
  if (liveness !== null) {
    const deadlineUs = liveness.healedAtUs + liveness.boundUs + virtual.invariants.periodUs;
    while (!liveness.settled() && virtual.nowUs() < deadlineUs) virtual.runFor(virtual.invariants.periodUs);
  }
  if (moves !== null) {
    // A move interrupted by the run's end completes or rolls back once the world is healed.
    const settleUs = virtual.nowUs() + DRAIN_US_MAX;
    while (virtual.nowUs() < settleUs && moves.inFlight() > 0) virtual.runFor(100_000);
    for (const violation of shardOwnershipViolations(virtual, moves)) virtual.invariants.report(`elastic: ${violation}`);
  }
  virtual.auditStorage();
  const verdicts =
    options.check === true
      ? checkRun(virtual, {
          faultWindows,
          ...(liveness !== null && { liveness: liveness.observations() }),
          // The controller's planned leadership moves (the leader-move nemesis): none is an empty list, judged valid.
          plannedMoves: virtual.leaderMoves,
        })
      : undefined;
  const figures = verdicts ?? checkRun(virtual, { faultWindows, checkers: ["availability", "global-conservation"] });
  const rtoMs = figures.rtoMs;
  const crossCell = figures.crossCell as CrossCellFigures;
  return {
    ...virtual.summary(),
    operations: virtual.recorder.length,
    cells: summariseCells(virtual),
    faultWindows,
    rtoMs,
    invariantViolations: virtual.invariantViolations(),
    crossCell,
    ...(verdicts ? { verdicts } : {}),
    ...(moves !== null
      ? {
          moves: {
            done: moves.moves.map(({ id, first, last, from, to, state, durationMs, fenceWindowMs }) => ({
              id,
              first,
              last,
              from,
              to,
              state,
              durationMs,
              fenceWindowMs,
            })),
            added: moves.added,
            refused: moves.refused.length,
          },
        }
      : {}),
    virtual,
  };
}

function summariseCells(virtual: VirtualRuntime): Record<string, CellSummary> {
  const invokedAt = new Map<number | string, number>();
  const stats = new Map<string, { committed: number; reads: number; failed: number; info: number; latenciesUs: number[] }>();
  for (const cell of virtual.placement.cells) stats.set(cell.cell, { committed: 0, reads: 0, failed: 0, info: 0, latenciesUs: [] });
  for (const op of virtual.recorder.history()) {
    if (op.type === "invoke") {
      invokedAt.set(op.process, op.time ?? 0);
      continue;
    }
    const cell = (op.value as { cell?: string } | null)?.cell;
    const entry = cell === undefined ? undefined : stats.get(cell);
    if (entry === undefined) continue;
    if (op.type === "fail") entry.failed++;
    else if (op.type === "info") entry.info++;
    else if (op.f === "read") entry.reads++;
    else if (op.f !== "open") {
      entry.committed++;
      entry.latenciesUs.push((op.time ?? 0) - (invokedAt.get(op.process) ?? 0));
    }
  }
  const result: Record<string, CellSummary> = {};
  for (const view of virtual.cluster.cells()) {
    const entry = stats.get(view.id) as { committed: number; reads: number; failed: number; info: number; latenciesUs: number[] };
    const sorted = entry.latenciesUs.sort((a, b) => a - b);
    const ms = (us: number | null): number | null => (us === null ? null : Math.round(us) / 1000);
    result[view.id] = {
      committed: entry.committed,
      reads: entry.reads,
      failed: entry.failed,
      info: entry.info,
      commitLatencyMs: { p50: ms(percentile(sorted, 0.5)), p99: ms(percentile(sorted, 0.99)) },
      leader: view.leader?.replica ?? null,
      term: view.term,
    };
  }
  return result;
}
