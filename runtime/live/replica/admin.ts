// The admin channel between the supervisor and a replica process (Node IPC): status for the
// cluster views, disk faults for chaos, leadership transfer for the controller, and the ledger
// contents for the checkers at the end of a run.
import type { DiskFaultSpec } from "../../../domain/cluster.js";
import type { AppliedCommand } from "../../../harness/checkers/durability.js";
import type { ChainPoint } from "../../../harness/checkers/replica-agreement.js";
import type { LedgerEventBody } from "../../../cells/ledger/events.js";

export type AdminOp =
  | { readonly op: "status" }
  | { readonly op: "disk"; readonly fault: DiskFaultSpec }
  | { readonly op: "heal-disk" }
  | { readonly op: "transfer-leadership"; readonly target: string }
  | { readonly op: "ledger" }
  | { readonly op: "clock"; readonly driftPpm: number }
  /** Control replicas only (runtime/live/control-main.ts): what their state machine holds. */
  | { readonly op: "control-state"; readonly snapshot?: boolean }
  /** Control replicas only: the rows of their local materialized SQLite store. */
  | { readonly op: "control-store" }
  /** Control replicas only: their prober's fresh answers from the cell replicas (controller/control/prober.ts). */
  | { readonly op: "probes" };

export interface AdminRequest {
  readonly type: "admin";
  readonly requestId: number;
  readonly body: AdminOp;
}

export interface LiveReplicaStatus {
  readonly id: string;
  readonly phase: "recovering" | "repairing" | "running" | "corrupted" | "failed";
  readonly reason: string | null;
  readonly role: string | null;
  readonly term: number;
  readonly leader: string | null;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly eventCount: number;
  readonly headHash: string;
  readonly walBytes: number;
  readonly diskFaulted: boolean;
  /** Readys handled since the process started, and those that wrote the WAL (one write each). */
  readonly readies: number;
  readonly readiesPersisted: number;
}

export interface LedgerDump {
  readonly commands: readonly AppliedCommand[];
  readonly chain: readonly ChainPoint[];
  /** 0 unless the ledger was restored from a snapshot (its early history is then not here). */
  readonly firstRetainedEventIndex: number;
  readonly eventCount: number;
  /** Every retained event body, in log order: the linearizability witness. */
  readonly events: readonly LedgerEventBody[];
}

export type AdminReply =
  | { readonly type: "admin-reply"; readonly requestId: number; readonly ok: true; readonly result: unknown }
  | { readonly type: "admin-reply"; readonly requestId: number; readonly ok: false; readonly error: string };

export interface ReadyMessage {
  readonly type: "ready";
  readonly port: number;
}

export type ReplicaToParent = AdminReply | ReadyMessage;

export function isAdminRequest(value: unknown): value is AdminRequest {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { type?: unknown }).type === "admin" &&
    typeof (value as { requestId?: unknown }).requestId === "number"
  );
}
