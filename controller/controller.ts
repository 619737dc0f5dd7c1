// The controller: implements ControllerApi (domain/records.ts) over a Cluster, the routing
// table, the gateways' traffic figures, the audit log and schedule store, and the chaos module's
// faults and drills. Everything runs on the cluster's clock; the HTTP edge calls it between
// simulation slices.
import type { CrossCellStatus } from "../domain/cross-cell.js";
import { Registry, Gauge, Counter } from "prom-client";
import type { CellSight, Cluster, LeaderInfo } from "../domain/cluster.js";
import { ActionRunner, defaultActionOptions, type ActionOptions } from "./actions.js";
import { DrillRuns } from "./drills.js";
import { ControllerMetrics } from "./metrics.js";
import { CHART_BIN_US } from "../harness/window-figures.js";
import { defaultReconcileOptions, LeaderReconciler, type ReconcileOptions } from "./reconciler.js";
import { linkStatus, type LinkStatus } from "./link-state.js";
import { HealthMonitor, type CellHealth, type RegionHealth, type TrafficSnapshot } from "./health.js";
import type { AuditLog, DrillService, FaultService, HaltStore, ScheduleStore } from "./ports.js";
import { KillSwitch } from "./halt.js";
import { resilienceOf, RESILIENCE_WINDOW_MS_DEFAULT, type Resilience } from "./resilience.js";
import { LoadEstimator, regionReadiness, type CapacityLimits } from "./capacity.js";
import type { RoutingTable } from "./routing.js";
import { DrillScheduler, scheduleBodySchema, scheduleStop, scheduleUpdateSchema } from "./schedules.js";
import type { TrafficStats } from "./traffic-stats.js";
import { TrafficHistory, trafficHistoryWindowMsMax, type FaultWindow, type TrafficSample } from "./traffic-history.js";
import type {
  ActionOutcome,
  ActionRequest,
  AuditEntry,
  ControllerApi,
  AuditDraftInput,
  ControllerEvent,
  DrillPredictionRecord,
  DrillRunOptions,
  DrillRunRecord,
  HaltState,
  Readiness,
  RehearsalRequest,
  FaultRecord,
  Result,
  RoutingSnapshot,
  ScheduleRecord,
} from "../domain/records.js";
import { zodFailure } from "./validation.js";
import type { ScaleOutPolicy } from "./scale-out.js";
import { defaultElasticOptions, ElasticCells, type CellAdded, type MoveJournal, type MoveRecord } from "./elastic.js";

export const eventListenersMax = 256;
/** A drill's prediction older than this (simulated) is not attached to its run. */
export const PREDICTION_FRESH_MS = 600_000;
export const drillPredictionsKeptMax = 32;

export interface TrafficHistorySnapshot {
  readonly atMs: number;
  readonly windowMs: number;
  readonly samplesMax: number;
  readonly samples: readonly TrafficSample[];
  readonly faults: readonly FaultWindow[];
  readonly routing: readonly { readonly version: number; readonly atMs: number; readonly reason: string }[];
}

export interface ConsistencySnapshot {
  readonly atMs: number;
  readonly moneyConserved: Readonly<Record<string, boolean>>;
  readonly replicaAgreement: Readonly<Record<string, boolean>>;
  /** null: not checked online by this runtime (shown as such, never as 0). */
  readonly lostAckedTransfers: number | null;
  readonly valid: boolean;
  readonly violations: readonly string[];
  /** Cross-cell money (absent: this runtime does not report it). */
  readonly crossCell?: CrossCellStatus;
}

export interface ControllerOptions {
  readonly healthPeriodUs: number;
  readonly automatic: boolean;
  readonly actions: ActionOptions;
  readonly reconcile: ReconcileOptions;
  readonly speed: number;
  /** The gateways' admission limits, for the capacity rule and readiness; null: not checked. */
  readonly capacity: CapacityLimits | null;
}

