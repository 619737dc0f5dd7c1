// Runs a drill. `runDrill` builds its own VirtualWorld from the seed: warm up, start the
// workload, apply the steps at their times, final heal, drain, and run every checker. `startDrill`
// runs the steps against an EXISTING world (the controller's scheduled drills): it neither starts
// nor stops the workload, and is INTERRUPTED when a fault it did not inject appears.
import type { AvailabilityVerdict } from "../../harness/checkers/availability.js";
import type { CellView } from "../../sim/cluster.js";
import type { Op } from "../../harness/history.js";
import { checkRun, type CheckerName as RunCheckerName, type RunVerdicts } from "../../sim/virtual/check.js";
import { VirtualWorld } from "../../sim/virtual/world.js";
import type { WorldConfig } from "../../sim/world/config.js";
import { FaultManager } from "../fault-manager.js";
import { DrillExecution, type DrillController } from "./execution.js";
import type { Drill } from "./format.js";
import { failureReasons, latencyPhases, summariseCheckers, type DrillOutcome, type DrillResult } from "./result.js";

/** Time the world spends electing its first leaders before the drill's clock starts. */
export const DRILL_WARMUP_US = 2_000_000;
/** Bound on draining in-flight requests after the final heal. */
export const DRILL_DRAIN_US_MAX = 30_000_000;
/** After draining, time for replicas that were down to catch up before replicas are compared. */
export const DRILL_CATCH_UP_US = 3_000_000;
/** Settling time in a shared world between the final heal and the checks. */
export const DRILL_SETTLE_US = 5_000_000;
export const LINEARIZABLE_TIMEOUT_MS_DEFAULT = 20_000;

export interface RunDrillOptions {
  readonly seed: number;
  readonly config?: WorldConfig;
  readonly controller?: DrillController;
  readonly linearizableTimeoutMs?: number;
}

export interface DrillRunOutput {
  readonly result: DrillResult;
  readonly virtual: VirtualWorld;
  readonly verdicts: RunVerdicts;
  readonly execution: DrillExecution;
}

function checkersToRun(drill: Drill): RunCheckerName[] {
  // Durability and availability always run: they give the RPO and RTO figures.
  const wanted = new Set<string>([...drill.expect.checkers, "durability", "availability"]);
  return (["linearizable", "bank", "durability", "replica-agreement", "availability"] as const).filter((name) => wanted.has(name));
}

/** Every checker the drill expects, through the harness (linearizable: the ledger witness first, the search only when the witness cannot decide). */
function checkAll(virtual: VirtualWorld, drill: Drill, windows: DrillExecution["windows"], linearizableTimeoutMs: number, historyFromUs?: number): RunVerdicts {
  return checkRun(virtual, { faultWindows: windows, checkers: checkersToRun(drill), linearizableTimeoutMs, ...(historyFromUs === undefined ? {} : { historyFromUs }) });
}

/** In a running world a drill checks its own window (plus a little before, for the "before" latency), not the whole uptime. */
export const DRILL_HISTORY_LEAD_US = 5_000_000;

/** What a drill result is built from, in either runtime (VirtualWorld, LiveWorld). */
export interface DrillWorld {
  readonly cluster: { cells(): readonly CellView[] };
  readonly recorder: { history(): readonly Op[]; since(timeUs: number): Op[] };
  invariantViolations(): readonly string[];
  summary(): { readonly simulatedMs: number; readonly traceHash: string };
}

export function buildDrillResult(drill: Drill, seed: number, virtual: DrillWorld, execution: DrillExecution, verdicts: RunVerdicts, historyFromUs?: number): DrillResult {
  const history = historyFromUs === undefined ? virtual.recorder.history() : virtual.recorder.since(historyFromUs);
  const touched = new Set(execution.windows.flatMap((window) => window.cells ?? []));
  const rtoMs: Record<string, number | null> = {};
  for (const [cell, rto] of Object.entries(verdicts.rtoMs)) if (touched.has(cell)) rtoMs[cell] = rto;
  const availability: Record<string, { duringErrorRate: number; duringOps: number }> = {};
  const availabilityVerdict = verdicts.checkers.availability as unknown as AvailabilityVerdict | undefined;
  for (const window of availabilityVerdict?.windows ?? []) {
    for (const cell of window.cells) {
      const previous = availability[cell.cell];
      if (previous === undefined || cell.during.errorRate > previous.duringErrorRate) availability[cell.cell] = { duringErrorRate: Math.round(cell.during.errorRate * 10_000) / 10_000, duringOps: cell.during.ops };
    }
  }
  const latency = latencyPhases(history, execution.windows, execution.startUs);
  const checkers = summariseCheckers(verdicts, virtual.invariantViolations());
  const steps = execution.steps;
  const reasons = execution.interruption === null ? failureReasons(drill, { rtoMs, lostAckedTransfers: verdicts.lostAckedTransfers, latency, checkers, steps }) : [execution.interruption];
  const outcome: DrillOutcome = execution.interruption !== null ? "INTERRUPTED" : reasons.length === 0 ? "SUCCEEDED" : "FAILED";
  const summary = virtual.summary();
  return {
    drill: drill.name,
    seed,
    outcome,
    rtoMs,
    lostAckedTransfers: verdicts.lostAckedTransfers,
    availability,
    latency,
    checkers,
    faults: execution.windows.map((window) => ({ id: window.id, type: window.kind, startMs: (window.startUs - execution.startUs) / 1000, endMs: (window.endUs - execution.startUs) / 1000, cells: window.cells ?? [] })),
    steps,
    replicasNotUp: virtual.cluster
      .cells()
      .flatMap((cell) => cell.replicas)
      .filter((replica) => replica.state !== "up" && replica.state !== "lagging")
      .map((replica) => ({ replica: replica.id, state: replica.state })),
    operations: history.length,
    simulatedMs: summary.simulatedMs,
    traceHash: summary.traceHash,
    reasons,
  };
}

