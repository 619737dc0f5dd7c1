// Adapters from the chaos module to the controller's ports: the FaultManager as FaultService,
// and the live world's drill service (the built-in one-outage drills, timed and targeted as their
// drill files say, so a drill has one duration in every runtime). A drill's faults carry origin
// "drill:<run id>", which is how a real fault is told apart from the drill's own.
import type { Cluster } from "../domain/cluster.js";
import type { FaultManager } from "../chaos/fault-manager.js";
import type { DrillDescription, DrillHandle, DrillResult, DrillService, FaultChange, FaultService } from "./ports.js";
import type { FaultRecord } from "../domain/records.js";
import { buildDrillReport, type ReportableResult } from "../chaos/drill/report.js";
import { renderDrillReportHtml } from "../chaos/drill/report-html.js";
import type { CheckerSummary } from "../chaos/drill/result.js";
import { builtinDrill } from "../chaos/drill/builtin.js";
import { drillDurationMs, type Drill } from "../chaos/drill/format.js";
import { drillExpectation, drillTimeline } from "../chaos/drill/timeline.js";
import type { FaultSpec } from "../chaos/catalogue.js";

export function faultServiceOf(manager: FaultManager): FaultService {
  return {
    active: () => manager.active(),
    catalogue: () => manager.catalogue(),
    inject: (spec, actor, reason) => manager.inject(spec, { origin: "api", actor, ...(reason === undefined ? {} : { reason }) }),
    inputRefusal: (spec) => manager.inputRefusal(spec),
    heal: (id, actor) => manager.heal(id, actor),
    healAll: (actor) => manager.healAll(actor),
    onChange: (listener: (action: "injected" | "healed" | "expired", fault: FaultRecord, change: FaultChange) => void) =>
      manager.on((event) =>
        listener(event.kind, event.fault, {
          origin: event.origin,
          actor: event.actor,
          ...(event.reason === undefined ? {} : { reason: event.reason }),
        }),
      ),
  };
}

interface OutageDrill extends DrillDescription {
  /** The drill file's one fault and when it starts, from the drill's start. */
  readonly spec: FaultSpec;
  readonly atUs: number;
  readonly outageUs: number;
  readonly durationUs: number;
  readonly rtoMsMax: number | null;
  readonly drill: Drill;
}

/** The built-in drills the live controller runs: one outage each, as their drill files say. */
export const LIVE_CONTROLLER_DRILLS = ["dc-outage", "region-outage"] as const;
/** After the drill's end (its final heal): time for the cells to be whole before they are judged. */
export const OUTAGE_DRILL_SETTLE_US = 5_000_000;

/** A built-in drill read as one outage (its first step must inject the fault). */
export function outageDrill(name: string): OutageDrill {
  const drill = builtinDrill(name);
  const step = drill.steps[0];
  if (step === undefined || step.kind !== "inject" || drill.steps.length !== 1)
    throw new Error(`${name}: the live controller runs drills of one inject step`);
  return {
    name,
    description: drill.description,
    durationMs: drillDurationMs(drill),
    spec: step.spec,
    atUs: step.atUs,
    outageUs: Math.min(step.spec.durationUs ?? step.spec.leaseUs, step.spec.leaseUs),
    durationUs: drill.durationUs,
    rtoMsMax: drill.expect.rtoMsMax,
    drill,
  };
}

export const drillPollUs = 50_000;

export interface OutageDrillDependencies {
  readonly cluster: Cluster;
  readonly faults: FaultManager;
  /** Invariant violations of the running world so far (one leader per term, ...). */
  readonly violations: () => readonly string[];
}

/**
 * Outage drills on the live world: the built-in drill's fault at its time (the FaultManager resolves
 * its target, e.g. the region holding the most leaders), per-cell RTO (time until a leader outside
 * the lost hosts), the heal, and the checks once the cells have settled.
 */
export class OutageDrills implements DrillService {
  private readonly owned = new Set<string>();
  private readonly drills = LIVE_CONTROLLER_DRILLS.map(outageDrill);

  constructor(private readonly dependencies: OutageDrillDependencies) {}

  list(): readonly DrillDescription[] {
    return this.drills.map(({ name, description, durationMs, drill }) => ({
      name,
      description,
      durationMs,
      steps: drillTimeline(drill, OUTAGE_DRILL_SETTLE_US),
      expect: drillExpectation(drill),
    }));
  }

  ownsFault(faultId: string): boolean {
    return this.owned.has(faultId);
  }