// The health period is the charts' bin, which the drill report's timeline uses too.
export const defaultControllerOptions: ControllerOptions = {
  healthPeriodUs: CHART_BIN_US,
  automatic: true,
  actions: defaultActionOptions,
  reconcile: defaultReconcileOptions,
  speed: 1,
  capacity: null,
};

export interface ControllerDependencies {
  /** The world's topology and clock, and its truth (the checkers' view) for the truth panel only. */
  readonly cluster: Cluster;
  /**
   * The cells as the controller sees them and how it moves their leaders: in a world with a control
   * group, the control leader's probes and requests from its host (runtime/virtual/control-plane.ts
   * `sight`). Every decision reads this (actions, safety rules, readiness, link states, the
   * reconciler, automatic routing, the drill gate). Absent: the Cluster itself.
   */
  readonly sight?: CellSight;
  /**
   * False while the decision loop has no host (controller/control/residence.ts: no control leader
   * with a quorum): the reconciler, schedules and automatic routing wait. Absent: always hosted.
   */
  readonly hosted?: () => boolean;
  readonly routing: RoutingTable;
  readonly stats: TrafficStats;
  readonly store: AuditLog & ScheduleStore & HaltStore;
  readonly faults: FaultService;
  readonly drills: DrillService;
  readonly consistency: () => ConsistencySnapshot;
  /** A leader moved (by an action or by Raft): gateways update their cached leader. */
  readonly onLeader?: (cell: string, leader: LeaderInfo | null) => void;
  /** Where shard moves are recorded (the control plane's log) so a restarted controller resumes them. */
  readonly moveJournal?: MoveJournal;
}

export class Controller implements ControllerApi {
  readonly actions: ActionRunner;
  readonly health: HealthMonitor;
  readonly reconciler: LeaderReconciler;
  readonly runs: DrillRuns;
  readonly scheduler: DrillScheduler;
  readonly killSwitch: KillSwitch;
  /** Elastic cells (add, move, split, remove); null when the runtime cannot (the live runtime). */
  readonly elastic: ElasticCells | null;
  readonly load = new LoadEstimator();
  private loadObservedAtMs = -1;
  private rehearsalPort: ((request: RehearsalRequest) => Promise<Result<unknown>>) | null = null;
  private rehearsing = false;
  private readonly drillPredictions = new Map<string, DrillPredictionRecord>();
  readonly history = new TrafficHistory();
  private readonly listeners = new Set<(event: ControllerEvent) => void>();
  private readonly registry = new Registry();
  private readonly exported = new ControllerMetrics(this.registry);
  private readonly metrics: {
    canAbsorb: Gauge<"region">;
    headroom: Gauge<"region">;
    resilienceScore: Gauge<"drill">;
    resilienceRuns: Gauge<"drill" | "result">;
    halted: Gauge;
    actions: Counter<"kind" | "outcome">;
    routingVersion: Gauge;
    cellTps: Gauge<"cell">;
    cellP99: Gauge<"cell">;
    gatewayRps: Gauge<"region">;
    leaderRegion: Gauge<"cell" | "region">;
  };

