// Every mutating API call passes this gate (docs/architecture.md "The control plane"):
//
//   admit:    commit `begin` (the request's id) through the control group. No quorum within the
//             deadline: refused (503 control-quorum) before anything ran, so nothing is half-done.
//             An id already admitted: the recorded answer is replayed, the call is not run again.
//   run:      the controller does what was asked.
//   complete: commit `end` (the answer, the audit entries written meanwhile and the routing it
//             left) as ONE entry; only then does the caller get the answer. An acknowledged call's
//             audit entries and routing version are therefore in the replicated log (RPO 0).
//
// Background changes (the reconciler, drills, fault leases) reach the log through the shipper,
// which commits unshipped audit entries and newer routing versions every `shipPeriodUs`.
import type { Clock, TimerHandle } from "../../ground/ports.js";
import type { AuditEntry } from "../../domain/records.js";
import type { ControlPlane } from "./plane.js";
import type { ControlCommand, ControlResponse, ControlRouting } from "./state-machine.js";
import type { ControlOutcome } from "./client.js";

export const CONTROL_SHIP_PERIOD_US = 50_000;
/** Audit entries waiting to be shipped; beyond it the oldest are dropped from the queue (and counted). */
export const controlUnshippedAuditMax = 10_000;
/** Audit entries per shipped command. */
export const controlShipAuditEntriesMax = 256;
/** Answers of calls that ran but could not be recorded, kept to replay to a retry (oldest forgotten first). */
export const controlUnrecordedMax = 1_024;
/** Ids of audit entries the control group acknowledged, kept for the drill's RPO check (oldest forgotten first). */
export const acknowledgedAuditIdsMax = 100_000;

export interface GateRequest {
  /** The caller's idempotency key (Idempotency-Key), or null: a fresh id is drawn. */
  readonly key: string | null;
  readonly method: string;
  readonly path: string;
  readonly actor: string;
  /** The region endpoint the caller chose, or null: the first that is up. */
  readonly via: string | null;
}

export type Admission =
  | { readonly kind: "go"; readonly key: string; readonly via: string }
  | { readonly kind: "replay"; readonly key: string; readonly via: string; readonly response: ControlResponse }
  | { readonly kind: "in-progress"; readonly key: string; readonly via: string }
  /** The key was first used for another call (`call`: its method and path): nothing run, nothing replayed. */
  | { readonly kind: "key-reused"; readonly key: string; readonly via: string; readonly call: string }
  | { readonly kind: "refused"; readonly error: string; readonly via: string | null };

export type Completion = { readonly ok: true } | { readonly ok: false; readonly error: string };

export interface ControlGateDependencies {
  readonly clock: Clock;
  readonly plane: ControlPlane;
  /** The controller's routing table now. */
  readonly routing: () => ControlRouting;
}

export class ControlGate {
  private unshipped: AuditEntry[] = [];
  private readonly acknowledged: number[] = [];
  /** Keys admitted here and not completed yet: a duplicate begin for one of them is a call still running. */
  private readonly running = new Set<string>();
  /** Keys that ran here but whose end could not be committed: their answer, replayed (and recorded again) on a retry. */
  private readonly unrecorded = new Map<string, ControlResponse>();
  private committedRoutingVersion = 0;
  private shipping = false;
  private timer: TimerHandle | null = null;
  /** Audit entries dropped from the unshipped queue (its bound reached while the group had no quorum). */
  droppedAuditEntries = 0;
  /** Commands committed per kind, for the metrics and tests. */
  readonly committed = { begin: 0, end: 0, ship: 0, refused: 0, replayed: 0 };

  constructor(private readonly dependencies: ControlGateDependencies) {}

  get plane(): ControlPlane {
    return this.dependencies.plane;
  }

  start(): void {
    if (this.timer !== null) return;
    const tick = (): void => {
      this.timer = this.dependencies.clock.setTimer(CONTROL_SHIP_PERIOD_US, tick);
      this.ship();
    };
    this.timer = this.dependencies.clock.setTimer(CONTROL_SHIP_PERIOD_US, tick);
  }

  stop(): void {
    if (this.timer !== null) this.dependencies.clock.cancelTimer(this.timer);
    this.timer = null;
  }

  /** The controller wrote an audit entry: it goes to the log with the next `end` or shipment. */
  noteAudit(entry: AuditEntry): void {
    this.unshipped.push(entry);
    if (this.unshipped.length > controlUnshippedAuditMax) {
      this.unshipped.shift();
      this.droppedAuditEntries++;
    }
  }

