// The controller's facade: what the HTTP API, the WebSocket stream, the drill scheduler and the
// CLI call. Implemented by controller/controller.ts over a `Cluster` (domain/cluster.ts). Shapes
// follow docs/API.md; keep the two in step.

import type { CellView, LeaderInfo } from "./cluster.js";
import type { DomainErrorCode } from "./errors.js";

export type ActionKind = "failover" | "evacuate" | "restore";

export type SafetyRuleId =
  | "quorum-reachable" // no cell may be left without a reachable quorum
  | "one-region-evacuated" // never evacuate a second region while one is evacuated
  | "target-caught-up" // never move a leader to a replica that is behind
  | "gateway-remaining" // never drain every gateway
  | "wait-period" // a minimum time between actions on the same target (anti-flapping)
  | "target-unavailable" // the target replica/region is down or unknown
  | "target-region-evacuated" // never move a leader into an evacuated (drained) region
  | "halted" // the kill switch is on: no new fault or drill (force does not override it)
  | "capacity" // the regions left could not absorb the moved load within their admission budgets
  | "move-during-outage" // no shard move while either cell lacks a leader or a quorum, or its leader's region is evacuated
  | "range-moving" // a shard range already moving (or a cell taking part in a move)
  | "cell-not-ready" // a move to a cell not routable yet (no leader in its preferred region)
  | "cell-not-empty" // removing a cell that still owns shards
  | "split-needs-two-shards"; // splitting a cell with fewer than two shards

export interface ActionRequest {
  readonly kind: ActionKind;
  /** failover: the cell; evacuate/restore: the region. */
  readonly target: string;
  /** failover only: a region or datacenter name. */
  readonly to?: string;
  readonly reason?: string;
  /** Break glass: needs a non-empty reason; overrides the refusing rule(s), recorded in the audit log. */
  readonly force?: boolean;
  readonly actor: string;
}

export type ActionOutcome =
  | {
      readonly ok: true;
      readonly kind: ActionKind;
      readonly target: string;
      readonly moved: readonly { readonly cell: string; readonly leader: LeaderInfo }[];
      readonly routingVersionBefore: number;
      readonly routingVersion: number;
      readonly overrodeRules: readonly SafetyRuleId[];
    }
  | {
      readonly ok: false;
      readonly code: DomainErrorCode;
      readonly error: string;
      readonly field?: string;
      readonly rule?: SafetyRuleId;
      readonly figures?: CapacityFigures;
    };

/** What a capacity refusal adds to its 409: the load the move brings and what the gateway admits. */
export interface CapacityFigures {
  readonly needOpsPerSecond: number;
  readonly haveOpsPerSecond: number;
  readonly region: string;
  readonly cell: string | null;
}

export interface RoutingSnapshot {
  readonly version: number;
  /** logical shard -> cell */
  readonly shards: Readonly<Record<string, string>>;
  /** cell -> region whose gateway receives its users */
  readonly cells: Readonly<Record<string, string>>;
  readonly drained: readonly string[];
  readonly history: readonly {
    readonly version: number;
    readonly atMs: number;
    readonly reason: string;
    readonly cells: Readonly<Record<string, string>>;
    readonly drained: readonly string[];
  }[];
}

/** POST /api/v1/rehearsals: an action (the body of an action route plus kind and target) or a built-in drill. */
export type RehearsalRequest =
  { readonly action: Omit<ActionRequest, "actor">; readonly drill?: undefined } | { readonly drill: string; readonly action?: undefined };

/** An audit entry before the store gives it an id and a wall time. */
export type AuditDraftInput = Omit<AuditEntry, "id" | "wallTime">;

export interface AuditEntry {
  /** A sequence, unique and increasing across controller restarts: the log's order. */
  readonly id: number;
  /** Simulated ms: restarts at 0 with the controller, so never sort by it across restarts. */
  readonly atMs: number;
  /** Wall clock, ISO 8601. */
  readonly wallTime: string;
  readonly actor: string;
  readonly kind: "action" | "drill" | "fault" | "refusal" | "routing" | "schedule" | "halt";
  readonly action: string;
  readonly target: string;
  readonly reason: string | null;
  readonly outcome: string;
  readonly rule: string | null;
  readonly overrodeRule: string | null;
  readonly routingVersionBefore: number | null;
  readonly routingVersionAfter: number | null;
  readonly details?: unknown;
}

