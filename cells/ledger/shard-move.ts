// Moving a range of shards from one cell's ledger to another's (docs/cells.md "Elastic cells").
// Every step is a command in a Raft entry of the cell it concerns, so each cell decides its side
// of a move once, in log order, on all five replicas:
//
//   destination  expect   the range is on its way here: its commands are answered MOVE_PENDING
//   source       fence    the range's accounts leave (their balances are the carried record) and
//                         its commands are answered MOVED, naming the destination
//   destination  import   the carried record's accounts, balances, idempotency ids and open
//                         outbox records arrive
//   destination  abort    the move will never be imported here (whichever of import and abort
//                         commits first at the destination decides the move)
//   source       unfence  only after an abort: the source takes its accounts back
//
// So a range's money is in exactly one ledger at every committed point (before the fence: the
// source; between fence and import or unfence: the fence's record, frozen, which the source keeps;
// after: the destination or the source again), never in two and never lost.
//
// Shards are read from account ids (`acct-<shard>-<n>`, cells/placement.ts); an account of
// another form belongs to no shard and never moves.

import type { AccountId } from "./commands.js";
import type { OutboxRecord } from "./cross-cell.js";
import { assertLedger } from "./errors.js";

/** An open outbox record as a move carries it: [id, from, to, toCell, amount]. */
export type CarriedOutboxRecord = readonly [string, AccountId, AccountId, string, number];

export const SHARD_MOVE_STEPS = ["expect", "fence", "import", "abort", "unfence"] as const;
export type ShardMoveStep = (typeof SHARD_MOVE_STEPS)[number];

/**
 * Format of the carried record; later kinds of per-shard state are added as `extensions` (today:
 * the received table's entries of the range's payees, RECEIVED_EXTENSION, and the open outbox
 * records of the range's payers, OUTBOX_EXTENSION: the destination settles or refunds them).
 */
export const SHARD_RECORD_FORMAT = 1;

/**
 * What a move carries: the range's accounts with their balances, the idempotency entries of the
 * operations whose home account is in the range, and any extension (named per-shard state a later
 * feature adds; carried as it is).
 */
export interface ShardRecord {
  readonly format: number;
  readonly accounts: readonly (readonly [AccountId, number])[];
  /** [operation id, packed fingerprint and outcome] (idempotency.ts). */
  readonly idempotency: readonly (readonly [string, number])[];
  readonly extensions?: Readonly<Record<string, unknown>>;
}

export interface ShardMoveCommand {
  readonly type: "ShardMove";
  readonly step: ShardMoveStep;
  readonly moveId: string;
  /** The range, inclusive. */
  readonly first: number;
  readonly last: number;
  /** The other cell: the destination for expect/fence/unfence, the source for import/abort. */
  readonly peer: string;
  /** import only. */
  readonly record?: ShardRecord;
}

/** The chain's record of a move step (hash input: its JSON text, codec.ts). */
export interface ShardsMoved {
  readonly type: "ShardsMoved";
  readonly step: ShardMoveStep;
  readonly moveId: string;
  readonly first: number;
  readonly last: number;
  readonly peer: string;
  /** Accounts that left (fence) or arrived (import, unfence), with their balances. */
  readonly accounts: readonly (readonly [AccountId, number])[];
  /** Idempotency ids and cross-cell received entries (RECEIVED_EXTENSION) that arrived (import). */
  readonly ids: number;
  /**
   * Open outbox records of the range's payers that left (fence) or arrived (import, unfence);
   * absent when there are none (so a move without them encodes and hashes as before).
   */
  readonly outbox?: readonly CarriedOutboxRecord[];
}

export type ShardMoveStatus = "expected" | "fenced" | "imported" | "aborted" | "unfenced";

/** One move as this ledger knows it. */
export interface MoveEntry {
  readonly moveId: string;
  readonly first: number;
  readonly last: number;
  readonly peer: string;
  status: ShardMoveStatus;
  /** fence: the accounts that left, kept for an unfence and for answering a retried fence. */
  accounts?: readonly (readonly [AccountId, number])[];
  /** fence: the open outbox records that left with them (absent: none). */
  outbox?: readonly CarriedOutboxRecord[];
}

/** Why a command touching a moving range was not applied here (no event: nothing happened). */
export type ShardRouting =
  | { readonly kind: "here" }
  | { readonly kind: "moved"; readonly owner: string }
  | { readonly kind: "pending" }
  | { readonly kind: "cross-cell"; readonly owner: string };

export const shardMoveLimits = { movesRememberedMax: 4_096, rangeShardsMax: 100_000 } as const;

