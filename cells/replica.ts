// A Raft replica: drives a RaftNode with the injected Clock, Transport and Disk, and feeds
// committed entries to a state machine. Each Ready is handled in etcd's order: persist (WAL
// append + fsync), then send, then apply, then advance. One Ready at a time; messages stepped
// in meanwhile wait for the next one, which is also where proposals batch up.
//
// Failure policy (etcd panics on a storage error; we crash-stop): a failed append/fsync or
// ENOSPC marks the replica `failed` and it stops ticking, sending, voting and answering
// (operator action: restart it). A snapshot or WAL that fails its checksums in a way that is not
// a torn tail does not stop it (protocol-aware recovery, cells/storage/recovery.ts): it starts
// `repairing` with the part of its log it can trust, follows the leader without voting or
// counting for commits until it holds again everything it may have acknowledged, makes that
// durable, and is `running` again. Only when no replica of the group holds a committed entry it
// lost does it stop `corrupted` with COMMITTED_ENTRY_LOST (cells/raft/raft.ts), and the group,
// lacking those votes, refuses to elect a leader that would overwrite the loss.

import { assert, assertContiguous } from "../ground/assert.js";
import type { Clock, Disk, Log, Random, TimerHandle, Transport } from "../ground/ports.js";
import { RaftNode, type ProposeResult, type RaftStatus, type ReadIndexResult, type TransferResult } from "./raft/raft.js";
import type { RaftOptionsInput } from "./raft/options.js";
import type { Entry, HardState, Message, NodeId, Ready, Snapshot } from "./raft/types.js";
import { EMPTY_HARD_STATE, logIndex, nodeId } from "./raft/types.js";
import { RaftStorage, type StorageFailure } from "./storage/storage.js";
import { entrySizeBytes } from "./raft/log.js";
import { jsonSize } from "./encoded-json.js";
import { bugOn, type InjectedBugs } from "./bugs.js";

/** A snapshot being built a step at a time: the state as of entry `index` (ledger/state-machine.ts). */
export interface SnapshotTask {
  readonly index: number;
  /** Does up to `units` more work; true once the snapshot is complete. */
  step(units: number): boolean;
  result(): unknown;
}

/** A snapshot on its way: being built (snapshot null) or built and its file durable. */
interface Snapshotting {
  readonly task: SnapshotTask;
  snapshot: Snapshot | null;
}

export interface StateMachine {
  /** `answer` false: nobody here waits for this entry's result, which may be left unbuilt. */
  apply(entry: { readonly index: number; readonly term: number; readonly data: unknown }, answer?: boolean): unknown;
  /** The request id in an entry's data (default: a `requestId` string property of an object). */
  requestIdOf?(data: unknown): string | null;
  snapshot(): unknown;
  /**
   * A state machine whose state is large builds its snapshot in steps while it goes on applying
   * (a snapshot that stalls the replica for its whole encoding stalls commits with it).
   */
  beginSnapshot?(): SnapshotTask;
  restore(snapshot: unknown): void;
  /** A state machine that keeps its own durable state reports how far it got; earlier entries are not re-applied. */
  lastApplied?(): number;
}

/** Raft tunables as the world config spells them (domain/config.ts `raft`). */
export interface ReplicaRaftConfig {
  readonly tickUs: number;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly batchEntriesMax?: number;
  readonly batchBytesMax?: number;
  readonly inflightAppendsMax?: number;
  /** Snapshot and compact the log every this many applied entries. */
  readonly snapshotEntries?: number;
  /** A large snapshot is built this many units (ledger: idempotency entries) per step. */
  readonly snapshotStepUnits?: number;
  /**
   * Time between snapshot steps; absent: the next step runs as soon as waiting I/O has been
   * served (Clock.defer), or at once in virtual time. Tests set it so snapshots span faults.
   */
  readonly snapshotStepDelayUs?: number;
  readonly preVote?: boolean;
  readonly checkQuorum?: boolean;
  /** Priority elections: voters in the order they stand for election (cells/raft/options.ts). */
  readonly electionOrder?: readonly string[];
}

