// Runs a drill against a Runtime, either one. `runDrillOn` owns the runtime for the drill: warm up,
// start the workload, apply the steps at their times, final heal, drain, and run every checker
// (runtime/virtual/drill.ts and runtime/live/drill.ts build the runtime and call it). `startDrill`
// runs the steps against a runtime that is ALREADY serving (the controller's scheduled drills): it
// neither starts nor stops the workload, and is INTERRUPTED when a fault it did not inject appears.
import type { AvailabilityVerdict } from "../harness/checkers/availability.js";
import { captureRun, checkRun, checkRunSteps, type CheckerName as RunCheckerName, type RunVerdicts } from "../harness/run-check.js";
import { checkInChildProcess, DrillSpool, type DrillCheckAnswer, type DrillCheckJob, type DrillCheckRunner } from "./drill-spool.js";
import type { ReportBins } from "../chaos/drill/report.js";
import type { Op } from "../harness/history.js";
import { digestWindow, type DigestParameters, type DrillWindowDigest } from "./drill-digest.js";
import type { LivenessWatchHandle, Runtime } from "./runtime.js";
import { FaultManager } from "../chaos/fault-manager.js";
import { DrillExecution, type DrillController } from "../chaos/drill/execution.js";
import type { Drill } from "../chaos/drill/format.js";
import {
  failureReasons,
  stopSummary,
  summariseCheckers,
  type DrillOutcome,
  type DrillPrediction,
  type DrillResult,
} from "../chaos/drill/result.js";
import type { StopConditions, StopProbeWorld } from "../chaos/drill/stop.js";
import { LIVENESS_BOUND_US_DEFAULT } from "../harness/checkers/liveness.js";
import type { LivenessObservations } from "../harness/checkers/liveness.js";

/** Time the world spends electing its first leaders before the drill's clock starts. */
export const DRILL_WARMUP_US = 2_000_000;
/** Bound on draining in-flight requests after the final heal. */
export const DRILL_DRAIN_US_MAX = 30_000_000;
/** After draining, time for replicas that were down to catch up before replicas are compared. */
export const DRILL_CATCH_UP_US = 3_000_000;
/** Settling time in a shared world between the final heal and the checks. */
export const DRILL_SETTLE_US = 5_000_000;
export const LINEARIZABLE_TIMEOUT_MS_DEFAULT = 20_000;
/** The search's budget per cell for a drill in the running world (it blocks the API meanwhile). */
export const RUNNING_WORLD_LINEARIZABLE_TIMEOUT_MS = 1_000;

/** What differs between the runtimes in a drill's frame: physics (real time is slower and noisier), not logic. */
export interface DrillTimings {
  /** Bound on electing the first leaders and moving them to their preferred regions. */
  readonly warmupUsMax: number;
  /** Quiet time after the warm-up before users arrive (live: the boot of every process is the busiest moment). */
  readonly settleUs: number;
  /** A cell without a leader after the warm-up ends the run (live), or the drill goes on and judges it (virtual). */
  readonly leadersRequired: boolean;
  /** Bound on draining in-flight requests after the final heal. */
  readonly drainUsMax: number;
  /** After draining, time for replicas that were down to catch up before replicas are compared. */
  readonly catchUpUs: number;
  /** How much of the timeline passes between two onProgress calls. */
  readonly progressSliceUs: number;
}

/** How much simulated time passes between two onProgress calls. */
export const DRILL_PROGRESS_SLICE_US = 1_000_000;

export const VIRTUAL_DRILL_TIMINGS: DrillTimings = {
  warmupUsMax: DRILL_WARMUP_US,
  settleUs: 0,
  leadersRequired: false,
  drainUsMax: DRILL_DRAIN_US_MAX,
  catchUpUs: DRILL_CATCH_UP_US,
  progressSliceUs: DRILL_PROGRESS_SLICE_US,
};

