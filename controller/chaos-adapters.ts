// Adapters from the chaos module to the controller's ports: the FaultManager as FaultService,
// and a built-in drill service (single-fault outage drills run on the live world) used until a
// chaos drill runner is wired in. A drill's faults carry origin "drill:<name>", which is how a
// real fault is told apart from the drill's own.
import type { Cluster } from "../sim/cluster.js";
import type { FaultManager } from "../chaos/fault-manager.js";
import type { DrillDescription, DrillHandle, DrillResult, DrillService, FaultService } from "./ports.js";
import type { FaultRecord } from "./types.js";
import { buildDrillReport, type ReportableResult } from "../chaos/drill/report.js";
import { renderDrillReportHtml } from "../chaos/drill/report-html.js";
import type { CheckerSummary } from "../chaos/drill/result.js";

export function faultServiceOf(manager: FaultManager): FaultService {
  return {
    active: () => manager.active(),
    catalogue: () => manager.catalogue(),
    inject: (spec) => manager.inject(spec, { origin: "api" }),
    heal: (id) => manager.heal(id),
    healAll: () => manager.healAll(),
    onChange: (listener: (action: "injected" | "healed" | "expired", fault: FaultRecord) => void) => manager.on((event) => listener(event.kind, event.fault)),
  };
}

interface OutageDrill extends DrillDescription {
  readonly fault: { readonly type: "dc-outage" | "region-outage"; readonly target: Record<string, unknown> };
  readonly outageMs: number;
  /** After healing: how long the cells get to be whole again. */
  readonly settleMs: number;
}

const OUTAGE_DRILLS: readonly OutageDrill[] = [
  { name: "dc-outage", description: "Lose datacenter hz-a (every process and link) for 10 s, then heal; every cell must keep a leader and lose nothing", durationMs: 15_000, fault: { type: "dc-outage", target: { datacenter: "hz-a" } }, outageMs: 10_000, settleMs: 5_000 },
  { name: "region-outage", description: "Lose region hangzhou for 15 s, then heal; every cell must re-elect outside it and lose nothing", durationMs: 22_000, fault: { type: "region-outage", target: { region: "hangzhou" } }, outageMs: 15_000, settleMs: 7_000 },
];

export const drillPollUs = 50_000;

export interface OutageDrillDependencies {
  readonly cluster: Cluster;
  readonly faults: FaultManager;
  /** Invariant violations of the running world so far (one leader per term, ...). */
  readonly violations: () => readonly string[];
}

/** Outage drills: inject, measure per-cell RTO (time until a leader outside the lost hosts), heal, check. */
export class OutageDrills implements DrillService {
  private readonly owned = new Set<string>();

  constructor(private readonly dependencies: OutageDrillDependencies) {}

  list(): readonly DrillDescription[] {
    return OUTAGE_DRILLS.map(({ name, description, durationMs }) => ({ name, description, durationMs }));
  }

  ownsFault(faultId: string): boolean {
    return this.owned.has(faultId);
  }

