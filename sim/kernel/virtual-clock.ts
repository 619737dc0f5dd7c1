import type { Clock, TimerHandle } from "../../ground/ports.js";
import type { ScheduledEvent, Scheduler } from "./scheduler.js";

/** A `Clock` backed by the simulator's scheduler. `tag` marks the owner's timers in the trace. */
export class VirtualClock implements Clock {
  constructor(
    private readonly scheduler: Scheduler,
    private readonly tag = 0,
  ) {}

  nowUs(): number {
    return this.scheduler.nowUs;
  }

  setTimer(delayUs: number, callback: () => void): TimerHandle {
    return this.scheduler.after(delayUs, callback, this.tag) as unknown as TimerHandle;
  }

  cancelTimer(handle: TimerHandle): void {
    this.scheduler.cancel(handle as unknown as ScheduledEvent);
  }
}