export interface ReplicaOptions {
  readonly id: string;
  readonly voters: readonly string[];
  readonly raft: ReplicaRaftConfig;
  /** Submissions and reads not answered within this time get TIMEOUT (outcome unknown). */
  readonly requestTimeoutUs?: number;
  /** Bound on submissions and reads waiting for an answer; beyond it they are refused. */
  readonly pendingRequestsMax?: number;
  readonly walFile?: string;
  readonly snapshotFile?: string;
  /**
   * BUG INJECTION for the harness's own tests only: serve reads from local state without
   * ReadIndex, so a deposed leader answers stale reads. Never set outside tests.
   */
  readonly unsafeLocalReads?: boolean;
  /**
   * BUG INJECTION for the harness's own tests only (cells/bugs.ts): the deliberate bugs of this
   * replica, its Raft core, its storage and its ledger. Absent in every normal run.
   */
  readonly bugs?: InjectedBugs;
}

export interface ReplicaDependencies {
  readonly clock: Clock;
  readonly random: Random;
  readonly transport: Transport;
  readonly disk: Disk;
  readonly log: Log;
}

export type ReplicaErrorCode = "NOT_LEADER" | "DROPPED" | "TIMEOUT" | "UNAVAILABLE" | "OVERLOADED" | "INVALID";

export interface ReplicaError {
  readonly code: ReplicaErrorCode;
  readonly message?: string;
  readonly leaderHint?: string | null;
}

export type SubmitOutcome =
  { readonly ok: true; readonly result: unknown; readonly index: number } | { readonly ok: false; readonly error: ReplicaError };
export type ReadOutcome = { readonly ok: true; readonly index: number } | { readonly ok: false; readonly error: ReplicaError };

export type ReplicaPhase = "recovering" | "repairing" | "running" | "corrupted" | "failed";

export interface ReplicaStatus extends Partial<Omit<RaftStatus, "id" | "role">> {
  readonly id: string;
  /** Raft role while running or repairing; "stopped" while recovering, corrupted or failed. */
  readonly role: RaftStatus["role"] | "stopped";
  readonly phase: ReplicaPhase;
  readonly corrupted: boolean;
  readonly failed: boolean;
  readonly reason: string | null;
  readonly walBytes: number;
  readonly snapshotBytes: number;
  readonly pendingSubmits: number;
  readonly pendingReads: number;
  /** Readys handled since this process started, and those that wrote the WAL (syscalls per Ready: docs/BENCHMARKS.md). */
  readonly readies: number;
  readonly readiesPersisted: number;
}

interface Pending<T> {
  readonly callback: (outcome: T) => void;
  readonly deadlineUs: number;
}

const REQUEST_TIMEOUT_US_DEFAULT = 2_000_000;
const PENDING_REQUESTS_MAX_DEFAULT = 10_000;
const SNAPSHOT_ENTRIES_DEFAULT = 10_000;
/** Under the injected bug "ack-before-fsync": saves in flight before the Ready loop waits. */
const ACK_BEFORE_FSYNC_SAVES_MAX = 16;
/** Work per snapshot step (for the ledger: idempotency entries, a few milliseconds). */
const SNAPSHOT_STEP_UNITS_DEFAULT = 4096;

function requestIdOf(data: unknown): string | null {
  if (typeof data !== "object" || data === null) return null;
  const requestId = (data as { requestId?: unknown }).requestId;
  return typeof requestId === "string" && requestId.length > 0 ? requestId : null;
}

function isRaftMessage(value: unknown): value is Message {
  if (typeof value !== "object" || value === null) return false;
  const message = value as { type?: unknown; from?: unknown; to?: unknown; term?: unknown };
  return (
    typeof message.type === "string" &&
    typeof message.from === "string" &&
    typeof message.to === "string" &&
    typeof message.term === "number"
  );
}

/** Messages a leader may send before its own entries are durable: they acknowledge nothing. */
function isLeaderReplication(message: Message): boolean {
  return message.type === "append" || message.type === "heartbeat" || message.type === "snapshot" || message.type === "timeoutNow";
}

