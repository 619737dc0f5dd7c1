// The Raft consensus core (Ongaro's thesis, shaped like etcd/raft): a deterministic state
// machine with no I/O. The caller feeds it tick() and step(message) and drains ready():
// persist, send, apply, advance(). Randomness (election jitter) comes from the injected Random.
//
// Decisions worth knowing:
// - A new leader appends a no-op and answers propose() with DROPPED until it has applied
//   everything up to that no-op, i.e. everything committed before its term (the caller retries).
// - Proposals only append to the log; appends go out when the caller takes the next Ready, so
//   everything proposed since the last round travels as one batch per follower.
// - A leader counts its own unpersisted entries towards commit (thesis §10.2.1): safe because the
//   caller persists a Ready before sending anything that reveals the new commit.
// - Membership is fixed (options.voters); "config" entries are reserved.

import type { Log, Random } from "../../ground/ports.js";
import { silentLog } from "../../ground/ports.js";
import type { ProposeError } from "./errors.js";
import { invariant } from "./errors.js";
import { RaftLog } from "./log.js";
import type { RaftOptions, RaftOptionsInput } from "./options.js";
import { resolveRaftOptions } from "./options.js";
import { Progress, type ProgressState } from "./progress.js";
import { committedIndex, quorumSize, voteResult } from "./quorum.js";
import { ReadOnly } from "./read-only.js";
import { bugOn } from "../bugs.js";
import type {
  AppendMessage,
  AppendResponseMessage,
  Entry,
  HardState,
  HeartbeatMessage,
  HeartbeatResponseMessage,
  LogIndex,
  Message,
  NodeId,
  ReadState,
  Ready,
  Role,
  Snapshot,
  SnapshotMessage,
  SoftState,
  Term,
  VoteMessage,
} from "./types.js";
import { EMPTY_HARD_STATE, INDEX_ZERO, TERM_ZERO, assertNever, logIndex, term as toTerm } from "./types.js";

export type ProposeResult = { readonly code: "OK"; readonly index: LogIndex; readonly term: Term } | ProposeError;
export type ReadIndexResult = { readonly code: "OK" } | ProposeError;
export type TransferResult =
  | { readonly code: "OK" }
  | { readonly code: "NOT_LEADER"; readonly leaderHint: NodeId | null }
  | { readonly code: "BAD_TARGET" | "TARGET_BEHIND"; readonly reason: string };

export interface RaftDependencies {
  readonly random: Random;
  readonly log?: Log;
}

export interface RaftInitialState {
  readonly hardState: HardState;
  readonly snapshot?: Snapshot | null;
  /** Persisted entries following the snapshot (or starting at index 1). */
  readonly entries: readonly Entry[];
  /** Start repairing: the log lost entries from `lostFromIndex` on, some up to `knownCommit` committed. */
  readonly repair?: { readonly lostFromIndex: LogIndex; readonly knownCommit: LogIndex; readonly knownLastIndex: LogIndex } | null;
}

/**
 * A node repairing its log after corruption (protocol-aware recovery; TigerBeetle's repair, etcd's
 * learner): it follows and catches up like any follower but never campaigns, grants no vote and
 * marks its answers `repairing`, so the leader counts it toward no commit, read or quorum. Its
 * acknowledgements from before the damage are void, so it may have been part of a commit quorum
 * for an entry it no longer has: it is caught up once it holds everything the leader had
 * committed when it already knew (`repairSeen`) and had committed an entry of its own term (so
 * every entry committed in earlier terms is at or below that index).
 */
interface RepairState {
  readonly lostFromIndex: LogIndex;
  readonly knownCommit: LogIndex;
  readonly knownLastIndex: LogIndex;
  caughtUp: boolean;
  probeElapsedTicks: number;
  /** Answers to this round's probe for the entry at `lostFromIndex`. */
  readonly probeAnswers: Map<NodeId, { readonly holds: boolean; readonly repairing: boolean }>;
  /** Set when no peer may hold a committed entry this node lost: the named refusal. */
  lost: string | null;
}

/** The named error of a cell whose committed entry is corrupt or missing on every replica. */
export const COMMITTED_ENTRY_LOST = "COMMITTED_ENTRY_LOST";

export interface PeerStatus {
  readonly match: LogIndex;
  readonly next: LogIndex;
  readonly state: ProgressState;
  readonly recentActive: boolean;
}

export interface RaftStatus {
  readonly id: NodeId;
  readonly role: Role;
  readonly term: Term;
  readonly vote: NodeId | null;
  readonly leader: NodeId | null;
  readonly commit: LogIndex;
  readonly applied: LogIndex;
  readonly firstIndex: LogIndex;
  readonly lastIndex: LogIndex;
  /** Leader only: per-voter replication progress (the controller picks caught-up replicas here). */
  readonly progress: Readonly<Record<string, PeerStatus>> | null;
  readonly transferee: NodeId | null;
}

interface LeaderState {
  readonly role: "leader";
  readonly progress: Map<NodeId, Progress>;
  readonly readOnly: ReadOnly;
  /** Index of this term's no-op: proposals wait until it is applied. */
  readonly termStartIndex: LogIndex;
  transferee: NodeId | null;
  /** ReadIndex requests that arrived before this term's first commit. */
  readonly readsBeforeCommit: { context: string; from: NodeId }[];
  appendPending: boolean;
  readRoundPending: boolean;
  /** Ticks since this node became leader, and per peer the tick of its last answer (lease reads). */
  ticks: number;
  readonly answeredAtTick: Map<NodeId, number>;
  /**
   * The context of the ReadIndex round whose heartbeats are out, if any. Reads that arrive
   * meanwhile wait for the next round (thesis §6.4: batch read-only requests): one round per
   * round trip under load rather than one per Ready, each costing a message and an answer per
   * follower. A lost round is retried by the periodic heartbeat, which carries the newest context.
   */
  readRoundInFlight: string | null;
}

type RoleState =
  | { readonly role: "follower" }
  | { readonly role: "preCandidate"; readonly votes: Map<NodeId, boolean> }
  | { readonly role: "candidate"; readonly votes: Map<NodeId, boolean> }
  | LeaderState;

type Distribute<T> = T extends Message ? Omit<T, "from" | "to" | "term"> & { term?: Term } : never;
type Outgoing = Distribute<Message>;

