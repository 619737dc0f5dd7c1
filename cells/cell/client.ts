// The client side of a cell: finds the leader, follows NotLeader hints, retries with the SAME
// request id (the ledger's idempotency table makes a retried transfer apply at most once) and
// gives up at a deadline with TIMEOUT, whose outcome is unknown (Jepsen's `info`).
//
// Commands travel in batches (one request, one Raft entry, one chain link: docs/cells.md). The
// client coalesces concurrent commands for the same cell: a command goes out at once while fewer
// than `eagerInflightMax` of this client's batches to its cell are unanswered (so a lone command
// at low load waits for nothing); otherwise it waits for batch-mates until an answer frees a
// slot, the batch is full (`commandsMax`, `bytesMax`) or `waitUs` has passed. A retried batch
// keeps its request id and bytes; each command keeps its own id, so a command whose first
// attempt is in a batch that a deposed leader may or may not have committed is applied at most
// once and its retry learns the first outcome.

import type { Clock, Random, TimerHandle, Transport } from "../../ground/ports.js";
import { parseBatch, parseCommand, type BatchCommand } from "../ledger/commands.js";
import { BATCH_COMMANDS_MAX, batchOverheadBytesMax, commandEncodedBytesMax, encodeBatch } from "../ledger/codec.js";
import type { LedgerBatchOutcome, ShardRoutingReason } from "../ledger/outcome.js";
import type { ShardMoveCommand } from "../ledger/shard-move.js";

function isRoutingReason(reason: string): reason is ShardRoutingReason {
  return reason === "MOVED" || reason === "MOVE_PENDING" || reason === "CROSS_CELL";
}
import type { ClientError, ClientMessage, ClientRequest, ClientRequestKind, ClientResponse } from "./protocol.js";

/** How a client coalesces commands into batches (the world config's `batching` section). */
export interface BatchingOptions {
  /** Longest a command waits for batch-mates, µs; 0 turns coalescing off (one command per batch). */
  readonly waitUs: number;
  /** Commands per coalesced batch (at most BATCH_COMMANDS_MAX). */
  readonly commandsMax: number;
  /** Encoded bytes per coalesced batch (bounded well below Raft's batchBytesMax and a TCP frame). */
  readonly bytesMax: number;
  /** A batch goes out at once while fewer than this many of this client's batches to the cell are unanswered. */
  readonly eagerInflightMax: number;
}

export const defaultBatching: BatchingOptions = { waitUs: 1_000, commandsMax: 512, bytesMax: 64 * 1024, eagerInflightMax: 1 };

/**
 * Load-adaptive wait: with `unanswered` batches to the cell in flight the wait is waitUs times
 * min(unanswered, this). At low load a command goes at once or waits waitUs behind one batch
 * (unchanged); a pipeline that holds several batches is a sign of load, where a longer wait makes
 * fewer, larger batches (the per-batch costs: a Raft entry, a chain link, a WAL record) instead of
 * more batches in flight. Bounded: at most this times waitUs (docs/BENCHMARKS.md, session 6).
 */
export const BATCH_WAIT_GROWTH_MAX = 4;

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
  /** Command coalescing (defaultBatching when absent). */
  readonly batching?: BatchingOptions;
}

export interface CellClientDependencies {
  readonly clock: Clock;
  readonly random: Random;
  readonly transport: Transport<ClientMessage | unknown>;
}

export type CellOutcome =
  | {
      readonly ok: true;
      readonly result: unknown;
      readonly replica: string;
      /** The cell that answered: another than the one asked when the command followed its moved range. */
      readonly cell?: string;
    }
  | { readonly ok: false; readonly error: ClientError };

/** A user's command waiting in, or travelling with, a batch. */
interface Member {
  readonly requestId: string;
  readonly command: BatchCommand;
  readonly callback: (outcome: CellOutcome) => void;
  /** Set once the command is redirected (its range moved): the deadline it keeps across cells, and the redirects so far. */
  deadlineUs?: number;
  hops?: number;
}

/** Redirects one command follows (MOVED to the new owner, MOVE_PENDING waits) before it gives up as TIMEOUT. */
export const REDIRECT_HOPS_MAX = 64;

/** Commands of one cell waiting to be sent together. */
interface OpenBatch {
  readonly members: Member[];
  bytes: number;
  timer: TimerHandle | null;
}