  admit(request: GateRequest, callback: (admission: Admission) => void): void {
    const plane = this.dependencies.plane;
    const key = request.key === null ? plane.nextRequestId("api") : `key:${request.key}`;
    const api = { method: request.method, path: request.path, actor: request.actor, via: request.via ?? "" };
    plane.commit({ kind: "begin", requestId: key, api }, request.via, (outcome) => {
      const via = outcome.via ?? request.via ?? "";
      if (!outcome.ok) {
        this.committed.refused++;
        callback({ kind: "refused", error: `the control plane has no quorum: ${outcome.error}`, via: outcome.via });
        return;
      }
      if (!outcome.result.duplicate) {
        this.committed.begin++;
        this.running.add(key);
        callback({ kind: "go", key, via });
        return;
      }
      const call = outcome.result.call;
      if (call !== null && call !== `${api.method} ${api.path}`) {
        callback({ kind: "key-reused", key, via, call });
        return;
      }
      const response = outcome.result.response;
      if (response === null) {
        const answered = this.unrecorded.get(key);
        if (answered !== undefined) {
          this.committed.replayed++;
          this.complete({ key, via }, answered, () => {});
          callback({ kind: "replay", key, via, response: answered });
          return;
        }
        if (this.running.has(key)) {
          callback({ kind: "in-progress", key, via });
          return;
        }
        // Admitted by an earlier attempt whose answer never came back (it committed after that
        // caller gave up): nothing ran for it, so this attempt runs it, once.
        this.running.add(key);
        callback({ kind: "go", key, via });
        return;
      }
      this.committed.replayed++;
      callback({ kind: "replay", key, via, response });
    });
  }

  /** The admitted request ran and answered `response`: commit its end before the caller sees it. */
  complete(
    admission: { readonly key: string; readonly via: string },
    response: ControlResponse,
    callback: (completion: Completion) => void,
  ): void {
    const audit = this.unshipped.slice(0, controlShipAuditEntriesMax);
    const routing = this.dependencies.routing();
    const end: ControlCommand = { kind: "end", requestId: `${admission.key}:end`, of: admission.key, response, audit, routing };
    const plane = this.dependencies.plane;
    const recorded = (outcome: ControlOutcome): void => {
      this.running.delete(admission.key);
      if (!outcome.ok) {
        this.unrecorded.set(admission.key, response);
        if (this.unrecorded.size > controlUnrecordedMax) this.unrecorded.delete(this.unrecorded.keys().next().value as string);
        callback({ ok: false, error: `the control plane lost its quorum before the answer was recorded: ${outcome.error}` });
        return;
      }
      this.unrecorded.delete(admission.key);
      this.committed.end++;
      this.shipped(audit, routing.version);
      callback({ ok: true });
    };
    // The call itself may take down the endpoint it came through (a region outage of that region):
    // then the end goes through the first region that answers, under the same request id.
    plane.commit(end, admission.via, recorded, undefined, true);
  }

  /** Commits what the controller changed outside API calls; one command in flight at a time. */
  ship(): void {
    if (this.shipping) return;
    const routing = this.dependencies.routing();
    const audit = this.unshipped.slice(0, controlShipAuditEntriesMax);
    if (audit.length === 0 && routing.version <= this.committedRoutingVersion) return;
    this.shipping = true;
    const plane = this.dependencies.plane;
    const command =
      audit.length > 0
        ? { kind: "audit" as const, requestId: plane.nextRequestId("ship"), entries: audit }
        : { kind: "routing" as const, requestId: plane.nextRequestId("ship"), routing };
    plane.commit(
      command,
      null,
      (outcome) => {
        this.shipping = false;
        if (!outcome.ok) return;
        this.committed.ship++;
        this.shipped(audit, command.kind === "routing" ? routing.version : this.committedRoutingVersion);
      },
      CONTROL_SHIP_PERIOD_US * 20,
    );
  }

  /** Audit entries the controller wrote that are not yet in the control log (the next `end` or shipment carries them). */
  get unshippedAuditEntries(): number {
    return this.unshipped.length;
  }

  /** Audit ids whose commit the control group acknowledged (an API answer or a shipment), oldest first. */
  acknowledgedAuditIds(): readonly number[] {
    return this.acknowledged;
  }

  private shipped(audit: readonly AuditEntry[], routingVersion: number): void {
    for (const entry of audit) this.acknowledged.push(entry.id);
    if (this.acknowledged.length > acknowledgedAuditIdsMax) this.acknowledged.splice(0, this.acknowledged.length - acknowledgedAuditIdsMax);
    if (audit.length > 0) {
      const ids = new Set(audit.map((entry) => entry.id));
      this.unshipped = this.unshipped.filter((entry) => !ids.has(entry.id));
    }
    this.committedRoutingVersion = Math.max(this.committedRoutingVersion, routingVersion);
  }
}