export class RaftNode {
  readonly id: NodeId;
  private readonly options: RaftOptions;
  private readonly random: Random;
  private readonly logger: Log;
  private readonly raftLog: RaftLog;

  private currentTerm: Term = TERM_ZERO;
  private vote: NodeId | null = null;
  private leader: NodeId | null = null;
  private state: RoleState = { role: "follower" };
  private stepRole: (message: Message) => void = (message) => this.stepFollower(message);

  private electionElapsedTicks = 0;
  private heartbeatElapsedTicks = 0;
  private randomizedElectionTicks = 0;

  private messages: Message[] = [];
  /** Reads confirmed by the leader, released in a Ready once applied reaches their index. */
  private confirmedReads: ReadState[] = [];
  private previousSoftState: SoftState;
  private previousHardState: HardState;
  private readyInFlight = false;
  private repair: RepairState | null = null;

  constructor(options: RaftOptionsInput, dependencies: RaftDependencies, initial: RaftInitialState) {
    this.options = resolveRaftOptions(options);
    this.id = this.options.id;
    this.random = dependencies.random;
    this.logger = dependencies.log ?? silentLog;
    const snapshot = initial.snapshot ?? null;
    const firstExpected = snapshot === null ? 1 : snapshot.metadata.index + 1;
    initial.entries.forEach((entry, i) => {
      invariant(entry.index === firstExpected + i, () => `initial entries not contiguous from ${firstExpected} at position ${i}`);
    });
    this.raftLog = new RaftLog(snapshot, initial.entries);
    const hardState = initial.hardState;
    invariant(
      hardState.commit <= this.raftLog.lastIndex(),
      () => `hard state commit ${hardState.commit} beyond last index ${this.raftLog.lastIndex()}`,
    );
    this.raftLog.commitTo(hardState.commit);
    this.currentTerm = hardState.term;
    this.vote = hardState.vote;
    this.previousHardState = this.hardState();
    this.becomeFollower(this.currentTerm, null);
    this.previousSoftState = this.softState();
    if (initial.repair !== undefined && initial.repair !== null) {
      this.repair = {
        // A restart in the middle of a repair finds entries it already fetched from a leader
        // after its mark: those are sound, what it still lacks starts after them.
        lostFromIndex: logIndex(Math.max(initial.repair.lostFromIndex, this.raftLog.lastIndex() + 1)),
        knownCommit: initial.repair.knownCommit,
        knownLastIndex: initial.repair.knownLastIndex,
        caughtUp: false,
        probeElapsedTicks: 0,
        probeAnswers: new Map(),
        lost: null,
      };
      this.logger.event("warn", "raft.repair.start", { id: this.id, ...initial.repair, lastIndex: this.raftLog.lastIndex() });
    }
  }

  // ----- repair -----------------------------------------------------------------------------

  get repairing(): boolean {
    return this.repair !== null;
  }

  /** Repairing and caught up: the caller makes that durable, then calls finishRepair(). */
  repairCaughtUp(): boolean {
    return this.repair?.caughtUp === true;
  }

  /** Repairing -> voter: from now on it campaigns, votes and counts again. */
  finishRepair(): void {
    invariant(this.repair?.caughtUp === true, "finishRepair before the repair caught up");
    this.repair = null;
    // A vote recorded only in a damaged record is forgotten. Counting it as cast for the leader of
    // this term (which it follows) means it cannot now vote for a second leader of the same term;
    // the vote is persisted with the next Ready like any other.
    if (this.vote === null && this.leader !== null) this.recordVote(this.leader);
    this.logger.event("info", "raft.repair.done", { id: this.id, term: this.currentTerm, commit: this.raftLog.committed });
  }

  /** Why the repair cannot succeed (COMMITTED_ENTRY_LOST ...), or null. */
  repairLost(): string | null {
    return this.repair?.lost ?? null;
  }

  private tickRepair(repair: RepairState): void {
    // Still counted: it says how recently a leader was heard from (leader stickiness).
    this.electionElapsedTicks++;
    if (repair.caughtUp || repair.lost !== null || repair.knownLastIndex < repair.lostFromIndex) return;
    if (++repair.probeElapsedTicks < this.options.electionTicks) return;
    repair.probeElapsedTicks = 0;
    repair.probeAnswers.clear();
    for (const voter of this.options.voters) if (voter !== this.id) this.send(voter, { type: "repairProbe", index: repair.lostFromIndex });
  }

  /**
   * Every peer answered and none holds the entry at `index`, which this node held durably. If it
   * is known committed, it is lost. If not, it may have been: a quorum of voters could still elect
   * a leader (and then, by quorum intersection, it was never committed), but with fewer voters
   * left than a quorum no leader can ever be elected without guessing. Either way: refuse, named.
   */
  private handleRepairProbeResponse(from: NodeId, index: LogIndex, answer: { readonly holds: boolean; readonly repairing: boolean }): void {
    const repair = this.repair;
    if (repair === null || repair.lost !== null || index !== repair.lostFromIndex) return;
    repair.probeAnswers.set(from, answer);
    if (repair.probeAnswers.size < this.options.voters.length - 1) return;
    const answers = [...repair.probeAnswers.values()];
    if (answers.some((peer) => peer.holds)) return;
    const votersLeft = answers.filter((peer) => !peer.repairing).length;
    const committed = index <= repair.knownCommit;
    if (!committed && votersLeft >= quorumSize(this.options.voters.length)) return;
    repair.lost = committed
      ? `${COMMITTED_ENTRY_LOST}: entry ${index} was committed (commit ${repair.knownCommit}) and no replica of the group holds it any more`
      : `${COMMITTED_ENTRY_LOST}: entry ${index} may have been committed (this replica held entries to ${repair.knownLastIndex}), no replica of the group holds it any more, and the ${votersLeft} voters left cannot elect a leader without guessing`;
    this.logger.event("error", "raft.repair.lost", { id: this.id, index, knownCommit: repair.knownCommit, votersLeft });
  }

  /** After an append from a leader that knows we repair: caught up once we hold its commit of its own term. */
  private noteRepairProgress(message: AppendMessage): void {
    const repair = this.repair;
    if (repair === null || repair.caughtUp || message.repairSeen !== true) return;
    const committed = this.raftLog.committed;
    if (committed < message.commit || committed < repair.knownCommit || this.raftLog.term(committed) !== message.term) return;
    repair.caughtUp = true;
    this.logger.event("info", "raft.repair.caughtUp", { id: this.id, term: this.currentTerm, commit: committed });
  }