export class Replica {
  readonly id: NodeId;
  private node: RaftNode | null = null;
  private readonly storage: RaftStorage;
  private phase: ReplicaPhase = "recovering";
  private reason: string | null = null;
  /**
   * What this incarnation's recovery found damaged in its WAL or snapshot beyond a torn tail (the
   * reason of the repair it started), or null. Kept after the repair ends: the harness's storage
   * integrity invariant compares it with the corruption the simulator injected.
   */
  damageFound: string | null = null;
  private busy = false;
  private readies = 0;
  private readiesPersisted = 0;
  private tickTimer: TimerHandle | null = null;
  private readonly pendingSubmits = new Map<string, Pending<SubmitOutcome>>();
  private readonly pendingReads = new Map<string, Pending<ReadOutcome>>();
  private readSequence = 0;
  private readonly readNonce: string;
  private ticksSinceExpiry = 0;
  private readonly requestTimeoutUs: number;
  private readonly pendingRequestsMax: number;
  private readonly snapshotEntries: number;
  /** This replica's compaction thresholds are the configured ones times this (1 to below 1.5). */
  private readonly compactionStagger: number;
  private readonly snapshotStepUnits: number;
  /** The hard state last made durable. Invariant: its term never decreases (asserted at each save). */
  private persistedHardState: HardState = EMPTY_HARD_STATE;
  /** Index of the snapshot the state machine was last restored from or compacted to. Invariant: never decreases. */
  private snapshotIndex = 0;
  /** The snapshot being built and written between Readies (null: none). */
  private snapshotting: Snapshotting | null = null;
  /** The repair's end is being made durable (RaftStorage.markRepaired). */
  private markingRepaired = false;
  private readonly startCallbacks: ((phase: ReplicaPhase) => void)[] = [];
  /** Saves not yet durable (only the injected bug "ack-before-fsync" has more than one). */
  private savesUnsynced = 0;
  private blockedOnSaves = false;

  constructor(
    private readonly options: ReplicaOptions,
    private readonly dependencies: ReplicaDependencies,
    private readonly stateMachine: StateMachine,
  ) {
    this.id = nodeId(options.id);
    this.readNonce = dependencies.random.fork("read-nonce").nextUint32().toString(36);
    this.requestTimeoutUs = options.requestTimeoutUs ?? REQUEST_TIMEOUT_US_DEFAULT;
    this.pendingRequestsMax = options.pendingRequestsMax ?? PENDING_REQUESTS_MAX_DEFAULT;
    // Staggered by position among the voters (x1 for the first, below x1.5 for the last), so the replicas of a group do
    // not all snapshot at the same index: a compaction costs CPU and holds the Ready loop for a
    // moment, and five at once on a shared machine stall commits where one at a time does not
    // (the other four still make a quorum).
    this.compactionStagger = 1 + Math.max(0, options.voters.indexOf(options.id)) / (2 * options.voters.length);
    this.snapshotEntries = Math.round((options.raft.snapshotEntries ?? SNAPSHOT_ENTRIES_DEFAULT) * this.compactionStagger);
    this.snapshotStepUnits = options.raft.snapshotStepUnits ?? SNAPSHOT_STEP_UNITS_DEFAULT;
    if (!Number.isSafeInteger(options.raft.tickUs) || options.raft.tickUs < 1)
      throw new RangeError(`raft.tickUs: expected a positive integer, got ${options.raft.tickUs}`);
    this.storage = new RaftStorage(
      {
        walFile: options.walFile ?? `raft-${options.id}.wal`,
        snapshotFile: options.snapshotFile ?? `raft-${options.id}.snap`,
        ...(bugOn(options.bugs, "wal-torn-tail-kept") && { keepTornTail: true }),
      },
      dependencies.disk,
      dependencies.log,
    );
    dependencies.transport.onMessage((_source, message) => this.onMessage(message));
    this.storage.load((result) => {
      if (result.code !== "OK") {
        this.stop(result.code === "CORRUPTED" ? "corrupted" : "failed", describeFailure(result));
        return;
      }
      const state = result.state;
      const raftOptions: RaftOptionsInput = {
        id: this.id,
        voters: options.voters.map(nodeId),
        electionTicks: options.raft.electionTicks,
        heartbeatTicks: options.raft.heartbeatTicks,
        ...(options.raft.batchEntriesMax !== undefined && { batchEntriesMax: options.raft.batchEntriesMax }),
        ...(options.raft.batchBytesMax !== undefined && { batchBytesMax: options.raft.batchBytesMax }),
        ...(options.raft.inflightAppendsMax !== undefined && { inflightAppendsMax: options.raft.inflightAppendsMax }),
        ...(options.raft.preVote !== undefined && { preVote: options.raft.preVote }),
        ...(options.raft.checkQuorum !== undefined && { checkQuorum: options.raft.checkQuorum }),
        ...(options.raft.electionOrder !== undefined && { electionOrder: options.raft.electionOrder.map(nodeId) }),
        ...(options.bugs !== undefined && { bugs: options.bugs }),
      };
      try {
        const repair = state.repair ?? null;
        this.node = new RaftNode(
          raftOptions,
          { random: dependencies.random.fork("raft"), log: dependencies.log },
          repair === null
            ? state
            : {
                ...state,
                repair: { lostFromIndex: repair.lostFromIndex, knownCommit: repair.knownCommit, knownLastIndex: repair.knownLastIndex },
              },
        );
      } catch (error) {
        this.stop("corrupted", `recovered state rejected: ${(error as Error).message}`);
        return;
      }
      if (state.snapshot !== null) {
        this.stateMachine.restore(state.snapshot.data);
        this.snapshotIndex = state.snapshot.metadata.index;
      }
      this.persistedHardState = state.hardState;
      this.phase = this.node.repairing ? "repairing" : "running";
      if (state.repair) this.reason = this.damageFound = state.repair.reason;
      dependencies.log.event("info", "replica.started", {
        id: options.id,
        phase: this.phase,
        entries: state.entries.length,
        tornBytes: result.tornBytes,
        snapshotIndex: this.snapshotIndex,
      });
      this.scheduleTick();
      this.processReady();
      for (const callback of this.startCallbacks.splice(0)) callback(this.phase);
    });
  }

