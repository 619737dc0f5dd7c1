// Messages between cell clients (gateways, test clients) and the replicas of a cell. Plain data:
// they cross the simulated network by reference and real TCP as JSON, a batch's bytes as bytes
// (sim/live/adapters/framing.ts).

export type ClientErrorCode =
  | "NOT_LEADER" // leaderHint names who the replica believes leads (may be null)
  | "DROPPED" // the leader could not accept it now (transfer in progress, catching up): retry
  | "UNAVAILABLE" // the replica cannot serve (corrupted state, disk failed): try another
  | "TIMEOUT" // no answer within the client's deadline: outcome unknown
  | "OVERLOADED" // shed by admission control: not attempted
  | "INVALID" // the command itself is malformed: will never succeed
  | "CROSS_CELL"; // its accounts are now in two cells (a shard moved): not applied by the cell that answered

export interface ClientError {
  readonly code: ClientErrorCode;
  readonly message?: string;
  readonly leaderHint?: string | null;
}

/**
 * `batch`: the payload is a ledger batch's bytes (cells/ledger/codec.ts) whose request id is
 * this request's; the result is a LedgerBatchOutcome. `command`: one ledger command as plain data
 * (the form before batches; the leader proposes it as a batch of one and answers its outcome).
 * `read`: a linearizable read (ReadIndex). `status`: a health probe (the controller's, from its
 * control replica's host): the replica answers its own Raft status at once, leader or not
 * (a ReplicaProbeStatus), without touching the log. `transfer`: the controller asks the cell's
 * leader to hand leadership to `payload.target` (a TransferRequest); the answer is the replica's
 * TransferAnswer (code "OK": the transfer started, or the target already leads), leader or not.
 */
export type ClientRequestKind = "batch" | "command" | "read" | "status" | "transfer";

/** The payload of a `transfer` request. */
export interface TransferRequest {
  readonly target: string;
}

/** A replica's answer to a `transfer` request (cells/raft/raft.ts TransferResult, or UNAVAILABLE when Raft is not running). */
export interface TransferAnswer {
  readonly code: "OK" | "NOT_LEADER" | "BAD_TARGET" | "TARGET_BEHIND" | "UNAVAILABLE";
  readonly reason?: string;
  readonly leaderHint?: string | null;
}

/** A replica's answer to a `status` probe: what it says of itself (and, leading, which peers answered it lately). */
export interface ReplicaProbeStatus {
  readonly role: string | null;
  readonly term: number;
  readonly lastIndex: number;
  readonly commit: number;
  readonly applied: number;
  /** Raft runs (not recovering, corrupted or failed). */
  readonly running: boolean;
  readonly corrupted: boolean;
  readonly repairing: boolean;
  readonly failed: boolean;
  /** Leader only: the voters it heard from within its last election timeout (null when not leading). */
  readonly activePeers: readonly string[] | null;
}

/** A batch or command for the cell's state machine, or a linearizable read. */
export interface ClientRequest {
  readonly type: "client-request";
  readonly requestId: string;
  readonly kind: ClientRequestKind;
  readonly payload: unknown;
  /** Where the answer goes (the transport source may be a proxy in the live runtime). */
  readonly replyTo: string;
}

export interface ClientResponse {
  readonly type: "client-response";
  readonly requestId: string;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: ClientError;
  /** The replica that answered, so the client can cache the leader. */
  readonly from: string;
}

export type ClientMessage = ClientRequest | ClientResponse;

export function isClientMessage(message: unknown): message is ClientMessage {
  if (typeof message !== "object" || message === null) return false;
  const type = (message as { type?: unknown }).type;
  return type === "client-request" || type === "client-response";
}