  /** Leader: a follower's answer says whether it repairs; its old acknowledgements are void. */
  private noteRepairing(state: LeaderState, from: NodeId, progress: Progress, repairing: boolean): boolean {
    if (repairing === progress.repairing) return false;
    progress.repairing = repairing;
    this.logger.event("info", repairing ? "raft.repair.follower" : "raft.repair.followerDone", { id: this.id, follower: from });
    if (!repairing) {
      // What it already acknowledged counts now: it may complete a quorum with no new message.
      this.maybeCommit(state);
      return false;
    }
    // Probe from our end: its rejection tells where its log really ends.
    progress.match = INDEX_ZERO;
    progress.becomeProbe();
    progress.next = logIndex(this.raftLog.lastIndex() + 1);
    this.sendAppend(state, from, true);
    return true;
  }

  // ----- caller API -------------------------------------------------------------------------

  tick(): void {
    if (this.state.role === "leader") this.tickLeader(this.state);
    else if (this.repair !== null) this.tickRepair(this.repair);
    else this.tickElection();
  }

  step(message: Message): void {
    invariant(message.to === this.id, () => `message for ${message.to} stepped into ${this.id}`);
    if (!this.options.voters.includes(message.from)) {
      this.logger.event("warn", "raft.message.unknownSender", { id: this.id, from: message.from, type: message.type });
      return;
    }
    // Repair probes are about the log, not leadership: any term, any role answers.
    if (message.type === "repairProbe") {
      this.send(message.from, {
        type: "repairProbeResponse",
        index: message.index,
        holds: this.raftLog.lastIndex() >= message.index,
        repairing: this.repair !== null,
      });
      return;
    }
    if (message.type === "repairProbeResponse") {
      this.handleRepairProbeResponse(message.from, message.index, { holds: message.holds, repairing: message.repairing });
      return;
    }
    if (message.term > this.currentTerm) {
      if (message.type === "vote" || message.type === "preVote") {
        // Leader stickiness (thesis §4.2.3): ignore a disruptive candidate while we have a live leader.
        const inLease = this.options.checkQuorum && this.leader !== null && this.electionElapsedTicks < this.options.electionTicks;
        if (inLease && !message.transfer) {
          this.logger.event("debug", "raft.vote.ignoredInLease", { id: this.id, from: message.from, term: message.term });
          return;
        }
      }
      if (message.type === "preVote") {
        // A pre-vote carries a future term; it does not move ours.
      } else if (message.type === "preVoteResponse" && !message.reject) {
        // Granted pre-votes carry the term we will campaign in; the campaign moves our term.
      } else {
        const leader = message.type === "append" || message.type === "heartbeat" || message.type === "snapshot" ? message.from : null;
        this.becomeFollower(message.term, leader);
      }
    } else if (message.term < this.currentTerm) {
      if (message.type === "append" && this.state.role === "follower" && bugOn(this.options.bugs, "append-from-stale-term")) {
        // The injected bug: a deposed leader's append is taken as if from the current leader.
        this.stepRole(message);
        return;
      }
      if ((this.options.checkQuorum || this.options.preVote) && (message.type === "append" || message.type === "heartbeat")) {
        // A stale leader cut off by check-quorum/pre-vote would never learn the new term otherwise.
        this.send(message.from, { type: "appendResponse", index: INDEX_ZERO, reject: true, rejectHint: INDEX_ZERO, logTerm: TERM_ZERO });
      } else if (message.type === "preVote") {
        this.send(message.from, { type: "preVoteResponse", reject: true });
      }
      return;
    }

    if (message.type === "vote" || message.type === "preVote") {
      this.handleVoteRequest(message);
      return;
    }
    this.stepRole(message);
  }

  propose(data: unknown): ProposeResult {
    const state = this.state;
    if (state.role !== "leader") return { code: "NOT_LEADER", leaderHint: this.leader };
    if (state.transferee !== null) return { code: "DROPPED", reason: `leadership transfer to ${state.transferee} in progress` };
    if (this.raftLog.applied < state.termStartIndex) {
      return { code: "DROPPED", reason: "new leader has not yet applied the entries committed before its term" };
    }
    if (this.raftLog.lastIndex() - this.raftLog.committed >= this.options.uncommittedEntriesMax) {
      return { code: "DROPPED", reason: `uncommittedEntriesMax (${this.options.uncommittedEntriesMax}) reached` };
    }
    const entry = this.appendAsLeader(state, "normal", data);
    return { code: "OK", index: entry.index, term: entry.term };
  }

  /**
   * Starts a linearizable read. `context` (unique per read) comes back in a Ready's readStates
   * once leadership was confirmed and applied >= the read index: serve the read then.
   */
  readIndex(context: string): ReadIndexResult {
    const state = this.state;
    if (state.role === "leader") return this.handleReadIndex(state, context, this.id);
    if (state.role === "follower" && this.leader !== null) {
      this.send(this.leader, { type: "readIndex", context });
      return { code: "OK" };
    }
    return { code: "NOT_LEADER", leaderHint: this.leader };
  }

  transferLeadership(target: NodeId): TransferResult {
    const state = this.state;
    if (state.role !== "leader") return { code: "NOT_LEADER", leaderHint: this.leader };
    if (!this.options.voters.includes(target)) return { code: "BAD_TARGET", reason: `${target} is not a voter` };
    if (target === this.id) return { code: "OK" };
    const progress = state.progress.get(target) as Progress;
    if (progress.repairing) return { code: "TARGET_BEHIND", reason: `${target} is repairing its log` };
    const lagEntries = this.raftLog.lastIndex() - progress.match;
    if (progress.state === "snapshot" || lagEntries >= this.options.transferLagEntriesMax) {
      return { code: "TARGET_BEHIND", reason: `${target} is ${lagEntries} entries behind (${progress.state})` };
    }
    if (state.transferee === target) return { code: "OK" };
    state.transferee = target;
    // The transfer aborts if it has not completed within one election timeout.
    this.electionElapsedTicks = 0;
    this.logger.event("info", "raft.transfer.start", { id: this.id, target, term: this.currentTerm });
    if (progress.match === this.raftLog.lastIndex()) this.send(target, { type: "timeoutNow" });
    else this.sendAppend(state, target, true);
    return { code: "OK" };
  }

