// A drill's result: the measured figures (RTO per cell, acknowledged transfers lost, latency and
// error rate before/during/after the faults), the checker verdicts, and the outcome with the
// reasons for a FAILED one, each naming the figure it measured against the expectation.
import type { DrillPredictionRecord } from "../../domain/records.js";
import type { FaultWindow } from "../../harness/checkers/availability.js";
import { percentile } from "../../harness/checkers/availability.js";
import type { CrossCellFigures } from "../../harness/checkers/global-conservation.js";
import type { ShedVerdict } from "../../harness/checkers/shed-within-capacity.js";
import { pairHistory, type Op } from "../../harness/history.js";
import type { RunVerdicts } from "../../harness/run-check.js";
import type { Drill } from "./format.js";
import type { StepRecord } from "./execution.js";
import type { StopConditions, StoppedBy } from "./stop.js";

/** ABORTED: ended early by a stop condition or an operator, its faults healed at once. */
export type DrillOutcome = "SUCCEEDED" | "FAILED" | "INTERRUPTED" | "ABORTED";

/** Stop conditions as the result and report show them (ms, not µs). */
export interface StopSummary {
  readonly errorRateMax: number | null;
  readonly p99MsMax: number | null;
  readonly lostAckedTransfersMax: number | null;
  readonly unavailableMsMax: number | null;
  readonly windowMs: number;
}

/** What a rehearsal predicted for this drill before it ran (POST /api/v1/rehearsals {drill}), for the report: the record the controller keeps. */
export type DrillPrediction = DrillPredictionRecord;

export function stopSummary(stop: StopConditions | null): StopSummary | null {
  if (stop === null) return null;
  return {
    errorRateMax: stop.errorRateMax,
    p99MsMax: stop.p99MsMax,
    lostAckedTransfersMax: stop.lostAckedTransfersMax,
    unavailableMsMax: stop.unavailableMsMax,
    windowMs: stop.windowUs / 1000,
  };
}