  /** Calls back once recovery finished (at once if it already has). */
  onReady(callback: (phase: ReplicaPhase) => void): void {
    if (this.phase === "recovering") this.startCallbacks.push(callback);
    else callback(this.phase);
  }

  /** Proposes `data` (which must carry a string `requestId`); answers once applied, with the state machine's result. */
  submit(data: unknown, callback: (outcome: SubmitOutcome) => void): void {
    const requestId = this.requestIdOf(data);
    if (requestId === null)
      return callback({ ok: false, error: { code: "INVALID", message: "data.requestId: expected a non-empty string" } });
    const node = this.runningNode();
    if (node === null) return callback({ ok: false, error: this.unavailable() });
    if (this.pendingSubmits.size >= this.pendingRequestsMax)
      return callback({ ok: false, error: { code: "OVERLOADED", message: `pendingRequestsMax (${this.pendingRequestsMax}) reached` } });
    if (this.pendingSubmits.has(requestId))
      return callback({ ok: false, error: { code: "DROPPED", message: `request ${requestId} is already in flight here` } });
    this.track(node.propose(data), this.pendingSubmits, requestId, callback);
  }

  /** A linearizable read: calls back when the local state machine may be read (ReadIndex). */
  read(callback: (outcome: ReadOutcome) => void): void {
    const node = this.runningNode();
    if (node === null) return callback({ ok: false, error: this.unavailable() });
    if (this.options.unsafeLocalReads === true || bugOn(this.options.bugs, "stale-local-read")) {
      const status = node.status();
      if (status.role === "leader") return callback({ ok: true, index: status.applied });
      return callback({ ok: false, error: { code: "NOT_LEADER", leaderHint: status.leader } });
    }
    if (bugOn(this.options.bugs, "lease-read-unbounded-clock") && node.inLease()) {
      // The injected bug: a leader in its lease reads locally, trusting that no other leader can
      // exist before its own ticks say the lease ran out; no bound on how far its clock may drift.
      return callback({ ok: true, index: node.appliedIndex });
    }
    if (this.pendingReads.size >= this.pendingRequestsMax)
      return callback({ ok: false, error: { code: "OVERLOADED", message: `pendingRequestsMax (${this.pendingRequestsMax}) reached` } });
    // The nonce keeps contexts unique across restarts: a leader must never match a new read to
    // the answer of an older one with the same sequence number.
    const context = `${this.options.id}:${this.readNonce}:${++this.readSequence}`;
    this.track(node.readIndex(context), this.pendingReads, context, callback);
  }

