// timeout {timeout} ms: no data gets through; the connection closes `timeout` after the toxic
// started on the link, or never when 0 (toxics/timeout.go). Removing the toxic closes the link
// too (its Cleanup), so a healed partition starts from fresh connections.
import type { Chunk } from "../chunk.js";
import type { Attributes, RunnerStub, ToxicRunner } from "./runner.js";

export class TimeoutRunner implements ToxicRunner {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stub: RunnerStub,
    attributes: Attributes,
  ) {
    if (attributes.timeout > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.stub.close();
      }, attributes.timeout);
    }
  }

  write(chunk: Chunk): void {
    this.stub.host.dropped(chunk.data.length);
  }

  end(): void {
    this.cancel();
    this.stub.close();
  }

  interrupt(): boolean {
    this.cancel();
    return false;
  }

  private cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
