// The controller's facade: what the HTTP API, the WebSocket stream, the drill scheduler and the
// CLI call. Implemented by controller/controller.ts over a `Cluster` (sim/cluster.ts). Shapes
// follow docs/API.md; keep the two in step.

import type { CellView, LeaderInfo } from "../sim/cluster.js";

export type ActionKind = "failover" | "evacuate" | "restore";

export type SafetyRuleId =
  | "quorum-reachable" // no cell may be left without a reachable quorum
  | "one-region-evacuated" // never evacuate a second region while one is evacuated
  | "target-caught-up" // never move a leader to a replica that is behind
  | "gateway-remaining" // never drain every gateway
  | "wait-period" // a minimum time between actions on the same target (anti-flapping)
  | "target-unavailable"; // the target replica/region is down or unknown

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
  | { readonly ok: false; readonly status: 400 | 404 | 409 | 500; readonly error: string; readonly rule?: SafetyRuleId };

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
  readonly id: number;
  readonly atMs: number;
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