/** GET /api/v1/readiness: per region, could its loss be absorbed now. */
export interface Readiness {
  readonly atMs: number;
  readonly limits: { readonly cellOpsPerSecondMax: number; readonly gatewayOpsPerSecondMax: number | null } | null;
  /** Smoothed offered load per cell (served + shed), ops/s. */
  readonly loadOpsPerSecond: Readonly<Record<string, number>>;
  readonly regions: readonly {
    readonly region: string;
    readonly drained: boolean;
    readonly canAbsorbLoss: boolean;
    /** Least spare admission (ops/s) among the gateways carrying users once it is lost; null: not judged. */
    readonly headroomOpsPerSecond: number | null;
    readonly gateways: readonly {
      readonly region: string;
      readonly needOpsPerSecond: number;
      readonly haveOpsPerSecond: number;
      readonly cells: readonly string[];
    }[];
    readonly shortfalls: readonly {
      readonly region: string;
      readonly cell: string | null;
      readonly needOpsPerSecond: number;
      readonly haveOpsPerSecond: number;
    }[];
    /** Cells that would be left without a majority of replicas up. */
    readonly cellsWithoutQuorum: readonly string[];
    /** cell -> the gateway region its users would enter at. */
    readonly moves: Readonly<Record<string, string>>;
  }[];
}

/** The kill switch (GET /api/v1/halt). */
export interface HaltState {
  readonly halted: boolean;
  readonly reason: string | null;
  readonly actor: string | null;
  /** Simulated ms when it was pulled. */
  readonly sinceMs: number | null;
}

export type ControllerEvent =
  | { readonly type: "halt"; readonly atMs: number; readonly state: HaltState }
  | { readonly type: "health"; readonly atMs: number; readonly cells: readonly CellView[]; readonly regions: readonly unknown[] }
  | { readonly type: "traffic"; readonly atMs: number; readonly [key: string]: unknown }
  | { readonly type: "leader"; readonly atMs: number; readonly cell: string; readonly leader: LeaderInfo | null; readonly term: number }
  | {
      readonly type: "routing";
      readonly atMs: number;
      readonly version: number;
      readonly cells: Readonly<Record<string, string>>;
      readonly drained: readonly string[];
    }
  | { readonly type: "fault"; readonly atMs: number; readonly action: "injected" | "healed" | "expired"; readonly fault: unknown }
  | { readonly type: "drill"; readonly atMs: number; readonly run: unknown }
  | { readonly type: "audit"; readonly atMs: number; readonly entry: AuditEntry }
  | { readonly type: "consistency"; readonly atMs: number; readonly [key: string]: unknown };

/** A chaos fault as the API shows it (docs/API.md "Fault"). */
export interface FaultRecord {
  readonly id: string;
  readonly type: string;
  readonly target: unknown;
  readonly params?: unknown;
  readonly startedMs: number;
  readonly leaseMs: number;
  readonly expiresMs: number;
  readonly remainingMs: number;
  readonly affects: { readonly hosts: readonly string[]; readonly links: readonly (readonly [string, string])[] };
}

export type DrillOutcome = "SUCCEEDED" | "FAILED" | "INTERRUPTED" | "ABORTED";

/** A drill's stop conditions as the API shows them (`stop` in a drill file or a schedule). */
export interface StopConditionsRecord {
  readonly errorRateMax: number | null;
  readonly p99MsMax: number | null;
  readonly lostAckedTransfersMax: number | null;
  readonly unavailableMsMax: number | null;
  readonly windowMs: number;
}

/** Stop conditions as a request gives them (validated by the chaos drill format's schema). */
export interface StopConditionsInput {
  readonly errorRateMax?: number;
  readonly p99MsMax?: number;
  readonly lostAckedTransfersMax?: number;
  readonly unavailableMsMax?: number;
  readonly window?: string | number;
}

export interface DrillRunOptions {
  readonly seed?: number;
  readonly actor: string;
  readonly force?: boolean;
  readonly reason?: string;
  /** Stop conditions for this run instead of the drill's own. */
  readonly stop?: StopConditionsInput;
}

export interface DrillPredictionRecord {
  /** Simulated ms (of the running world) when the prediction was made. */
  readonly atMs: number;
  readonly outcome: string;
  readonly rtoMs: Readonly<Record<string, number | null>>;
  readonly lostAckedTransfers: number | null;
  readonly errorRate: number;
  readonly p99Ms: number | null;
}

export interface StoppedByRecord {
  readonly condition: "errorRateMax" | "p99MsMax" | "lostAckedTransfersMax" | "unavailableMsMax";
  readonly value: number;
  readonly limit: number;
  /** Drill time (ms since the drill started). */
  readonly atMs: number;
}

export interface DrillRunRecord {
  readonly id: string;
  /** Start order, unique across controller restarts (the number in the id); lists sort by it. */
  readonly seq: number;
  /** Wall-clock start and end (ISO 8601); `startedMs`/`endedMs` are simulated, and restart at 0 with the controller. */
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly drill: string;
  readonly seed: number;
  readonly state: "running" | "done";
  readonly progressPct: number;
  readonly outcome: DrillOutcome | null;
  /** The stop conditions the run is watched by (null: none). */
  readonly stop?: StopConditionsRecord | null;
  /** The stop condition that ended the run ABORTED, else null. */
  readonly stoppedBy?: StoppedByRecord | null;
  /** A rehearsal's prediction for this drill made just before the run (null: none). */
  readonly prediction?: DrillPredictionRecord | null;
  readonly rtoMs: Readonly<Record<string, number | null>>;
  readonly lostAckedTransfers: number | null;
  readonly checkers: Readonly<Record<string, unknown>>;
  readonly startedMs: number;
  readonly endedMs: number | null;
  readonly reasons: readonly string[];
  readonly schedule?: string | null;
}

