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

export class EventStore {
  private bodies: LedgerEventBody[] = [];
  private chainLinks: ChainLink[] = [];

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

  /** Appends one link's events, the first of which has index `firstIndex`. */
  appendLink(link: ChainLink, events: readonly LedgerEventBody[]): void {
    this.chainLinks.push(link);
    for (let i = 0; i < events.length; i++) this.bodies.push(events[i] as LedgerEventBody);
    if (this.bodies.length < this.eventsRetainedMax * 2) return;
    // Keep the links that start at or after the cut (at least eventsRetainedMax events).
    const cutIndex = this.baseIndex + this.bodies.length - this.eventsRetainedMax;
    let keep = this.chainLinks.length - 1;
    while (keep > 0 && (this.chainLinks[keep] as ChainLink).firstIndex > cutIndex) keep--;
    if (keep === 0) return;
    const first = this.chainLinks[keep] as ChainLink;
    this.bodies = this.bodies.slice(first.firstIndex - this.baseIndex);
    this.chainLinks = this.chainLinks.slice(keep);
    this.baseIndex = first.firstIndex;
    this.baseHash = first.previousHash;
  }

  /** The retained links, oldest first. */
  links(): readonly ChainLink[] {
    return this.chainLinks;
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
    return { index, previousHash: link.previousHash, hash: link.hash, event };
  }

  /** The hash of the link holding retained event `index` (a binary search over links). */
  hashAt(index: number): string | undefined {
    if (index < this.baseIndex || index >= this.baseIndex + this.bodies.length) return undefined;
    return this.linkOf(index).hash;
  }

  private linkOf(index: number): ChainLink {
    const links = this.chainLinks;
    let low = 0;
    let high = links.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((links[middle] as ChainLink).firstIndex <= index) low = middle;
      else high = middle - 1;
    }
    return links[low] as ChainLink;
  }

  /** Every retained event with its link (built on demand: for checkers and dumps, not hot paths). */
  all(): StoredEvent[] {
    const out: StoredEvent[] = new Array<StoredEvent>(this.bodies.length);
    let link = 0;
    for (let i = 0; i < this.bodies.length; i++) {
      const index = this.baseIndex + i;
      while (link + 1 < this.chainLinks.length && (this.chainLinks[link + 1] as ChainLink).firstIndex <= index) link++;
      const { previousHash, hash } = this.chainLinks[link] as ChainLink;
      out[i] = { index, previousHash, hash, event: this.bodies[i] as LedgerEventBody };
    }
    return out;
  }
}