const DIGIT_0 = 48;
const DIGIT_9 = 57;
const DASH = 45;

/**
 * The shard an account id names (`acct-<shard>-<n>`, both decimal), or -1 for an id of another
 * form. Read by hand, not by a regular expression: every recorded operation asks (idempotency.ts).
 */
export function shardOfAccountId(account: string): number {
  if (!account.startsWith("acct-")) return -1;
  let shard = 0;
  let i = 5;
  for (; i < account.length; i++) {
    const c = account.charCodeAt(i);
    if (c === DASH) break;
    if (c < DIGIT_0 || c > DIGIT_9) return -1;
    shard = shard * 10 + (c - DIGIT_0);
  }
  if (i === 5 || i >= account.length - 1) return -1;
  for (let j = i + 1; j < account.length; j++) {
    const c = account.charCodeAt(j);
    if (c < DIGIT_0 || c > DIGIT_9) return -1;
  }
  return shard;
}

/**
 * A ledger's side of every move: which shards it has fenced (and for whom), which it expects,
 * and each move's status. Part of the ledger's state and of its snapshot.
 */
export class ShardMoves {
  /** shard -> the cell it moved to (a fenced range, kept after the move: a stale route is redirected). */
  private readonly redirects = new Map<number, string>();
  /** shard -> the move bringing it here. */
  private readonly expected = new Map<number, string>();
  private readonly moves = new Map<string, MoveEntry>();
  /** Transfer id -> the cell its open outbox record left for (fenced moves): a settlement there is redirected. */
  private readonly carriedOut = new Map<string, string>();
  movedInTotal = 0;
  movedOutTotal = 0;
  /** Open outbox money that arrived with moved ranges (imports, unfences) and left with them (fences). */
  outboxMovedInTotal = 0;
  outboxMovedOutTotal = 0;

  /** False while no move ever touched this ledger: the fast path checks nothing. */
  get active(): boolean {
    return this.redirects.size > 0 || this.expected.size > 0;
  }

  get used(): boolean {
    return this.moves.size > 0;
  }

  /** True while some range is on its way here (expected, neither imported nor aborted yet). */
  get pending(): boolean {
    return this.expected.size > 0;
  }

  /** The cell an open outbox record left for with its payer's range, if it did. */
  carriedOwner(transferId: string): string | undefined {
    return this.carriedOut.get(transferId);
  }

  move(moveId: string): MoveEntry | undefined {
    return this.moves.get(moveId);
  }

  /** Where a command on these accounts belongs: here, elsewhere (the owner), or not yet known. */
  route(accounts: readonly string[]): ShardRouting {
    let owner: string | null = null;
    let local = false;
    let pending = false;
    for (const account of accounts) {
      const shard = shardOfAccountId(account);
      const redirect = shard < 0 ? undefined : this.redirects.get(shard);
      if (redirect !== undefined) {
        if (owner !== null && owner !== redirect) return { kind: "cross-cell", owner };
        owner = redirect;
        continue;
      }
      if (shard >= 0 && this.expected.has(shard)) pending = true;
      else local = true;
    }
    if (owner === null) return pending ? { kind: "pending" } : { kind: "here" };
    return local || pending ? { kind: "cross-cell", owner } : { kind: "moved", owner };
  }

  /** Records a decided step (the ledger applied its event). */
  apply(event: ShardsMoved): void {
    const existing = this.moves.get(event.moveId);
    switch (event.step) {
      case "expect":
        for (let shard = event.first; shard <= event.last; shard++) this.expected.set(shard, event.moveId);
        this.remember({ moveId: event.moveId, first: event.first, last: event.last, peer: event.peer, status: "expected" });
        return;
      case "fence":
        for (let shard = event.first; shard <= event.last; shard++) {
          this.redirects.set(shard, event.peer);
          this.expected.delete(shard);
        }
        this.remember({
          moveId: event.moveId,
          first: event.first,
          last: event.last,
          peer: event.peer,
          status: "fenced",
          accounts: event.accounts,
          ...(event.outbox !== undefined && { outbox: event.outbox }),
        });
        for (const [id] of event.outbox ?? []) this.carriedOut.set(id, event.peer);
        return;
      case "import":
      case "abort":
        for (let shard = event.first; shard <= event.last; shard++) {
          if (this.expected.get(shard) === event.moveId) this.expected.delete(shard);
          // A range coming back to a cell it once left is its own again.
          if (event.step === "import") this.redirects.delete(shard);
        }
        if (existing !== undefined) existing.status = event.step === "import" ? "imported" : "aborted";
        else
          this.remember({
            moveId: event.moveId,
            first: event.first,
            last: event.last,
            peer: event.peer,
            status: event.step === "import" ? "imported" : "aborted",
          });
        return;
      case "unfence":
        if (existing === undefined) {
          this.remember({ moveId: event.moveId, first: event.first, last: event.last, peer: event.peer, status: "unfenced" });
          return;
        }
        assertLedger(existing.status === "fenced", () => `unfence of move ${event.moveId} that is ${existing.status}`);
        for (let shard = event.first; shard <= event.last; shard++) this.redirects.delete(shard);
        for (const [id] of existing.outbox ?? []) this.carriedOut.delete(id);
        existing.status = "unfenced";
        existing.accounts = undefined;
        existing.outbox = undefined;
        return;
    }
  }