  constructor(
    private readonly options: ControllerOptions,
    private readonly dependencies: ControllerDependencies,
  ) {
    const { cluster, routing, store } = dependencies;
    this.metrics = {
      canAbsorb: new Gauge({
        name: "ldc_readiness_can_absorb_loss",
        help: "1 when the region's loss could be absorbed now (capacity from the measured load, quorum)",
        labelNames: ["region"],
        registers: [this.registry],
      }),
      headroom: new Gauge({
        name: "ldc_readiness_headroom_ops_per_second",
        help: "Least spare admission (ops/s) among the gateways carrying users once the region is lost",
        labelNames: ["region"],
        registers: [this.registry],
      }),
      resilienceScore: new Gauge({
        name: "ldc_resilience_score",
        help: "Per drill over the last 7 days (simulated): passed / (passed + failed + aborted); absent when none ran",
        labelNames: ["drill"],
        registers: [this.registry],
      }),
      resilienceRuns: new Gauge({
        name: "ldc_resilience_runs",
        help: "Per drill over the last 7 days (simulated): runs by result (passed, failed, aborted, not-run)",
        labelNames: ["drill", "result"],
        registers: [this.registry],
      }),
      halted: new Gauge({
        name: "ldc_chaos_halted",
        help: "1 while the kill switch is on (no new fault or drill)",
        registers: [this.registry],
      }),
      actions: new Counter({
        name: "ldc_actions_total",
        help: "Operator actions by kind and outcome",
        labelNames: ["kind", "outcome"],
        registers: [this.registry],
      }),
      routingVersion: new Gauge({ name: "ldc_routing_version", help: "Current routing table version", registers: [this.registry] }),
      cellTps: new Gauge({
        name: "ldc_cell_tps",
        help: "Successful requests per second per cell (last health period)",
        labelNames: ["cell"],
        registers: [this.registry],
      }),
      cellP99: new Gauge({
        name: "ldc_cell_p99_ms",
        help: "p99 latency of admitted requests per cell, ms",
        labelNames: ["cell"],
        registers: [this.registry],
      }),
      gatewayRps: new Gauge({
        name: "ldc_gateway_rps",
        help: "Requests served per second per regional gateway",
        labelNames: ["region"],
        registers: [this.registry],
      }),
      leaderRegion: new Gauge({
        name: "ldc_cell_leader_region",
        help: "1 for the region leading each cell",
        labelNames: ["cell", "region"],
        registers: [this.registry],
      }),
    };
    this.metrics.routingVersion.set(routing.version);
    dependencies.stats.observe((sample) => this.exported.request(sample));
    const audit: AuditLog = {
      append: (entry) => {
        const stored = store.append(entry);
        this.publish({ type: "audit", atMs: stored.atMs, entry: stored });
        return stored;
      },
      query: (query) => store.query(query),
    };
    const sight = dependencies.sight ?? cluster;
    this.actions = new ActionRunner(options.actions, {
      cluster,
      sight,
      routing,
      audit,
      onLeaderMoved: (cell, leader) => dependencies.onLeader?.(cell, leader),
      ...(options.capacity === null
        ? {}
        : { capacity: { limits: options.capacity, opsPerSecond: (cell: string) => this.load.opsPerSecond(cell) } }),
    });
    this.reconciler = new LeaderReconciler(options.reconcile, {
      cluster,
      observe: () => sight.cells(),
      routing,
      actions: this.actions,
      audit,
      limits: options.actions.limits,
    });
    this.health = new HealthMonitor(
      { healthPeriodUs: options.healthPeriodUs, automatic: options.automatic },
      {
        cluster,
        observe: () => sight.cells(),
        ...(dependencies.hosted !== undefined && { hosted: dependencies.hosted }),
        routing,
        stats: dependencies.stats,
        isMoving: (cell) => this.actions.movingCells.has(cell),
        gatewayRegionFor: (region) => this.actions.gatewayRegionFor(region),
        onLeaderChange: (cell, leader, term) => {
          dependencies.onLeader?.(cell, leader);
          this.publish({ type: "leader", atMs: this.nowMs(), cell, leader, term });
        },
        onRefresh: (cells, regions, traffic) => this.onRefresh(cells, regions, traffic),
      },
    );
    routing.onChange((version) => {
      this.metrics.routingVersion.set(version.version);
      this.publish({ type: "routing", atMs: version.atMs, version: version.version, cells: version.cells, drained: version.drained });
    });
    // Every fault change is audited here, whoever caused it: an operator through the API (with the
    // reason the dialog asked for), a drill (actor drill:<run id>), the nemesis, or the lease.
    dependencies.faults.onChange((action, fault, change) => {
      this.history.faultChanged(action, fault, this.nowMs());
      this.publish({ type: "fault", atMs: this.nowMs(), action, fault });
      this.exported.faults(action, fault, dependencies.faults.active());
      const verb = action === "injected" ? "inject" : action === "healed" ? "heal" : "expire";
      audit.append({
        atMs: this.nowMs(),
        actor: change.actor,
        kind: "fault",
        action: verb,
        target: fault.id,
        reason: action === "injected" ? (change.reason ?? null) : null,
        outcome: action === "injected" ? "ok" : "healed",
        rule: null,
        overrodeRule: null,
        routingVersionBefore: null,
        routingVersionAfter: null,
        details: {
          type: fault.type,
          target: fault.target,
          origin: change.origin,
          ...(change.reason === undefined || action === "injected" ? {} : { why: change.reason }),
        },
      });
    });
    this.runs = new DrillRuns({
      clock: cluster.clock,
      drills: dependencies.drills,
      faults: dependencies.faults,
      store,
      audit,
      gate: { refusals: () => this.drillRefusals(), halted: (what) => this.killSwitch.refusal(what) },
      defaultSeed: cluster.seed,
    });
    this.runs.onChange((run) => {
      this.exported.drill(run, this.runs.running);
      this.publish({ type: "drill", atMs: this.nowMs(), run });
    });
    this.scheduler = new DrillScheduler({
      clock: cluster.clock,
      store,
      runs: this.runs,
      audit,
      drillExists: (name) => dependencies.drills.list().some((drill) => drill.name === name),
      paused: () => this.killSwitch.halted,
      ...(dependencies.hosted !== undefined && { hosted: dependencies.hosted }),
    });
    this.killSwitch = new KillSwitch({
      store,
      audit,
      nowMs: () => this.nowMs(),
      healAllFaults: (actor) => {
        const count = dependencies.faults.active().length;
        dependencies.faults.healAll(actor);
        return count;
      },
      interruptDrill: (reason) => this.runs.interruptRunning(reason),
      onChange: (state) => {
        this.metrics.halted.set(state.halted ? 1 : 0);
        this.publish({ type: "halt", atMs: this.nowMs(), state });
      },
    });
    this.auditLog = audit;
    this.metrics.halted.set(this.killSwitch.halted ? 1 : 0);
    const port = cluster.elastic;
    this.elastic =
      port === undefined
        ? null
        : new ElasticCells(defaultElasticOptions, {
            cluster,
            sight,
            port,
            routing,
            audit,
            nextMoveId: () => `mv-${store.nextId("mv")}`,
            // Moves are operator actions, not chaos: the kill switch does not stop them.
            halted: () => null,
            ...(dependencies.moveJournal !== undefined && { journal: dependencies.moveJournal }),
          });
  }

