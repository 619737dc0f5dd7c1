// The controller's Prometheus metrics beyond the per-refresh gauges: enough for a Grafana
// dashboard without our UI (docs/grafana-dashboard.json reads only these names). Requests are
// counted and timed as they finish, per cell and per entry region, so Prometheus computes error
// rates and latency quantiles over any window; cells' quorum and leader, active faults, drill
// outcomes and RTO come from the controller's own state. Latencies are simulated time (at
// --speed 1, wall time). Process metrics are added at the HTTP edge (controller/http/app.ts).
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { CellHealth } from "./health.js";
import type { RequestSample } from "./traffic-stats.js";
import type { DrillRunRecord, FaultRecord } from "../domain/records.js";
import type { CrossCellStatus } from "../domain/cross-cell.js";

/** Seconds: from a local commit (~1 ms) to a request that waited out an election (seconds). */
export const requestLatencyBucketsSeconds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Label value for a request that did not enter through a regional gateway. */
export const REGION_UNKNOWN = "unknown";
/** Finished runs remembered so each is counted once (runs are kept bounded, drillRunsKeptMax). */
export const drillRunsCountedMax = 1_000;

export class ControllerMetrics {
  private readonly requests: Counter<"cell" | "region" | "outcome">;
  private readonly latency: Histogram<"cell" | "region">;
  private readonly quorum: Gauge<"cell">;
  private readonly hasLeader: Gauge<"cell">;
  private readonly term: Gauge<"cell">;
  private readonly faultsActive: Gauge<"type">;
  private readonly faultsInjected: Counter<"type">;
  private readonly drillRuns: Counter<"drill" | "outcome">;
  private readonly drillRunning: Gauge;
  private readonly drillRto: Gauge<"drill" | "cell">;
  private readonly drillLost: Gauge<"drill">;
  private readonly drillLastOutcome: Gauge<"drill" | "outcome">;
  private readonly crossCellInFlight: Gauge;
  private readonly crossCellInFlightAmount: Gauge;
  private readonly crossCellTransfers: Gauge<"state">;
  private readonly crossCellSettle: Gauge<"quantile">;
  private readonly counted = new Set<string>();
  /** Per cell and region (a few dozen at most: cells x regions). */
  private readonly children = new Map<
    string,
    { ok: { inc(): void }; error: { inc(): void }; shed: { inc(): void }; latency: { observe(value: number): void } }
  >();

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({
      name: "ldc_requests_total",
      help: "Finished user requests by cell, entry region and outcome (ok, error, shed)",
      labelNames: ["cell", "region", "outcome"],
      registers,
    });
    this.latency = new Histogram({
      name: "ldc_request_duration_seconds",
      help: "Latency of admitted requests (simulated seconds) by cell and entry region",
      labelNames: ["cell", "region"],
      buckets: requestLatencyBucketsSeconds,
      registers,
    });
    this.crossCellInFlight = new Gauge({
      name: "ldc_cross_cell_in_flight",
      help: "Cross-cell transfers debited at their source and not yet credited at their destination",
      registers,
    });
    this.crossCellInFlightAmount = new Gauge({
      name: "ldc_cross_cell_in_flight_amount",
      help: "Money (minor units) in flight between cells",
      registers,
    });
    this.crossCellTransfers = new Gauge({
      name: "ldc_cross_cell_transfers",
      help: "Cross-cell transfers since the world started, by state (initiated, settled, refunded)",
      labelNames: ["state"],
      registers,
    });
    this.crossCellSettle = new Gauge({
      name: "ldc_cross_cell_settle_seconds",
      help: "Settle latency of recent cross-cell transfers (invocation to settlement at the source), simulated seconds",
      labelNames: ["quantile"],
      registers,
    });
    this.quorum = new Gauge({
      name: "ldc_cell_quorum_available",
      help: "1 when the cell has a reachable quorum",
      labelNames: ["cell"],
      registers,
    });
    this.hasLeader = new Gauge({ name: "ldc_cell_has_leader", help: "1 when the cell has a leader", labelNames: ["cell"], registers });
    this.term = new Gauge({ name: "ldc_cell_term", help: "The cell's Raft term", labelNames: ["cell"], registers });
    this.faultsActive = new Gauge({ name: "ldc_faults_active", help: "Active faults by type", labelNames: ["type"], registers });
    this.faultsInjected = new Counter({
      name: "ldc_faults_injected_total",
      help: "Faults injected by type (any source: API, drill, schedule)",
      labelNames: ["type"],
      registers,
    });
    this.drillRuns = new Counter({
      name: "ldc_drill_runs_total",
      help: "Finished drill runs by drill and outcome",
      labelNames: ["drill", "outcome"],
      registers,
    });
    this.drillRunning = new Gauge({ name: "ldc_drill_running", help: "1 while a drill runs", registers });
    this.drillRto = new Gauge({
      name: "ldc_drill_rto_seconds",
      help: "RTO per cell of the drill's last finished run (simulated seconds; -1: never recovered)",
      labelNames: ["drill", "cell"],
      registers,
    });
    this.drillLost = new Gauge({
      name: "ldc_drill_lost_acked_transfers",
      help: "Acknowledged transfers lost (RPO) in the drill's last finished run",
      labelNames: ["drill"],
      registers,
    });
    this.drillLastOutcome = new Gauge({
      name: "ldc_drill_last_outcome",
      help: "1 for the outcome of the drill's last finished run",
      labelNames: ["drill", "outcome"],
      registers,
    });
    this.drillRunning.set(0);
  }

  request(sample: RequestSample): void {
    // Called for every request: the labelled children are looked up once per cell and region.
    const key = `${sample.cell}\u0000${sample.region ?? REGION_UNKNOWN}`;
    let children = this.children.get(key);
    if (children === undefined) {
      const labels = { cell: sample.cell, region: sample.region ?? REGION_UNKNOWN };
      children = {
        ok: this.requests.labels({ ...labels, outcome: "ok" }),
        error: this.requests.labels({ ...labels, outcome: "error" }),
        shed: this.requests.labels({ ...labels, outcome: "shed" }),
        latency: this.latency.labels(labels),
      };
      this.children.set(key, children);
    }
    children[sample.outcome].inc();
    if (sample.latencyUs !== null) children.latency.observe(sample.latencyUs / 1_000_000);
  }

  crossCell(status: CrossCellStatus): void {
    this.crossCellInFlight.set(status.inFlight);
    this.crossCellInFlightAmount.set(status.inFlightAmount);
    this.crossCellTransfers.set({ state: "initiated" }, status.initiated);
    this.crossCellTransfers.set({ state: "settled" }, status.settled);
    this.crossCellTransfers.set({ state: "refunded" }, status.refunded);
    if (status.settleMsP50 !== null) this.crossCellSettle.set({ quantile: "0.5" }, status.settleMsP50 / 1000);
    if (status.settleMsP99 !== null) this.crossCellSettle.set({ quantile: "0.99" }, status.settleMsP99 / 1000);
  }

  cells(cells: readonly CellHealth[]): void {
    for (const cell of cells) {
      this.quorum.set({ cell: cell.id }, cell.quorumAvailable ? 1 : 0);
      this.hasLeader.set({ cell: cell.id }, cell.leader === null ? 0 : 1);
      this.term.set({ cell: cell.id }, cell.term);
    }
  }

  faults(action: "injected" | "healed" | "expired", fault: FaultRecord, active: readonly FaultRecord[]): void {
    if (action === "injected") this.faultsInjected.inc({ type: fault.type });
    // Types seen before stay exported at 0, so a panel shows "none" rather than "no data".
    this.faultsActive.set({ type: fault.type }, 0);
    const byType = new Map<string, number>();
    for (const each of active) byType.set(each.type, (byType.get(each.type) ?? 0) + 1);
    for (const [type, count] of byType) this.faultsActive.set({ type }, count);
  }

  drill(run: DrillRunRecord, running: boolean): void {
    this.drillRunning.set(running ? 1 : 0);
    if (run.state !== "done" || run.outcome === null || this.counted.has(run.id)) return;
    this.counted.add(run.id);
    if (this.counted.size > drillRunsCountedMax) this.counted.delete(this.counted.values().next().value as string);
    this.drillRuns.inc({ drill: run.drill, outcome: run.outcome });
    for (const outcome of ["SUCCEEDED", "FAILED", "INTERRUPTED"])
      this.drillLastOutcome.set({ drill: run.drill, outcome }, outcome === run.outcome ? 1 : 0);
    for (const [cell, rtoMs] of Object.entries(run.rtoMs))
      this.drillRto.set({ drill: run.drill, cell }, rtoMs === null ? -1 : rtoMs / 1000);
    if (run.lostAckedTransfers !== null) this.drillLost.set({ drill: run.drill }, run.lostAckedTransfers);
  }
}