export interface RunDrillOnOptions {
  readonly timings: DrillTimings;
  readonly controller?: DrillController;
  /** Without a controller: who adds cells and moves shards for the drill's elastic steps (built on the runtime once it is warm). */
  readonly elastic?: (runtime: Runtime, note: (field: string, ok: boolean, detail: string) => void) => DrillController | null;
  readonly linearizableTimeoutMs?: number;
  /** Called after each slice of the drill's timeline (a progress line; reads only). */
  readonly onProgress?: (doneUs: number, totalUs: number) => void;
  /**
   * An online count of lost acknowledged transfers over the drill's runtime, for the
   * lostAckedTransfersMax stop condition (the controller's online check; the CLI passes it).
   * Without it that condition cannot trip.
   */
  readonly onlineLostCount?: (runtime: Runtime) => OnlineLostCount;
  /** The world's FaultManager when something else (a controller) watches it too; default a fresh one. */
  readonly faults?: FaultManager;
  /** Starts the users (default runtime.startWorkload(): straight to the cells; a controller's world sends them through its gateways). */
  readonly startWorkload?: () => void;
  /** After the warm-up and the users' start, before the timeline (a controller world's pre-fault API calls). */
  readonly beforeTimeline?: () => Promise<void>;
  /** The liveness bound after the final heal (default LIVENESS_BOUND_US_DEFAULT, 5 s); null: not watched. */
  readonly livenessBoundUs?: number | null;
}

export interface OnlineLostCount {
  start(): void;
  stop(): void;
  lostAckedTransfers(): number | null;
}

/** Slice of the timeline between two looks at whether a watched drill ended early. */
export const STOP_RUN_SLICE_US = 100_000;

function stopWatchOf(
  runtime: Pick<Runtime, "cluster" | "recorder">,
  lostAckedTransfers?: () => number | null,
  defaultStop?: StopConditions | null,
): { world: StopProbeWorld; defaultStop: StopConditions | null } {
  return {
    world: { recorder: runtime.recorder, cluster: runtime.cluster, ...(lostAckedTransfers === undefined ? {} : { lostAckedTransfers }) },
    defaultStop: defaultStop ?? null,
  };
}

export interface DrillOnOutput {
  readonly result: DrillResult;
  readonly verdicts: RunVerdicts;
  readonly execution: DrillExecution;
}

function checkersToRun(drill: Drill): RunCheckerName[] {
  // Durability, availability and global conservation always run: they give the RPO, RTO and cross-cell figures.
  // Liveness too, whenever the runtime watched it: every drill's verdict includes it.
  const wanted = new Set<string>([...drill.expect.checkers, "durability", "availability", "global-conservation", "liveness"]);
  return (["linearizable", "bank", "durability", "replica-agreement", "availability", "global-conservation", "liveness"] as const).filter(
    (name) => wanted.has(name),
  );
}

/** How often a drill looks whether its liveness watch has settled (the virtual runtime samples every 50 ms). */
const LIVENESS_STEP_US = 50_000;

/** Every checker the drill expects, through the harness (linearizable: the ledger witness first, the search only when the witness cannot decide). */
function checkAll(
  runtime: Runtime,
  drill: Drill,
  windows: DrillExecution["windows"],
  linearizableTimeoutMs: number,
  historyFromUs?: number,
  liveness?: LivenessObservations,
): RunVerdicts {
  return checkRun(runtime, {
    ...(liveness !== undefined && { liveness }),
    faultWindows: windows,
    checkers: checkersToRun(drill),
    linearizableTimeoutMs,
    ...(historyFromUs === undefined ? {} : { historyFromUs }),
    // A drill in a running world judges a window while users go on paying across cells: money in flight at its end is expected.
    requireDrained: historyFromUs === undefined,
  });
}

/** In a running world a drill checks its own window (plus a little before, for the "before" latency), not the whole uptime. */
export const DRILL_HISTORY_LEAD_US = 5_000_000;
/** Ops of the history copied per step when a drill's window is taken at its conclusion (recorder.sinceSteps). */
export const DRILL_WINDOW_COPY_SLICE_OPS = 16_384;

