// The control plane's replicated state machine (docs/architecture.md "The control plane"): what
// must not be lost or forked when a region dies. The routing table and its versions (with the
// drained regions), the audit log, fault records with their leases, drill runs, and the API
// requests already answered (so a retried request is never applied twice). Pure: entries in,
// state and a result out; every control replica applies the same entries in the same order.
import type { StateMachine } from "../../cells/replica.js";
import type { AuditEntry } from "../../domain/records.js";
import { assert } from "../../ground/assert.js";

/**
 * API calls (`begin` ids: an operator's Idempotency-Key, with the recorded answer) remembered for
 * de-duplication and replay, oldest forgotten first: 16,384 operator calls, days at a console's rate.
 */
export const controlRequestsRememberedMax = 16_384;
/**
 * Ids of the other commands (shipments, lease renewals, fault and drill records, barriers, `end`s)
 * remembered for de-duplication, oldest forgotten first. Their duplicates come from the
 * controller's own retries within a commit timeout (seconds) or from a new leader committing an
 * old term's entry at its election, never minutes later; at a drill's ~2 commands a second,
 * 1,024 ids span ~8 minutes. Kept with the API calls' 16,384 they filled for ~2.5 hours of
 * drills (~1.5 MB per control replica, again in each of its snapshots: issue 15).
 */
export const controlCommandIdsRememberedMax = 1_024;
/** Audit entries kept in the replicated state (oldest dropped first), as the in-memory store keeps them (memoryAuditEntriesMax). */
export const controlAuditEntriesMax = 10_000;
/** Fault and drill records kept (ended ones dropped oldest first). */
export const controlRecordsMax = 4_096;

export interface ControlRouting {
  readonly version: number;
  readonly atMs: number;
  readonly reason: string;
  /** cell -> region whose gateway receives its users */
  readonly cells: Readonly<Record<string, string>>;
  readonly drained: readonly string[];
}

export type ControlFaultState = "active" | "healed" | "expired";

/** A fault injected through the controller, with the lease the control leader keeps renewing (dead-man switch). */
export interface ControlFault {
  readonly id: string;
  readonly type: string;
  readonly origin: string;
  readonly state: ControlFaultState;
  /** Simulated ms after which the fault must be gone unless a control leader renewed it. */
  readonly leaseUntilMs: number;
  /** The control term of the leader that last renewed (or recorded) it. */
  readonly term: number;
}

export type ControlDrillState = "running" | "succeeded" | "failed" | "aborted" | "interrupted";

/**
 * A shard move as the control log records it (controller/elastic.ts): written before its first
 * step is sent and at every step, so a controller that starts (or a new control leader) finds the
 * moves left unfinished and resumes each from what the cells committed. `seq` orders the records
 * of one move (commits may land out of order: an older one never overwrites a newer one).
 */
export interface ControlMove {
  readonly id: string;
  readonly seq: number;
  readonly first: number;
  readonly last: number;
  readonly from: string;
  readonly to: string;
  /** elastic.ts MoveState: "cut-over" and "rolled-back" are finished. */
  readonly state: string;
  readonly reason: string;
  readonly actor: string;
  readonly startedMs: number;
  readonly atMs: number;
}

/** A move record whose move still has to be completed or rolled back. */
export function controlMoveUnfinished(move: ControlMove): boolean {
  return move.state !== "cut-over" && move.state !== "rolled-back";
}

/**
 * A cell the automatic scale-out policy added (controller/scale-out.ts) and the range it took from
 * `from`; `removed` once the policy gave the range back and removed the cell. Recorded so a
 * restarted controller's policy still knows which cells are its own to consolidate. Cell ids are
 * never reused, so a removed record stays removed (a late `added` of the same cell is ignored).
 */
export interface ControlScaleOutCell {
  readonly cell: string;
  readonly from: string;
  readonly first: number;
  readonly last: number;
  readonly state: "added" | "removed";
  readonly atMs: number;
}

export interface ControlDrillRun {
  readonly id: string;
  readonly drill: string;
  readonly state: ControlDrillState;
  readonly actor: string;
  readonly atMs: number;
  /** The run's seed and simulated start: with the drill's definition they fix its timeline, so a new control leader can resume it. */
  readonly seed?: number;
  readonly startedMs?: number;
}

/** What the API answered a mutating request, replayed to a retry of the same request id. */
export interface ControlResponse {
  readonly status: number;
  readonly body: unknown;
}

export interface ControlApiRequest {
  readonly method: string;
  readonly path: string;
  readonly actor: string;
  /** The region endpoint that received it. */
  readonly via: string;
}

/**
 * One entry of the control log. `requestId` is the entry's idempotency key: an entry whose id was
 * already applied changes nothing and answers `duplicate: true`.
 */
