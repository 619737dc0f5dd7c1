// slicer {average_size, size_variation} bytes, {delay} µs: cuts each chunk into pieces of about
// average_size ± size_variation bytes with `delay` between them (toxics/slicer.go). Timers have
// millisecond resolution, so delays below 1000 µs round up to the next timer tick.
import type { Chunk } from "../chunk.js";
import { DelayQueue } from "./delay-queue.js";
import type { Attributes, RunnerStub, ToxicRunner } from "./runner.js";

export class SlicerRunner implements ToxicRunner {
  private readonly queue: DelayQueue;
  private readonly averageSizeBytes: number;
  private readonly sizeVariationBytes: number;
  private readonly delayMs: number;

  constructor(
    private readonly stub: RunnerStub,
    attributes: Attributes,
  ) {
    this.queue = new DelayQueue(stub);
    this.averageSizeBytes = attributes.average_size;
    this.sizeVariationBytes = attributes.size_variation;
    this.delayMs = attributes.delay / 1000;
  }

  write(chunk: Chunk): void {
    const bounds = sliceBounds(0, chunk.data.length, this.averageSizeBytes, this.sizeVariationBytes);
    let cursorMs = Math.max(this.stub.host.nowMs(), this.queue.tailDueMs);
    for (let index = 1; index < bounds.length; index += 2) {
      const data = chunk.data.subarray(bounds[index - 1], bounds[index]);
      this.queue.pushChunk({ data, timestampMs: chunk.timestampMs }, cursorMs);
      cursorMs += this.delayMs;
    }
  }

  end(): void {
    this.queue.pushEnd();
  }

  interrupt(): boolean {
    return this.queue.flush();
  }
}

/** Slice boundaries as start/end pairs, split recursively around a jittered middle. */
export function sliceBounds(start: number, end: number, averageSizeBytes: number, sizeVariationBytes: number): number[] {
  if (end - start - averageSizeBytes <= sizeVariationBytes || end - start <= 1) return [start, end];
  const variation = sizeVariationBytes > 0 ? Math.floor(Math.random() * sizeVariationBytes * 2) - sizeVariationBytes : 0;
  // Keep the middle strictly inside so both halves are non-empty and the recursion ends.
  const middle = Math.min(end - 1, Math.max(start + 1, start + Math.floor((end - start) / 2) + variation));
  return [
    ...sliceBounds(start, middle, averageSizeBytes, sizeVariationBytes),
    ...sliceBounds(middle, end, averageSizeBytes, sizeVariationBytes),
  ];
}