/** What a drill result is built from: the part of a Runtime it reads. */
export type DrillSubject = Pick<Runtime, "cluster" | "recorder" | "invariantViolations" | "summary">;

export function buildDrillResult(
  drill: Drill,
  seed: number,
  subject: DrillSubject,
  execution: DrillExecution,
  verdicts: RunVerdicts,
  historyFromUs?: number,
  prediction: DrillPrediction | null = null,
  /** The window already taken (recorder.since(historyFromUs)), or its digest (checked in a child process: drill-spool.ts). */
  window?: readonly Op[] | DrillWindowDigest,
): DrillResult {
  const digest =
    window !== undefined && !Array.isArray(window)
      ? (window as DrillWindowDigest)
      : digestWindow(
          (window as readonly Op[] | undefined) ??
            (historyFromUs === undefined ? subject.recorder.history() : subject.recorder.since(historyFromUs)),
          digestParameters(drill, execution),
        );
  const touched = new Set(execution.windows.flatMap((window) => window.cells ?? []));
  const rtoMs: Record<string, number | null> = {};
  for (const [cell, rto] of Object.entries(verdicts.rtoMs)) if (touched.has(cell)) rtoMs[cell] = rto;
  const availability: Record<string, { duringErrorRate: number; duringOps: number }> = {};
  const availabilityVerdict = verdicts.checkers.availability as unknown as AvailabilityVerdict | undefined;
  for (const window of availabilityVerdict?.windows ?? []) {
    for (const cell of window.cells) {
      const previous = availability[cell.cell];
      if (previous === undefined || cell.during.errorRate > previous.duringErrorRate)
        availability[cell.cell] = { duringErrorRate: Math.round(cell.during.errorRate * 10_000) / 10_000, duringOps: cell.during.ops };
    }
  }
  const latency = digest.latency;
  const checkers = summariseCheckers(verdicts, subject.invariantViolations());
  const steps = execution.steps;
  const replicasNotUp = subject.cluster
    .cells()
    .flatMap((cell) => cell.replicas)
    .filter((replica) => replica.state !== "up" && replica.state !== "lagging")
    .map((replica) => ({ replica: replica.id, state: replica.state }));
  const measured = failureReasons(drill, {
    rtoMs,
    lostAckedTransfers: verdicts.lostAckedTransfers,
    latency,
    checkers,
    steps,
    replicasNotUp,
  });
  const shedding = digest.shedding;
  if (shedding !== null && !shedding.valid) {
    const first = shedding.first;
    measured.push(
      `shed within capacity: ${shedding.shedWithinCapacity} requests shed after a scale-out while the affected cells' offered load fit their budget` +
        (first === null
          ? ""
          : ` (first at ${Math.round((first.atUs - execution.startUs) / 1000)} ms: ${first.cells.join(" + ")} offered ${first.offeredOpsPerSecond} ops/s <= ${first.cells.length} x ${drill.scaleOut?.budgetOpsPerSecond}, ${first.shed} shed)`),
    );
  }
  const early = execution.endedEarly;
  // Ended early: the expectations about the planned run do not apply, but what the checkers found over what happened does.
  const reasons =
    early === null ? measured : [early, ...measured.filter((reason) => reason.startsWith("checker ") || reason.startsWith("rpo:"))];
  const outcome: DrillOutcome =
    execution.interruption !== null
      ? "INTERRUPTED"
      : execution.stoppedBy !== null || execution.abortReason !== null
        ? "ABORTED"
        : reasons.length === 0
          ? "SUCCEEDED"
          : "FAILED";
  const summary = subject.summary();
  return {
    drill: drill.name,
    seed,
    outcome,
    rtoMs,
    lostAckedTransfers: verdicts.lostAckedTransfers,
    ...(verdicts.crossCell !== undefined ? { crossCell: verdicts.crossCell } : {}),
    availability,
    latency,
    checkers,
    faults: execution.windows.map((window) => ({
      id: window.id,
      type: window.kind,
      startMs: (window.startUs - execution.startUs) / 1000,
      endMs: (window.endUs - execution.startUs) / 1000,
      cells: window.cells ?? [],
    })),
    steps,
    replicasNotUp,
    operations: digest.operations,
    simulatedMs: summary.simulatedMs,
    traceHash: summary.traceHash,
    reasons,
    ...(shedding !== null && { scaleOutShedding: shedding }),
    stop: stopSummary(execution.stopConditions),
    stoppedBy: execution.stoppedBy,
    abortReason: execution.abortReason,
    prediction,
  };
}