export type ControlCommand =
  | { readonly kind: "barrier"; readonly requestId: string }
  /** A mutating API request is about to run: admitted once; a retry with the same id is a duplicate. */
  | { readonly kind: "begin"; readonly requestId: string; readonly api: ControlApiRequest }
  /** The request `of` ran: its answer, the audit entries it wrote and the routing it left, as one entry. */
  | {
      readonly kind: "end";
      readonly requestId: string;
      readonly of: string;
      readonly response: ControlResponse;
      readonly audit: readonly AuditEntry[];
      readonly routing: ControlRouting | null;
    }
  | { readonly kind: "audit"; readonly requestId: string; readonly entries: readonly AuditEntry[] }
  | { readonly kind: "routing"; readonly requestId: string; readonly routing: ControlRouting }
  | { readonly kind: "fault"; readonly requestId: string; readonly fault: ControlFault }
  | { readonly kind: "drill"; readonly requestId: string; readonly run: ControlDrillRun }
  | { readonly kind: "move"; readonly requestId: string; readonly move: ControlMove }
  | { readonly kind: "scale-out"; readonly requestId: string; readonly cell: ControlScaleOutCell };

export interface ControlApplyResult {
  readonly index: number;
  readonly duplicate: boolean;
  /** begin, duplicate: the recorded answer of the earlier request (null: it has not ended yet). */
  readonly response: ControlResponse | null;
  /** begin, duplicate: the method and path the id was first admitted for (a reused key names another call). */
  readonly call: string | null;
}

interface RequestRecord {
  readonly index: number;
  /** "METHOD /path" of a begin; null for other commands. */
  readonly call: string | null;
  response: ControlResponse | null;
}

export interface ControlSnapshot {
  readonly appliedIndex: number;
  readonly routing: ControlRouting | null;
  readonly audit: readonly AuditEntry[];
  readonly faults: readonly ControlFault[];
  readonly drills: readonly ControlDrillRun[];
  /** Absent from snapshots written before moves were recorded. */
  readonly moves?: readonly ControlMove[];
  /** Absent from snapshots written before the scale-out policy recorded its cells. */
  readonly scaleOutCells?: readonly ControlScaleOutCell[];
  readonly requests: readonly (readonly [string, number, string | null, ControlResponse | null])[];
}

export function isControlCommand(value: unknown): value is ControlCommand {
  if (typeof value !== "object" || value === null) return false;
  const { kind, requestId } = value as { kind?: unknown; requestId?: unknown };
  return (
    typeof requestId === "string" &&
    requestId.length > 0 &&
    (kind === "barrier" ||
      kind === "begin" ||
      kind === "end" ||
      kind === "audit" ||
      kind === "routing" ||
      kind === "fault" ||
      kind === "drill" ||
      kind === "move" ||
      kind === "scale-out")
  );
}

export class ControlStateMachine implements StateMachine {
  /** Invariant: versions only grow (a stale routing entry is ignored, never applied over a newer one). */
  private routingState: ControlRouting | null = null;
  /** Invariant: ids strictly increasing. */
  private auditEntries: AuditEntry[] = [];
  private readonly auditIds = new Set<number>();
  private readonly faultRecords = new Map<string, ControlFault>();
  private readonly drillRuns = new Map<string, ControlDrillRun>();
  private readonly moveRecords = new Map<string, ControlMove>();
  private readonly scaleOutRecords = new Map<string, ControlScaleOutCell>();
  /** `begin` ids: API calls, with their method and path and recorded answer. */
  private readonly requests = new Map<string, RequestRecord>();
  /** Every other command's id (no answer to replay), bounded separately. */
  private readonly commandIds = new Map<string, RequestRecord>();
  /** Invariant: entries are applied in index order, each once. */
  private appliedIndex = 0;

  apply(entry: { readonly index: number; readonly term: number; readonly data: unknown }): ControlApplyResult {
    assert(entry.index > this.appliedIndex, `control entry ${entry.index} applied after ${this.appliedIndex}`);
    this.appliedIndex = entry.index;
    const command = entry.data;
    // Raft's own entries (a leader's no-op) carry no command.
    if (!isControlCommand(command)) return { index: entry.index, duplicate: false, response: null, call: null };
    const seen = this.requests.get(command.requestId) ?? this.commandIds.get(command.requestId);
    if (seen !== undefined) return { index: entry.index, duplicate: true, response: seen.response, call: seen.call };
    this.remember(command.requestId, entry.index, command.kind === "begin" ? `${command.api.method} ${command.api.path}` : null);
    switch (command.kind) {
      case "barrier":
      case "begin":
        break;
      case "end": {
        const request = this.requests.get(command.of);
        if (request !== undefined && request.response === null) request.response = command.response;
        this.appendAudit(command.audit);
        if (command.routing !== null) this.setRouting(command.routing);
        break;
      }
      case "audit":
        this.appendAudit(command.entries);
        break;
      case "routing":
        this.setRouting(command.routing);
        break;
      case "fault":
        this.faultRecords.delete(command.fault.id);
        this.faultRecords.set(command.fault.id, command.fault);
        this.bound(this.faultRecords, (fault) => fault.state !== "active");
        break;
      case "drill":
        this.drillRuns.delete(command.run.id);
        this.drillRuns.set(command.run.id, command.run);
        this.bound(this.drillRuns, (run) => run.state !== "running");
        break;
      case "move": {
        const known = this.moveRecords.get(command.move.id);
        if (known !== undefined && known.seq >= command.move.seq) break;
        this.moveRecords.delete(command.move.id);
        this.moveRecords.set(command.move.id, command.move);
        this.bound(this.moveRecords, (move) => !controlMoveUnfinished(move));
        break;
      }
      case "scale-out": {
        if (this.scaleOutRecords.get(command.cell.cell)?.state === "removed") break;
        this.scaleOutRecords.delete(command.cell.cell);
        this.scaleOutRecords.set(command.cell.cell, command.cell);
        this.bound(this.scaleOutRecords, (record) => record.state === "removed");
        break;
      }
      default:
        assertNever(command);
    }
    return { index: entry.index, duplicate: false, response: null, call: null };
  }