  private remember(entry: MoveEntry): void {
    this.moves.delete(entry.moveId);
    this.moves.set(entry.moveId, entry);
    // Oldest finished moves are forgotten first; a fenced one (its record may still be needed) is kept.
    if (this.moves.size <= shardMoveLimits.movesRememberedMax) return;
    for (const [moveId, move] of this.moves) {
      if (move.status !== "fenced") {
        this.moves.delete(moveId);
        return;
      }
    }
  }

  /** Plain data for the snapshot (absent from it while no move ever happened). */
  toJson(): ShardMovesJson {
    return {
      redirects: [...this.redirects],
      expected: [...this.expected],
      moves: [...this.moves.values()].map((move) => ({
        ...move,
        accounts: move.accounts === undefined ? undefined : [...move.accounts],
        ...(move.outbox !== undefined && { outbox: [...move.outbox] }),
      })),
      movedInTotal: this.movedInTotal,
      movedOutTotal: this.movedOutTotal,
      // Absent while no move carried an open record, so such snapshots are as before.
      ...((this.outboxMovedInTotal > 0 || this.outboxMovedOutTotal > 0) && {
        outboxMovedInTotal: this.outboxMovedInTotal,
        outboxMovedOutTotal: this.outboxMovedOutTotal,
      }),
    };
  }

  static fromJson(json: ShardMovesJson): ShardMoves {
    const moves = new ShardMoves();
    for (const [shard, cell] of json.redirects) moves.redirects.set(shard, cell);
    for (const [shard, moveId] of json.expected) moves.expected.set(shard, moveId);
    for (const move of json.moves) {
      moves.moves.set(move.moveId, { ...move });
      if (move.status === "fenced") for (const [id] of move.outbox ?? []) moves.carriedOut.set(id, move.peer);
    }
    moves.movedInTotal = json.movedInTotal;
    moves.movedOutTotal = json.movedOutTotal;
    moves.outboxMovedInTotal = json.outboxMovedInTotal ?? 0;
    moves.outboxMovedOutTotal = json.outboxMovedOutTotal ?? 0;
    return moves;
  }
}