/** What a drill's result takes from its window besides the ops (drill-digest.ts), as of the drill's end. */
function digestParameters(drill: Drill, execution: DrillExecution): DigestParameters {
  return {
    startUs: execution.startUs,
    faultWindows: execution.windows,
    scaleOutBudgetOpsPerSecond: drill.scaleOut?.budgetOpsPerSecond ?? null,
    steps: execution.steps,
  };
}

/**
 * Runs to the end of the drill's timeline. Sliced runs deliver the same events in the same order
 * as one run to the end (the virtual scheduler only moves its clock between slices), so a progress
 * callback leaves the trace hash alone.
 */
async function runTimeline(
  runtime: Runtime,
  startUs: number,
  durationUs: number,
  options: RunDrillOnOptions,
  execution: DrillExecution,
  watched: boolean,
): Promise<void> {
  const endUs = startUs + durationUs;
  const onProgress = options.onProgress;
  if (onProgress === undefined && !watched) return runtime.runUntil(endUs);
  // Watched by stop conditions: short slices, so a breach ends the drill at once rather than at its planned end.
  const sliceUs = watched ? Math.min(STOP_RUN_SLICE_US, options.timings.progressSliceUs) : options.timings.progressSliceUs;
  for (let sliceEndUs = startUs; sliceEndUs < endUs && !execution.ended;) {
    sliceEndUs = Math.min(endUs, sliceEndUs + sliceUs);
    await runtime.runUntil(sliceEndUs);
    onProgress?.(execution.ended ? durationUs : sliceEndUs - startUs, durationUs);
  }
}

/**
 * A drill on a runtime that runs nothing else: warm up (leaders to their preferred regions), start
 * the workload, apply the steps at their times, final heal, drain, catch up, judge with every
 * checker the drill expects. The same code for both runtimes; `timings` carries what physics make
 * differ.
 */
export async function runDrillOn(runtime: Runtime, drill: Drill, options: RunDrillOnOptions): Promise<DrillOnOutput> {
  const timings = options.timings;
  // Leaders in their preferred regions first, as in production: the drill then hits the real placement.
  await runtime.settleLeaders(timings.warmupUsMax);
  if (timings.leadersRequired && runtime.cluster.cells().some((cell) => cell.leader === null))
    throw new Error("not every cell elected a leader during the warm-up");
  if (timings.settleUs > 0) await runtime.runUntil(runtime.nowUs() + timings.settleUs);
  const faults = options.faults ?? new FaultManager(runtime.cluster);
  const online = drill.stop !== null && drill.stop.lostAckedTransfersMax !== null ? (options.onlineLostCount?.(runtime) ?? null) : null;
  const execution = new DrillExecution(
    drill,
    runtime.cluster,
    faults,
    options.controller ?? null,
    `drill:${drill.name}`,
    () => {},
    stopWatchOf(runtime, online === null ? undefined : () => online.lostAckedTransfers()),
  );
  execution.elasticController = options.elastic?.(runtime, (field, ok, detail) => execution.noteAction(field, ok, detail)) ?? null;
  if (options.startWorkload === undefined) runtime.startWorkload();
  else options.startWorkload();
  await options.beforeTimeline?.();
  online?.start();
  execution.start(() => {});
  await runTimeline(runtime, execution.startUs, drill.durationUs, options, execution, drill.stop !== null);
  online?.stop();
  execution.finish();
  faults.healAll();
  // Liveness (harness/checkers/liveness.ts): from the final heal, every cell commits again and is
  // routed to its leader within the bound. Watching changes nothing; only a cell not yet live after
  // the catch-up makes the drill wait (at most to the bound) before it is judged.
  const liveness =
    options.livenessBoundUs === null ? null : (runtime.watchLiveness?.(options.livenessBoundUs ?? LIVENESS_BOUND_US_DEFAULT) ?? null);
  await runtime.drain(timings.drainUsMax);
  await runtime.runUntil(runtime.nowUs() + timings.catchUpUs);
  if (liveness !== null) {
    const deadlineUs = liveness.healedAtUs + liveness.boundUs + LIVENESS_STEP_US;
    while (!liveness.settled() && runtime.nowUs() < deadlineUs) await runtime.runUntil(runtime.nowUs() + LIVENESS_STEP_US);
  }
  await runtime.collectFinalState();
  const verdicts = checkAll(
    runtime,
    drill,
    execution.windows,
    options.linearizableTimeoutMs ?? LINEARIZABLE_TIMEOUT_MS_DEFAULT,
    undefined,
    liveness?.observations(),
  );
  return { result: buildDrillResult(drill, runtime.seed, runtime, execution, verdicts), verdicts, execution };
}

