// The controller's drill service over the chaos module's drill runner (chaos/drill): a built-in
// drill runs its steps against the RUNNING virtual world through the shared FaultManager, and its
// actions go through the controller (safety rules, audit). The runner judges the run with the
// harness checkers; a fault it did not inject makes it INTERRUPTED. Scheduled and operator runs
// both come through here (controller/drills.ts).
import { builtinDrill, builtinDrillNames } from "../../chaos/drill/builtin.js";
import type { DrillController } from "../../chaos/drill/execution.js";
import { drillDurationMs, type Drill, type DrillScaleOut } from "../../chaos/drill/format.js";
import type { DrillResult as ChaosDrillResult } from "../../chaos/drill/result.js";
import path from "node:path";
import { DRILL_HISTORY_LEAD_US, DRILL_SETTLE_US, startDrill } from "../drill-runner.js";
import type { DrillCheckRunner } from "../drill-spool.js";
import { universeOfConfig } from "../../chaos/drill/universe.js";
import type { FaultManager } from "../../chaos/fault-manager.js";
import type { VirtualRuntime } from "./runtime.js";
import { buildDrillReport, type ReportBins } from "../../chaos/drill/report.js";
import { renderDrillReportHtml } from "../../chaos/drill/report-html.js";
import { drillExpectation, drillTimeline } from "../../chaos/drill/timeline.js";
import type { DrillDescription, DrillHandle, DrillProgress, DrillResult, DrillService, DrillStartOptions } from "../../controller/ports.js";
import type { RoutingVersion } from "../../controller/routing.js";
import type { AuditEntry, StopConditionsRecord } from "../../domain/records.js";
import { stopSummary } from "../../chaos/drill/result.js";
import type { StopConditions } from "../../chaos/drill/stop.js";
import type { Op } from "../../harness/history.js";

/** How often progress is published while a drill runs (simulated). */
export const drillProgressPeriodUs = 1_000_000;
export const DRILL_ORIGIN_PREFIX = "drill:";

export interface ChaosDrillDependencies {
  readonly virtual: VirtualRuntime;
  readonly faults: FaultManager;
  /** Late-bound: the controller is built after its drill service. */
  readonly controller: () => DrillController | null;
  /** For the report's timeline: the routing versions and audit entries kept now. */
  readonly routingHistory?: () => readonly RoutingVersion[];
  readonly auditEntries?: () => readonly AuditEntry[];
  /** Where the page's chart periods start (the controller's health period), to bin alike. */
  readonly chartOriginUs?: () => number;
  /** The online count of lost acknowledged transfers (the lostAckedTransfersMax stop condition). */
  readonly lostAckedTransfers?: () => number | null;
  /** Runs a drill's next check step later (drill-runner.ts StartDrillOptions.deferCheckStep); absent: all at once. */
  readonly deferCheckStep?: (step: () => void) => void;
  /** Wall ms of checks between two deferrals (drill-runner.ts StartDrillOptions.checkStepBudgetMs). */
  readonly checkStepBudgetMs?: number;
  /**
   * Applies a drill's `scaleOut` section to the running world's automatic scale-out (the world's
   * policy retuned, or one started for the drill); answers what restores the world's own once the
   * drill is over. Absent: the section is not applied.
   */
  readonly applyScaleOut?: (section: DrillScaleOut) => () => void;
  /**
   * Where each run spools its window for a child process to check (drill-runner.ts
   * StartDrillOptions.spool: a directory per run under this); absent: checked in this process.
   */
  readonly spool?: { readonly directory: string; readonly check?: DrillCheckRunner };
}

function stopConditionsOfRecord(record: StopConditionsRecord | null | undefined): StopConditions | null {
  if (record === null || record === undefined) return null;
  return {
    errorRateMax: record.errorRateMax,
    p99MsMax: record.p99MsMax,
    lostAckedTransfersMax: record.lostAckedTransfersMax,
    unavailableMsMax: record.unavailableMsMax,
    windowUs: Math.round(record.windowMs * 1000),
  };
}

export class ChaosDrillService implements DrillService {
  private readonly drills: ReadonlyMap<string, Drill>;

  constructor(private readonly dependencies: ChaosDrillDependencies) {
    const universe = universeOfConfig(dependencies.virtual.config);
    this.drills = new Map(builtinDrillNames().map((name) => [name, builtinDrill(name, universe)]));
  }

  list(): readonly DrillDescription[] {
    return [...this.drills.values()].map((drill) => ({
      name: drill.name,
      description: drill.description,
      // The drill file's duration, as `ldc drill list` says; the settle and verdict are steps after it.
      durationMs: drillDurationMs(drill),
      steps: drillTimeline(drill, DRILL_SETTLE_US),
      expect: drillExpectation(drill),
      stop: stopSummary(drill.stop),
    }));
  }