  /** Accepted by the core: wait for the answer (until the deadline); refused: answer now. */
  private track<T>(
    result: ProposeResult | ReadIndexResult,
    pending: Map<string, Pending<T>>,
    key: string,
    callback: (outcome: T | { readonly ok: false; readonly error: ReplicaError }) => void,
  ): void {
    switch (result.code) {
      case "OK":
        pending.set(key, { callback, deadlineUs: this.dependencies.clock.nowUs() + this.requestTimeoutUs });
        this.processReady();
        return;
      case "NOT_LEADER":
        return callback({ ok: false, error: { code: "NOT_LEADER", leaderHint: result.leaderHint } });
      case "DROPPED":
        return callback({ ok: false, error: { code: "DROPPED", message: result.reason } });
    }
  }

  transferLeadership(target: string): TransferResult | { readonly code: "UNAVAILABLE"; readonly reason: string } {
    const node = this.runningNode();
    if (node === null) return { code: "UNAVAILABLE", reason: this.reason ?? this.phase };
    const result = node.transferLeadership(nodeId(target));
    this.processReady();
    return result;
  }

  /** Role and term without building a status report (hot paths: monitors, routing). */
  get role(): ReplicaStatus["role"] {
    const node = this.runningNode();
    return node === null ? "stopped" : node.role;
  }

  get term(): number | null {
    return this.runningNode()?.term ?? null;
  }

  get failed(): boolean {
    return this.phase === "failed";
  }

  /** status().corrupted without building the status (the virtual runtime's invariants ask every replica at every check). */
  get corrupted(): boolean {
    return this.phase === "corrupted";
  }

  status(): ReplicaStatus {
    const base = {
      id: this.options.id,
      role: "stopped" as const,
      phase: this.phase,
      corrupted: this.phase === "corrupted",
      failed: this.phase === "failed",
      reason: this.reason,
      walBytes: this.storage.walBytes,
      snapshotBytes: this.storage.snapshotBytes,
      pendingSubmits: this.pendingSubmits.size,
      pendingReads: this.pendingReads.size,
      readies: this.readies,
      readiesPersisted: this.readiesPersisted,
    };
    return this.runningNode() === null || this.node === null ? base : { ...base, ...this.node.status() };
  }

  /** Stops ticking and answering (process shutdown); pending requests get UNAVAILABLE. */
  close(): void {
    this.stop("failed", "closed");
  }

  // ----- the Ready loop ---------------------------------------------------------------------

  private onMessage(message: unknown): void {
    const node = this.runningNode();
    if (node === null) return; // corrupted or failed replicas neither vote nor acknowledge
    if (!isRaftMessage(message) || message.to !== this.options.id) {
      this.dependencies.log.event("warn", "replica.message.ignored", { id: this.options.id });
      return;
    }
    node.step(message);
    this.afterStep(node);
    this.processReady();
  }

  /** A repairing replica that caught up becomes a voter once that is durable; one that cannot be repaired stops. */
  private afterStep(node: RaftNode): void {
    if (this.phase !== "repairing" || this.markingRepaired) return;
    const lost = node.repairLost();
    if (lost !== null) return this.stop("corrupted", lost);
    if (!node.repairCaughtUp()) return;
    this.markingRepaired = true;
    this.storage.markRepaired((failure) => {
      this.markingRepaired = false;
      if (failure !== null) return this.stop("failed", describeFailure(failure));
      if (this.phase !== "repairing") return;
      node.finishRepair();
      this.phase = "running";
      this.dependencies.log.event("info", "replica.repaired", { id: this.options.id, reason: this.reason });
      this.reason = null;
      this.processReady();
    });
  }

  private scheduleTick(): void {
    this.tickTimer = this.dependencies.clock.setTimer(this.options.raft.tickUs, () => {
      this.tickTimer = null;
      const node = this.runningNode();
      if (node === null) return;
      node.tick();
      this.afterStep(node);
      if (++this.ticksSinceExpiry >= 10) {
        this.ticksSinceExpiry = 0;
        this.expirePending();
      }
      this.scheduleTick();
      this.processReady();
    });
  }

