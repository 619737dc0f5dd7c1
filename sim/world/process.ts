// Simulated processes. A host runs at most one process; each (re)start is a new incarnation
// with its own clock, transport and disk handle. Everything an incarnation scheduled is tagged
// with its incarnation number and checked when it fires, so a crashed incarnation's timers,
// disk callbacks and deliveries never run, without having to find and cancel them.
import type { Clock, Disk, Log, TimerHandle, Transport } from "../../ground/ports.js";
import type { Random } from "../../ground/random.js";
import type { Scheduler } from "../kernel/scheduler.js";
import type { DropReason, Network } from "./network.js";

export interface ProcessContext {
  readonly hostId: string;
  readonly clock: Clock;
  readonly random: Random;
  readonly transport: Transport;
  readonly disk: Disk;
  readonly log: Log;
  /** 1 for the first start, +1 on every restart. */
  readonly incarnation: number;
}

export interface ProcessInstance {
  /** Graceful stop (not called on a crash: a crash gives no warning). */
  stop?(): void;
}

export type ProcessFactory = (context: ProcessContext) => ProcessInstance;

export type ProcessState = "running" | "paused" | "down";

export class ProcessError extends Error {
  constructor(
    readonly code: "NO_PROCESS" | "ALREADY_RUNNING" | "NOT_RUNNING" | "NOT_PAUSED" | "PAUSED_QUEUE_FULL",
    message: string,
  ) {
    super(message);
  }
}

/** Work deferred while a process is paused: timers and incoming messages, in arrival order. */
export const pausedQueueEntriesMax = 1_000_000;

type MessageHandler = (source: string, message: unknown) => void;

export class ProcessSlot {
  state: ProcessState = "down";
  incarnation = 0;
  instance: ProcessInstance | null = null;
  handler: MessageHandler | null = null;
  private pausedQueue: Array<() => void> = [];

  constructor(
    readonly hostId: string,
    readonly hostIndex: number,
    readonly factory: ProcessFactory,
    private readonly scheduler: Scheduler,
  ) {}

  /** Runs `work` for `incarnation` if it is still the live one; defers it while paused. */
  run(incarnation: number, work: () => void): void {
    if (incarnation !== this.incarnation || this.state === "down") return;
    if (this.state === "paused") {
      this.defer(work, incarnation);
      return;
    }
    work();
  }

  receive(source: string, message: unknown): DropReason | null {
    if (this.state === "down") return "target-down";
    if (this.state === "paused") {
      if (this.pausedQueue.length >= pausedQueueEntriesMax) return "queue-full";
      const incarnation = this.incarnation;
      this.defer(() => this.handler?.(source, message), incarnation);
      return null;
    }
    if (this.handler === null) return "no-handler";
    this.handler(source, message);
    return null;
  }

  private defer(work: () => void, incarnation: number): void {
    if (this.pausedQueue.length >= pausedQueueEntriesMax) {
      throw new ProcessError("PAUSED_QUEUE_FULL", `${this.hostId}: more than ${pausedQueueEntriesMax} events deferred while paused`);
    }
    this.pausedQueue.push(() => this.run(incarnation, work));
  }

  /** Paused -> Running: deferred work runs now, in the order it arrived. */
  resume(tag: number): void {
    const queue = this.pausedQueue;
    this.pausedQueue = [];
    this.state = "running";
    for (const work of queue) this.scheduler.after(0, work, tag);
  }

  /** Any -> Down: drops the instance and everything deferred. */
  crash(): void {
    this.state = "down";
    this.instance = null;
    this.handler = null;
    this.pausedQueue = [];
    // The incarnation number is bumped by the next start, which makes everything the dead
    // incarnation scheduled stale; until then `state === "down"` drops it.
  }
}

/** The clock of one incarnation: its timers die with it. */
export class IncarnationClock implements Clock {
  constructor(
    private readonly slot: ProcessSlot,
    private readonly incarnation: number,
    private readonly scheduler: Scheduler,
    private readonly tag: number,
  ) {}

  nowUs(): number {
    return this.scheduler.nowUs;
  }

  setTimer(delayUs: number, callback: () => void): TimerHandle {
    const slot = this.slot;
    const incarnation = this.incarnation;
    return this.scheduler.after(delayUs, () => slot.run(incarnation, callback), this.tag) as unknown as TimerHandle;
  }

  cancelTimer(handle: TimerHandle): void {
    this.scheduler.cancel(handle as unknown as Parameters<Scheduler["cancel"]>[0]);
  }
}

export class IncarnationTransport implements Transport {
  constructor(
    private readonly slot: ProcessSlot,
    private readonly incarnation: number,
    private readonly network: Network,
  ) {}

  get self(): string {
    return this.slot.hostId;
  }

  send(target: string, message: unknown, sizeBytes?: number): void {
    if (this.slot.incarnation !== this.incarnation || this.slot.state === "down") {
      this.network.recordDrop("sender-down");
      return;
    }
    this.network.send(this.slot.hostIndex, target, message, sizeBytes);
  }

  onMessage(handler: (source: string, message: unknown) => void): void {
    if (this.slot.incarnation === this.incarnation) this.slot.handler = handler;
  }
}