  /** The report (chaos/drill/report.ts, the same as `ldc drill run --out`) over the drill's window. */
  private reportHtml(drill: Drill, result: ChaosDrillResult, startUs: number, runId: string, history: readonly Op[] | ReportBins): string {
    const fromUs = Math.max(0, startUs - DRILL_HISTORY_LEAD_US);
    const fromMs = fromUs / 1000;
    const inWindow = (atMs: number): boolean => atMs >= fromMs;
    const report = buildDrillReport({
      result,
      history,
      startUs,
      durationMs: drillDurationMs(drill),
      rtoMsMax: drill.expect.rtoMsMax,
      runId,
      ...(this.dependencies.chartOriginUs === undefined ? {} : { binOriginUs: this.dependencies.chartOriginUs() }),
      routing: (this.dependencies.routingHistory?.() ?? []).filter((version) => inWindow(version.atMs)),
      audit: (this.dependencies.auditEntries?.() ?? [])
        .filter((entry) => inWindow(entry.atMs))
        .map((entry) => ({ atMs: entry.atMs, text: auditLine(entry) })),
    });
    return renderDrillReportHtml(report);
  }

  ownsFault(faultId: string): boolean {
    return this.dependencies.faults.originOf(faultId)?.startsWith(DRILL_ORIGIN_PREFIX) === true;
  }

  start(
    name: string,
    _seed: number,
    callbacks: { progress(progress: DrillProgress): void; done(result: DrillResult): void },
    runId: string,
    options?: DrillStartOptions,
  ): DrillHandle | { readonly error: string } {
    const builtin = this.drills.get(name);
    if (builtin === undefined) return { error: `no drill ${name}` };
    const drill =
      options?.stop === undefined || options.stop === null ? builtin : { ...builtin, stop: stopConditionsOfRecord(options.stop) };
    const { virtual, faults } = this.dependencies;
    const clock = virtual.cluster.clock;
    const controller = this.dependencies.controller();
    let finished = false;
    let progressTimer: ReturnType<typeof clock.setTimer> | null = null;
    const lost = this.dependencies.lostAckedTransfers;
    // The drill's own scale-out settings hold while it runs (double-11-scale-out), the world's after.
    const restoreScaleOut = drill.scaleOut === null ? null : (this.dependencies.applyScaleOut?.(drill.scaleOut) ?? null);
    const handle = startDrill(
      virtual,
      drill,
      {
        faults,
        origin: `${DRILL_ORIGIN_PREFIX}${runId}`,
        ...(controller === null ? {} : { controller }),
        defaultStop: stopConditionsOfRecord(options?.defaultStop),
        prediction: options?.prediction ?? null,
        ...(lost === undefined ? {} : { lostAckedTransfers: lost }),
        ...(this.dependencies.deferCheckStep === undefined ? {} : { deferCheckStep: this.dependencies.deferCheckStep }),
        ...(this.dependencies.checkStepBudgetMs === undefined ? {} : { checkStepBudgetMs: this.dependencies.checkStepBudgetMs }),
        ...(this.dependencies.spool !== undefined && {
          spool: {
            directory: path.join(this.dependencies.spool.directory, runId),
            binOriginUs: () => this.dependencies.chartOriginUs?.() ?? handle.execution.startUs,
            ...(this.dependencies.spool.check !== undefined && { check: this.dependencies.spool.check }),
          },
        }),
      },
      (result, history) => {
        finished = true;
        restoreScaleOut?.();
        if (progressTimer !== null) clock.cancelTimer(progressTimer);
        callbacks.done(toControllerResult(result, this.reportHtml(drill, result, handle.execution.startUs, runId, history)));
      },
    );
    const publishProgress = (): void => {
      progressTimer = null;
      if (finished) return;
      callbacks.progress({ progressPct: handle.progressPct() });
      progressTimer = clock.setTimer(drillProgressPeriodUs, publishProgress);
    };
    progressTimer = clock.setTimer(drillProgressPeriodUs, publishProgress);
    return { interrupt: (reason) => handle.cancel(reason), abort: (reason) => handle.abort(reason) };
  }
}

function toControllerResult(result: ChaosDrillResult, reportHtml: string): DrillResult {
  return {
    outcome: result.outcome,
    rtoMs: result.rtoMs,
    lostAckedTransfers: result.lostAckedTransfers,
    checkers: result.checkers,
    reasons: result.reasons,
    stop: result.stop,
    stoppedBy: result.stoppedBy,
    reportHtml,
  };
}

/** One audit entry as one line of the report's timeline. */
export function auditLine(entry: AuditEntry): string {
  const rule = entry.rule === null ? "" : ` (rule ${entry.rule})`;
  const overrode = entry.overrodeRule === null ? "" : ` (overrode ${entry.overrodeRule})`;
  const reason = entry.reason === null || entry.reason === "" ? "" : `, reason "${entry.reason}"`;
  return `audit: ${entry.actor} ${entry.kind} ${entry.action} ${entry.target}: ${entry.outcome}${rule}${overrode}${reason}`;
}