interface Pending {
  readonly cell: string;
  readonly request: ClientRequest;
  readonly sizeBytes: number;
  /** Requests of users this carries (a batch's members, or 1). */
  readonly users: number;
  /** Counted in the cell's unanswered batches (a coalesced batch, or a caller's own). */
  readonly batch: boolean;
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
  /** In flight on the wire, by the request id the replicas see. */
  private readonly pending = new Map<string, Pending>();
  /** Users' request ids in flight (queued, or carried by a pending request). */
  private readonly userRequestIds = new Set<string>();
  private readonly open = new Map<string, OpenBatch>();
  private readonly unansweredBatches = new Map<string, number>();
  private readonly timeoutCheckUs: number;
  private readonly batching: BatchingOptions;
  /** Distinguishes this client's batch ids from those of an earlier incarnation on the same host. */
  private readonly batchNonce: string;
  private batchSequence = 0;
  private sweepTimer: TimerHandle | null = null;
  /** Batches sent (first attempts) and the commands they carried: the mean batch size. */
  batchesSent = 0;
  commandsSent = 0;
  /** Commands re-sent because their range moved (MOVED followed, MOVE_PENDING retried). */
  redirects = 0;

  constructor(
    private readonly options: CellClientOptions,
    private readonly dependencies: CellClientDependencies,
  ) {
    this.timeoutCheckUs = Math.max(1, Math.round(options.timeoutCheckUs ?? options.attemptTimeoutUs / 10));
    this.batching = options.batching ?? defaultBatching;
    if (
      !Number.isSafeInteger(this.batching.commandsMax) ||
      this.batching.commandsMax < 1 ||
      this.batching.commandsMax > BATCH_COMMANDS_MAX
    ) {
      throw new RangeError(`batching.commandsMax: expected an integer in [1, ${BATCH_COMMANDS_MAX}], got ${this.batching.commandsMax}`);
    }
    this.batchNonce = dependencies.random.fork("batch-nonce").nextUint32().toString(36);
    dependencies.transport.onMessage((_source, message) => {
      if (typeof message === "object" && message !== null && (message as { type?: unknown }).type === "client-response") {
        this.onResponse(message as ClientResponse);
      }
    });
  }

