// limit_data {bytes}: lets `bytes` bytes through on this link, then closes it
// (toxics/limit_data.go). The count lives in the stub's state, so it survives updates.
import type { Chunk } from "../chunk.js";
import type { Attributes, RunnerStub, ToxicRunner } from "./runner.js";

export class LimitDataRunner implements ToxicRunner {
  private readonly bytesMax: number;

  constructor(
    private readonly stub: RunnerStub,
    attributes: Attributes,
  ) {
    this.bytesMax = attributes.bytes;
  }

  write(chunk: Chunk): void {
    const state = this.stub.state;
    const remainingBytes = Math.max(0, this.bytesMax - state.bytesTransmitted);
    const passed = chunk.data.subarray(0, remainingBytes);
    if (passed.length < chunk.data.length) this.stub.host.dropped(chunk.data.length - passed.length);
    if (passed.length > 0) {
      this.stub.emit({ data: passed, timestampMs: chunk.timestampMs });
      state.bytesTransmitted += passed.length;
    }
    if (this.bytesMax - state.bytesTransmitted <= 0) this.stub.close();
  }

  end(): void {
    this.stub.close();
  }

  interrupt(): boolean {
    return false;
  }
}
