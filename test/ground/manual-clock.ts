// A clock the test moves by hand (the Clock port of ground/ports.ts): advance(us) fires every timer
// that falls due within the step, in time order, each at its own time (so a timer set by a callback
// fires too if it falls due before the step ends), and then stands at the step's end.
import type { Clock, TimerHandle } from "../../ground/ports.js";

export class ManualClock implements Clock {
  private now = 0;
  private sequence = 0;
  private readonly timers = new Map<number, { atUs: number; callback: () => void }>();

  nowUs(): number {
    return this.now;
  }

  setTimer(delayUs: number, callback: () => void): TimerHandle {
    const id = ++this.sequence;
    this.timers.set(id, { atUs: this.now + delayUs, callback });
    return id as unknown as TimerHandle;
  }

  cancelTimer(handle: TimerHandle): void {
    this.timers.delete(handle as unknown as number);
  }

  advance(us: number): void {
    const until = this.now + us;
    for (;;) {
      const next = [...this.timers].filter(([, timer]) => timer.atUs <= until).sort((a, b) => a[1].atUs - b[1].atUs)[0];
      if (next === undefined) break;
      this.timers.delete(next[0]);
      this.now = Math.max(this.now, next[1].atUs);
      next[1].callback();
    }
    this.now = until;
  }
}