  /** Campaigns now (tests and operator tooling); normally elections start from tick(). */
  campaign(): void {
    this.hup(false);
  }

  /**
   * A leader whose quorum answered within the last election timeout, counted in its own ticks,
   * and which has committed in its term. Used only by the injected bug "lease-read-unbounded-clock"
   * (cells/bugs.ts): a safe lease needs the followers' clocks bounded against this one, which
   * nothing here assumes, so the real read path is ReadIndex.
   */
  inLease(): boolean {
    const state = this.state;
    if (state.role !== "leader" || !this.committedInCurrentTerm()) return false;
    let answered = 1;
    for (const [peer, tick] of state.answeredAtTick) if (peer !== this.id && state.ticks - tick < this.options.electionTicks) answered++;
    return answered >= Math.floor(this.options.voters.length / 2) + 1;
  }

  /** The current role, cheaply (status() builds a full report). */
  get role(): Role {
    return this.state.role;
  }

  get term(): Term {
    return this.currentTerm;
  }

  get appliedIndex(): LogIndex {
    return this.raftLog.applied;
  }

  get lastIndex(): LogIndex {
    return this.raftLog.lastIndex();
  }

  hasReady(): boolean {
    this.flushLeader();
    const hard = this.previousHardState;
    return (
      this.messages.length > 0 ||
      this.raftLog.unstable.entries.length > 0 ||
      this.raftLog.unstable.snapshot !== null ||
      this.raftLog.hasNextCommittedEntries() ||
      hard.term !== this.currentTerm ||
      hard.vote !== this.vote ||
      hard.commit !== this.raftLog.committed ||
      this.state.role !== this.previousSoftState.role ||
      this.leader !== this.previousSoftState.leader ||
      this.confirmedReads.some((read) => read.index <= this.raftLog.committed)
    );
  }

  ready(): Ready {
    invariant(!this.readyInFlight, "ready() called again before advance()");
    this.flushLeader();
    const soft = this.softState();
    const hard = this.hardState();
    const committedEntries = this.raftLog.nextCommittedEntries(this.options.applyEntriesMax);
    const lastCommitted = committedEntries[committedEntries.length - 1];
    const appliedAfter = lastCommitted?.index ?? this.raftLog.applied;
    const readStates = this.confirmedReads.filter((read) => read.index <= appliedAfter);
    this.confirmedReads = this.confirmedReads.filter((read) => read.index > appliedAfter);
    const ready: Ready = {
      softState: soft.role !== this.previousSoftState.role || soft.leader !== this.previousSoftState.leader ? soft : null,
      hardState: sameHardState(hard, this.previousHardState) ? null : hard,
      snapshot: this.raftLog.unstable.snapshot,
      entries: this.raftLog.unstable.entries.slice(),
      messages: this.messages,
      committedEntries,
      readStates,
    };
    this.messages = [];
    this.previousSoftState = soft;
    this.previousHardState = hard;
    this.readyInFlight = true;
    return ready;
  }

  advance(ready: Ready): void {
    invariant(this.readyInFlight, "advance() without a ready()");
    this.readyInFlight = false;
    this.raftLog.stableTo(ready.snapshot, ready.entries);
    const lastPersisted = ready.entries[ready.entries.length - 1];
    if (lastPersisted !== undefined && this.state.role === "leader") {
      (this.state.progress.get(this.id) as Progress).maybeUpdate(lastPersisted.index);
      this.maybeCommit(this.state);
    }
    const lastCommitted = ready.committedEntries[ready.committedEntries.length - 1];
    if (lastCommitted !== undefined) this.raftLog.appliedTo(lastCommitted.index);
  }

  /**
   * The state machine has applied through `index` and produced `data`: drop the log before it.
   * Returns the snapshot to persist. Followers behind the new first index get it via InstallSnapshot.
   */
  compact(index: LogIndex, data: unknown): Snapshot {
    const snapshot = this.snapshotAt(index, data);
    this.raftLog.compact(snapshot);
    return snapshot;
  }

  /** The snapshot compact(index, data) would install, without compacting (to persist it first). */
  snapshotAt(index: LogIndex, data: unknown): Snapshot {
    invariant(index <= this.raftLog.applied, () => `snapshot at ${index} beyond applied ${this.raftLog.applied}`);
    const entryTerm = this.raftLog.term(index);
    invariant(entryTerm !== null, () => `snapshot at ${index}: entry not in the log`);
    return { metadata: { index, term: entryTerm, voters: this.options.voters.slice() }, data };
  }

  status(): RaftStatus {
    const state = this.state;
    let progress: Record<string, PeerStatus> | null = null;
    if (state.role === "leader") {
      progress = {};
      for (const [peer, peerProgress] of state.progress) {
        progress[peer] = {
          match: peerProgress.match,
          next: peerProgress.next,
          state: peerProgress.state,
          recentActive: peerProgress.recentActive,
        };
      }
    }
    return {
      id: this.id,
      role: state.role,
      term: this.currentTerm,
      vote: this.vote,
      leader: this.leader,
      commit: this.raftLog.committed,
      applied: this.raftLog.applied,
      firstIndex: this.raftLog.firstIndex(),
      lastIndex: this.raftLog.lastIndex(),
      progress,
      transferee: state.role === "leader" ? state.transferee : null,
    };
  }

  /** Read-only view of the log for tests and the replica (entries in [low, high)). */
  entries(low: LogIndex, high: LogIndex): Entry[] | null {
    return this.raftLog.slice(low, high, Number.MAX_SAFE_INTEGER, Number.POSITIVE_INFINITY);
  }

  termOf(index: LogIndex): Term | null {
    return this.raftLog.term(index);
  }

  // ----- role transitions -------------------------------------------------------------------

  /** Any -> Follower (at `newTerm`, following `leader` if known). */
  private becomeFollower(newTerm: Term, leader: NodeId | null): void {
    this.reset(newTerm);
    this.leader = leader;
    this.state = { role: "follower" };
    this.stepRole = (message) => this.stepFollower(message);
  }

  /** Follower/PreCandidate -> PreCandidate: ask for votes without disturbing anyone's term. */
  private becomePreCandidate(): void {
    invariant(this.state.role !== "leader", "leader cannot become pre-candidate");
    this.leader = null;
    this.state = { role: "preCandidate", votes: new Map() };
    this.stepRole = (message) => this.stepCandidate(message);
  }

