// The live runtime's Clock: integer microseconds of performance.now() since the clock was made.
//
// Timers live in one min-heap served by a single Node timer armed for the earliest deadline.
// Node timers have millisecond granularity, so a chain of sub-millisecond timers (the workload's
// Poisson arrivals at thousands per second) would otherwise be throttled to one per millisecond;
// here every timer already due when the Node timer fires runs in the same turn, in deadline order
// (ties in creation order), and a timer set from inside a timer callback is anchored to that
// timer's deadline rather than to the (late) real time, so the chain keeps its rate.

import { performance } from "node:perf_hooks";
import type { Clock, TimerHandle } from "../../../ground/ports.js";

/** Bound on timer callbacks run in one event-loop turn, so sockets and IPC still get served. */
export const TIMERS_PER_TURN_MAX = 10_000;
/** How far behind real time a timer chain may run and still be caught up. */
export const CATCH_UP_US_MAX = 20_000;

interface Entry {
  readonly dueUs: number;
  readonly sequence: number;
  readonly callback: () => void;
  cancelled: boolean;
}

export class RealClock implements Clock {
  private readonly originMs: number;
  private readonly heap: Entry[] = [];
  private sequence = 0;
  private armed: NodeJS.Timeout | null = null;
  private armedForUs = Number.POSITIVE_INFINITY;
  /** Deadline of the timer whose callback is running (null outside timer callbacks). */
  private firingDueUs: number | null = null;
  /** Parts per million this host's clock runs fast (timers fire early) or slow; a clock fault. */
  driftPpm = 0;

  constructor(private readonly options: { readonly unrefTimers?: boolean } = {}) {
    this.originMs = performance.now();
  }

  nowUs(): number {
    return Math.floor((performance.now() - this.originMs) * 1000);
  }

  setTimer(delayUs: number, callback: () => void): TimerHandle {
    if (!Number.isFinite(delayUs) || delayUs < 0) throw new RangeError(`setTimer: delayUs must be a non-negative number, got ${delayUs}`);
    const scaledUs = this.driftPpm === 0 ? delayUs : delayUs / (1 + this.driftPpm / 1_000_000);
    const nowUs = this.nowUs();
    // Catch up a short lag only: after a long stall (SIGSTOP, a GC pause) a tick chain must not
    // fire hundreds of overdue ticks in a burst.
    const baseUs = this.firingDueUs === null ? nowUs : Math.max(this.firingDueUs, nowUs - CATCH_UP_US_MAX);
    const entry: Entry = { dueUs: baseUs + Math.round(scaledUs), sequence: this.sequence++, callback, cancelled: false };
    this.push(entry);
    this.arm();
    return entry as unknown as TimerHandle;
  }

  cancelTimer(handle: TimerHandle): void {
    (handle as unknown as Entry).cancelled = true;
  }

  /** After the I/O already waiting: a chain of deferred steps yields to sockets in between. */
  defer(callback: () => void): void {
    setImmediate(callback);
  }

  /** Timers not yet fired nor cancelled (diagnostics and tests). */
  get pending(): number {
    return this.heap.filter((entry) => !entry.cancelled).length;
  }

  private arm(): void {
    while (this.heap.length > 0 && (this.heap[0] as Entry).cancelled) this.pop();
    const first = this.heap[0];
    if (first === undefined) {
      if (this.armed !== null) clearTimeout(this.armed);
      this.armed = null;
      this.armedForUs = Number.POSITIVE_INFINITY;
      return;
    }
    if (this.armed !== null && this.armedForUs <= first.dueUs) return;
    if (this.armed !== null) clearTimeout(this.armed);
    this.armedForUs = first.dueUs;
    this.armed = setTimeout(() => this.fire(), Math.max(0, (first.dueUs - this.nowUs()) / 1000));
    if (this.options.unrefTimers === true) this.armed.unref();
  }

  private fire(): void {
    this.armed = null;
    this.armedForUs = Number.POSITIVE_INFINITY;
    let ran = 0;
    while (ran < TIMERS_PER_TURN_MAX) {
      const first = this.heap[0];
      if (first === undefined || first.dueUs > this.nowUs()) break;
      this.pop();
      if (first.cancelled) continue;
      first.cancelled = true;
      ran++;
      this.firingDueUs = first.dueUs;
      try {
        first.callback();
      } finally {
        this.firingDueUs = null;
      }
    }
    this.arm();
  }

  private before(a: Entry, b: Entry): boolean {
    return a.dueUs < b.dueUs || (a.dueUs === b.dueUs && a.sequence < b.sequence);
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.before(heap[index] as Entry, heap[parent] as Entry)) break;
      [heap[index], heap[parent]] = [heap[parent] as Entry, heap[index] as Entry];
      index = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop() as Entry;
    if (heap.length === 0) return;
    heap[0] = last;
    let index = 0;
    for (;;) {
      const left = index * 2 + 1;
      const right = left + 1;
      let smallest = index;
      if (left < heap.length && this.before(heap[left] as Entry, heap[smallest] as Entry)) smallest = left;
      if (right < heap.length && this.before(heap[right] as Entry, heap[smallest] as Entry)) smallest = right;
      if (smallest === index) return;
      [heap[index], heap[smallest]] = [heap[smallest] as Entry, heap[index] as Entry];
      index = smallest;
    }
  }
}