  start(name: string, _seed: number, callbacks: { progress(progress: { progressPct: number }): void; done(result: DrillResult): void }, runId?: string): DrillHandle | { readonly error: string } {
    const drill = OUTAGE_DRILLS.find((candidate) => candidate.name === name);
    if (drill === undefined) return { error: `no drill ${name}` };
    const { cluster, faults } = this.dependencies;
    const clock = cluster.clock;
    const violationsBefore = this.dependencies.violations().length;
    const injected = faults.inject({ type: drill.fault.type, target: drill.fault.target, leaseMs: drill.outageMs + drill.settleMs }, { origin: `drill:${name}` });
    if (!injected.ok) return { error: `could not inject ${drill.fault.type}: ${injected.error}` };
    const fault = injected.value;
    this.owned.add(fault.id);
    const lost = new Set(fault.affects.hosts);
    const startUs = clock.nowUs();
    const rtoMs: Record<string, number | null> = {};
    const hit = cluster.cells().filter((cell) => cell.leader !== null && (lost.has(cell.leader.replica) || lost.has(cell.leader.datacenter) || lost.has(cell.leader.region)));
    for (const cell of hit) rtoMs[cell.id] = null;
    let finished = false;
    let timer = clock.setTimer(drillPollUs, () => poll());
    const finish = (outcome: DrillResult["outcome"] | null, reasons: string[]): void => {
      if (finished) return;
      finished = true;
      clock.cancelTimer(timer);
      if (faults.active().some((active) => active.id === fault.id)) faults.heal(fault.id);
      const violations = this.dependencies.violations().slice(violationsBefore);
      const cells = cluster.cells();
      const leaderless = cells.filter((cell) => cell.leader === null || !cell.quorumAvailable).map((cell) => cell.id);
      const allReasons = [...reasons, ...violations.map((violation) => `invariant: ${violation}`), ...leaderless.map((cell) => `${cell} has no leader or quorum after the drill`)];
      const unrecovered = Object.entries(rtoMs).filter(([, value]) => value === null).map(([cell]) => `${cell} did not elect a leader outside the outage`);
      const verdict = outcome ?? (allReasons.length === 0 && unrecovered.length === 0 ? "SUCCEEDED" : "FAILED");
      const finalReasons = outcome === "INTERRUPTED" ? allReasons : [...allReasons, ...unrecovered];
      const checkers = { invariants: { valid: violations.length === 0, violations: violations.slice(0, 10) }, leaders: { valid: leaderless.length === 0, ...(leaderless.length > 0 ? { violations: leaderless.map((cell) => `${cell} has no leader or quorum`) } : {}) } };
      callbacks.done({ outcome: verdict, rtoMs, lostAckedTransfers: null, checkers, reasons: finalReasons, reportHtml: report(name, fault, verdict, rtoMs, finalReasons, checkers, startUs, clock.nowUs(), drill.outageMs, drill.durationMs, runId) });
    };
    const poll = (): void => {
      const elapsedUs = clock.nowUs() - startUs;
      for (const cell of cluster.cells()) {
        if (!(cell.id in rtoMs) || rtoMs[cell.id] !== null) continue;
        const leader = cell.leader;
        if (leader !== null && !lost.has(leader.replica) && !lost.has(leader.datacenter) && !lost.has(leader.region)) rtoMs[cell.id] = Math.round(elapsedUs / 1000);
      }
      if (elapsedUs >= drill.outageMs * 1000 && faults.active().some((active) => active.id === fault.id)) faults.heal(fault.id);
      if (elapsedUs >= (drill.outageMs + drill.settleMs) * 1000) {
        finish(null, []);
        return;
      }
      callbacks.progress({ progressPct: (100 * elapsedUs) / ((drill.outageMs + drill.settleMs) * 1000) });
      timer = clock.setTimer(drillPollUs, () => poll());
    };
    return { abort: (why) => finish("INTERRUPTED", [why]) };
  }
}

/** The live outage drill's report: the same page as every drill (chaos/drill/report.ts), from what it measured. */
function report(name: string, fault: FaultRecord, outcome: DrillResult["outcome"], rtoMs: Readonly<Record<string, number | null>>, reasons: readonly string[], checkers: Readonly<Record<string, CheckerSummary>>, startUs: number, endUs: number, outageMs: number, durationMs: number, runId: string | undefined): string {
  const noFigures = { ops: 0, errorRate: 0, p50Ms: null, p99Ms: null };
  const result: ReportableResult = {
    drill: name,
    seed: 0,
    outcome,
    rtoMs,
    lostAckedTransfers: null,
    availability: {},
    latency: { before: noFigures, during: noFigures, after: noFigures },
    checkers,
    faults: [{ id: fault.id, type: fault.type, startMs: 0, endMs: outageMs, cells: Object.keys(rtoMs) }],
    steps: [],
    replicasNotUp: [],
    operations: 0,
    simulatedMs: Math.round((endUs - startUs) / 1000),
    traceHash: "",
    reasons,
  };
  return renderDrillReportHtml(buildDrillReport({ result, history: [], startUs, durationMs, runtime: "live", ...(runId === undefined ? {} : { runId }) }));
}
