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
  | "target-region-evacuated"; // never move a leader into an evacuated (drained) region

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
  | { readonly ok: false; readonly code: DomainErrorCode; readonly error: string; readonly field?: string; readonly rule?: SafetyRuleId };

export interface RoutingSnapshot {
  readonly version: number;
  /** logical shard -> cell */
  readonly shards: Readonly<Record<string, string>>;
  /** cell -> region whose gateway receives its users */
  readonly cells: Readonly<Record<string, string>>;
  readonly drained: readonly string[];
  readonly history: readonly { readonly version: number; readonly atMs: number; readonly reason: string; readonly cells: Readonly<Record<string, string>>; readonly drained: readonly string[] }[];
}

export interface AuditEntry {
  /** A sequence, unique and increasing across controller restarts: the log's order. */
  readonly id: number;
  /** Simulated ms: restarts at 0 with the controller, so never sort by it across restarts. */
  readonly atMs: number;
  /** Wall clock, ISO 8601. */
  readonly wallTime: string;
  readonly actor: string;
  readonly kind: "action" | "drill" | "fault" | "refusal" | "routing" | "schedule";
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

export type ControllerEvent =
  | { readonly type: "health"; readonly atMs: number; readonly cells: readonly CellView[]; readonly regions: readonly unknown[] }
  | { readonly type: "traffic"; readonly atMs: number; readonly [key: string]: unknown }
  | { readonly type: "leader"; readonly atMs: number; readonly cell: string; readonly leader: LeaderInfo | null; readonly term: number }
  | { readonly type: "routing"; readonly atMs: number; readonly version: number; readonly cells: Readonly<Record<string, string>>; readonly drained: readonly string[] }
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
  readonly outcome: "SUCCEEDED" | "FAILED" | "INTERRUPTED" | null;
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
  readonly nextRunMs: number | null;
  readonly lastRun: DrillRunRecord | null;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly code: DomainErrorCode; readonly error: string; readonly field?: string; readonly rule?: SafetyRuleId };

/**
 * What controller/http (the API and WebSocket) calls. Every method is safe to call between
 * simulation steps; long-running ones complete through callbacks in the world's time.
 */
export interface ControllerApi {
  topology(): unknown;
  cells(): readonly CellView[];
  regions(): readonly unknown[];
  routing(): RoutingSnapshot;
  traffic(): unknown;
  /** The last `windowMs` (at most 15 min simulated) of traffic samples, fault windows and routing versions. */
  trafficHistory(windowMs: number): unknown;
  consistency(): unknown;
  act(request: ActionRequest, callback: (outcome: ActionOutcome) => void): void;
  faults(): { readonly faults: readonly FaultRecord[]; readonly catalogue: readonly unknown[] };
  injectFault(spec: unknown, actor: string, reason?: string): Result<FaultRecord>;
  healFault(id: string, actor: string): Result<null>;
  healAllFaults(actor: string): void;
  drills(): readonly { readonly name: string; readonly description: string; readonly durationMs: number }[];
  runDrill(name: string, options: { readonly seed?: number; readonly actor: string; readonly force?: boolean; readonly reason?: string }): Result<DrillRunRecord>;
  drillRuns(): readonly DrillRunRecord[];
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
}
