// Ordered release of chunks at given times, for the toxics that hold data back (latency,
// bandwidth, slicer). One timer at a time, for the head of the queue. An end of input queues
// behind the data, as the nil chunk does in Toxiproxy's channels.
import type { Chunk } from "../chunk.js";
import type { RunnerStub } from "./runner.js";

type Item = { kind: "chunk"; chunk: Chunk; dueMs: number } | { kind: "end"; dueMs: number };

export class DelayQueue {
  private readonly items: Item[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Release time of the last queued item: later items never overtake it. */
  private lastDueMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly stub: RunnerStub) {}

  get tailDueMs(): number {
    return this.lastDueMs;
  }

  pushChunk(chunk: Chunk, dueMs: number): void {
    this.push({ kind: "chunk", chunk, dueMs: Math.max(dueMs, this.lastDueMs) });
  }

  pushEnd(): void {
    this.push({ kind: "end", dueMs: Math.max(this.stub.host.nowMs(), this.lastDueMs) });
  }

  /** Emits everything now; true if an end was queued (and is left for the caller to pass on). */
  flush(): boolean {
    this.cancelTimer();
    let endPending = false;
    for (const item of this.items.splice(0)) {
      if (item.kind === "chunk") this.stub.emit(item.chunk);
      else endPending = true;
    }
    return endPending;
  }

  private push(item: Item): void {
    this.lastDueMs = item.dueMs;
    this.items.push(item);
    if (this.items.length === 1) this.release();
  }

  private release(): void {
    this.cancelTimer();
    const nowMs = this.stub.host.nowMs();
    while (this.items.length > 0 && this.items[0].dueMs <= nowMs) {
      const item = this.items.shift() as Item;
      if (item.kind === "chunk") {
        this.stub.emit({ data: item.chunk.data, timestampMs: item.dueMs });
      } else {
        this.stub.close();
        this.items.length = 0;
        return;
      }
    }
    if (this.items.length === 0) return;
    // Timers can fire a little before the libuv clock says; re-arm for the remainder rather than
    // release early, so a latency toxic never delays by less than configured.
    const waitMs = Math.max(1, Math.ceil(this.items[0].dueMs - nowMs));
    this.timer = setTimeout(() => this.release(), waitMs);
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