  /** Follower/PreCandidate/Candidate -> Candidate at term + 1, voting for itself. */
  private becomeCandidate(): void {
    invariant(this.state.role !== "leader", "leader cannot become candidate");
    this.reset(toTerm(this.currentTerm + 1));
    this.recordVote(this.id);
    this.state = { role: "candidate", votes: new Map() };
    this.stepRole = (message) => this.stepCandidate(message);
  }

  /** Candidate -> Leader: append this term's no-op; writes wait until it is applied. */
  private becomeLeader(): void {
    invariant(this.state.role === "candidate", "only a candidate becomes leader");
    this.reset(this.currentTerm);
    this.leader = this.id;
    const progress = new Map<NodeId, Progress>();
    const nextIndex = logIndex(this.raftLog.lastIndex() + 1);
    for (const voter of this.options.voters) {
      const peerProgress = new Progress(nextIndex, this.options.inflightAppendsMax);
      if (voter === this.id) {
        peerProgress.match = this.raftLog.lastIndex();
        peerProgress.becomeReplicate();
      }
      progress.set(voter, peerProgress);
    }
    const state: LeaderState = {
      role: "leader",
      progress,
      readOnly: new ReadOnly(this.options.pendingReadsMax),
      termStartIndex: nextIndex,
      transferee: null,
      readsBeforeCommit: [],
      appendPending: false,
      readRoundPending: false,
      readRoundInFlight: null,
      ticks: 0,
      answeredAtTick: new Map(),
    };
    this.state = state;
    this.stepRole = (message) => this.stepLeader(state, message);
    this.appendAsLeader(state, "noop", null);
    this.logger.event("info", "raft.leader", { id: this.id, term: this.currentTerm, termStartIndex: nextIndex });
  }

  private reset(newTerm: Term): void {
    invariant(newTerm >= this.currentTerm, () => `term would decrease from ${this.currentTerm} to ${newTerm}`);
    if (newTerm !== this.currentTerm) {
      this.currentTerm = newTerm;
      this.vote = null;
    }
    this.leader = null;
    this.electionElapsedTicks = 0;
    this.heartbeatElapsedTicks = 0;
    this.randomizedElectionTicks = this.drawElectionTicks();
    // Reads confirmed by a previous leader stay valid (their index was committed); unconfirmed
    // ones die with the leader state and the caller times them out.
  }

  /** `candidate` stands before this node in `electionOrder` (never true without one). */
  private ranksBefore(candidate: NodeId): boolean {
    const order = this.options.electionOrder;
    const theirs = order.indexOf(candidate);
    return theirs >= 0 && theirs < order.indexOf(this.id);
  }

  /** [electionTicks, 2 * electionTicks): the whole range, or this voter's slice of it (`electionOrder`). */
  private drawElectionTicks(): number {
    const ticks = this.options.electionTicks;
    const rank = this.options.electionOrder.indexOf(this.id);
    if (rank < 0) return this.random.intBetween(ticks, 2 * ticks - 1);
    const sliceTicks = Math.max(1, Math.floor(ticks / this.options.electionOrder.length));
    const low = Math.min(ticks + rank * sliceTicks, 2 * ticks - 1);
    return this.random.intBetween(low, Math.min(low + sliceTicks - 1, 2 * ticks - 1));
  }

  private recordVote(candidate: NodeId): void {
    invariant(this.vote === null || this.vote === candidate, () => `${this.id} would vote twice in term ${this.currentTerm}`);
    this.vote = candidate;
  }

  // ----- elections --------------------------------------------------------------------------

  private tickElection(): void {
    this.electionElapsedTicks++;
    if (this.electionElapsedTicks >= this.randomizedElectionTicks) {
      this.electionElapsedTicks = 0;
      this.hup(false);
    }
  }

  private hup(transfer: boolean): void {
    if (this.state.role === "leader") return;
    if (this.repair !== null) {
      this.logger.event("info", "raft.repair.noCampaign", { id: this.id, transfer });
      return;
    }
    if (this.options.preVote && !transfer) this.startCampaign("preVote", false);
    else this.startCampaign("vote", transfer);
  }

  private startCampaign(kind: "preVote" | "vote", transfer: boolean): void {
    let voteTerm: Term;
    if (kind === "preVote") {
      this.becomePreCandidate();
      voteTerm = toTerm(this.currentTerm + 1);
    } else {
      this.becomeCandidate();
      voteTerm = this.currentTerm;
    }
    this.logger.event("debug", "raft.campaign", { id: this.id, kind, term: voteTerm });
    if (this.tallyVote(this.id, true)) return;
    for (const voter of this.options.voters) {
      if (voter === this.id) continue;
      this.send(voter, { type: kind, term: voteTerm, index: this.raftLog.lastIndex(), logTerm: this.raftLog.lastTerm(), transfer });
    }
  }

  /** Records a vote; returns true if it decided the election (won or lost). */
  private tallyVote(from: NodeId, granted: boolean): boolean {
    const state = this.state;
    if (state.role !== "candidate" && state.role !== "preCandidate") return false;
    if (!state.votes.has(from)) state.votes.set(from, granted);
    const result = voteResult(this.options.voters, state.votes);
    if (result === "won") {
      if (state.role === "preCandidate") this.startCampaign("vote", false);
      else this.becomeLeader();
      return true;
    }
    if (result === "lost") {
      this.becomeFollower(this.currentTerm, null);
      return true;
    }
    return false;
  }