  private elasticRefusal(): { ok: false; code: "CONFLICT"; error: string; rule: "cell-not-ready" } {
    return {
      ok: false,
      code: "CONFLICT",
      error: "this runtime cannot add cells or move shards (the live runtime: docs/live.md)",
      rule: "cell-not-ready",
    };
  }

  addCell(reason: string, actor: string, callback: (result: Result<CellAdded>) => void): void {
    if (this.elastic === null) callback(this.elasticRefusal());
    else this.elastic.addCell({ reason, actor }, callback);
  }

  removeCell(cell: string, reason: string, actor: string): Result<{ readonly routingVersion: number }> {
    return this.elastic === null ? this.elasticRefusal() : this.elastic.removeCell({ cell, reason, actor });
  }

  moveShards(
    request: { readonly shards: unknown; readonly to: string; readonly reason: string; readonly actor: string },
    callback: (result: Result<MoveRecord>) => void,
  ): void {
    if (this.elastic === null) callback(this.elasticRefusal());
    else this.elastic.moveShards(request, callback);
  }

  splitCell(
    cell: string,
    reason: string,
    actor: string,
    callback: (result: Result<{ readonly cell: string; readonly move: MoveRecord }>) => void,
  ): void {
    if (this.elastic === null) callback(this.elasticRefusal());
    else this.elastic.splitCell({ cell, reason, actor }, callback);
  }