  requestIdOf(data: unknown): string | null {
    return isControlCommand(data) ? data.requestId : null;
  }

  get routing(): ControlRouting | null {
    return this.routingState;
  }

  get applied(): number {
    return this.appliedIndex;
  }

  audit(): readonly AuditEntry[] {
    return this.auditEntries;
  }

  hasAudit(id: number): boolean {
    return this.auditIds.has(id);
  }

  faults(): readonly ControlFault[] {
    return [...this.faultRecords.values()];
  }

  drills(): readonly ControlDrillRun[] {
    return [...this.drillRuns.values()];
  }

  moves(): readonly ControlMove[] {
    return [...this.moveRecords.values()];
  }

  /** The scale-out policy's cells, added and removed (tombstones), oldest first. */
  scaleOutCells(): readonly ControlScaleOutCell[] {
    return [...this.scaleOutRecords.values()];
  }

  /** The recorded answer of a request, if it was admitted (null response: admitted, not ended). */
  request(requestId: string): { readonly index: number; readonly response: ControlResponse | null } | undefined {
    return this.requests.get(requestId);
  }

  snapshot(): ControlSnapshot {
    return {
      appliedIndex: this.appliedIndex,
      routing: this.routingState,
      audit: [...this.auditEntries],
      faults: this.faults(),
      drills: this.drills(),
      moves: this.moves(),
      ...(this.scaleOutRecords.size > 0 && { scaleOutCells: this.scaleOutCells() }),
      requests: [...this.requests, ...this.commandIds].map(([id, record]) => [id, record.index, record.call, record.response] as const),
    };
  }

  restore(snapshot: unknown): void {
    const state = snapshot as ControlSnapshot;
    this.appliedIndex = state.appliedIndex;
    this.routingState = state.routing;
    this.auditEntries = [...state.audit];
    this.auditIds.clear();
    for (const entry of this.auditEntries) this.auditIds.add(entry.id);
    this.faultRecords.clear();
    for (const fault of state.faults) this.faultRecords.set(fault.id, fault);
    this.drillRuns.clear();
    for (const run of state.drills) this.drillRuns.set(run.id, run);
    this.moveRecords.clear();
    for (const move of state.moves ?? []) this.moveRecords.set(move.id, move);
    this.scaleOutRecords.clear();
    for (const record of state.scaleOutCells ?? []) this.scaleOutRecords.set(record.cell, record);
    this.requests.clear();
    this.commandIds.clear();
    // A snapshot lists the calls, then the other ids, each oldest first (an older snapshot: one list
    // in applied order), so each bound gets its ids in applied order and forgets the same ones on every replica.
    for (const [id, index, call, response] of state.requests) this.remember(id, index, call, response);
  }

  private remember(requestId: string, index: number, call: string | null, response: ControlResponse | null = null): void {
    const [ids, max] = call === null ? [this.commandIds, controlCommandIdsRememberedMax] : [this.requests, controlRequestsRememberedMax];
    ids.set(requestId, { index, call, response });
    if (ids.size > max) ids.delete(ids.keys().next().value as string);
  }

  private appendAudit(entries: readonly AuditEntry[]): void {
    for (const entry of entries) {
      if (this.auditIds.has(entry.id)) continue;
      // Entries reach the log from more than one path (a request's end, the shipper); keep the log in id order.
      const last = this.auditEntries[this.auditEntries.length - 1];
      this.auditIds.add(entry.id);
      if (last === undefined || last.id < entry.id) this.auditEntries.push(entry);
      else {
        const at = this.auditEntries.findIndex((existing) => existing.id > entry.id);
        this.auditEntries.splice(at, 0, entry);
      }
    }
    while (this.auditEntries.length > controlAuditEntriesMax) {
      const dropped = this.auditEntries.shift() as AuditEntry;
      this.auditIds.delete(dropped.id);
    }
  }

  private setRouting(routing: ControlRouting): void {
    if (this.routingState !== null && routing.version <= this.routingState.version) return;
    this.routingState = routing;
  }

  private bound<T>(records: Map<string, T>, ended: (record: T) => boolean): void {
    if (records.size <= controlRecordsMax) return;
    for (const [id, record] of records) {
      if (records.size <= controlRecordsMax) return;
      if (ended(record)) records.delete(id);
    }
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected control command ${JSON.stringify(value)}`);
}