  private handleVoteRequest(message: VoteMessage): void {
    const isPreVote = message.type === "preVote";
    if (this.repair !== null) {
      // Its log may lack entries it acknowledged: its vote could elect a leader without them.
      this.send(message.from, { type: isPreVote ? "preVoteResponse" : "voteResponse", reject: true });
      return;
    }
    const canVote =
      this.vote === message.from || (this.vote === null && this.leader === null) || (isPreVote && message.term > this.currentTerm);
    const responseType = isPreVote ? "preVoteResponse" : "voteResponse";
    const upToDate = bugOn(this.options.bugs, "vote-without-log-check") || this.raftLog.isUpToDate(message.index, message.logTerm);
    if (canVote && upToDate) {
      // A granted pre-vote answers in the candidate's future term so it can count it.
      this.send(message.from, { type: responseType, term: message.term, reject: false });
      if (!isPreVote) {
        this.electionElapsedTicks = 0;
        this.recordVote(message.from);
      } else if (this.ranksBefore(message.from)) {
        // A pre-campaign of our own that started before this request arrived is abandoned:
        // both passing pre-vote is exactly the split this avoids (seed 10 of region-outage).
        if (this.state.role === "preCandidate") this.becomeFollower(this.currentTerm, null);
        // Priority elections: a follower that backs a higher-ranked candidate's pre-vote holds
        // its own campaign back for a full timeout. Otherwise, when rounds are slower than the
        // slices between ranks (a loaded machine), two survivors can both pass pre-vote and
        // split the real vote. Only this node's own deadline moves (not electionElapsedTicks,
        // which also says how recently it heard from a leader); terms and votes are untouched.
        this.randomizedElectionTicks = Math.max(this.randomizedElectionTicks, this.electionElapsedTicks + this.drawElectionTicks());
      }
    } else {
      this.send(message.from, { type: responseType, reject: true });
    }
  }

  // ----- per-role step functions ------------------------------------------------------------

  private stepFollower(message: Message): void {
    switch (message.type) {
      case "append":
        this.electionElapsedTicks = 0;
        this.leader = message.from;
        this.handleAppend(message);
        return;
      case "heartbeat":
        this.electionElapsedTicks = 0;
        this.leader = message.from;
        this.handleHeartbeat(message);
        return;
      case "snapshot":
        this.electionElapsedTicks = 0;
        this.leader = message.from;
        this.handleSnapshot(message);
        return;
      case "timeoutNow":
        this.logger.event("info", "raft.transfer.timeoutNow", { id: this.id, from: message.from, term: this.currentTerm });
        this.hup(true);
        return;
      case "readIndexResponse":
        this.addConfirmedRead({ index: message.index, context: message.context });
        return;
      case "readIndex":
      case "appendResponse":
      case "heartbeatResponse":
      case "vote":
      case "preVote":
      case "voteResponse":
      case "preVoteResponse":
      case "repairProbe":
      case "repairProbeResponse":
        return;
      default:
        assertNever(message, "message");
    }
  }

  private stepCandidate(message: Message): void {
    const state = this.state;
    invariant(state.role === "candidate" || state.role === "preCandidate", "stepCandidate outside candidacy");
    switch (message.type) {
      case "append":
      case "heartbeat":
      case "snapshot":
        // Someone won this term: Candidate -> Follower, then handle it as a follower.
        this.becomeFollower(message.term, message.from);
        this.stepFollower(message);
        return;
      case "voteResponse":
        if (state.role === "candidate") this.tallyVote(message.from, !message.reject);
        return;
      case "preVoteResponse":
        if (state.role === "preCandidate") this.tallyVote(message.from, !message.reject);
        return;
      case "timeoutNow":
      case "readIndex":
      case "readIndexResponse":
      case "appendResponse":
      case "heartbeatResponse":
      case "vote":
      case "preVote":
      case "repairProbe":
      case "repairProbeResponse":
        return;
      default:
        assertNever(message, "message");
    }
  }

  private stepLeader(state: LeaderState, message: Message): void {
    switch (message.type) {
      case "appendResponse":
        this.handleAppendResponse(state, message);
        return;
      case "heartbeatResponse":
        this.handleHeartbeatResponse(state, message);
        return;
      case "readIndex": {
        const result = this.handleReadIndex(state, message.context, message.from);
        if (result.code !== "OK") this.logger.event("debug", "raft.readIndex.dropped", { id: this.id, from: message.from });
        return;
      }
      case "append":
      case "heartbeat":
      case "snapshot":
        invariant(false, () => `two leaders in term ${this.currentTerm}: ${this.id} and ${message.from}`);
        return;
      case "timeoutNow":
      case "readIndexResponse":
      case "vote":
      case "preVote":
      case "voteResponse":
      case "preVoteResponse":
      case "repairProbe":
      case "repairProbeResponse":
        return;
      default:
        assertNever(message, "message");
    }
  }

  // ----- follower handlers ------------------------------------------------------------------

  private handleAppend(message: AppendMessage): void {
    if (message.index < this.raftLog.committed) {
      this.send(message.from, {
        type: "appendResponse",
        index: this.raftLog.committed,
        reject: false,
        rejectHint: INDEX_ZERO,
        logTerm: TERM_ZERO,
      });
      this.noteRepairProgress(message);
      return;
    }
    const lastNewIndex = this.raftLog.maybeAppend(message.index, message.logTerm, message.commit, message.entries);
    if (lastNewIndex !== null) {
      this.send(message.from, { type: "appendResponse", index: lastNewIndex, reject: false, rejectHint: INDEX_ZERO, logTerm: TERM_ZERO });
      this.noteRepairProgress(message);
      return;
    }
    // Tell the leader where our log might match: the last index at or below its probe whose
    // term is <= the probe's term, so it can skip every entry of a conflicting term at once.
    const hintIndex = this.raftLog.findConflictByTerm(logIndex(Math.min(message.index, this.raftLog.lastIndex())), message.logTerm);
    const hintTerm = this.raftLog.term(hintIndex) ?? TERM_ZERO;
    this.send(message.from, { type: "appendResponse", index: message.index, reject: true, rejectHint: hintIndex, logTerm: hintTerm });
  }

  private handleHeartbeat(message: HeartbeatMessage): void {
    // A leader that does not know yet that we repair bounds the commit by what we held before the
    // damage, and our log past its trusted commit may hold entries it overwrote since: while
    // repairing, commit moves only with appends, where the log is matched first.
    if (this.repair === null) this.raftLog.commitTo(message.commit);
    this.send(message.from, { type: "heartbeatResponse", context: message.context });
  }

  private handleSnapshot(message: SnapshotMessage): void {
    const { index, term: snapshotTerm } = message.snapshot.metadata;
    if (index <= this.raftLog.committed) {
      // Stale or duplicate: we already have it.
    } else if (this.raftLog.matchTerm(index, snapshotTerm)) {
      // Our log already contains the snapshot's last entry: fast-forward commit, keep the suffix.
      this.raftLog.commitTo(index);
    } else {
      this.logger.event("info", "raft.snapshot.restore", { id: this.id, index, term: snapshotTerm });
      this.raftLog.restore(message.snapshot);
      this.send(message.from, {
        type: "appendResponse",
        index: this.raftLog.lastIndex(),
        reject: false,
        rejectHint: INDEX_ZERO,
        logTerm: TERM_ZERO,
      });
      return;
    }
    this.send(message.from, {
      type: "appendResponse",
      index: this.raftLog.committed,
      reject: false,
      rejectHint: INDEX_ZERO,
      logTerm: TERM_ZERO,
    });
  }