export interface PhaseFigures {
  readonly ops: number;
  readonly errorRate: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

export interface CheckerSummary {
  readonly valid: boolean | "unknown";
  readonly [key: string]: unknown;
}

export interface DrillResult {
  readonly drill: string;
  readonly seed: number;
  readonly outcome: DrillOutcome;
  /** Per cell touched by a fault: fault start to the first acknowledged op after it (null: never). */
  readonly rtoMs: Readonly<Record<string, number | null>>;
  /** RPO: acknowledged transfers missing from the final ledgers. Must be 0. */
  readonly lostAckedTransfers: number;
  /** Cross-cell transfers initiated, settled, refunded, in flight at the end, settle latency (absent: not counted). */
  readonly crossCell?: CrossCellFigures;
  /** Per cell, the error rate of ops invoked during the fault windows (1 = nothing got through). */
  readonly availability: Readonly<Record<string, { readonly duringErrorRate: number; readonly duringOps: number }>>;
  readonly latency: { readonly before: PhaseFigures; readonly during: PhaseFigures; readonly after: PhaseFigures };
  readonly checkers: Readonly<Record<string, CheckerSummary>>;
  readonly faults: readonly {
    readonly id: string;
    readonly type: string;
    readonly startMs: number;
    readonly endMs: number;
    readonly cells: readonly string[];
  }[];
  readonly steps: readonly StepRecord[];
  /** Replicas not healthy once the drill has healed and settled (e.g. one that found its WAL corrupted and stopped). */
  readonly replicasNotUp: readonly { readonly replica: string; readonly state: string }[];
  readonly operations: number;
  readonly simulatedMs: number;
  readonly traceHash: string;
  readonly reasons: readonly string[];
  /** The stop conditions the run was watched by (null: none). */
  readonly stop: StopSummary | null;
  /** The breached stop condition that ended the run (outcome ABORTED), else null. */
  readonly stoppedBy: StoppedBy | null;
  /** The operator's reason for aborting the run (outcome ABORTED), else null. */
  readonly abortReason: string | null;
  /** The rehearsal's prediction for this run, if one was made just before it (null: none). */
  readonly prediction: DrillPrediction | null;
  /** A drill run in a world with a control plane: its leader, the buttons pressed through it, the audit RPO. */
  readonly controlPlane?: ControlPlaneDrillFigures;
  /**
   * A drill with automatic scale-out: requests shed after a cut over while the affected cells'
   * offered load fit their total budget (must be 0; harness/checkers/shed-within-capacity.ts).
   */
  readonly scaleOutShedding?: ShedVerdict;
}

/** What a drill measured of the control plane (runtime/virtual/control-drill.ts). */
export interface ControlPlaneDrillFigures {
  readonly leaderBefore: string | null;
  readonly leaderRegionBefore: string | null;
  readonly termBefore: number;
  readonly leaderAfter: string | null;
  readonly termAfter: number;
  readonly quorumAfter: boolean;
  /** Every button the drill pressed through the control plane; ms from the drill's start. */
  readonly actions: readonly {
    readonly kind: string;
    readonly target: string;
    readonly requestId: string;
    readonly pressedMs: number;
    /** Presses refused with 503 control-quorum before one was admitted. */
    readonly refusals: number;
    /** When the action's end was committed (null: never). */
    readonly committedMs: number | null;
    readonly ok: boolean;
  }[];
  /** From the first fault's start to the evacuation's commit (null: none committed). */
  readonly evacuationCommittedMsAfterFault: number | null;
  /** The routing version the control group holds at the end. */
  readonly routingVersionCommitted: number | null;
  /** Audit entries the control group acknowledged during the run, and those of them missing from it at the end (RPO: must be none). */
  readonly auditAcknowledged: number;
  readonly auditLost: readonly number[];
}

const toMs = (us: number | null): number | null => (us === null ? null : Math.round(us) / 1000);

function phase(latenciesUs: number[], ops: number, errors: number): PhaseFigures {
  latenciesUs.sort((a, b) => a - b);
  return {
    ops,
    errorRate: ops === 0 ? 0 : Math.round((errors / ops) * 10_000) / 10_000,
    p50Ms: toMs(percentile(latenciesUs, 0.5)),
    p99Ms: toMs(percentile(latenciesUs, 0.99)),
  };
}

/**
 * Latency of acknowledged user ops (account openings excluded) by when they were invoked: before
 * the first fault, between the first fault's start and the last one's end, and after.
 */
export function latencyPhases(history: readonly Op[], windows: readonly FaultWindow[], fromUs: number): DrillResult["latency"] {
  const firstUs = windows.length === 0 ? Infinity : Math.min(...windows.map((window) => window.startUs));
  const lastUs = windows.length === 0 ? Infinity : Math.max(...windows.map((window) => window.endUs));
  const buckets = {
    before: { latencies: [] as number[], ops: 0, errors: 0 },
    during: { latencies: [] as number[], ops: 0, errors: 0 },
    after: { latencies: [] as number[], ops: 0, errors: 0 },
  };
  for (const op of pairHistory(history)) {
    if (op.f === "open") continue;
    const invokedUs = op.invoke.time ?? 0;
    if (invokedUs < fromUs) continue;
    const bucket = invokedUs < firstUs ? buckets.before : invokedUs < lastUs ? buckets.during : buckets.after;
    bucket.ops++;
    if (op.type !== "ok") bucket.errors++;
    else if (op.completion !== null) bucket.latencies.push((op.completion.time ?? 0) - invokedUs);
  }
  return {
    before: phase(buckets.before.latencies, buckets.before.ops, buckets.before.errors),
    during: phase(buckets.during.latencies, buckets.during.ops, buckets.during.errors),
    after: phase(buckets.after.latencies, buckets.after.ops, buckets.after.errors),
  };
}

/** Compact checker verdicts for the JSON: validity plus the few figures that explain it. */
export function summariseCheckers(verdicts: RunVerdicts, invariantViolations: readonly string[]): Record<string, CheckerSummary> {
  const out: Record<string, CheckerSummary> = {};
  for (const [name, verdict] of Object.entries(verdicts.checkers)) {
    const summary: Record<string, unknown> = { valid: verdict.valid };
    if (verdict.valid !== true) {
      // Keep the evidence of a failure (bounded), not the whole verdict.
      const text = JSON.stringify(verdict);
      summary.evidence = text.length > 2_000 ? `${text.slice(0, 2_000)}...` : JSON.parse(text);
    }
    out[name] = summary as CheckerSummary;
  }
  out.invariants = {
    valid: invariantViolations.length === 0,
    ...(invariantViolations.length > 0 ? { violations: invariantViolations.slice(0, 10) } : {}),
  };
  return out;
}

/** The reasons a drill FAILED, each with the measured figure; empty means it met every expectation. */
export function failureReasons(
  drill: Drill,
  figures: {
    rtoMs: Readonly<Record<string, number | null>>;
    lostAckedTransfers: number;
    latency: DrillResult["latency"];
    checkers: Readonly<Record<string, CheckerSummary>>;
    steps: readonly StepRecord[];
    replicasNotUp?: DrillResult["replicasNotUp"];
  },
): string[] {
  const reasons: string[] = [];
  const expect = drill.expect;
  if (expect.rtoMsMax !== null) {
    for (const [cell, rto] of Object.entries(figures.rtoMs)) {
      if (rto === null) reasons.push(`rto: ${cell} never recovered (expected rtoMsMax ${expect.rtoMsMax} ms)`);
      else if (rto > expect.rtoMsMax) reasons.push(`rto: ${cell} recovered in ${rto} ms > rtoMsMax ${expect.rtoMsMax} ms`);
    }
  }
  if (figures.lostAckedTransfers > expect.lostAckedTransfersMax)
    reasons.push(`rpo: ${figures.lostAckedTransfers} acknowledged transfers lost > lostAckedTransfersMax ${expect.lostAckedTransfersMax}`);
  for (const phaseName of ["before", "during", "after"] as const) {
    const bound = expect.p99MsMax[phaseName];
    const measured = figures.latency[phaseName].p99Ms;
    if (bound !== null && measured !== null && measured > bound)
      reasons.push(`latency: p99 ${phaseName} the faults ${measured} ms > p99MsMax ${bound} ms`);
  }
  for (const name of expect.checkers) {
    const verdict = figures.checkers[name];
    if (verdict === undefined) reasons.push(`checker ${name}: did not run`);
    else if (verdict.valid === false) reasons.push(`checker ${name}: invalid`);
    else if (verdict.valid === "unknown") reasons.push(`checker ${name}: unknown (search budget exhausted)`);
  }
  // Liveness is part of every drill's verdict, listed in expect.checkers or not: after the final heal
  // every cell must commit again and be routed to its leader within the bound.
  const liveness = figures.checkers.liveness;
  if (!expect.checkers.includes("liveness") && liveness !== undefined && liveness.valid !== true) {
    const stuck = (liveness.evidence as { stuck?: readonly string[] } | undefined)?.stuck ?? [];
    reasons.push(`checker liveness: invalid${stuck.length > 0 ? ` (${stuck.join("; ")})` : ""}`);
  }
  for (const step of figures.steps) if (!step.ok) reasons.push(`${step.field} at ${step.atMs} ms: ${step.detail}`);
  if (expect.replicasUp === true && (figures.replicasNotUp?.length ?? 0) > 0)
    reasons.push(
      `replicas not up after the drill (expected replicasUp): ${(figures.replicasNotUp ?? []).map((replica) => `${replica.replica} (${replica.state})`).join(", ")}`,
    );
  return reasons;
}
