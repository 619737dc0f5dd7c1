// The plain data the Raft core exchanges with its caller: ids, entries, hard state, snapshots,
// messages, Ready. Everything here is serializable (no classes, functions or Maps) and treated
// as immutable once handed out: the simulator passes messages by reference to other nodes.

export type NodeId = string & { readonly __brand: "NodeId" };
export type Term = number & { readonly __brand: "Term" };
export type LogIndex = number & { readonly __brand: "LogIndex" };

export const nodeId = (value: string): NodeId => value as NodeId;
export const term = (value: number): Term => value as Term;
export const logIndex = (value: number): LogIndex => value as LogIndex;

export const TERM_ZERO = term(0);
export const INDEX_ZERO = logIndex(0);

/** "noop" opens each leader's term; "config" is reserved (membership changes are not supported yet). */
export type EntryKind = "normal" | "noop" | "config";

export interface Entry {
  readonly term: Term;
  readonly index: LogIndex;
  readonly kind: EntryKind;
  /** JSON-serializable payload (the ledger puts `{requestId, command}` here). */
  readonly data: unknown;
}

/** What must be durable before the node votes or acknowledges. */
export interface HardState {
  readonly term: Term;
  readonly vote: NodeId | null;
  readonly commit: LogIndex;
}

export const EMPTY_HARD_STATE: HardState = { term: TERM_ZERO, vote: null, commit: INDEX_ZERO };

export interface SnapshotMetadata {
  readonly index: LogIndex;
  readonly term: Term;
  readonly voters: readonly NodeId[];
}

export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  /** The state machine's snapshot (JSON-serializable). */
  readonly data: unknown;
}

export type Role = "follower" | "preCandidate" | "candidate" | "leader";

export interface SoftState {
  readonly role: Role;
  readonly leader: NodeId | null;
}

export interface ReadState {
  readonly index: LogIndex;
  readonly context: string;
}

interface MessageBase {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: Term;
}

/** Leader -> follower. `index`/`logTerm` identify the entry preceding `entries`. */
export interface AppendMessage extends MessageBase {
  readonly type: "append";
  readonly index: LogIndex;
  readonly logTerm: Term;
  readonly entries: readonly Entry[];
  readonly commit: LogIndex;
  /**
   * The leader knows the follower is repairing (its acknowledgements before the repair are void),
   * so this commit index does not rest on anything the follower lost: catching up to it repairs.
   */
  readonly repairSeen?: boolean;
}

/**
 * Follower -> leader. On success `index` is the last index now matching the leader. On reject
 * `index` echoes the probe and `rejectHint`/`logTerm` let the leader skip a whole term at once.
 */
export interface AppendResponseMessage extends MessageBase {
  readonly type: "appendResponse";
  readonly index: LogIndex;
  readonly reject: boolean;
  readonly rejectHint: LogIndex;
  readonly logTerm: Term;
  /** The follower is repairing (cells/storage/recovery.ts): do not count it toward commit or quorum. */
  readonly repairing?: boolean;
}

export interface VoteMessage extends MessageBase {
  readonly type: "vote" | "preVote";
  readonly index: LogIndex;
  readonly logTerm: Term;
  /** Set by a campaign started by TimeoutNow: voters skip the leader-lease check. */
  readonly transfer: boolean;
}

export interface VoteResponseMessage extends MessageBase {
  readonly type: "voteResponse" | "preVoteResponse";
  readonly reject: boolean;
}

export interface HeartbeatMessage extends MessageBase {
  readonly type: "heartbeat";
  readonly commit: LogIndex;
  /** ReadIndex round this heartbeat confirms leadership for ("" when none). */
  readonly context: string;
}

export interface HeartbeatResponseMessage extends MessageBase {
  readonly type: "heartbeatResponse";
  readonly context: string;
  /** As on AppendResponseMessage: a repairing follower's ack confirms no read. */
  readonly repairing?: boolean;
}

/**
 * Repairing replica -> every peer, term-free: do you hold the entry at `index`, which this
 * replica knows was committed and has lost? If none does, it is lost everywhere.
 */
export interface RepairProbeMessage extends MessageBase {
  readonly type: "repairProbe";
  readonly index: LogIndex;
}

export interface RepairProbeResponseMessage extends MessageBase {
  readonly type: "repairProbeResponse";
  readonly index: LogIndex;
  /** The peer's log reaches `index` (it may hold the entry); false: it surely does not. */
  readonly holds: boolean;
  /** The peer repairs too: it votes for no one. */
  readonly repairing: boolean;
}

export interface SnapshotMessage extends MessageBase {
  readonly type: "snapshot";
  readonly snapshot: Snapshot;
}

/** Leader -> transferee: start an election now, without pre-vote. */
export interface TimeoutNowMessage extends MessageBase {
  readonly type: "timeoutNow";
}

/** Follower -> leader: a ReadIndex request forwarded on behalf of a local client. */
export interface ReadIndexMessage extends MessageBase {
  readonly type: "readIndex";
  readonly context: string;
}

export interface ReadIndexResponseMessage extends MessageBase {
  readonly type: "readIndexResponse";
  readonly context: string;
  readonly index: LogIndex;
}

export type Message =
  | AppendMessage
  | AppendResponseMessage
  | VoteMessage
  | VoteResponseMessage
  | HeartbeatMessage
  | HeartbeatResponseMessage
  | SnapshotMessage
  | TimeoutNowMessage
  | ReadIndexMessage
  | ReadIndexResponseMessage
  | RepairProbeMessage
  | RepairProbeResponseMessage;

export type MessageType = Message["type"];

/**
 * A batch of work for the caller, handled in this order: persist `hardState`, `snapshot` and
 * `entries` (fsync), then send `messages`, then apply `committedEntries`, then `advance(ready)`.
 */
export interface Ready {
  readonly softState: SoftState | null;
  readonly hardState: HardState | null;
  readonly snapshot: Snapshot | null;
  readonly entries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly committedEntries: readonly Entry[];
  readonly readStates: readonly ReadState[];
}

export function assertNever(value: never, what = "value"): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