  // ----- leader ----------------------------------------------------------------------------

  private tickLeader(state: LeaderState): void {
    state.ticks++;
    this.heartbeatElapsedTicks++;
    this.electionElapsedTicks++;
    for (const [peer, progress] of state.progress) {
      if (peer === this.id || progress.state !== "snapshot") continue;
      // A lost snapshot is never acknowledged: fall back to probing, which resends it.
      progress.snapshotElapsedTicks++;
      if (progress.snapshotElapsedTicks >= this.options.electionTicks) progress.becomeProbe();
    }
    if (this.electionElapsedTicks >= this.options.electionTicks) {
      this.electionElapsedTicks = 0;
      if (state.transferee !== null) {
        this.logger.event("info", "raft.transfer.abort", { id: this.id, target: state.transferee, term: this.currentTerm });
        state.transferee = null;
      }
      if (this.options.checkQuorum && !this.quorumActive(state)) {
        this.logger.event("info", "raft.checkQuorum.stepDown", { id: this.id, term: this.currentTerm });
        this.becomeFollower(this.currentTerm, null);
        return;
      }
    }
    if (this.heartbeatElapsedTicks >= this.options.heartbeatTicks) {
      this.heartbeatElapsedTicks = 0;
      // The periodic heartbeat carries the newest pending read, so a lost read round is retried.
      if (!this.startReadRound(state)) this.broadcastHeartbeat(state, "");
    }
  }

  /** Heard from a quorum since the last check? Resets the marks for the next round. */
  private quorumActive(state: LeaderState): boolean {
    let active = 0;
    for (const [peer, progress] of state.progress) {
      if (peer === this.id || (progress.recentActive && !progress.repairing)) active++;
      if (peer !== this.id) progress.recentActive = false;
    }
    return active >= Math.floor(this.options.voters.length / 2) + 1;
  }

  private appendAsLeader(state: LeaderState, kind: Entry["kind"], data: unknown): Entry {
    const entry: Entry = { term: this.currentTerm, index: logIndex(this.raftLog.lastIndex() + 1), kind, data };
    const lastIndex = this.raftLog.append([entry]);
    invariant(lastIndex === entry.index, "leader append did not land at the end of its log");
    // The leader's own copy counts toward a quorum only once it is durable (advance(), after the
    // caller's fsync): the caller may then send appends in parallel with its own fsync (Raft
    // thesis 10.2.1) without ever committing an entry that a majority does not hold durably.
    state.appendPending = true;
    return entry;
  }

  private maybeCommit(state: LeaderState): boolean {
    const matches: LogIndex[] = [];
    for (const progress of state.progress.values()) matches.push(progress.repairing ? INDEX_ZERO : progress.match);
    const wasCommittedInTerm = this.committedInCurrentTerm();
    const quorumShortBy = bugOn(this.options.bugs, "commit-quorum-short") ? 1 : 0;
    if (!this.raftLog.maybeCommit(committedIndex(matches, quorumShortBy), this.currentTerm)) return false;
    if (!wasCommittedInTerm) {
      const waiting = state.readsBeforeCommit.splice(0);
      for (const read of waiting) this.handleReadIndex(state, read.context, read.from);
    }
    return true;
  }

  private committedInCurrentTerm(): boolean {
    return this.raftLog.term(this.raftLog.committed) === this.currentTerm;
  }

  /** Sends what the follower is missing; returns false if nothing was sent. */
  private sendAppend(state: LeaderState, to: NodeId, sendIfEmpty: boolean): boolean {
    const progress = state.progress.get(to) as Progress;
    if (progress.isPaused()) return false;
    const prevIndex = logIndex(progress.next - 1);
    const prevTerm = this.raftLog.term(prevIndex);
    const entries = this.raftLog.slice(
      progress.next,
      logIndex(this.raftLog.lastIndex() + 1),
      this.options.batchEntriesMax,
      this.options.batchBytesMax,
    );
    if (prevTerm === null || entries === null) return this.sendSnapshot(progress, to);
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.send(
      to,
      progress.repairing
        ? { type: "append", index: prevIndex, logTerm: prevTerm, entries, commit: this.raftLog.committed, repairSeen: true }
        : { type: "append", index: prevIndex, logTerm: prevTerm, entries, commit: this.raftLog.committed },
    );
    const last = entries[entries.length - 1];
    switch (progress.state) {
      case "replicate":
        if (last !== undefined) {
          progress.optimisticUpdate(last.index);
          progress.inflights.add(last.index);
        }
        break;
      case "probe":
        progress.probeSent = true;
        break;
      case "snapshot":
        invariant(false, "append sent in snapshot state");
        break;
      default:
        assertNever(progress.state, "progress state");
    }
    return true;
  }

  private sendSnapshot(progress: Progress, to: NodeId): boolean {
    if (!progress.recentActive) return false;
    const snapshot = this.raftLog.latestSnapshot();
    invariant(snapshot !== null, () => `need a snapshot for ${to} but the log was never compacted`);
    this.logger.event("info", "raft.snapshot.send", { id: this.id, to, index: snapshot.metadata.index });
    this.send(to, { type: "snapshot", snapshot });
    progress.becomeSnapshot(snapshot.metadata.index);
    return true;
  }

  private broadcastAppend(state: LeaderState, sendIfEmpty: boolean): void {
    for (const peer of this.options.voters) if (peer !== this.id) this.sendAppend(state, peer, sendIfEmpty);
  }

  private broadcastHeartbeat(state: LeaderState, context: string): void {
    for (const peer of this.options.voters) {
      if (peer === this.id) continue;
      const progress = state.progress.get(peer) as Progress;
      // Never tell a follower to commit beyond what it is known to hold.
      const commit = logIndex(Math.min(progress.match, this.raftLog.committed));
      this.send(peer, { type: "heartbeat", commit, context });
    }
  }

