// The in-memory event store: the most recent events and the chain links that cover them. One
// record per link (batch), not per event: five replicas per cell keep ~100,000 events each, and an
// object per event was garbage the collector walked for nothing. Memory is bounded by
// `eventsRetainedMax`: once twice that many are held, the older half is dropped in one slice
// (amortised O(1) per event), cut at a link's start so the retained suffix can be re-hashed link
// by link. Dropped events live on in the balances, the idempotency table, the head hash and the
// chain checkpoints; verify() checks the retained suffix against the head.

import type { LedgerEventBody, StoredEvent } from "./events.js";

/** One batch's chain link: its events are [firstIndex, next link's firstIndex). */
export interface ChainLink {
  readonly firstIndex: number;
  readonly previousHash: string;
  readonly hash: string;
}

/** A chain hash's bytes (SHA-256): links keep these, not the 64-character hex text. */
const HASH_BYTES = 32;

export class EventStore {
  private bodies: LedgerEventBody[] = [];
  /** Per retained link, the index of its first event. */
  private linkFirstIndexes: number[] = [];
  /**
   * Per retained link, its hash's bytes (link l at l * HASH_BYTES), with room to grow: a hex
   * string per link was ~100 bytes of heap, ~12 MB over a running world's 30 ledgers (issue 15,
   * docs/BENCHMARKS.md session 11). The text is made again when it is read (checkers, verify).
   */
  private linkHashes = new Uint8Array(HASH_BYTES * 64);

  /**
   * @param eventsRetainedMax at least this many recent events stay available (at most twice, plus one link).
   * @param baseIndex index of the first event this store will hold.
   * @param baseHash chain hash before that event.
   */
  constructor(
    readonly eventsRetainedMax: number,
    private baseIndex: number,
    private baseHash: string,
  ) {}

  /** Index of the oldest retained event (== eventCount when none is retained). */
  get firstIndex(): number {
    return this.baseIndex;
  }

  /** The chain hash just before the oldest retained event. */
  get firstPreviousHash(): string {
    return this.baseHash;
  }

  get length(): number {
    return this.bodies.length;
  }

  /** Appends one link: its events, the first of which has index `firstIndex`, and its hash (chained from the last link's, or the base's). */
  appendLink(firstIndex: number, hash: string, events: readonly LedgerEventBody[]): void {
    const count = this.linkFirstIndexes.length;
    if ((count + 1) * HASH_BYTES > this.linkHashes.length) {
      const grown = new Uint8Array(this.linkHashes.length * 2);
      grown.set(this.linkHashes.subarray(0, count * HASH_BYTES));
      this.linkHashes = grown;
    }
    if (Buffer.from(this.linkHashes.buffer, this.linkHashes.byteOffset + count * HASH_BYTES, HASH_BYTES).write(hash, "hex") !== HASH_BYTES)
      throw new RangeError(`event store: link hash ${hash} is not ${HASH_BYTES} bytes of hex`);
    this.linkFirstIndexes.push(firstIndex);
    for (let i = 0; i < events.length; i++) this.bodies.push(events[i] as LedgerEventBody);
    if (this.bodies.length < this.eventsRetainedMax * 2) return;
    // Keep the links that start at or after the cut (at least eventsRetainedMax events).
    const cutIndex = this.baseIndex + this.bodies.length - this.eventsRetainedMax;
    let keep = this.linkFirstIndexes.length - 1;
    while (keep > 0 && (this.linkFirstIndexes[keep] as number) > cutIndex) keep--;
    if (keep === 0) return;
    const keptFirstIndex = this.linkFirstIndexes[keep] as number;
    this.baseHash = this.hashOfLink(keep - 1);
    this.bodies = this.bodies.slice(keptFirstIndex - this.baseIndex);
    const kept = this.linkFirstIndexes.length - keep;
    this.linkFirstIndexes = this.linkFirstIndexes.slice(keep);
    this.linkHashes.copyWithin(0, keep * HASH_BYTES, (keep + kept) * HASH_BYTES);
    this.baseIndex = keptFirstIndex;
  }

  /** The retained links, oldest first (made on demand: for verify and checkers, not hot paths). */
  links(): ChainLink[] {
    const links: ChainLink[] = [];
    let previousHash = this.baseHash;
    for (let l = 0; l < this.linkFirstIndexes.length; l++) {
      const hash = this.hashOfLink(l);
      links.push({ firstIndex: this.linkFirstIndexes[l] as number, previousHash, hash });
      previousHash = hash;
    }
    return links;
  }

  private hashOfLink(link: number): string {
    return Buffer.from(this.linkHashes.buffer, this.linkHashes.byteOffset + link * HASH_BYTES, HASH_BYTES).toString("hex");
  }

  /** The retained events' bodies, oldest first (event `firstIndex + i` at i). */
  eventBodies(): readonly LedgerEventBody[] {
    return this.bodies;
  }

  /** The event at `index` with its link, or undefined when it was dropped or does not exist yet. */
  at(index: number): StoredEvent | undefined {
    const event = this.bodies[index - this.baseIndex];
    if (event === undefined) return undefined;
    const link = this.linkOf(index);
    return { index, previousHash: link === 0 ? this.baseHash : this.hashOfLink(link - 1), hash: this.hashOfLink(link), event };
  }

  /** The hash of the link holding retained event `index` (a binary search over links). */
  hashAt(index: number): string | undefined {
    if (index < this.baseIndex || index >= this.baseIndex + this.bodies.length) return undefined;
    return this.hashOfLink(this.linkOf(index));
  }

  /** The retained link holding event `index`. */
  private linkOf(index: number): number {
    const firstIndexes = this.linkFirstIndexes;
    let low = 0;
    let high = firstIndexes.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((firstIndexes[middle] as number) <= index) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  /** Every retained event with its link (built on demand: for checkers and dumps, not hot paths). */
  all(): StoredEvent[] {
    const out: StoredEvent[] = new Array<StoredEvent>(this.bodies.length);
    const links = this.links();
    let link = 0;
    for (let i = 0; i < this.bodies.length; i++) {
      const index = this.baseIndex + i;
      while (link + 1 < links.length && (links[link + 1] as ChainLink).firstIndex <= index) link++;
      const { previousHash, hash } = links[link] as ChainLink;
      out[i] = { index, previousHash, hash, event: this.bodies[i] as LedgerEventBody };
    }
    return out;
  }
}