export interface StartDrillOptions {
  /**
   * Spool the drill's window to disk as it is recorded and check it in another process
   * (runtime/drill-spool.ts): the server holds neither the window nor the checks' working set.
   * Absent: the window is pinned in memory and checked in this process.
   */
  readonly spool?: {
    /** A fresh directory for this run's window (removed once it is checked). */
    readonly directory: string;
    /** The report's bins are aligned on this (the page's chart periods), read at the drill's end. */
    readonly binOriginUs: () => number;
    /** Runs the checks (default: a child process, checkInChildProcess). */
    readonly check?: DrillCheckRunner;
  };
  /** The world's FaultManager, shared with the API so foreign faults are seen. */
  readonly faults: FaultManager;
  readonly controller?: DrillController;
  readonly linearizableTimeoutMs?: number;
  /** Stop conditions for a drill that has none of its own (a schedule's defaults). */
  readonly defaultStop?: StopConditions | null;
  /** The running world's online count of lost acknowledged transfers (the lostAckedTransfersMax condition). */
  readonly lostAckedTransfers?: () => number | null;
  /** A rehearsal's prediction for this run, carried into the result for the report. */
  readonly prediction?: DrillPrediction | null;
  /** Fault origin and actor of this run (default `drill:<name>`); the controller uses `drill:<run id>`. */
  readonly origin?: string;
  /**
   * Runs the next step of the checks later (the running world: `setImmediate`, so the API answers
   * between steps; harness/run-check.ts checkRunSteps). Absent: every check runs at once, in the
   * timer that concludes the drill. Either way the verdicts are those of the world at conclusion.
   */
  readonly deferCheckStep?: (step: () => void) => void;
  /**
   * With deferCheckStep: wall ms of checking between two deferrals (the checkers yield every
   * CHECK_STEP_ITEMS items, far more often than the API needs a turn). 0 or absent: defer at
   * every yield.
   */
  readonly checkStepBudgetMs?: number;
  /**
   * The liveness bound after the drill's final heal (default LIVENESS_BOUND_US_DEFAULT, 5 s), as
   * runDrillOn judges it; null: not watched. Not judged either when the drill was interrupted (a
   * fault not its own is still live, so its heal was not the last).
   */
  readonly livenessBoundUs?: number | null;
}

/** Wall ms a drill's checks hold the event loop between two turns in the running world (`ldc start`). */
export const RUNNING_WORLD_CHECK_STEP_BUDGET_MS = 20;

export interface DrillRunHandle {
  readonly execution: DrillExecution;
  progressPct(): number;
  /** Stops the drill now: heals its faults; the result is INTERRUPTED. */
  cancel(reason: string): void;
  /** An operator stops the drill now: heals its faults; the result is ABORTED with the reason. */
  abort(reason: string): void;
}