  private scaleOutPolicy: ScaleOutPolicy | null = null;

  /** The automatic scale-out policy running in this controller (ldc start with scaleOut enabled, or a drill's); null: none. */
  bindScaleOut(policy: ScaleOutPolicy | null): void {
    this.scaleOutPolicy = policy;
  }

  /** GET /api/v1/scale-out. */
  scaleOutStatus(): unknown {
    return this.scaleOutPolicy?.status() ?? { enabled: false, actions: [] };
  }

  shardMoves(): readonly MoveRecord[] {
    return this.elastic?.list() ?? [];
  }

  private readonly auditLog: AuditLog;

  /** What the decisions read (ControllerDependencies.sight), else the Cluster. */
  private get sight(): CellSight {
    return this.dependencies.sight ?? this.dependencies.cluster;
  }

  start(): void {
    this.health.start();
  }

  stop(): void {
    this.health.stop();
  }

  /** Regions, datacenters and link states: as the controller sees the cells, or (`truth`) as they are (the page's map). */
  topology(truth = false): unknown {
    const { cluster } = this.dependencies;
    const regions = cluster.topology.regions;
    const faults = this.dependencies.faults.active();
    const views = truth ? cluster.cells() : this.sight.cells();
    const links: ({ source: string; target: string; rttMs: number } & LinkStatus)[] = [];
    regions.forEach((a, i) =>
      regions.slice(i + 1).forEach((b) => {
        links.push({
          source: a.name,
          target: b.name,
          rttMs: cluster.topology.rttMs(a.name, b.name),
          ...linkStatus(a.name, b.name, views, faults),
        });
      }),
    );
    return {
      regions: regions.map((region) => ({ name: region.name, datacenters: region.datacenters })),
      links,
      runtime: cluster.runtime,
      seed: cluster.seed,
      speed: this.options.speed,
      nowMs: this.nowMs(),
    };
  }

  cells(): readonly CellHealth[] {
    return this.health.cells();
  }

  truth(): { cells: readonly CellHealth[]; regions: readonly RegionHealth[] } {
    return this.health.truth();
  }

  regions(): readonly RegionHealth[] {
    return this.health.regions();
  }

  routing(): RoutingSnapshot {
    return this.dependencies.routing.snapshot();
  }

  traffic(): TrafficSnapshot {
    return this.health.traffic();
  }

  consistency(): ConsistencySnapshot {
    return this.dependencies.consistency();
  }

  trafficHistory(windowMs: number): TrafficHistorySnapshot {
    const nowMs = this.nowMs();
    const boundedMs = Math.min(windowMs, trafficHistoryWindowMsMax);
    const { samples, faults } = this.history.window(boundedMs, nowMs);
    const fromMs = nowMs - boundedMs;
    const routing = this.dependencies.routing
      .snapshot()
      .history.filter((entry) => entry.atMs >= fromMs)
      .map((entry) => ({ version: entry.version, atMs: entry.atMs, reason: entry.reason }));
    return { atMs: nowMs, windowMs: boundedMs, samplesMax: this.history.samplesMax, samples, faults, routing };
  }

  act(request: ActionRequest, callback: (outcome: ActionOutcome) => void): void {
    this.actions.act(request, (outcome) => {
      this.metrics.actions.inc({ kind: request.kind, outcome: outcome.ok ? "ok" : outcome.code });
      callback(outcome);
    });
  }

  faults(): { readonly faults: readonly FaultRecord[]; readonly catalogue: readonly unknown[] } {
    return { faults: this.dependencies.faults.active(), catalogue: this.dependencies.faults.catalogue() };
  }