  /** Proposals, commit advances and read rounds since the last Ready go out as one batch. */
  private flushLeader(): void {
    const state = this.state;
    if (state.role !== "leader") return;
    // A commit advance alone sends nothing: followers learn the commit index with the next
    // append or heartbeat (at most heartbeatTicks later). Nothing waits on a follower's apply
    // (reads go through the leader, a new leader catches up before serving), and an immediate
    // empty append per commit would cost four messages, four answers and four Readys per batch.
    if (state.appendPending) {
      this.broadcastAppend(state, false);
      state.appendPending = false;
    }
    if (state.readRoundPending) this.startReadRound(state);
  }

  /** A heartbeat round confirming every read pending so far; false if none is pending. */
  private startReadRound(state: LeaderState): boolean {
    state.readRoundPending = false;
    const context = state.readOnly.lastContext();
    if (context === null) return false;
    state.readRoundInFlight = context;
    this.broadcastHeartbeat(state, context);
    return true;
  }

  private handleAppendResponse(state: LeaderState, message: AppendResponseMessage): void {
    const progress = state.progress.get(message.from) as Progress;
    progress.recentActive = true;
    state.answeredAtTick.set(message.from, state.ticks);
    if (this.noteRepairing(state, message.from, progress, message.repairing === true)) return;
    if (message.reject) {
      let nextProbe = message.rejectHint;
      if (message.logTerm > 0) nextProbe = this.raftLog.findConflictByTerm(message.rejectHint, message.logTerm);
      if (progress.maybeDecrTo(message.index, nextProbe)) {
        if (progress.state === "replicate") progress.becomeProbe();
        this.sendAppend(state, message.from, true);
      }
      return;
    }
    const wasPaused = progress.isPaused();
    if (!progress.maybeUpdate(message.index)) {
      if (wasPaused && !progress.isPaused()) this.sendAppend(state, message.from, false);
      return;
    }
    switch (progress.state) {
      case "probe":
        progress.becomeReplicate();
        break;
      case "snapshot":
        if (progress.match >= progress.pendingSnapshot) {
          progress.becomeProbe();
          progress.becomeReplicate();
        }
        break;
      case "replicate":
        progress.inflights.freeLE(message.index);
        break;
      default:
        assertNever(progress.state, "progress state");
    }
    this.maybeCommit(state);
    // A follower we had paused may also be missing the commit index: tell it even if no entries.
    let sent = this.sendAppend(state, message.from, wasPaused);
    // Keep the pipeline full: send as long as there is something new and room in flight.
    for (let sendsMax = this.options.inflightAppendsMax; sent && sendsMax > 0; sendsMax--) {
      sent = this.sendAppend(state, message.from, false);
    }
    if (message.from === state.transferee && progress.match === this.raftLog.lastIndex()) {
      this.logger.event("info", "raft.transfer.timeoutNow", { id: this.id, target: message.from });
      this.send(message.from, { type: "timeoutNow" });
    }
  }

  private handleHeartbeatResponse(state: LeaderState, message: HeartbeatResponseMessage): void {
    const progress = state.progress.get(message.from) as Progress;
    progress.recentActive = true;
    state.answeredAtTick.set(message.from, state.ticks);
    if (this.noteRepairing(state, message.from, progress, message.repairing === true)) return;
    progress.probeSent = false;
    if (progress.state === "replicate" && progress.inflights.full()) progress.inflights.freeFirstOne();
    if (progress.match < this.raftLog.lastIndex()) this.sendAppend(state, message.from, true);
    // A repairing follower votes in no election, so its ack cannot rule out a newer leader.
    if (message.context === "" || progress.repairing || !state.readOnly.has(message.context)) return;
    const acks = state.readOnly.ack(message.context, message.from);
    if (acks < Math.floor(this.options.voters.length / 2) + 1) return;
    for (const request of state.readOnly.release(message.context)) this.answerRead(request.from, request.index, request.context);
    if (state.readRoundInFlight !== null && !state.readOnly.has(state.readRoundInFlight)) {
      state.readRoundInFlight = null;
      if (state.readOnly.size > 0) state.readRoundPending = true;
    }
  }

  private handleReadIndex(state: LeaderState, context: string, from: NodeId): ReadIndexResult {
    if (this.options.voters.length === 1) {
      this.answerRead(from, this.raftLog.committed, context);
      return { code: "OK" };
    }
    if (!this.committedInCurrentTerm()) {
      // Our commit index may lag the true one until our no-op commits (thesis §6.4 step 1).
      if (state.readsBeforeCommit.length >= this.options.pendingReadsMax) return { code: "DROPPED", reason: "pendingReadsMax reached" };
      state.readsBeforeCommit.push({ context, from });
      return { code: "OK" };
    }
    if (state.readOnly.has(context)) return { code: "OK" };
    if (state.readOnly.size >= this.options.pendingReadsMax) return { code: "DROPPED", reason: "pendingReadsMax reached" };
    state.readOnly.add(context, this.raftLog.committed, from, this.id);
    if (state.readRoundInFlight === null) state.readRoundPending = true;
    return { code: "OK" };
  }

  private answerRead(to: NodeId, index: LogIndex, context: string): void {
    if (to === this.id) this.addConfirmedRead({ index, context });
    else this.send(to, { type: "readIndexResponse", index, context });
  }

  private addConfirmedRead(read: ReadState): void {
    if (this.confirmedReads.length >= this.options.pendingReadsMax) {
      this.logger.event("warn", "raft.readIndex.overflow", { id: this.id, context: read.context });
      return;
    }
    this.confirmedReads.push(read);
  }

  // ----- plumbing ---------------------------------------------------------------------------

  /**
   * Every caller passes a fresh literal, so it is completed in place rather than copied: this is
   * the hottest allocation of the replication path (one per message). Messages are readonly by
   * type; nothing mutates them after this.
   */
  private send(to: NodeId, outgoing: Outgoing): void {
    const message = outgoing as { from?: NodeId; to?: NodeId; term?: Term; type: string; repairing?: boolean };
    if (this.repair !== null && (message.type === "appendResponse" || message.type === "heartbeatResponse")) message.repairing = true;
    message.from = this.id;
    message.to = to;
    if (message.term === undefined) message.term = this.currentTerm;
    this.messages.push(message as Message);
  }

  private softState(): SoftState {
    return { role: this.state.role, leader: this.leader };
  }

  private hardState(): HardState {
    return { term: this.currentTerm, vote: this.vote, commit: this.raftLog.committed };
  }
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

export { EMPTY_HARD_STATE };
