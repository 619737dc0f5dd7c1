// The in-memory event store: the most recent events, with their chain links. Memory is bounded
// by `eventsRetainedMax`: once twice that many are held, the older half is dropped in one slice
// (amortised O(1) per event), cut at a link's start so the retained suffix can be re-hashed link
// by link. Dropped events live on in the balances, the idempotency table, the head hash and the
// chain checkpoints; verify() checks the retained suffix against the head.

import type { StoredEvent } from "./events.js";

export class EventStore {
  private events: StoredEvent[] = [];

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
    return this.events.length;
  }

  /** Appends one link's events (they share its previousHash and hash). */
  appendLink(events: readonly StoredEvent[]): void {
    for (let i = 0; i < events.length; i++) this.events.push(events[i] as StoredEvent);
    if (this.events.length < this.eventsRetainedMax * 2) return;
    let dropCount = this.events.length - this.eventsRetainedMax;
    // Never split a link: move the cut back to the start of the link it falls in.
    while (dropCount > 0 && (this.events[dropCount] as StoredEvent).previousHash === (this.events[dropCount - 1] as StoredEvent).previousHash) dropCount--;
    if (dropCount === 0) return;
    const lastDropped = this.events[dropCount - 1] as StoredEvent;
    this.baseHash = lastDropped.hash;
    this.baseIndex = lastDropped.index + 1;
    this.events = this.events.slice(dropCount);
  }

  /** The event at `index`, or undefined when it was dropped or does not exist yet. */
  at(index: number): StoredEvent | undefined {
    return this.events[index - this.baseIndex];
  }

  all(): readonly StoredEvent[] {
    return this.events;
  }
}