  injectFault(spec: unknown, actor: string, reason?: string): Result<FaultRecord> {
    const halted = this.killSwitch.refusal("a new fault");
    if (halted !== null) {
      this.auditLog.append({
        atMs: this.nowMs(),
        actor,
        kind: "refusal",
        action: "inject",
        target: typeof spec === "object" && spec !== null ? String((spec as { type?: unknown }).type ?? "") : "",
        reason: reason ?? null,
        outcome: "refused",
        rule: "halted",
        overrodeRule: null,
        routingVersionBefore: null,
        routingVersionAfter: null,
        details: { spec },
      });
      return halted;
    }
    const result = this.dependencies.faults.inject(spec, actor, reason);
    // A success is audited from the change notification; a refusal changes nothing and is audited here.
    if (!result.ok) {
      const target = typeof spec === "object" && spec !== null ? JSON.stringify((spec as { target?: unknown }).target ?? null) : "";
      this.auditLog.append({
        atMs: this.nowMs(),
        actor,
        kind: "fault",
        action: "inject",
        target,
        reason: reason ?? null,
        outcome: `refused: ${result.error}`,
        rule: result.rule ?? null,
        overrodeRule: null,
        routingVersionBefore: null,
        routingVersionAfter: null,
        details: { spec },
      });
    }
    return result;
  }

  actionInputRefusal(request: ActionRequest): Extract<ActionOutcome, { ok: false }> | null {
    return this.actions.inputRefusal(request);
  }

  faultInputRefusal(spec: unknown): { readonly error: string; readonly field: string } | null {
    return this.dependencies.faults.inputRefusal?.(spec) ?? null;
  }

  healFault(id: string, actor: string): Result<null> {
    return this.dependencies.faults.heal(id, actor);
  }

  healAllFaults(actor: string): void {
    const count = this.dependencies.faults.active().length;
    this.dependencies.faults.healAll(actor);
    this.auditLog.append({
      atMs: this.nowMs(),
      actor,
      kind: "fault",
      action: "heal-all",
      target: "*",
      reason: null,
      outcome: `healed ${count}`,
      rule: null,
      overrodeRule: null,
      routingVersionBefore: null,
      routingVersionAfter: null,
    });
  }

  drills(): readonly { readonly name: string; readonly description: string; readonly durationMs: number }[] {
    return this.dependencies.drills.list();
  }

  runDrill(name: string, options: DrillRunOptions): Result<DrillRunRecord> {
    const stop = scheduleStop(options.stop);
    if (!stop.ok) return stop;
    const { stop: _input, ...rest } = options;
    const prediction = this.drillPredictions.get(name);
    const fresh = prediction !== undefined && this.nowMs() - prediction.atMs <= PREDICTION_FRESH_MS ? prediction : null;
    return this.runs.start(name, { ...rest, stopOverride: stop.value, prediction: fresh });
  }

  abortDrill(id: string, reason: string, actor: string): Result<DrillRunRecord> {
    return this.runs.abort(id, reason, actor);
  }

  /** The runtime that can build a simulated copy of this world binds its rehearsal here. */
  bindRehearsal(port: (request: RehearsalRequest) => Promise<Result<unknown>>): void {
    this.rehearsalPort = port;
  }

  async rehearse(request: RehearsalRequest): Promise<Result<unknown>> {
    if (this.rehearsalPort === null)
      return { ok: false, code: "CONFLICT", error: "rehearsal needs the virtual runtime (a simulated copy of this world)" };
    if (this.rehearsing) return { ok: false, code: "CONFLICT", error: "a rehearsal is already running; one at a time" };
    this.rehearsing = true;
    try {
      return await this.rehearsalPort(request);
    } finally {
      this.rehearsing = false;
    }
  }

  /** The runtime records a drill's rehearsal here; the next run of that drill (within PREDICTION_FRESH_MS) carries it. */
  rememberDrillPrediction(drill: string, prediction: DrillPredictionRecord): void {
    this.drillPredictions.delete(drill);
    this.drillPredictions.set(drill, prediction);
    if (this.drillPredictions.size > drillPredictionsKeptMax)
      this.drillPredictions.delete(this.drillPredictions.keys().next().value as string);
  }

