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
// id (different parameters: reject with ID_REUSED) without storing the parameters.

import { hashString } from "../../ground/hash.js";
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

export function packEntry(fingerprint: number, outcome: RecordedOutcome): number {
  const code = OUTCOME_CODE.get(outcome);
  assertLedger(code !== undefined, () => `unknown outcome ${outcome}`);
  return (fingerprint >>> 0) * OUTCOME_CODES + code;
}

export function unpackEntry(packed: number): IdempotencyEntry | undefined {
  if (!Number.isSafeInteger(packed) || packed < 0) return undefined;
  const code = packed % OUTCOME_CODES;
  const outcome = OUTCOMES[code];
  const fingerprint = (packed - code) / OUTCOME_CODES;
  if (outcome === undefined || fingerprint > 0xffffffff) return undefined;
  return { fingerprint, outcome };
}

/** Smallest ring the table starts with (it doubles up to what it must hold). */
const INITIAL_CAPACITY = 1024;

/**
 * Compact form, a few typed columns instead of a Map of boxed numbers (issue 15: the 30 replicas'
 * tables of 16,384 ids were ~44 MB, mostly Map backing stores and the packed outcomes as heap
 * numbers; this form is ~28 bytes an id plus the id string, which the ledger's events share):
 * - a ring of entries in recording order, one slot each in parallel columns: `ids` (the strings),
 *   `packed` (fingerprint and outcome, as snapshots and moves carry them), `hashes` (of the id);
 * - an open-addressing index (linear probing, `slot + 1` per cell, 0 empty) at most half full,
 *   whose deletions shift back the cells after them, so no tombstones accumulate.
 * An entry is also known by its sequence number: the count of entries recorded before it (the
 * oldest held is `evicted`), which is what a live iterator (`packedEntries`) follows.
 * A further per-entry field (the shard or account of the id, for moves) is one more column of the
 * same ring, written in `record`/`loadPacked` and moved in `grow`.
 */
export class IdempotencyTable {
  private capacity = 0;
  private ids: (string | undefined)[] = [];
  private packed = new Float64Array(0);
  private hashes = new Uint32Array(0);
  /** Slot of the oldest entry, and how many entries the ring holds from there. */
  private head = 0;
  private count = 0;
  private index = new Int32Array(0);
  private indexMask = 0;
  private evictedCount = 0;

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
  }

  get size(): number {
    return this.count;
  }

  /** Ids evicted so far (window mode): while 0 the table has only ever grown. */
  get evicted(): number {
    return this.evictedCount;
  }

  get isFull(): boolean {
    return this.windowEntries === undefined && this.count >= this.entriesMax;
  }

  lookup(id: string): IdempotencyEntry | undefined {
    const slot = this.slotOf(id, hashString(id));
    return slot < 0 ? undefined : unpackEntry(this.packed[slot] as number);
  }

  has(id: string): boolean {
    return this.slotOf(id, hashString(id)) >= 0;
  }

  record(id: string, fingerprint: number, outcome: RecordedOutcome): void {
    assertLedger(!this.isFull, () => `idempotency table over its limit of ${this.entriesMax}`);
    const hash = hashString(id);
    assertLedger(this.slotOf(id, hash) < 0, () => `idempotency id recorded twice: ${id}`);
    this.append(id, hash, packEntry(fingerprint, outcome));
  }

  /** The raw packed entry of an id (a shard move carries it as it is). */
  packedOf(id: string): number | undefined {
    const slot = this.slotOf(id, hashString(id));
    return slot < 0 ? undefined : (this.packed[slot] as number);
  }

  /**
   * Raw packed entries in recording order (for snapshots). Live, as a Map's iterator: it also
   * yields entries recorded after it was made, and skips those evicted before it reached them.
   */
  *packedEntries(): IterableIterator<[string, number]> {
    for (let seq = this.evictedCount; ; seq++) {
      if (seq < this.evictedCount) seq = this.evictedCount;
      const position = seq - this.evictedCount;
      if (position >= this.count) return;
      const slot = (this.head + position) % this.capacity;
      yield [this.ids[slot] as string, this.packed[slot] as number];
    }
  }

  /** Loads a packed entry from a snapshot; the caller has validated it with unpackEntry. */
  loadPacked(id: string, packed: number): void {
    const hash = hashString(id);
    const slot = this.slotOf(id, hash);
    // An id held already keeps its place and takes the new value (a Map's set).
    if (slot >= 0) this.packed[slot] = packed;
    else this.append(id, hash, packed);
  }

  private append(id: string, hash: number, packed: number): void {
    if (this.windowEntries !== undefined && this.count >= this.windowEntries) this.evictOldest();
    if (this.count === this.capacity) this.grow();
    const slot = (this.head + this.count) % this.capacity;
    this.ids[slot] = id;
    this.packed[slot] = packed;
    this.hashes[slot] = hash;
    this.count++;
    let cell = hash & this.indexMask;
    while (this.index[cell] !== 0) cell = (cell + 1) & this.indexMask;
    this.index[cell] = slot + 1;
  }

  /** The slot holding `id`, or -1. */
  private slotOf(id: string, hash: number): number {
    if (this.count === 0) return -1;
    for (let cell = hash & this.indexMask; ; cell = (cell + 1) & this.indexMask) {
      const entry = this.index[cell] as number;
      if (entry === 0) return -1;
      const slot = entry - 1;
      if (this.hashes[slot] === hash && this.ids[slot] === id) return slot;
    }
  }

  private evictOldest(): void {
    const slot = this.head;
    const mask = this.indexMask;
    let hole = (this.hashes[slot] as number) & mask;
    while (this.index[hole] !== slot + 1) hole = (hole + 1) & mask;
    // Backward-shift deletion: move up every later cell of the run that may live in the hole.
    for (let cell = (hole + 1) & mask; this.index[cell] !== 0; cell = (cell + 1) & mask) {
      const home = (this.hashes[(this.index[cell] as number) - 1] as number) & mask;
      // The entry at `cell` may move to `hole` unless its home lies cyclically in (hole, cell].
      const homeInGap = hole <= cell ? home > hole && home <= cell : home > hole || home <= cell;
      if (homeInGap) continue;
      this.index[hole] = this.index[cell] as number;
      hole = cell;
    }
    this.index[hole] = 0;
    this.ids[slot] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    this.evictedCount++;
  }

  /** Doubles the ring (up to the window) and rebuilds the index, the entries in order from slot 0. */
  private grow(): void {
    const bound = this.windowEntries ?? Number.POSITIVE_INFINITY;
    const capacity = Math.min(bound, Math.max(INITIAL_CAPACITY, this.capacity * 2));
    const ids: (string | undefined)[] = new Array<string | undefined>(capacity);
    const packed = new Float64Array(capacity);
    const hashes = new Uint32Array(capacity);
    for (let position = 0; position < this.count; position++) {
      const slot = (this.head + position) % this.capacity;
      ids[position] = this.ids[slot];
      packed[position] = this.packed[slot] as number;
      hashes[position] = this.hashes[slot] as number;
    }
    let indexSize = 1;
    while (indexSize < capacity * 2) indexSize *= 2;
    const index = new Int32Array(indexSize);
    const mask = indexSize - 1;
    for (let position = 0; position < this.count; position++) {
      let cell = (hashes[position] as number) & mask;
      while (index[cell] !== 0) cell = (cell + 1) & mask;
      index[cell] = position + 1;
    }
    this.capacity = capacity;
    this.ids = ids;
    this.packed = packed;
    this.hashes = hashes;
    this.head = 0;
    this.index = index;
    this.indexMask = mask;
  }
}
