// The idempotency table: operation id -> first outcome, so a retried transfer is applied at most
// once and the retry learns what happened the first time.
//
// Bounded, not compacted: evicting an id would let a late retry apply twice, which is the one
// thing this table exists to prevent. The table keeps every id up to `entriesMax` (a million per
// cell covers our longest runs many times over: 60 s at 2,000 ops/s is 120,000 over six cells);
// past that, new operations are rejected with IDEMPOTENCY_TABLE_FULL, deterministically on every
// replica, and nothing is ever applied twice. A production system would expire ids by client
// session (Raft dissertation §6.3); that needs session ids in the commands, which we do not have.
//
// A world that runs indefinitely (`ldc start`) cannot use a table that fills up: at the default
// load a cell records ~270 ids/s, so a million is reached in about an hour and every write after
// that is rejected (and the table, its snapshots and the WAL they bound grow until then). It
// passes `windowEntries` instead: the table keeps the most recent ids, evicting the oldest, and
// never rejects for room. Safe as long as no retry of an id arrives more than `windowEntries`
// recorded operations after the id itself: our clients retry only within their request deadline
// (5 s), so a window of W ids is safe up to W / 5 operations per second per cell (docs/operator.md).
// Eviction follows the applied order, so it is identical on every replica.
//
// Each entry is one number: a 32-bit fingerprint of the operation's parameters and the outcome
// code. The fingerprint tells a retry (same parameters: return the first outcome) from a reused
// id (different parameters: reject with ID_REUSED) without storing the parameters. Above them
// (bits 38..52) the entry records its operation's *home shard* (the shard of a transfer's payer, of
// a deposit's, withdrawal's or opening's account; 0 = not recorded: an entry written before this
// field, or an account of no shard), so a shard move carries exactly the range's entries from the
// whole table (cells/ledger/shard-move.ts). An entry without it reads as before.

import { hashString } from "../../ground/hash.js";
import { IdWindow } from "./id-window.js";
import type { IdempotentCommand } from "./commands.js";
import { assertLedger } from "./errors.js";
import type { DepositRejectReason, TransferRejectReason, WithdrawRejectReason } from "./events.js";

/** The recordable outcomes; IDEMPOTENCY_TABLE_FULL is never recorded (there was no room). */
export type RecordedOutcome =
  "posted" | Exclude<TransferRejectReason | DepositRejectReason | WithdrawRejectReason, "IDEMPOTENCY_TABLE_FULL">;

// Codes are positions: append only (snapshots hold them).
const OUTCOMES: readonly RecordedOutcome[] = [
  "posted",
  "INSUFFICIENT_FUNDS",
  "UNKNOWN_ACCOUNT",
  "SAME_ACCOUNT",
  "INVALID_AMOUNT",
  "BALANCE_OVERFLOW",
  "LINKED_EVENT_FAILED",
  "SAME_CELL",
];
const OUTCOME_CODE = new Map<RecordedOutcome, number>(OUTCOMES.map((outcome, code) => [outcome, code]));
const OUTCOME_CODES = 64; // room for growth; fingerprint * 64 + code stays below 2^38
/** The home shard field: (shard + 1) * 2^38, so a packed entry stays a safe integer (below 2^53). */
const HOME_UNIT = 2 ** 38;
/** The largest shard an entry can record (larger ones are recorded as unknown and never carried). */
export const HOME_SHARD_MAX = 2 ** 15 - 2;

export interface IdempotencyEntry {
  readonly fingerprint: number;
  readonly outcome: RecordedOutcome;
}

/** A 32-bit digest of what the command asks for (type and parameters, not the id). */
export function commandFingerprint(command: IdempotentCommand): number {
  switch (command.type) {
    case "Transfer":
      return hashString(`T|${command.from.length}:${command.from}|${command.to.length}:${command.to}|${command.amount}`);
    case "Deposit":
      return hashString(`D|${command.account.length}:${command.account}|${command.amount}`);
    case "Withdraw":
      return hashString(`W|${command.account.length}:${command.account}|${command.amount}`);
    case "TransferOut":
      return hashString(
        `X|${command.from.length}:${command.from}|${command.to.length}:${command.to}|${command.toCell.length}:${command.toCell}|${command.amount}`,
      );
  }
}

/** `homeShard`: the operation's home shard, -1 when it has none (then not recorded). */
export function packEntry(fingerprint: number, outcome: RecordedOutcome, homeShard = -1): number {
  const code = OUTCOME_CODE.get(outcome);
  assertLedger(code !== undefined, () => `unknown outcome ${outcome}`);
  const home = homeShard >= 0 && homeShard <= HOME_SHARD_MAX ? (homeShard + 1) * HOME_UNIT : 0;
  return home + (fingerprint >>> 0) * OUTCOME_CODES + code;
}

export function unpackEntry(packed: number): IdempotencyEntry | undefined {
  if (!Number.isSafeInteger(packed) || packed < 0) return undefined;
  const base = packed % HOME_UNIT;
  const code = base % OUTCOME_CODES;
  const outcome = OUTCOMES[code];
  const fingerprint = (base - code) / OUTCOME_CODES;
  if (outcome === undefined || fingerprint > 0xffffffff) return undefined;
  return { fingerprint, outcome };
}

/** The home shard a packed entry records, or -1 when it records none. */
export function homeShardOfEntry(packed: number): number {
  return Math.floor(packed / HOME_UNIT) - 1;
}

export class IdempotencyTable {
  /** id -> packed fingerprint and outcome, in recording order (compact: id-window.ts). */
  private readonly entries: IdWindow;

  /**
   * @param entriesMax without a window: at most this many ids, then new operations are rejected.
   * @param windowEntries with a window: the most recent this many ids are kept (the oldest evicted).
   */
  constructor(
    readonly entriesMax: number,
    readonly windowEntries?: number,
  ) {
    if (windowEntries !== undefined && !(Number.isSafeInteger(windowEntries) && windowEntries >= 1))
      throw new RangeError(`idempotency windowEntries: expected a positive safe integer, got ${windowEntries}`);
    this.entries = new IdWindow(windowEntries);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Ids evicted so far (window mode): while 0 the table has only ever grown. */
  get evicted(): number {
    return this.entries.evicted;
  }

  get isFull(): boolean {
    return this.windowEntries === undefined && this.entries.size >= this.entriesMax;
  }

  lookup(id: string): IdempotencyEntry | undefined {
    const packed = this.entries.get(id);
    return packed === undefined ? undefined : unpackEntry(packed);
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** `homeShard`: the shard of the operation's home account (-1: none), so a shard move carries the entry. */
  record(id: string, fingerprint: number, outcome: RecordedOutcome, homeShard = -1): void {
    assertLedger(!this.isFull, () => `idempotency table over its limit of ${this.entriesMax}`);
    assertLedger(this.entries.add(id, packEntry(fingerprint, outcome, homeShard)), () => `idempotency id recorded twice: ${id}`);
  }

  /** The raw packed entry of an id (a shard move carries it as it is). */
  packedOf(id: string): number | undefined {
    return this.entries.get(id);
  }

  /**
   * Raw packed entries in recording order (for snapshots). Live, as a Map's iterator: it also
   * yields entries recorded after it was made, and skips those evicted before it reached them.
   */
  packedEntries(): IterableIterator<[string, number]> {
    return this.entries.entries();
  }

  /** Loads a packed entry from a snapshot; the caller has validated it with unpackEntry. */
  loadPacked(id: string, packed: number): void {
    this.entries.set(id, packed);
  }
}