export interface ShardMovesJson {
  readonly redirects: readonly (readonly [number, string])[];
  readonly expected: readonly (readonly [number, string])[];
  readonly moves: readonly MoveEntry[];
  readonly movedInTotal: number;
  readonly movedOutTotal: number;
  /** Absent in snapshots written before moves carried open outbox records (read as 0). */
  readonly outboxMovedInTotal?: number;
  readonly outboxMovedOutTotal?: number;
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function isName(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= 256;
}

function isAccounts(value: unknown): value is [string, number][] {
  return (
    Array.isArray(value) && value.every((entry) => Array.isArray(entry) && entry.length === 2 && isName(entry[0]) && isCount(entry[1]))
  );
}

/** Checks untrusted snapshot data; returns the name of the first bad field, or null. */
export function invalidShardMovesField(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return "shardMoves";
  const record = value as Record<string, unknown>;
  if (!Array.isArray(record.redirects) || !record.redirects.every((e) => Array.isArray(e) && isCount(e[0]) && isName(e[1])))
    return "shardMoves.redirects";
  if (!Array.isArray(record.expected) || !record.expected.every((e) => Array.isArray(e) && isCount(e[0]) && isName(e[1])))
    return "shardMoves.expected";
  if (!Array.isArray(record.moves)) return "shardMoves.moves";
  for (let i = 0; i < record.moves.length; i++) {
    const move = record.moves[i] as Record<string, unknown> | null;
    if (
      typeof move !== "object" ||
      move === null ||
      !isName(move.moveId) ||
      !isCount(move.first) ||
      !isCount(move.last) ||
      !isName(move.peer) ||
      !["expected", "fenced", "imported", "aborted", "unfenced"].includes(move.status as string) ||
      (move.accounts !== undefined && !isAccounts(move.accounts)) ||
      (move.outbox !== undefined && !isCarriedOutbox(move.outbox))
    )
      return `shardMoves.moves[${i}]`;
  }
  if (!isCount(record.movedInTotal)) return "shardMoves.movedInTotal";
  if (!isCount(record.movedOutTotal)) return "shardMoves.movedOutTotal";
  if (record.outboxMovedInTotal !== undefined && !isCount(record.outboxMovedInTotal)) return "shardMoves.outboxMovedInTotal";
  if (record.outboxMovedOutTotal !== undefined && !isCount(record.outboxMovedOutTotal)) return "shardMoves.outboxMovedOutTotal";
  return null;
}

/** Shape check of a ShardMove command's fields (the codec and the client use it); null when fine. */
export function invalidShardMoveField(command: ShardMoveCommand): string | null {
  if (!SHARD_MOVE_STEPS.includes(command.step)) return "step";
  if (!isName(command.moveId)) return "moveId";
  if (!isCount(command.first) || !isCount(command.last) || command.last < command.first) return "first";
  if (command.last - command.first >= shardMoveLimits.rangeShardsMax) return "last";
  if (!isName(command.peer)) return "peer";
  if (command.step === "import") {
    const record = command.record;
    if (record === undefined || record.format !== SHARD_RECORD_FORMAT || !isAccounts(record.accounts)) return "record";
    if (!Array.isArray(record.idempotency) || !record.idempotency.every((e) => Array.isArray(e) && isName(e[0]) && isCount(e[1])))
      return "record.idempotency";
    for (const [account] of record.accounts) {
      const shard = shardOfAccountId(account);
      if (shard < command.first || shard > command.last) return "record.accounts";
    }
    const received = record.extensions?.[RECEIVED_EXTENSION];
    if (
      received !== undefined &&
      !(
        Array.isArray(received) &&
        received.every((e) => Array.isArray(e) && (e.length === 2 || e.length === 3) && isName(e[0]) && isCount(e[1]))
      )
    )
      return `record.extensions.${RECEIVED_EXTENSION}`;
    const outbox = record.extensions?.[OUTBOX_EXTENSION];
    if (
      outbox !== undefined &&
      !(isCarriedOutbox(outbox) && outbox.every(([, from]) => inRange(shardOfAccountId(from), command.first, command.last)))
    )
      return `record.extensions.${OUTBOX_EXTENSION}`;
  }
  return null;
}

/** An open outbox record as snapshots and moves carry it: [id, from, to, toCell, positive amount]. */
export function isCarriedOutboxRecord(e: unknown): e is CarriedOutboxRecord {
  return (
    Array.isArray(e) &&
    e.length === 5 &&
    isName(e[0]) &&
    isName(e[1]) &&
    isName(e[2]) &&
    isName(e[3]) &&
    isCount(e[4]) &&
    (e[4] as number) > 0
  );
}

function isCarriedOutbox(value: unknown): value is CarriedOutboxRecord[] {
  return Array.isArray(value) && value.every(isCarriedOutboxRecord);
}

/**
 * The extension carrying the open outbox records of the range's payers ([id, from, to, toCell,
 * amount]): the destination holds them from its import on, and the relay settles (or refunds)
 * them there, where the payer now is.
 */
export const OUTBOX_EXTENSION = "crossCellOutbox";

/** The carried open outbox records of a record (none when it has no such extension). */
export function outboxOfRecord(record: ShardRecord): readonly CarriedOutboxRecord[] {
  const value = record.extensions?.[OUTBOX_EXTENSION];
  return Array.isArray(value) ? (value as CarriedOutboxRecord[]) : [];
}

export function carriedOutboxRecord(record: OutboxRecord): CarriedOutboxRecord {
  return [record.id, record.from, record.to, record.toCell, record.amount];
}

/**
 * The extension carrying the received table's entries of credits to the range's accounts
 * ([transfer id, outcome code], cells/ledger/cross-cell.ts): the destination answers a relay's
 * retry of a credit decided at the source with its first outcome.
 */
export const RECEIVED_EXTENSION = "crossCellReceived";

/** The carried received entries of a record, [id, outcome code, shard?] (none when it has no such extension). */
export function receivedOfRecord(record: ShardRecord): readonly (readonly [string, number, number?])[] {
  const value = record.extensions?.[RECEIVED_EXTENSION];
  return Array.isArray(value) ? (value as [string, number, number?][]) : [];
}

export function inRange(shard: number, first: number, last: number): boolean {
  return shard >= first && shard <= last;
}
