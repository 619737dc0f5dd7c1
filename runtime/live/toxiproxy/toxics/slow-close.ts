// slow_close {delay} ms: data passes; the close is held back by `delay` (toxics/slow_close.go).
import type { Chunk } from "../chunk.js";
import type { Attributes, RunnerStub, ToxicRunner } from "./runner.js";

export class SlowCloseRunner implements ToxicRunner {
  private timer: NodeJS.Timeout | undefined;
  private readonly delayMs: number;

  constructor(
    private readonly stub: RunnerStub,
    attributes: Attributes,
  ) {
    this.delayMs = attributes.delay;
  }

  write(chunk: Chunk): void {
    this.stub.emit(chunk);
  }

  end(): void {
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.stub.close();
      },
      Math.max(0, this.delayMs),
    );
  }

  interrupt(): boolean {
    if (this.timer === undefined) return false;
    clearTimeout(this.timer);
    this.timer = undefined;
    return true;
  }
}
