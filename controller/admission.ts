// Admission control for one cell at one gateway: a token bucket (the cell's sustainable rate)
// in front of a bounded FIFO queue with a bounded wait. What does not fit is shed at once with
// OVERLOADED: Alipay's funnel, where the entry layer protects the core so that admitted
// requests keep a bounded latency instead of every request getting slower.
import type { Clock, TimerHandle } from "../ground/ports.js";

export interface AdmissionOptions {
  /** Sustained admissions per second (the cell's capacity share at this gateway). */
  readonly ratePerSecond: number;
  /** Tokens the bucket holds: the burst admitted at once after a quiet period. */
  readonly burstRequestsMax: number;
  /** Requests that may wait for a token; beyond it they are shed. */
  readonly queueRequestsMax: number;
  /** A queued request older than this is shed instead of admitted late. */
  readonly queueWaitUsMax: number;
}

export class AdmissionError extends Error {
  constructor(
    readonly field: keyof AdmissionOptions,
    expected: string,
  ) {
    super(`${field}: expected ${expected}`);
  }
}

export function validateAdmissionOptions(options: AdmissionOptions): AdmissionOptions {
  if (!(Number.isFinite(options.ratePerSecond) && options.ratePerSecond > 0))
    throw new AdmissionError("ratePerSecond", "a positive number");
  if (!(Number.isSafeInteger(options.burstRequestsMax) && options.burstRequestsMax >= 1))
    throw new AdmissionError("burstRequestsMax", "an integer >= 1");
  if (!(Number.isSafeInteger(options.queueRequestsMax) && options.queueRequestsMax >= 0))
    throw new AdmissionError("queueRequestsMax", "an integer >= 0");
  if (!(Number.isSafeInteger(options.queueWaitUsMax) && options.queueWaitUsMax >= 0))
    throw new AdmissionError("queueWaitUsMax", "an integer >= 0 (µs)");
  return options;
}

interface Waiting {
  readonly enqueuedUs: number;
  readonly admit: () => void;
  readonly shed: (why: string) => void;
}

export class TokenBucketAdmission {
  private tokens: number;
  private lastRefillUs: number;
  private readonly queue: Waiting[] = [];
  private queueHead = 0;
  private timer: TimerHandle | null = null;
  admittedTotal = 0;
  shedTotal = 0;

  constructor(
    private readonly options: AdmissionOptions,
    private readonly clock: Clock,
  ) {
    validateAdmissionOptions(options);
    this.tokens = options.burstRequestsMax;
    this.lastRefillUs = clock.nowUs();
  }

  get queued(): number {
    return this.queue.length - this.queueHead;
  }

  /** Calls exactly one of `admit` (now or later, in FIFO order) or `shed`. */
  offer(admit: () => void, shed: (why: string) => void): void {
    this.refill();
    if (this.queued === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      this.admittedTotal++;
      admit();
      return;
    }
    if (this.queued >= this.options.queueRequestsMax) {
      this.shedTotal++;
      shed(`queue full (queueRequestsMax=${this.options.queueRequestsMax}, ratePerSecond=${this.options.ratePerSecond})`);
      return;
    }
    this.queue.push({ enqueuedUs: this.clock.nowUs(), admit, shed });
    this.armTimer();
  }

  private refill(): void {
    const nowUs = this.clock.nowUs();
    const elapsedUs = nowUs - this.lastRefillUs;
    if (elapsedUs > 0) {
      this.tokens = Math.min(this.options.burstRequestsMax, this.tokens + (elapsedUs * this.options.ratePerSecond) / 1_000_000);
      this.lastRefillUs = nowUs;
    }
  }

  private drainQueue(): void {
    this.refill();
    const nowUs = this.clock.nowUs();
    while (this.queued > 0) {
      const head = this.queue[this.queueHead] as Waiting;
      if (nowUs - head.enqueuedUs > this.options.queueWaitUsMax) {
        this.popHead();
        this.shedTotal++;
        head.shed(`waited over queueWaitUsMax=${this.options.queueWaitUsMax}`);
        continue;
      }
      if (this.tokens < 1) break;
      this.tokens -= 1;
      this.popHead();
      this.admittedTotal++;
      head.admit();
    }
    this.armTimer();
  }

  private popHead(): void {
    this.queueHead++;
    // Compact now and then so the array does not grow with every request ever queued.
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }

  private armTimer(): void {
    if (this.timer !== null || this.queued === 0) return;
    const missing = Math.max(0, 1 - this.tokens);
    const delayUs = Math.max(1, Math.ceil((missing * 1_000_000) / this.options.ratePerSecond));
    this.timer = this.clock.setTimer(delayUs, () => {
      this.timer = null;
      this.drainQueue();
    });
  }
}