  private processReady(): void {
    const node = this.runningNode();
    if (node === null || this.busy || !node.hasReady()) return;
    this.busy = true;
    const ready = node.ready();
    this.readies++;
    // A leader replicates in parallel with its own fsync (its copy only counts toward commit once
    // durable: RaftNode.advance). Everything else — votes, acknowledgements — waits for the fsync.
    const early = node.role === "leader" ? ready.messages.filter(isLeaderReplication) : [];
    for (const message of early) this.dependencies.transport.send(message.to, message, messageSizeBytes(message));
    // etcd's MustSync: only entries, a snapshot, or a new term or vote need the disk. The commit
    // index is volatile (Raft re-learns it from the leader), so a Ready that only moves commit,
    // applies or answers goes on at once: no WAL record, no fsync, no extra event.
    const mustPersist =
      ready.entries.length > 0 ||
      ready.snapshot !== null ||
      (ready.hardState !== null &&
        (ready.hardState.term !== this.persistedHardState.term || ready.hardState.vote !== this.persistedHardState.vote));
    if (mustPersist && bugOn(this.options.bugs, "ack-before-fsync")) return this.ackBeforeFsync(node, ready, early);
    // An unnamed callback: under tsx (esbuild keepNames) a named closure pays a defineProperty per
    // Ready, a measurable share of a simulated run (docs/BENCHMARKS.md, "Swarm throughput").
    if (mustPersist) {
      this.readiesPersisted++;
      this.storage.save(ready.hardState, ready.entries, ready.snapshot, (failure) =>
        this.persisted(node, ready, early, mustPersist, failure),
      );
    } else this.persisted(node, ready, early, mustPersist, null);
  }

  /** processReady, once the Ready's entries and state are durable (or needed no write): send, apply, advance. */
  private persisted(node: RaftNode, ready: Ready, early: readonly Message[], mustPersist: boolean, failure: StorageFailure | null): void {
    if (failure !== null) return this.stop("failed", describeFailure(failure));
    if (this.runningNode() === null) return;
    if (ready.hardState !== null && mustPersist) {
      assert(
        ready.hardState.term >= this.persistedHardState.term,
        () => `${this.id}: durable term ${ready.hardState?.term} below ${this.persistedHardState.term}`,
      );
      this.persistedHardState = ready.hardState;
    }
    for (const message of ready.messages) {
      if (early.length === 0 || !early.includes(message)) this.dependencies.transport.send(message.to, message, messageSizeBytes(message));
    }
    this.apply(ready);
    node.advance(ready);
    this.afterStep(node);
    this.maybeCompact(node, () => {
      this.busy = false;
      this.processReady();
    });
  }

  /**
   * The injected bug "ack-before-fsync" (cells/bugs.ts): votes, acknowledgements, the leader's
   * own count toward commit and the answers to clients all go out while the WAL append is still
   * being fsynced (the Ready loop still waits for it, so at most one Ready is at risk); a crash
   * in between forgets what was promised.
   */
  private ackBeforeFsync(node: RaftNode, ready: Ready, early: readonly Message[]): void {
    for (const message of ready.messages) {
      if (!early.includes(message)) this.dependencies.transport.send(message.to, message, messageSizeBytes(message));
    }
    if (ready.hardState !== null) this.persistedHardState = ready.hardState;
    this.apply(ready);
    node.advance(ready);
    this.savesUnsynced++;
    this.readiesPersisted++;
    this.storage.save(ready.hardState, ready.entries, ready.snapshot, (failure) => {
      this.savesUnsynced--;
      if (failure !== null) return this.stop("failed", describeFailure(failure));
      if (this.phase !== "running" || !this.blockedOnSaves) return;
      this.blockedOnSaves = false;
      this.maybeCompact(node, () => {
        this.busy = false;
        this.processReady();
      });
    });
    // The Ready loop goes on without waiting (a few saves at most in flight: the storage queue is bounded).
    if (this.savesUnsynced >= ACK_BEFORE_FSYNC_SAVES_MAX) {
      this.blockedOnSaves = true; // the next save's completion resumes it
      return;
    }
    this.maybeCompact(node, () => {
      this.busy = false;
      this.processReady();
    });
  }

  private apply(ready: Ready): void {
    // Committed entries come in log order, each once: a gap or a repeat would apply a different
    // history on this replica than on the others.
    assertContiguous(ready.committedEntries, `${this.id}: committed entries`);
    if (ready.snapshot !== null) {
      assert(
        ready.snapshot.metadata.index >= this.snapshotIndex,
        () => `${this.id}: snapshot ${ready.snapshot?.metadata.index} behind ${this.snapshotIndex}`,
      );
      this.stateMachine.restore(ready.snapshot.data);
      this.snapshotIndex = ready.snapshot.metadata.index;
      this.snapshotting = null; // built from the state just replaced
    }
    for (const entry of ready.committedEntries) this.applyEntry(entry);
    for (const readState of ready.readStates) {
      const pending = this.pendingReads.get(readState.context);
      if (pending === undefined) continue;
      this.pendingReads.delete(readState.context);
      pending.callback({ ok: true, index: readState.index });
    }
  }

