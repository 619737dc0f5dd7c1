// A runner is one toxic running on one link with the attributes it had when started. Toxiproxy
// restarts the toxic's goroutine (ToxicStub.Run) when the toxic is updated or the chain
// around it changes; here the stub swaps runners the same way.
import type { Chunk, LinkHost } from "../chunk.js";

export type Attributes = Record<string, number>;

/** The stub a runner writes through: its output, closing it, and per-link state. */
export interface RunnerStub {
  readonly host: LinkHost;
  emit(chunk: Chunk): void;
  /** Toxiproxy's stub.Close(): ends this toxic's output, which ends the connection downstream of it. */
  close(): void;
  /** State that survives restarts of the toxic on this link (limit_data counts bytes in it). */
  state: { bytesTransmitted: number };
}

export interface ToxicRunner {
  write(chunk: Chunk): void;
  /** The input ended (the source closed). */
  end(): void;
  /**
   * Stops the runner: pending chunks go out at once (Toxiproxy never drops data on an
   * interrupt) and timers are cancelled. Returns true if an end of input was still pending,
   * so the next runner must be told.
   */
  interrupt(): boolean;
}

/** Passes everything straight through; also what a toxic does on a link its toxicity skipped. */
export class NoopRunner implements ToxicRunner {
  constructor(private readonly stub: RunnerStub) {}
  write(chunk: Chunk): void {
    this.stub.emit(chunk);
  }
  end(): void {
    this.stub.close();
  }
  interrupt(): boolean {
    return false;
  }
}
