// reset_peer {timeout} ms: the first data (or close) that arrives is dropped, and `timeout`
// later both sides get a TCP RST (toxics/reset_peer.go with SO_LINGER 0).
import type { Chunk } from "../chunk.js";
import type { Attributes, RunnerStub, ToxicRunner } from "./runner.js";

export class ResetPeerRunner implements ToxicRunner {
  private timer: NodeJS.Timeout | undefined;
  private triggered = false;
  private readonly timeoutMs: number;

  constructor(
    private readonly stub: RunnerStub,
    attributes: Attributes,
  ) {
    this.timeoutMs = attributes.timeout;
  }

  write(chunk: Chunk): void {
    this.stub.host.dropped(chunk.data.length);
    this.trigger();
  }

  end(): void {
    this.trigger();
  }

  interrupt(): boolean {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    return false;
  }

  private trigger(): void {
    if (this.triggered) return;
    this.triggered = true;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.stub.host.resetConnection();
      },
      Math.max(0, this.timeoutMs),
    );
  }
}
