// Operation id -> one number, in recording order, optionally keeping only the most recent
// `windowEntries` ids (the oldest evicted first): what the idempotency table (idempotency.ts) and
// the received table (cross-cell.ts) hold per replica. It behaves as a Map with that eviction
// (same answers, same order, a live iterator), in a compact form (issue 15: the 30 replicas' Maps
// of 16,384 ids were ~44 MB for idempotency alone, mostly Map backing stores and values as heap
// numbers; this form is ~28 bytes an id plus the id string, which the ledger's events share):
// - a ring of entries in recording order, one slot each in parallel columns: `ids` (the strings),
//   `values`, `hashes` (of the id);
// - an open-addressing index (linear probing, `slot + 1` per cell, 0 empty) at most half full,
//   whose deletions shift back the cells after them, so no tombstones accumulate.
// An entry is also known by its sequence number: the count of entries recorded before it (the
// oldest held is `evicted`), which is what a live iterator (`entries`) follows.
// A further per-entry field (say the shard or account of an id, for moves) is one more column of
// the same ring: written in `append`, moved in `grow`, read by slot.

import { hashString } from "../../ground/hash.js";

/** Smallest ring a window starts with (it doubles up to what it must hold). */
const INITIAL_CAPACITY = 1024;

export class IdWindow {
  private capacity = 0;
  private ids: (string | undefined)[] = [];
  private values = new Float64Array(0);
  private hashes = new Uint32Array(0);
  /** Slot of the oldest entry, and how many entries the ring holds from there. */
  private head = 0;
  private count = 0;
  private index = new Int32Array(0);
  private indexMask = 0;
  private evictedCount = 0;

  /** @param windowEntries keep only the most recent this many ids; absent: keep every id. */
  constructor(readonly windowEntries?: number) {}

  get size(): number {
    return this.count;
  }

  /** Ids evicted so far: while 0 the window has only ever grown. */
  get evicted(): number {
    return this.evictedCount;
  }

  get(id: string): number | undefined {
    const slot = this.slotOf(id, hashString(id));
    return slot < 0 ? undefined : (this.values[slot] as number);
  }

  has(id: string): boolean {
    return this.slotOf(id, hashString(id)) >= 0;
  }

  /** Records a new id (evicting the oldest when the window is full); false, and nothing changed, if it is held already. */
  add(id: string, value: number): boolean {
    const hash = hashString(id);
    if (this.slotOf(id, hash) >= 0) return false;
    this.append(id, hash, value);
    return true;
  }

  /** A Map's set: an id held already keeps its place and takes the new value; a new one is added. */
  set(id: string, value: number): void {
    const hash = hashString(id);
    const slot = this.slotOf(id, hash);
    if (slot >= 0) this.values[slot] = value;
    else this.append(id, hash, value);
  }

  /**
   * [id, value] in recording order. Live, as a Map's iterator: it also yields entries recorded
   * after it was made, and skips those evicted before it reached them.
   */
  *entries(): IterableIterator<[string, number]> {
    for (let seq = this.evictedCount; ; seq++) {
      if (seq < this.evictedCount) seq = this.evictedCount;
      const position = seq - this.evictedCount;
      if (position >= this.count) return;
      const slot = (this.head + position) % this.capacity;
      yield [this.ids[slot] as string, this.values[slot] as number];
    }
  }

  private append(id: string, hash: number, value: number): void {
    if (this.windowEntries !== undefined && this.count >= this.windowEntries) this.evictOldest();
    if (this.count === this.capacity) this.grow();
    const slot = (this.head + this.count) % this.capacity;
    this.ids[slot] = id;
    this.values[slot] = value;
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
      // The entry at `cell` must stay if its home lies cyclically in (hole, cell].
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
    const values = new Float64Array(capacity);
    const hashes = new Uint32Array(capacity);
    for (let position = 0; position < this.count; position++) {
      const slot = (this.head + position) % this.capacity;
      ids[position] = this.ids[slot];
      values[position] = this.values[slot] as number;
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
    this.values = values;
    this.hashes = hashes;
    this.head = 0;
    this.index = index;
    this.indexMask = mask;
  }
}
