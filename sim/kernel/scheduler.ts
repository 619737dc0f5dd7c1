import { combine32 } from "../../ground/hash.js";

/** Handle of a scheduled event; pass to `cancel`. */
export interface ScheduledEvent {
  readonly atUs: number;
  readonly seq: number;
  readonly tag: number;
  callback: (() => void) | null; // null once cancelled or delivered
}

export interface SchedulerOptions {
  /** Hard bound on pending events: exceeding it is a bug (runaway feedback), not slow death. */
  pendingEventsMax?: number;
}

/**
 * Deterministic discrete-event scheduler over a virtual clock in integer microseconds.
 *
 * Order: by time, then by a sequence number assigned at scheduling time. Two events at the same
 * microsecond are therefore delivered in the order they were scheduled, which is itself a
 * deterministic function of the run: never of heap layout, object identity or host timing.
 *
 * Every delivered event folds (time, tag) into `traceHash`, so two runs that deliver the same
 * events at the same times in the same order have the same hash, and any divergence changes it.
 */
export class Scheduler {
  private heap: ScheduledEvent[] = [];
  private nowMicros = 0;
  private nextSeq = 0;
  private delivered = 0;
  private trace = 0x2545f491;
  private readonly pendingEventsMax: number;

  constructor(options: SchedulerOptions = {}) {
    this.pendingEventsMax = options.pendingEventsMax ?? 50_000_000;
  }

  get nowUs(): number {
    return this.nowMicros;
  }
  get eventsDelivered(): number {
    return this.delivered;
  }
  get pendingCount(): number {
    return this.heap.length;
  }
  /** Running hash over every delivered event, as an 8-hex-digit string. */
  get traceHash(): string {
    return (this.trace >>> 0).toString(16).padStart(8, "0");
  }

  /** Folds an extra word into the trace (for example a message's content digest). */
  traceWord(word: number): void {
    this.trace = combine32(this.trace, word);
  }

  /** Schedules `callback` at absolute virtual time `atUs` (>= now). `tag` goes into the trace. */
  at(atUs: number, callback: () => void, tag = 0): ScheduledEvent {
    if (!Number.isInteger(atUs)) throw new RangeError(`at: time must be integer microseconds, got ${atUs}`);
    if (atUs < this.nowMicros) throw new RangeError(`at: ${atUs}us is in the past (now ${this.nowMicros}us)`);
    if (this.heap.length >= this.pendingEventsMax) {
      throw new Error(`scheduler: pending events exceed pendingEventsMax=${this.pendingEventsMax}`);
    }
    const event: ScheduledEvent = { atUs, seq: this.nextSeq++, tag: tag | 0, callback };
    this.push(event);
    return event;
  }

  /** Schedules `callback` after `delayUs` (>= 0, rounded to an integer). */
  after(delayUs: number, callback: () => void, tag = 0): ScheduledEvent {
    if (!(delayUs >= 0)) throw new RangeError(`after: delay must be >= 0, got ${delayUs}`);
    return this.at(this.nowMicros + Math.round(delayUs), callback, tag);
  }

  cancel(event: ScheduledEvent): void {
    event.callback = null; // lazy deletion: skipped when popped
  }

  /**
   * Delivers events in order until the next one is later than `untilUs` (then the clock is
   * advanced to `untilUs`), the queue is empty, or `eventsMax` events were delivered.
   * Returns the number of events delivered.
   */
  runUntil(untilUs: number, eventsMax = Number.POSITIVE_INFINITY): number {
    let count = 0;
    const heap = this.heap;
    while (heap.length > 0 && count < eventsMax) {
      const top = heap[0] as ScheduledEvent;
      if (top.atUs > untilUs) break;
      this.pop();
      const callback = top.callback;
      if (callback === null) continue;
      top.callback = null;
      this.nowMicros = top.atUs;
      this.trace = combine32(combine32(this.trace, top.atUs | 0), top.tag);
      this.delivered++;
      count++;
      callback();
    }
    if (count < eventsMax && untilUs > this.nowMicros && untilUs !== Number.POSITIVE_INFINITY) {
      this.nowMicros = untilUs;
    }
    return count;
  }

  /** Delivers one event if any is pending; returns false when idle. */
  step(): boolean {
    while (this.heap.length > 0) {
      const top = this.heap[0] as ScheduledEvent;
      if (top.callback === null) {
        this.pop();
        continue;
      }
      return this.runUntil(top.atUs, 1) === 1;
    }
    return false;
  }

  /** Time of the next live event, or null when idle. */
  peekTimeUs(): number | null {
    while (this.heap.length > 0) {
      const top = this.heap[0] as ScheduledEvent;
      if (top.callback !== null) return top.atUs;
      this.pop();
    }
    return null;
  }

  // A 4-ary heap: half the depth of a binary heap, and the four children of a node sit next to
  // each other in the array. Measured by `ldc bench sim` (docs/BENCHMARKS.md). The order is the
  // explicit (atUs, seq) key, so the heap's shape never affects delivery order.
  private push(event: ScheduledEvent): void {
    const heap = this.heap;
    const atUs = event.atUs;
    const seq = event.seq;
    let index = heap.length;
    heap.push(event);
    while (index > 0) {
      const parent = (index - 1) >> 2;
      const parentEvent = heap[parent] as ScheduledEvent;
      if (parentEvent.atUs < atUs || (parentEvent.atUs === atUs && parentEvent.seq < seq)) break;
      heap[index] = parentEvent;
      index = parent;
    }
    heap[index] = event;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop() as ScheduledEvent;
    const length = heap.length;
    if (length === 0) return;
    const lastAtUs = last.atUs;
    const lastSeq = last.seq;
    let index = 0;
    for (;;) {
      const first = 4 * index + 1;
      if (first >= length) break;
      let child = first;
      let childEvent = heap[first] as ScheduledEvent;
      const end = first + 4 < length ? first + 4 : length;
      for (let candidate = first + 1; candidate < end; candidate++) {
        const candidateEvent = heap[candidate] as ScheduledEvent;
        if (candidateEvent.atUs < childEvent.atUs || (candidateEvent.atUs === childEvent.atUs && candidateEvent.seq < childEvent.seq)) {
          child = candidate;
          childEvent = candidateEvent;
        }
      }
      if (lastAtUs < childEvent.atUs || (lastAtUs === childEvent.atUs && lastSeq < childEvent.seq)) break;
      heap[index] = childEvent;
      index = child;
    }
    heap[index] = last;
  }
}