/**
 * Runs the drill's steps in an already running world and calls `onDone` with the result once the
 * drill has ended, been healed and the world has settled. Never blocks: the caller keeps running
 * the world (the result arrives from inside one of its timers).
 */
export function startDrill(
  virtual: Runtime,
  drill: Drill,
  options: StartDrillOptions,
  /**
   * `window`: the drill's window of the history, as its checks read it, or (spooled) its bins
   * taken by the process that checked it: for the report.
   */
  onDone: (result: DrillResult, window: readonly Op[] | ReportBins) => void,
): DrillRunHandle {
  const clock = virtual.cluster.clock;
  let done = false;
  // The running world keeps a bounded history window; the drill's own window must outlive it:
  // pinned in memory, or spooled to disk (then only the applied-event logs are pinned).
  const fromUs = Math.max(0, clock.nowUs() - DRILL_HISTORY_LEAD_US);
  const spooling = options.spool ?? null;
  let spool: DrillSpool | null = null;
  try {
    spool = spooling === null ? null : new DrillSpool(spooling.directory, virtual.recorder, fromUs);
  } catch {
    // No place for the window on disk (the directory cannot be made): it is held and checked here, as without a spool.
    spool = null;
  }
  virtual.recorder.pin(fromUs, { ops: spool === null });
  let liveness: LivenessWatchHandle | null = null;
  /** The checks' options at the drill's end, in this process or the check process alike. */
  const checkOptions = () => ({
    checkers: checkersToRun(drill),
    faultWindows: execution.windows,
    // On the API's event loop the black-box search (only when the witness cannot decide) gets a
    // short budget and answers "unknown" past it; the check process keeps it, so verdicts match.
    linearizableTimeoutMs: options.linearizableTimeoutMs ?? RUNNING_WORLD_LINEARIZABLE_TIMEOUT_MS,
    ...(liveness !== null && { liveness: liveness.observations() }),
    // Users go on paying across cells while the window is judged: money in flight at its end is expected (as in checkAll).
    requireDrained: false,
  });
  const concludeSpooled = (spooled: DrillSpool, check: NonNullable<StartDrillOptions["spool"]>): void => {
    spooled.close();
    if (spooled.failure !== null && execution.interruption === null)
      execution.interruption = `the drill's window could not be spooled: ${spooled.failure}`;
    // Taken now, as checkRunSteps takes it at its first step; the ops are on disk up to this instant.
    const captured = captureRun(virtual, { checkers: checkersToRun(drill), historyFromUs: fromUs });
    virtual.recorder.pin(null);
    const digest = { ...digestParameters(drill, execution), binOriginUs: check.binOriginUs() };
    const job: DrillCheckJob = { opsPath: spooled.opsPath, fromUs, captured, options: checkOptions(), digest };
    const answered = (verdicts: RunVerdicts, figures: DrillWindowDigest, failure: string | null): void => {
      spooled.remove();
      const result = buildDrillResult(drill, virtual.seed, virtual, execution, verdicts, fromUs, options.prediction ?? null, figures);
      const judged: DrillResult =
        failure === null ? result : { ...result, outcome: "FAILED", reasons: [...result.reasons, `checks did not run: ${failure}`] };
      onDone(judged, figures.bins ?? []);
    };
    let pending: Promise<DrillCheckAnswer>;
    try {
      pending = (check.check ?? checkInChildProcess)(job, spooled.directory);
    } catch (error) {
      pending = Promise.reject(error as Error);
    }
    pending.then(
      (answer) => answered(answer.verdicts, answer.digest, null),
      (error: Error) =>
        answered(
          { valid: "unknown", checkers: {} as RunVerdicts["checkers"], lostAckedTransfers: 0, rtoMs: {}, invariantViolations: [] },
          { ...digestWindow([], digest), operations: spooled.ops, bins: null },
          error.message.split("\n")[0] ?? "",
        ),
    );
  };
  const conclude = (): void => {
    if (done) return;
    // A cell not yet live when the settling ends gets the rest of its bound (as in runDrillOn).
    if (liveness !== null && !liveness.settled() && clock.nowUs() < liveness.healedAtUs + liveness.boundUs + LIVENESS_STEP_US) {
      clock.setTimer(LIVENESS_STEP_US, conclude);
      return;
    }
    done = true;
    if (spool !== null && spooling !== null) return concludeSpooled(spool, spooling);
    // The window is cut now, with the rest of the state the checks read, and copied a slice per
    // step (recorder.sinceSteps) while the pin holds it; the pin is released once it is copied.
    // The checks and the report read this copy.
    const outgrown = (): void => {
      if (execution.interruption === null)
        execution.interruption = `the drill's history outgrew the running world's bound (HISTORY_PINNED_OPS_MAX): its window cannot be checked`;
    };
    if (!virtual.recorder.holdsSince(fromUs)) outgrown();
    let history: readonly Op[] = [];
    const windowSteps = virtual.recorder.sinceSteps(fromUs, DRILL_WINDOW_COPY_SLICE_OPS);
    const copyWindow = function* (): Generator<void, readonly Op[], void> {
      try {
        history = yield* windowSteps;
      } catch (error) {
        // Dropped under the pin: only past HISTORY_PINNED_OPS_MAX, which holdsSince reports too.
        if (virtual.recorder.holdsSince(fromUs)) throw error;
        outgrown();
      }
      if (!virtual.recorder.holdsSince(fromUs)) outgrown();
      virtual.recorder.pin(null);
      return history;
    };
    // Checks run on the event loop that serves the API: with deferCheckStep they go a checker or a
    // cell at a time, the world's state taken now.
    const steps = checkRunSteps(virtual, { ...checkOptions(), historyFromUs: fromUs, historySteps: copyWindow() });
    const defer = options.deferCheckStep;
    const finish = (verdicts: RunVerdicts): void => {
      const result = buildDrillResult(drill, virtual.seed, virtual, execution, verdicts, fromUs, options.prediction ?? null, history);
      // The caller's report over the window is one more step.
      if (defer === undefined) onDone(result, history);
      else defer(() => onDone(result, history));
    };
    const budgetMs = options.checkStepBudgetMs ?? 0;
    const step = (): void => {
      // Wall time only paces the steps; the verdicts come from the state taken above.
      const startedMs = budgetMs > 0 ? performance.now() : 0;
      for (;;) {
        const next = steps.next();
        if (next.done === true) return finish(next.value);
        if (defer !== undefined && (budgetMs <= 0 || performance.now() - startedMs >= budgetMs)) return defer(step);
      }
    };
    step();
  };
  const settleThenConclude = (): void => {
    // Liveness (harness/checkers/liveness.ts) from the drill's final heal, as the `ldc drill run`
    // path judges it: every cell commits again and is routed to its leader within the bound.
    // Watching adds no timers; the settling (DRILL_SETTLE_US) already covers the default bound.
    const boundUs = options.livenessBoundUs === undefined ? LIVENESS_BOUND_US_DEFAULT : options.livenessBoundUs;
    if (boundUs !== null && execution.interruption === null && liveness === null) liveness = virtual.watchLiveness?.(boundUs) ?? null;
    clock.setTimer(DRILL_SETTLE_US, conclude);
  };
  const execution: DrillExecution = new DrillExecution(
    drill,
    virtual.cluster,
    options.faults,
    options.controller ?? null,
    options.origin ?? `drill:${drill.name}`,
    settleThenConclude,
    stopWatchOf(virtual, options.lostAckedTransfers, options.defaultStop),
  );
  execution.start(settleThenConclude);
  return {
    execution,
    progressPct: () => (done ? 100 : execution.progressPct()),
    cancel: (reason) => {
      if (execution.ended) return;
      execution.interruption = `cancelled: ${reason}`;
      execution.finish();
      settleThenConclude();
    },
    abort: (reason) => execution.abort(reason),
  };
}