/** Runs the drill in a fresh world built from the seed, synchronously, to the end. */
export function runDrill(drill: Drill, options: RunDrillOptions): DrillRunOutput {
  const workload = drill.workload;
  // No deposits or withdrawals: each cell's money is then constant and the bank checker exact.
  const virtual = new VirtualWorld({
    seed: options.seed,
    ...(options.config ? { config: options.config } : {}),
    workload: { profile: workload.profile, opsPerSecond: workload.opsPerSecond, ...(workload.readFraction !== undefined ? { readFraction: workload.readFraction } : {}), depositFraction: 0 },
  });
  // Leaders in their preferred regions first, as in production: the drill then hits the real placement.
  virtual.settleLeaders(DRILL_WARMUP_US);
  const faults = new FaultManager(virtual.cluster);
  const execution = new DrillExecution(drill, virtual.cluster, faults, options.controller ?? null, `drill:${drill.name}`);
  virtual.startWorkload();
  execution.start(() => {});
  virtual.runUntil(execution.startUs + drill.durationUs);
  execution.finish();
  faults.healAll();
  virtual.drain(DRILL_DRAIN_US_MAX);
  virtual.runFor(DRILL_CATCH_UP_US);
  const verdicts = checkAll(virtual, drill, execution.windows, options.linearizableTimeoutMs ?? LINEARIZABLE_TIMEOUT_MS_DEFAULT);
  return { result: buildDrillResult(drill, options.seed, virtual, execution, verdicts), virtual, verdicts, execution };
}

export interface StartDrillOptions {
  /** The world's FaultManager, shared with the API so foreign faults are seen. */
  readonly faults: FaultManager;
  readonly controller?: DrillController;
  readonly linearizableTimeoutMs?: number;
  /** Fault origin and actor of this run (default `drill:<name>`); the controller uses `drill:<run id>`. */
  readonly origin?: string;
}

export interface DrillRunHandle {
  readonly execution: DrillExecution;
  progressPct(): number;
  /** Stops the drill now: heals its faults; the result is INTERRUPTED. */
  cancel(reason: string): void;
}

/**
 * Runs the drill's steps in an already running world and calls `onDone` with the result once the
 * drill has ended, been healed and the world has settled. Never blocks: the caller keeps running
 * the world (the result arrives from inside one of its timers).
 */
export function startDrill(virtual: VirtualWorld, drill: Drill, options: StartDrillOptions, onDone: (result: DrillResult) => void): DrillRunHandle {
  const clock = virtual.cluster.clock;
  let done = false;
  const conclude = (): void => {
    if (done) return;
    done = true;
    const fromUs = Math.max(0, execution.startUs - DRILL_HISTORY_LEAD_US);
    const verdicts = checkAll(virtual, drill, execution.windows, options.linearizableTimeoutMs ?? LINEARIZABLE_TIMEOUT_MS_DEFAULT, fromUs);
    onDone(buildDrillResult(drill, virtual.seed, virtual, execution, verdicts, fromUs));
  };
  const settleThenConclude = (): void => {
    clock.setTimer(DRILL_SETTLE_US, conclude);
  };
  const execution: DrillExecution = new DrillExecution(drill, virtual.cluster, options.faults, options.controller ?? null, options.origin ?? `drill:${drill.name}`, settleThenConclude);
  execution.start(settleThenConclude);
  return {
    execution,
    progressPct: () => (done ? 100 : execution.progressPct()),
    cancel: (reason) => {
      if (execution.interruption === null) execution.interruption = `cancelled: ${reason}`;
      execution.finish();
      settleThenConclude();
    },
  };
}