  /** Appends to the audit log (and publishes it), for the runtime's records such as prediction vs measurement. */
  recordAudit(entry: AuditDraftInput): void {
    this.auditLog.append(entry);
  }

  haltState(): HaltState {
    return this.killSwitch.state;
  }

  halt(reason: string, actor: string): ReturnType<KillSwitch["halt"]> {
    return this.killSwitch.halt(reason, actor);
  }

  releaseHalt(reason: string, actor: string): Result<HaltState> {
    return this.killSwitch.release(reason, actor);
  }

  drillRuns(): readonly DrillRunRecord[] {
    return this.runs.list();
  }

  drillRun(id: string): DrillRunRecord | undefined {
    return this.runs.get(id);
  }

  drillReport(id: string): string | undefined {
    return this.dependencies.store.report(id);
  }

  schedules(): readonly ScheduleRecord[] {
    return this.scheduler.list();
  }

  createSchedule(body: unknown, actor: string): Result<ScheduleRecord> {
    const parsed = scheduleBodySchema.safeParse(body);
    if (!parsed.success) return zodFailure(parsed.error);
    return this.scheduler.create(parsed.data, actor);
  }

  updateSchedule(id: string, body: unknown, actor: string): Result<ScheduleRecord> {
    const parsed = scheduleUpdateSchema.safeParse(body);
    if (!parsed.success) return zodFailure(parsed.error);
    return this.scheduler.update(id, parsed.data, actor);
  }

  deleteSchedule(id: string, actor: string): Result<null> {
    return this.scheduler.remove(id, actor);
  }

  audit(query: { readonly limit?: number; readonly kind?: string }): readonly AuditEntry[] {
    return this.dependencies.store.query(query);
  }

