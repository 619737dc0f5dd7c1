// The client side of a cell: finds the leader, follows NotLeader hints, retries with the SAME
// request id (the ledger's idempotency table makes a retried transfer apply at most once) and
// gives up at a deadline with TIMEOUT, whose outcome is unknown (Jepsen's `info`).

import type { Clock, Random, TimerHandle, Transport } from "../../ground/ports.js";
import type { ClientError, ClientMessage, ClientRequest, ClientResponse } from "./protocol.js";

export interface CellClientOptions {
  /** Replica ids of every cell this client talks to. */
  readonly cells: ReadonlyMap<string, readonly string[]>;
  /** Per-attempt wait before trying another replica. */
  readonly attemptTimeoutUs: number;
  /** Total time a request may take before it is reported as TIMEOUT. */
  readonly requestTimeoutUs: number;
  /** Bound on requests in flight (each holds a callback until answered or timed out). */
  readonly inflightRequestsMax: number;
  /** Pause before retrying after DROPPED / UNAVAILABLE / NOT_LEADER without a hint. */
  readonly retryBackoffUs: number;
  /**
   * How often in-flight attempts are checked against their deadlines (default: a tenth of
   * `attemptTimeoutUs`, so an attempt times out within 10 % of its nominal wait). One periodic
   * check per client instead of a timer per request keeps the scheduler's heap small under load.
   */
  readonly timeoutCheckUs?: number;
}

export interface CellClientDependencies {
  readonly clock: Clock;
  readonly random: Random;
  readonly transport: Transport<ClientMessage | unknown>;
}

export type CellOutcome = { readonly ok: true; readonly result: unknown; readonly replica: string } | { readonly ok: false; readonly error: ClientError };

interface Pending {
  readonly cell: string;
  readonly request: ClientRequest;
  readonly callback: (outcome: CellOutcome) => void;
  readonly deadlineUs: number;
  target: string;
  attempts: number;
  /** When the current attempt is given up on (checked by the periodic sweep). */
  attemptDeadlineUs: number;
  /** A retry backoff in progress (rare: errors only); no attempt is outstanding meanwhile. */
  timer: TimerHandle | null;
}

export class CellClient {
  private readonly leaders = new Map<string, string>();
  private readonly pending = new Map<string, Pending>();
  private readonly timeoutCheckUs: number;
  private sweepTimer: TimerHandle | null = null;

  constructor(
    private readonly options: CellClientOptions,
    private readonly dependencies: CellClientDependencies,
  ) {
    this.timeoutCheckUs = Math.max(1, Math.round(options.timeoutCheckUs ?? options.attemptTimeoutUs / 10));
    dependencies.transport.onMessage((_source, message) => {
      if (typeof message === "object" && message !== null && (message as { type?: unknown }).type === "client-response") {
        this.onResponse(message as ClientResponse);
      }
    });
  }

  get inflight(): number {
    return this.pending.size;
  }

  /** The replica this client currently believes leads `cell` (null when unknown). */
  leaderOf(cell: string): string | null {
    return this.leaders.get(cell) ?? null;
  }

  /** Forgets cached leaders (e.g. after a routing change). */
  setLeaderHint(cell: string, replica: string | null): void {
    if (replica === null) this.leaders.delete(cell);
    else this.leaders.set(cell, replica);
  }

  submit(cell: string, requestId: string, kind: "command" | "read", payload: unknown, callback: (outcome: CellOutcome) => void): void {
    const replicas = this.options.cells.get(cell);
    if (replicas === undefined || replicas.length === 0) {
      callback({ ok: false, error: { code: "INVALID", message: `unknown cell ${cell}` } });
      return;
    }
    if (this.pending.has(requestId)) {
      callback({ ok: false, error: { code: "INVALID", message: `request ${requestId} already in flight` } });
      return;
    }
    if (this.pending.size >= this.options.inflightRequestsMax) {
      callback({ ok: false, error: { code: "OVERLOADED", message: `client inflightRequestsMax=${this.options.inflightRequestsMax}` } });
      return;
    }
    const request: ClientRequest = { type: "client-request", requestId, kind, payload, replyTo: this.dependencies.transport.self };
    const target = this.leaders.get(cell) ?? (replicas[0] as string);
    const entry: Pending = {
      cell,
      request,
      callback,
      deadlineUs: this.dependencies.clock.nowUs() + this.options.requestTimeoutUs,
      target,
      attempts: 0,
      attemptDeadlineUs: 0,
      timer: null,
    };
    this.pending.set(requestId, entry);
    this.attempt(entry, target);
  }