  private applyEntry(entry: Entry): void {
    if (entry.kind !== "normal") return;
    if (this.stateMachine.lastApplied !== undefined && entry.index <= this.stateMachine.lastApplied()) return;
    const requestId = this.requestIdOf(entry.data);
    const pending = requestId === null ? undefined : this.pendingSubmits.get(requestId);
    const result = this.stateMachine.apply({ index: entry.index, term: entry.term, data: entry.data }, pending !== undefined);
    if (pending === undefined) return;
    this.pendingSubmits.delete(requestId as string);
    pending.callback({ ok: true, result, index: entry.index });
  }

  /**
   * Called with the Ready loop held (everything in the log is durable, nothing is being saved):
   * compacts to a snapshot built and written meanwhile, or starts one once the log has outgrown
   * the last. A snapshot goes: build (steps between Readies) -> write its file (outside the
   * storage queue: WAL appends go on) -> compact here (rename the file into place, rewrite the
   * WAL). Only the last holds the Ready loop, for milliseconds however large the state.
   */
  private maybeCompact(node: RaftNode, done: () => void): void {
    if (this.snapshotting !== null) {
      const { snapshot } = this.snapshotting;
      if (snapshot === null) return done();
      this.snapshotting = null;
      return this.compactTo(node, snapshot, done);
    }
    const applied = node.appliedIndex;
    if (applied - this.snapshotIndex < this.snapshotEntries) return done();
    // Raft dissertation §5.1: snapshot once the log has outgrown the last snapshot. A snapshot
    // costs O(state) to write (the idempotency table grows with every transfer), so a fixed
    // entry count alone would make compaction dominate long runs; this keeps its cost per entry
    // constant and the WAL within about the size of the state it would rebuild.
    if (this.storage.walBytes < this.storage.snapshotBytes * this.compactionStagger) return done();
    const task: SnapshotTask = this.stateMachine.beginSnapshot?.() ?? {
      index: applied,
      step: () => true,
      result: () => this.stateMachine.snapshot(),
    };
    const building: Snapshotting = { task, snapshot: null };
    this.snapshotting = building;
    if (task.step(this.snapshotStepUnits)) this.writeSnapshot(node, building);
    else this.stepSnapshot(building);
    done();
  }

  /** The rest of a large state is encoded in steps, each after waiting I/O, while this replica goes on. */
  private stepSnapshot(building: Snapshotting): void {
    const clock = this.dependencies.clock;
    const next = (): void => {
      const node = this.runningNode();
      if (this.snapshotting !== building || node === null) return;
      if (building.task.step(this.snapshotStepUnits)) this.writeSnapshot(node, building);
      else this.stepSnapshot(building);
    };
    const delayUs = this.options.raft.snapshotStepDelayUs;
    if (delayUs !== undefined) clock.setTimer(delayUs, next);
    else if (clock.defer !== undefined) clock.defer(next);
    else clock.setTimer(0, next);
  }

  /** Writes the built snapshot's file; once durable, the next Ready (or this, if idle) compacts. */
  private writeSnapshot(node: RaftNode, building: Snapshotting): void {
    // Superseded by a snapshot installed meanwhile: one this replica processed (snapshotIndex), or
    // one from the leader its Raft log already took (the log then starts after it) while the Ready
    // that carries it to this replica is still to come. Writing the older one then would ask the
    // log for a term it no longer holds (seed 54 of `partition, leader-move` with 3 s faults).
    if (building.task.index <= this.snapshotIndex || building.task.index < node.status().firstIndex - 1) {
      this.snapshotting = null;
      return;
    }
    const snapshot = node.snapshotAt(logIndex(building.task.index), building.task.result());
    this.storage.prepareSnapshot(snapshot, (failure, held) => {
      if (failure !== null) return this.stop("failed", describeFailure(failure));
      const running = this.runningNode();
      if (this.snapshotting !== building || running === null) return;
      // What the log keeps: the same snapshot, its text a view of the file's bytes (storage.ts snapshotFile).
      building.snapshot = held ?? snapshot;
      if (this.busy) return; // the running Ready compacts when it is done
      this.busy = true;
      this.maybeCompact(running, () => {
        this.busy = false;
        this.processReady();
      });
    });
  }

