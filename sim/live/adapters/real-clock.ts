// The live runtime's Clock: integer microseconds of performance.now() since the clock was made,
// timers on the Node event loop. Node timers have millisecond granularity, so a delay below 1 ms
// fires on the next timer turn; Raft's ticks (10 ms) and client deadlines are far above that.

import { performance } from "node:perf_hooks";
import type { Clock, TimerHandle } from "../../kernel/ports.js";

export class RealClock implements Clock {
  private readonly originMs: number;

  constructor(private readonly options: { readonly unrefTimers?: boolean } = {}) {
    this.originMs = performance.now();
  }

  nowUs(): number {
    return Math.floor((performance.now() - this.originMs) * 1000);
  }

  setTimer(delayUs: number, callback: () => void): TimerHandle {
    if (!Number.isFinite(delayUs) || delayUs < 0) throw new RangeError(`setTimer: delayUs must be a non-negative number, got ${delayUs}`);
    const timer = setTimeout(callback, delayUs / 1000);
    // Supervising processes must not be kept alive by a pending protocol timer.
    if (this.options.unrefTimers === true) timer.unref();
    return timer as unknown as TimerHandle;
  }

  cancelTimer(handle: TimerHandle): void {
    clearTimeout(handle as unknown as NodeJS.Timeout);
  }
}