  private attempt(entry: Pending, target: string): void {
    const now = this.dependencies.clock.nowUs();
    const remainingUs = entry.deadlineUs - now;
    if (remainingUs <= 0) {
      this.finish(entry, { ok: false, error: { code: "TIMEOUT", message: `no answer after ${entry.attempts} attempts` } });
      return;
    }
    entry.target = target;
    entry.attempts++;
    this.dependencies.transport.send(target, entry.request, 96);
    entry.attemptDeadlineUs = now + Math.min(this.options.attemptTimeoutUs, remainingUs);
    this.armSweep();
  }

  /** The periodic deadline check runs while anything is in flight. */
  private armSweep(): void {
    if (this.sweepTimer === null && this.pending.size > 0) this.sweepTimer = this.dependencies.clock.setTimer(this.timeoutCheckUs, () => this.sweep());
  }

  /** Gives up on attempts past their deadline. */
  private sweep(): void {
    this.sweepTimer = null;
    const now = this.dependencies.clock.nowUs();
    for (const entry of this.pending.values()) {
      if (entry.timer !== null || entry.attemptDeadlineUs > now) continue;
      // No answer from the target: it may be dead or partitioned; forget it as leader and move on.
      const target = entry.target;
      if (this.leaders.get(entry.cell) === target) this.leaders.delete(entry.cell);
      this.attempt(entry, this.nextReplica(entry.cell, target));
    }
    this.armSweep();
  }

  private onResponse(response: ClientResponse): void {
    const entry = this.pending.get(response.requestId);
    if (entry === undefined) return; // late or duplicated answer to a finished request
    if (response.ok) {
      this.leaders.set(entry.cell, response.from);
      this.finish(entry, { ok: true, result: response.result, replica: response.from });
      return;
    }
    const error = response.error ?? { code: "UNAVAILABLE" as const };
    if (error.code === "INVALID" || error.code === "OVERLOADED") {
      this.finish(entry, { ok: false, error });
      return;
    }
    // A stale answer from a replica we already moved away from must not steer us back.
    if (response.from !== entry.target) return;
    this.clearTimer(entry);
    let next: string;
    let delayUs = 0;
    if (error.code === "NOT_LEADER" && error.leaderHint && error.leaderHint !== response.from && this.isReplicaOf(entry.cell, error.leaderHint)) {
      this.leaders.set(entry.cell, error.leaderHint);
      next = error.leaderHint;
    } else {
      if (this.leaders.get(entry.cell) === response.from) this.leaders.delete(entry.cell);
      next = error.code === "DROPPED" ? response.from : this.nextReplica(entry.cell, response.from);
      delayUs = this.options.retryBackoffUs;
    }
    if (delayUs === 0) {
      this.attempt(entry, next);
      return;
    }
    entry.timer = this.dependencies.clock.setTimer(delayUs, () => {
      entry.timer = null;
      this.attempt(entry, next);
    });
  }

  /**
   * The client process is gone (crashed): every request it carried ends with an unknown outcome.
   * Called by the runtime at the crash, since the client's own timers died with it.
   */
  abandonAll(reason: string): void {
    for (const entry of [...this.pending.values()]) this.finish(entry, { ok: false, error: { code: "TIMEOUT", message: reason } });
    if (this.sweepTimer !== null) this.dependencies.clock.cancelTimer(this.sweepTimer);
    this.sweepTimer = null;
  }

  private finish(entry: Pending, outcome: CellOutcome): void {
    this.clearTimer(entry);
    this.pending.delete(entry.request.requestId);
    entry.callback(outcome);
  }

  private clearTimer(entry: Pending): void {
    if (entry.timer !== null) {
      this.dependencies.clock.cancelTimer(entry.timer);
      entry.timer = null;
    }
  }

  private isReplicaOf(cell: string, replica: string): boolean {
    return (this.options.cells.get(cell) ?? []).includes(replica);
  }

  /** Round-robin from `after`, with a random start when `after` is unknown. */
  private nextReplica(cell: string, after: string): string {
    const replicas = this.options.cells.get(cell) as readonly string[];
    const index = replicas.indexOf(after);
    if (index < 0) return this.dependencies.random.pick(replicas);
    return replicas[(index + 1) % replicas.length] as string;
  }
}