  /** Compacts the log up to the snapshot's index (at or below applied: entries after it stay in the WAL). */
  private compactTo(node: RaftNode, built: Snapshot, done: () => void): void {
    if (built.metadata.index <= this.snapshotIndex) return done(); // superseded by an installed snapshot
    const snapshot = node.compact(built.metadata.index, built.data);
    this.snapshotIndex = snapshot.metadata.index;
    const entriesAfter = node.entries(logIndex(snapshot.metadata.index + 1), logIndex(node.lastIndex + 1)) ?? [];
    // Only what is already durable goes into the rewritten WAL's hard state.
    const compactStartedUs = this.dependencies.clock.nowUs();
    this.storage.compact(snapshot, this.persistedHardState, entriesAfter, (failure) => {
      if (failure !== null) return this.stop("failed", describeFailure(failure));
      this.dependencies.log.event("info", "replica.compacted", {
        id: this.options.id,
        index: snapshot.metadata.index,
        walBytes: this.storage.walBytes,
        snapshotBytes: this.storage.snapshotBytes,
        entriesAfter: entriesAfter.length,
        compactUs: this.dependencies.clock.nowUs() - compactStartedUs,
      });
      done();
    });
  }

  private expirePending(): void {
    const nowUs = this.dependencies.clock.nowUs();
    for (const [key, pending] of this.pendingSubmits) {
      if (pending.deadlineUs > nowUs) continue;
      this.pendingSubmits.delete(key);
      pending.callback({ ok: false, error: { code: "TIMEOUT", message: "not applied in time: outcome unknown" } });
    }
    for (const [key, pending] of this.pendingReads) {
      if (pending.deadlineUs > nowUs) continue;
      this.pendingReads.delete(key);
      pending.callback({ ok: false, error: { code: "TIMEOUT", message: "read not confirmed in time" } });
    }
  }

  private requestIdOf(data: unknown): string | null {
    return this.stateMachine.requestIdOf !== undefined ? this.stateMachine.requestIdOf(data) : requestIdOf(data);
  }

  /** Raft runs: as a voter, or repairing (following without a vote). */
  private runningNode(): RaftNode | null {
    return this.phase === "running" || this.phase === "repairing" ? this.node : null;
  }

  private unavailable(): ReplicaError {
    return { code: "UNAVAILABLE", message: `replica ${this.options.id} is ${this.phase}${this.reason === null ? "" : `: ${this.reason}`}` };
  }

  /** Crash-stop: no more ticks, sends, votes or answers. */
  private stop(phase: "corrupted" | "failed", reason: string): void {
    if (this.phase === "corrupted" || this.phase === "failed") return;
    this.phase = phase;
    this.reason = reason;
    this.dependencies.log.event("error", `replica.${phase}`, { id: this.options.id, reason });
    if (this.tickTimer !== null) this.dependencies.clock.cancelTimer(this.tickTimer);
    this.tickTimer = null;
    this.snapshotting = null;
    const error = this.unavailable();
    // Submissions may still commit through other replicas: UNAVAILABLE here means "unknown".
    for (const pending of this.pendingSubmits.values()) pending.callback({ ok: false, error });
    for (const pending of this.pendingReads.values()) pending.callback({ ok: false, error });
    this.pendingSubmits.clear();
    this.pendingReads.clear();
    for (const callback of this.startCallbacks.splice(0)) callback(this.phase);
  }
}

function describeFailure(failure: StorageFailure): string {
  switch (failure.code) {
    case "CORRUPTED":
      return failure.reason;
    case "IO_ERROR":
      return `${failure.operation}: ${failure.cause.code} ${failure.cause.message}`;
  }
}

function messageSizeBytes(message: Message): number {
  if (message.type === "append") {
    let size = 64;
    for (const entry of message.entries) size += entrySizeBytes(entry);
    return size;
  }
  if (message.type === "snapshot") return 64 + jsonSize(message.snapshot.data);
  return 64;
}