export interface ScheduleRecord {
  readonly id: string;
  readonly drill: string;
  readonly cron: string;
  readonly allowedWindows: readonly string[];
  readonly blockedWindows: readonly string[];
  readonly maxDurationMs: number;
  readonly enabled: boolean;
  /** Default stop conditions for runs of a drill that has none of its own. */
  readonly stop: StopConditionsRecord | null;
  /** True while the kill switch is on: slots are skipped until it is released. */
  readonly paused: boolean;
  readonly nextRunMs: number | null;
  readonly lastRun: DrillRunRecord | null;
}

export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: DomainErrorCode; readonly error: string; readonly field?: string; readonly rule?: SafetyRuleId };

/**
 * What controller/http (the API and WebSocket) calls. Every method is safe to call between
 * simulation steps; long-running ones complete through callbacks in the world's time.
 */
export interface ControllerApi {
  /** Link states from what the controller's probes see; `truth`: from the world as it is (the page's map). */
  topology(truth?: boolean): unknown;
  cells(): readonly CellView[];
  regions(): readonly unknown[];
  /** The world's truth (the god's-eye Cluster) rather than what the controller's probes see; absent: the same as cells()/regions(). */
  truth?(): { readonly cells: readonly CellView[]; readonly regions: readonly unknown[] };
  routing(): RoutingSnapshot;
  traffic(): unknown;
  /** The last `windowMs` (at most 15 min simulated) of traffic samples, fault windows and routing versions. */
  trafficHistory(windowMs: number): unknown;
  consistency(): unknown;
  act(request: ActionRequest, callback: (outcome: ActionOutcome) => void): void;
  /** Bad input in a button press (unknown cell or region: NOT_FOUND; a bad `to`, force without reason: INVALID), found before the control quorum gate; null: none. */
  actionInputRefusal?(request: ActionRequest): Extract<ActionOutcome, { ok: false }> | null;
  faults(): { readonly faults: readonly FaultRecord[]; readonly catalogue: readonly unknown[] };
  injectFault(spec: unknown, actor: string, reason?: string): Result<FaultRecord>;
  /** Bad input in a fault spec (its form, its target's names against the world), found before the control quorum gate; null: none. */
  faultInputRefusal?(spec: unknown): { readonly error: string; readonly field: string } | null;
  healFault(id: string, actor: string): Result<null>;
  healAllFaults(actor: string): void;
  drills(): readonly { readonly name: string; readonly description: string; readonly durationMs: number }[];
  runDrill(name: string, options: DrillRunOptions): Result<DrillRunRecord>;
  /** Stops a running drill: its faults healed at once, ABORTED with `reason`, audited. */
  abortDrill(id: string, reason: string, actor: string): Result<DrillRunRecord>;
  drillRuns(): readonly DrillRunRecord[];
  haltState(): HaltState;
  /** Passed / failed / aborted / not run per drill and schedule over a window of simulated time. */
  resilience(windowMs?: number): unknown;
  /** Runs the action or drill in a simulated copy of the current state and answers with the prediction. */
  rehearse(request: RehearsalRequest): Promise<Result<unknown>>;
  readiness(): Readiness;
  /** The kill switch: heals every fault, interrupts the running drill, pauses schedules, refuses new faults and drills. */
  halt(reason: string, actor: string): Result<HaltState & { readonly healedFaults: number; readonly interruptedRun: string | null }>;
  releaseHalt(reason: string, actor: string): Result<HaltState>;
  drillRun(id: string): DrillRunRecord | undefined;
  drillReport(id: string): string | undefined;
  schedules(): readonly ScheduleRecord[];
  createSchedule(body: unknown, actor: string): Result<ScheduleRecord>;
  updateSchedule(id: string, body: unknown, actor: string): Result<ScheduleRecord>;
  deleteSchedule(id: string, actor: string): Result<null>;
  audit(query: { readonly limit?: number; readonly kind?: string }): readonly AuditEntry[];
  subscribe(listener: (event: ControllerEvent) => void): () => void;
  /** Prometheus metrics are registered by the controller; http serves the registry. */
  metricsText(): Promise<string>;
  /** Elastic cells (docs/cells.md); absent where not implemented (the API answers 409). */
  addCell?(reason: string, actor: string, callback: (result: Result<unknown>) => void): void;
  removeCell?(cell: string, reason: string, actor: string): Result<unknown>;
  moveShards?(
    request: { readonly shards: unknown; readonly to: string; readonly reason: string; readonly actor: string },
    callback: (result: Result<unknown>) => void,
  ): void;
  splitCell?(cell: string, reason: string, actor: string, callback: (result: Result<unknown>) => void): void;
  shardMoves?(): readonly unknown[];
  /** The automatic scale-out policy: its settings and actions, or `{enabled: false}`. */
  scaleOutStatus?(): unknown;
}
