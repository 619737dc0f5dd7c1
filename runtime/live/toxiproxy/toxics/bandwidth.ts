// bandwidth {rate} in KB/s (1 KB = 1000 bytes, as Toxiproxy computes len * 1ms / rate): each
// chunk leaves once the link has "transmitted" everything before it at that rate. Chunks larger
// than 100 ms worth of data go out in 100 ms slices, as toxics/bandwidth.go does.
import type { Chunk } from "../chunk.js";
import { DelayQueue } from "./delay-queue.js";
import type { Attributes, RunnerStub, ToxicRunner } from "./runner.js";

const sliceIntervalMs = 100;

export class BandwidthRunner implements ToxicRunner {
  private readonly queue: DelayQueue;
  private readonly bytesPerMs: number;

  constructor(
    private readonly stub: RunnerStub,
    attributes: Attributes,
  ) {
    this.queue = new DelayQueue(stub);
    this.bytesPerMs = attributes.rate;
  }

  write(chunk: Chunk): void {
    if (this.bytesPerMs <= 0) {
      this.queue.pushChunk(chunk, this.stub.host.nowMs());
      return;
    }
    const sliceBytesMax = this.bytesPerMs * sliceIntervalMs;
    let cursorMs = Math.max(this.stub.host.nowMs(), this.queue.tailDueMs);
    for (let offset = 0; offset < chunk.data.length; offset += sliceBytesMax) {
      const data = chunk.data.subarray(offset, offset + sliceBytesMax);
      cursorMs += data.length / this.bytesPerMs;
      this.queue.pushChunk({ data, timestampMs: chunk.timestampMs }, cursorMs);
    }
  }

  end(): void {
    this.queue.pushEnd();
  }

  interrupt(): boolean {
    return this.queue.flush();
  }
}