  subscribe(listener: (event: ControllerEvent) => void): () => void {
    if (this.listeners.size >= eventListenersMax) throw new Error(`at most ${eventListenersMax} event subscribers (eventListenersMax)`);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Passed / failed / aborted / not run per drill and schedule over the last `windowMs` (simulated). */
  resilience(windowMs: number = RESILIENCE_WINDOW_MS_DEFAULT): Resilience {
    const skipsMs = new Map<string, number[]>();
    for (const entry of this.dependencies.store.query({ kind: "schedule", limit: 1000 })) {
      if (entry.action !== "skip" || !entry.actor.startsWith("schedule:")) continue;
      const id = entry.actor.slice("schedule:".length);
      skipsMs.set(id, [...(skipsMs.get(id) ?? []), entry.atMs]);
    }
    return resilienceOf({
      runs: this.runs.list(),
      drills: this.dependencies.drills.list().map((drill) => drill.name),
      schedules: this.scheduler.list(),
      skipsMs,
      nowMs: this.nowMs(),
      windowMs,
    });
  }

  metricsText(): Promise<string> {
    for (const region of this.readiness().regions) {
      this.metrics.canAbsorb.set({ region: region.region }, region.canAbsorbLoss ? 1 : 0);
      if (region.headroomOpsPerSecond !== null) this.metrics.headroom.set({ region: region.region }, region.headroomOpsPerSecond);
    }
    const resilience = this.resilience();
    this.metrics.resilienceScore.reset();
    for (const drill of resilience.drills) {
      if (drill.score !== null) this.metrics.resilienceScore.set({ drill: drill.drill }, drill.score);
      for (const [result, count] of [
        ["passed", drill.passed],
        ["failed", drill.failed],
        ["aborted", drill.aborted],
        ["not-run", drill.notRun],
      ] as const)
        this.metrics.resilienceRuns.set({ drill: drill.drill, result }, count);
    }
    return this.registry.metrics();
  }

  /** Per region: could its loss be absorbed now (capacity from the measured load, and quorum), and the headroom. */
  readiness(): Readiness {
    const { cluster, routing } = this.dependencies;
    const cells = this.sight.cells();
    const regions = cluster.topology.regions.map(({ name }) =>
      regionReadiness(name, {
        cells,
        routes: new Map(cells.map((cell) => [cell.id, routing.regionOfCell(cell.id)])),
        moves: this.actions.evacuationMoves(name),
        load: (cell) => this.load.opsPerSecond(cell),
        limits: this.options.capacity,
        drained: routing.isDrained(name),
      }),
    );
    return { atMs: this.nowMs(), limits: this.options.capacity, loadOpsPerSecond: this.load.snapshot(), regions };
  }

  private onRefresh(cells: readonly CellHealth[], regions: readonly RegionHealth[], traffic: TrafficSnapshot): void {
    if (traffic.atMs !== this.loadObservedAtMs && Object.keys(traffic.regions).length > 0) {
      this.loadObservedAtMs = traffic.atMs;
      const seconds = this.options.healthPeriodUs / 1_000_000;
      const offered = new Map<string, number>();
      for (const [cell, figures] of Object.entries(traffic.cells)) offered.set(cell, figures.shed / seconds);
      for (const region of Object.values(traffic.regions))
        for (const [cell, rate] of Object.entries(region.toCells)) offered.set(cell, (offered.get(cell) ?? 0) + rate);
      this.load.observe(offered);
    }
    this.exported.cells(cells);
    if (this.dependencies.hosted?.() !== false) this.reconciler.step();
    for (const cell of cells) {
      this.metrics.cellTps.set({ cell: cell.id }, cell.metrics.tps);
      this.metrics.cellP99.set({ cell: cell.id }, cell.metrics.p99Ms);
      for (const region of this.dependencies.cluster.topology.regions)
        this.metrics.leaderRegion.set({ cell: cell.id, region: region.name }, cell.leader?.region === region.name ? 1 : 0);
    }
    for (const region of regions) this.metrics.gatewayRps.set({ region: region.name }, region.gateway.rps);
    const atMs = this.nowMs();
    this.history.record(traffic);
    const drawnTruth = this.dependencies.sight !== undefined;
    const topology = this.topology(drawnTruth) as { links: unknown };
    // The page's map is the truth panel (the world as the checkers see it); the controller's own view
    // (its probes) is what it decides on and what GET /api/v1/cells answers by default.
    // (The monitor's first refresh runs inside its own constructor, before this.health is set.)
    const monitor = this.health as HealthMonitor | undefined;
    const drawn = !drawnTruth || monitor === undefined ? { cells, regions } : monitor.truth();
    this.publish({ type: "health", atMs, cells: drawn.cells, regions: drawn.regions, links: topology.links } as ControllerEvent);
    this.publish({ type: "traffic", ...traffic, atMs });
    const consistency = this.dependencies.consistency();
    if (consistency.crossCell !== undefined) this.exported.crossCell(consistency.crossCell);
    this.publish({ ...consistency, type: "consistency", atMs });
  }

  private drillRefusals(): { rule: "quorum-reachable" | "one-region-evacuated"; error: string }[] {
    const refusals: { rule: "quorum-reachable" | "one-region-evacuated"; error: string }[] = [];
    const drained = this.dependencies.routing.drained();
    if (drained.length > 0)
      refusals.push({
        rule: "one-region-evacuated",
        error: `${drained.join(", ")} is evacuated; a drill now could take the cells below a quorum`,
      });
    for (const cell of this.sight.cells())
      if (!cell.quorumAvailable) refusals.push({ rule: "quorum-reachable", error: `${cell.id} has no reachable quorum` });
    return refusals;
  }

  private publish(event: ControllerEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private nowMs(): number {
    return Math.floor(this.dependencies.cluster.clock.nowUs() / 1000);
  }
}
