// latency {latency, jitter} in ms: every chunk leaves `latency ± jitter` after it was read
// (toxics/latency.go: sleep = delay - time since the chunk's timestamp).
import type { Chunk } from "../chunk.js";
import { DelayQueue } from "./delay-queue.js";
import type { Attributes, RunnerStub, ToxicRunner } from "./runner.js";

export class LatencyRunner implements ToxicRunner {
  private readonly queue: DelayQueue;
  private readonly latencyMs: number;
  private readonly jitterMs: number;

  constructor(stub: RunnerStub, attributes: Attributes) {
    this.queue = new DelayQueue(stub);
    this.latencyMs = attributes.latency;
    this.jitterMs = attributes.jitter;
  }

  write(chunk: Chunk): void {
    this.queue.pushChunk(chunk, chunk.timestampMs + this.delayMs());
  }

  end(): void {
    this.queue.pushEnd();
  }

  interrupt(): boolean {
    return this.queue.flush();
  }

  private delayMs(): number {
    if (this.jitterMs <= 0) return this.latencyMs;
    // Go: rand.Int63n(jitter*2) - jitter, an integer in [-jitter, jitter).
    return this.latencyMs + Math.floor(Math.random() * this.jitterMs * 2) - this.jitterMs;
  }
}