  /** Users' requests in flight (waiting for batch-mates or on the wire). */
  get inflight(): number {
    return this.userRequestIds.size;
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

  /**
   * A user's request: a ledger command (coalesced with others for the same cell), a read, or a
   * batch `{linked?, commands}` of the caller's own (sent as it is; the result is a
   * LedgerBatchOutcome, an outcome per command).
   */
  /**
   * `callback` once the request's id is free again. Returned unnamed: under tsx (esbuild keepNames)
   * a named closure pays a defineProperty per request (docs/BENCHMARKS.md, "Swarm throughput").
   */
  private releasing(requestId: string, callback: (outcome: CellOutcome) => void): (outcome: CellOutcome) => void {
    return (outcome) => {
      this.userRequestIds.delete(requestId);
      callback(outcome);
    };
  }

  submit(cell: string, requestId: string, kind: ClientRequestKind, payload: unknown, callback: (outcome: CellOutcome) => void): void {
    const replicas = this.options.cells.get(cell);
    if (replicas === undefined || replicas.length === 0) {
      callback({ ok: false, error: { code: "INVALID", message: `unknown cell ${cell}` } });
      return;
    }
    if (this.userRequestIds.has(requestId)) {
      callback({ ok: false, error: { code: "INVALID", message: `request ${requestId} already in flight` } });
      return;
    }
    if (this.userRequestIds.size >= this.options.inflightRequestsMax) {
      callback({ ok: false, error: { code: "OVERLOADED", message: `client inflightRequestsMax=${this.options.inflightRequestsMax}` } });
      return;
    }
    const done = this.releasing(requestId, callback);
    if (kind === "batch") {
      const parsed = parseBatch(payload, BATCH_COMMANDS_MAX, "payload");
      if (!parsed.ok) {
        callback({ ok: false, error: { code: "INVALID", message: `${parsed.error.field}: expected ${parsed.error.expected}` } });
        return;
      }
      this.userRequestIds.add(requestId);
      this.sendBatch(cell, parsed.commands, parsed.linked, 1, done);
      return;
    }
    this.userRequestIds.add(requestId);
    if (kind === "read") {
      this.send(cell, { type: "client-request", requestId, kind, payload, replyTo: this.dependencies.transport.self }, 96, 1, false, done);
      return;
    }
    const parsed = parseCommand(payload);
    if (!parsed.ok) {
      // The leader answers a malformed command as the ledger would (MALFORMED_COMMAND, naming the field).
      this.send(
        cell,
        { type: "client-request", requestId, kind: "command", payload, replyTo: this.dependencies.transport.self },
        96,
        1,
        false,
        done,
      );
      return;
    }
    const command = parsed.command;
    if (command.type === "TransferOut" && !this.options.cells.has(command.toCell)) {
      // Refused before the debit: a record for a cell that does not exist could never be delivered.
      done({
        ok: false,
        error: { code: "INVALID", message: `payload.toCell: expected a known cell, got ${JSON.stringify(command.toCell)}` },
      });
      return;
    }
    this.enqueue(cell, { requestId, command, callback: done });
  }

  private enqueue(cell: string, member: Member): void {
    const batching = this.batching;
    const bytes = commandEncodedBytesMax(member.command);
    let open = this.open.get(cell);
    if (open !== undefined && open.bytes + bytes > batching.bytesMax) {
      this.flush(cell);
      open = undefined;
    }
    if (open === undefined) {
      open = {
        members: [],
        bytes: batchOverheadBytesMax(`${this.dependencies.transport.self}~${this.batchNonce}.${this.batchSequence + 1}`),
        timer: null,
      };
      this.open.set(cell, open);
    }
    open.members.push(member);
    open.bytes += bytes;
    if (
      batching.waitUs <= 0 ||
      open.members.length >= batching.commandsMax ||
      (this.unansweredBatches.get(cell) ?? 0) < batching.eagerInflightMax
    ) {
      this.flush(cell);
      return;
    }
    const unanswered = this.unansweredBatches.get(cell) ?? 0;
    open.timer ??= this.dependencies.clock.setTimer(batching.waitUs * Math.min(Math.max(1, unanswered), BATCH_WAIT_GROWTH_MAX), () => {
      open.timer = null;
      if (this.open.get(cell) === open) this.flush(cell);
    });
  }

  /** Sends the cell's waiting commands as one batch. */
  private flush(cell: string): void {
    const open = this.open.get(cell);
    if (open === undefined) return;
    this.open.delete(cell);
    if (open.timer !== null) this.dependencies.clock.cancelTimer(open.timer);
    open.timer = null;
    const members = open.members;
    this.sendBatch(
      cell,
      members.map((member) => member.command),
      false,
      members.length,
      (outcome) => {
        if (!outcome.ok) {
          for (const member of members) member.callback(outcome);
          return;
        }
        const outcomes = (outcome.result as LedgerBatchOutcome | undefined)?.outcomes;
        for (let i = 0; i < members.length; i++) {
          const one = outcomes?.[i];
          const member = members[i] as Member;
          if (one !== undefined && one.outcome === "rejected" && isRoutingReason(one.reason)) {
            this.follow(cell, member, one.reason, one.owner);
            continue;
          }
          // An answer that does not match the batch tells nothing about this command: unknown.
          member.callback(
            one === undefined
              ? { ok: false, error: { code: "TIMEOUT", message: "batch answer without this command's outcome" } }
              : { ok: true, result: one, replica: outcome.replica, cell },
          );
        }
      },
    );
  }

  /**
   * A command whose range is moving (cells/ledger/shard-move.ts): MOVED goes to the owner the
   * answer names (a stale route answered with the new owner), MOVE_PENDING waits a backoff and
   * asks again, CROSS_CELL ends it (its accounts are now in two cells; not applied by this cell,
   * reported as CROSS_CELL). The command keeps its id, so it is applied at most once wherever it
   * lands; it keeps its first deadline too.
   */
  private follow(cell: string, member: Member, reason: ShardRoutingReason, owner: string | undefined): void {
    const now = this.dependencies.clock.nowUs();
    member.deadlineUs ??= now + this.options.requestTimeoutUs;
    member.hops = (member.hops ?? 0) + 1;
    if (reason === "CROSS_CELL") {
      member.callback({
        ok: false,
        error: { code: "CROSS_CELL", message: `its accounts are now in ${cell} and ${owner ?? "another cell"}` },
      });
      return;
    }
    const target = reason === "MOVED" && owner !== undefined && this.options.cells.has(owner) ? owner : cell;
    if (member.hops > REDIRECT_HOPS_MAX || now >= member.deadlineUs) {
      member.callback({ ok: false, error: { code: "TIMEOUT", message: `still moving after ${member.hops} redirects` } });
      return;
    }
    this.redirects++;
    if (target !== cell) {
      this.enqueue(target, member);
      return;
    }
    this.dependencies.clock.setTimer(this.options.retryBackoffUs, () => {
      if (this.dependencies.clock.nowUs() >= (member.deadlineUs as number))
        member.callback({ ok: false, error: { code: "TIMEOUT", message: `range still moving at its deadline` } });
      else this.enqueue(target, member);
    });
  }

  /** A step of a shard move (the controller's), sent alone as a batch of one; the callback gets the step's outcome. */
  submitShardMove(cell: string, command: ShardMoveCommand, callback: (outcome: CellOutcome) => void): void {
    if (!this.options.cells.has(cell)) {
      callback({ ok: false, error: { code: "INVALID", message: `unknown cell ${cell}` } });
      return;
    }
    this.sendBatch(cell, [command], false, 1, (outcome) => {
      if (!outcome.ok) {
        callback(outcome);
        return;
      }
      const one = (outcome.result as LedgerBatchOutcome | undefined)?.outcomes[0];
      callback(
        one === undefined
          ? { ok: false, error: { code: "TIMEOUT", message: "batch answer without the move's outcome" } }
          : { ok: true, result: one, replica: outcome.replica, cell },
      );
    });
  }

  private sendBatch(
    cell: string,
    commands: readonly BatchCommand[],
    linked: boolean,
    users: number,
    callback: (outcome: CellOutcome) => void,
  ): void {
    const requestId = `${this.dependencies.transport.self}~${this.batchNonce}.${++this.batchSequence}`;
    const payload = encodeBatch({ requestId, linked, commands });
    this.batchesSent++;
    this.commandsSent += commands.length;
    this.unansweredBatches.set(cell, (this.unansweredBatches.get(cell) ?? 0) + 1);
    this.send(
      cell,
      { type: "client-request", requestId, kind: "batch", payload, replyTo: this.dependencies.transport.self },
      64 + payload.length,
      users,
      true,
      callback,
    );
  }

  private send(
    cell: string,
    request: ClientRequest,
    sizeBytes: number,
    users: number,
    batch: boolean,
    callback: (outcome: CellOutcome) => void,
  ): void {
    const replicas = this.options.cells.get(cell) ?? [];
    const target = this.leaders.get(cell) ?? replicas[0] ?? "";
    const entry: Pending = {
      cell,
      request,
      sizeBytes,
      users,
      batch,
      callback,
      deadlineUs: this.dependencies.clock.nowUs() + this.options.requestTimeoutUs,
      target,
      attempts: 0,
      attemptDeadlineUs: 0,
      timer: null,
    };
    this.pending.set(request.requestId, entry);
    this.attempt(entry, target);
  }

  private attempt(entry: Pending, target: string): void {
    const now = this.dependencies.clock.nowUs();
    const remainingUs = entry.deadlineUs - now;
    if (!this.options.cells.has(entry.cell)) {
      // The cell was removed (elastic cells: only ever an empty one) while this was in flight: unknown.
      this.finish(entry, { ok: false, error: { code: "TIMEOUT", message: `cell ${entry.cell} was removed` } });
      return;
    }
    if (remainingUs <= 0) {
      this.finish(entry, { ok: false, error: { code: "TIMEOUT", message: `no answer after ${entry.attempts} attempts` } });
      return;
    }
    entry.target = target;
    entry.attempts++;
    this.dependencies.transport.send(target, entry.request, entry.sizeBytes);
    entry.attemptDeadlineUs = now + Math.min(this.options.attemptTimeoutUs, remainingUs);
    this.armSweep();
  }

  /** The periodic deadline check runs while anything is in flight. */
  private armSweep(): void {
    if (this.sweepTimer === null && this.pending.size > 0)
      this.sweepTimer = this.dependencies.clock.setTimer(this.timeoutCheckUs, () => this.sweep());
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
      this.finish(entry, { ok: true, result: response.result, replica: response.from, cell: entry.cell });
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
    if (
      error.code === "NOT_LEADER" &&
      error.leaderHint &&
      error.leaderHint !== response.from &&
      this.isReplicaOf(entry.cell, error.leaderHint)
    ) {
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
    for (const [cell, open] of [...this.open]) {
      this.open.delete(cell);
      if (open.timer !== null) this.dependencies.clock.cancelTimer(open.timer);
      for (const member of open.members) member.callback({ ok: false, error: { code: "TIMEOUT", message: reason } });
    }
    for (const entry of [...this.pending.values()]) this.finish(entry, { ok: false, error: { code: "TIMEOUT", message: reason } });
    if (this.sweepTimer !== null) this.dependencies.clock.cancelTimer(this.sweepTimer);
    this.sweepTimer = null;
  }

  private finish(entry: Pending, outcome: CellOutcome): void {
    this.clearTimer(entry);
    this.pending.delete(entry.request.requestId);
    entry.callback(outcome);
    if (!entry.batch) return;
    const unanswered = (this.unansweredBatches.get(entry.cell) ?? 1) - 1;
    if (unanswered > 0) this.unansweredBatches.set(entry.cell, unanswered);
    else this.unansweredBatches.delete(entry.cell);
    // A slot is free: commands waiting for batch-mates go now rather than at their timer.
    if (unanswered < this.batching.eagerInflightMax) this.flush(entry.cell);
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
    const replicas = this.options.cells.get(cell);
    if (replicas === undefined) return after; // removed: attempt() ends the request

    const index = replicas.indexOf(after);
    if (index < 0) return this.dependencies.random.pick(replicas);
    return replicas[(index + 1) % replicas.length] as string;
  }
}