  start(
    name: string,
    _seed: number,
    callbacks: { progress(progress: { progressPct: number }): void; done(result: DrillResult): void },
    runId: string,
  ): DrillHandle | { readonly error: string } {
    const drill = this.drills.find((candidate) => candidate.name === name);
    if (drill === undefined) return { error: `no drill ${name}` };
    const { cluster, faults } = this.dependencies;
    const clock = cluster.clock;
    const violationsBefore = this.dependencies.violations().length;
    const startUs = clock.nowUs();
    let fault: FaultRecord | null = null;
    let injectedUs = startUs;
    let lost = new Set<string>();
    const rtoMs: Record<string, number | null> = {};
    let finished = false;
    let timer = clock.setTimer(drillPollUs, () => poll());
    const finish = (outcome: DrillResult["outcome"] | null, reasons: string[]): void => {
      if (finished) return;
      finished = true;
      clock.cancelTimer(timer);
      if (fault !== null && faults.active().some((active) => active.id === fault?.id)) faults.heal(fault.id);
      const violations = this.dependencies.violations().slice(violationsBefore);
      const cells = cluster.cells();
      const leaderless = cells.filter((cell) => cell.leader === null || !cell.quorumAvailable).map((cell) => cell.id);
      const allReasons = [
        ...reasons,
        ...violations.map((violation) => `invariant: ${violation}`),
        ...leaderless.map((cell) => `${cell} has no leader or quorum after the drill`),
      ];
      const unrecovered = Object.entries(rtoMs)
        .filter(([, value]) => value === null)
        .map(([cell]) => `${cell} did not elect a leader outside the outage`);
      const slow =
        drill.rtoMsMax === null
          ? []
          : Object.entries(rtoMs)
              .filter(([, value]) => value !== null && value > (drill.rtoMsMax as number))
              .map(([cell, value]) => `rto: ${cell} recovered in ${value} ms > rtoMsMax ${drill.rtoMsMax} ms`);
      const verdict = outcome ?? (allReasons.length === 0 && unrecovered.length === 0 && slow.length === 0 ? "SUCCEEDED" : "FAILED");
      const finalReasons = outcome === "INTERRUPTED" || outcome === "ABORTED" ? allReasons : [...allReasons, ...unrecovered, ...slow];
      const checkers = {
        invariants: { valid: violations.length === 0, violations: violations.slice(0, 10) },
        leaders: {
          valid: leaderless.length === 0,
          ...(leaderless.length > 0 ? { violations: leaderless.map((cell) => `${cell} has no leader or quorum`) } : {}),
        },
      };
      const window =
        fault === null
          ? null
          : {
              fault,
              startMs: Math.round((injectedUs - startUs) / 1000),
              endMs: Math.round(Math.min(clock.nowUs() - startUs, injectedUs - startUs + drill.outageUs) / 1000),
            };
      callbacks.done({
        outcome: verdict,
        rtoMs,
        lostAckedTransfers: null,
        checkers,
        reasons: finalReasons,
        reportHtml: report(drill, window, verdict, rtoMs, finalReasons, checkers, startUs, clock.nowUs(), runId),
      });
    };
    const inject = (): string | null => {
      // Leaders as they were: a simulated crash takes effect within the inject call.
      const leadersBefore = cluster.cells().map((cell) => ({ id: cell.id, leader: cell.leader }));
      const injected = faults.injectSpec(drill.spec, { origin: `drill:${runId}` });
      if (!injected.ok) return injected.error;
      fault = injected.value;
      this.owned.add(fault.id);
      injectedUs = clock.nowUs();
      lost = new Set(fault.affects.hosts);
      for (const { id, leader } of leadersBefore)
        if (leader !== null && (lost.has(leader.replica) || lost.has(leader.datacenter) || lost.has(leader.region))) rtoMs[id] = null;
      return null;
    };
    const poll = (): void => {
      const elapsedUs = clock.nowUs() - startUs;
      if (fault === null && elapsedUs >= drill.atUs) {
        const error = inject();
        if (error !== null) {
          finish("FAILED", [`could not inject ${drill.spec.type}: ${error}`]);
          return;
        }
      }
      if (fault !== null) {
        for (const cell of cluster.cells()) {
          if (!(cell.id in rtoMs) || rtoMs[cell.id] !== null) continue;
          const leader = cell.leader;
          if (leader !== null && !lost.has(leader.replica) && !lost.has(leader.datacenter) && !lost.has(leader.region))
            rtoMs[cell.id] = Math.round((clock.nowUs() - injectedUs) / 1000);
        }
        const current = fault;
        if (elapsedUs >= drill.atUs + drill.outageUs && faults.active().some((active) => active.id === current.id)) faults.heal(current.id);
      }
      if (elapsedUs >= drill.durationUs + OUTAGE_DRILL_SETTLE_US) {
        finish(null, []);
        return;
      }
      callbacks.progress({ progressPct: (100 * elapsedUs) / drill.durationUs });
      timer = clock.setTimer(drillPollUs, () => poll());
    };
    return { interrupt: (why) => finish("INTERRUPTED", [why]), abort: (why) => finish("ABORTED", [`aborted: ${why}`]) };
  }
}

/** The live outage drill's report: the same page as every drill (chaos/drill/report.ts), from what it measured. */
function report(
  drill: OutageDrill,
  window: { fault: FaultRecord; startMs: number; endMs: number } | null,
  outcome: DrillResult["outcome"],
  rtoMs: Readonly<Record<string, number | null>>,
  reasons: readonly string[],
  checkers: Readonly<Record<string, CheckerSummary>>,
  startUs: number,
  endUs: number,
  runId: string,
): string {
  const noFigures = { ops: 0, errorRate: 0, p50Ms: null, p99Ms: null };
  const result: ReportableResult = {
    drill: drill.name,
    seed: 0,
    outcome,
    rtoMs,
    lostAckedTransfers: null,
    stop: null,
    stoppedBy: null,
    abortReason: null,
    prediction: null,
    availability: {},
    latency: { before: noFigures, during: noFigures, after: noFigures },
    checkers,
    faults:
      window === null
        ? []
        : [{ id: window.fault.id, type: window.fault.type, startMs: window.startMs, endMs: window.endMs, cells: Object.keys(rtoMs) }],
    steps: [],
    replicasNotUp: [],
    operations: 0,
    simulatedMs: Math.round((endUs - startUs) / 1000),
    traceHash: "",
    reasons,
  };
  return renderDrillReportHtml(
    buildDrillReport({ result, history: [], startUs, durationMs: drill.durationMs, runtime: "live", rtoMsMax: drill.rtoMsMax, runId }),
  );
}
