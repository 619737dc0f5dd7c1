// One toxic on one link (Toxiproxy's ToxicStub). Each start of the toxic draws against its
// toxicity: a toxic that loses the draw passes data untouched on this link until it is restarted
// (updated), which is how Toxiproxy applies a toxicity below 1 per connection.
import type { Chunk, LinkHost, Sink } from "./chunk.js";
import type { Toxic } from "./toxic.js";
import { closesLinkOnRemoval, createRunner } from "./toxics/registry.js";
import { NoopRunner, type RunnerStub, type ToxicRunner } from "./toxics/runner.js";

export class ToxicStub implements Sink, RunnerStub {
  state = { bytesTransmitted: 0 };
  private runner: ToxicRunner;
  private inputEnded = false;
  private outputClosed = false;

  constructor(
    readonly host: LinkHost,
    private toxic: Toxic,
    public next: Sink,
  ) {
    this.runner = this.start();
  }

  write(chunk: Chunk): void {
    if (this.inputEnded || this.outputClosed) {
      this.host.dropped(chunk.data.length);
      return;
    }
    this.runner.write(chunk);
  }

  end(): void {
    if (this.inputEnded || this.outputClosed) return;
    this.inputEnded = true;
    this.runner.end();
  }

  emit(chunk: Chunk): void {
    if (this.outputClosed) {
      this.host.dropped(chunk.data.length);
      return;
    }
    this.next.write(chunk);
  }

  close(): void {
    if (this.outputClosed) return;
    this.outputClosed = true;
    this.next.end();
  }

  /** The toxic's attributes or toxicity changed: restart it, with a fresh toxicity draw. */
  restart(toxic: Toxic): void {
    const endPending = this.runner.interrupt();
    this.toxic = toxic;
    if (this.outputClosed) return;
    this.runner = this.start();
    if (endPending) this.runner.end();
  }

  /** The toxic is being taken out of the chain: nothing it holds may be lost. */
  remove(): void {
    const endPending = this.runner.interrupt();
    this.runner = new NoopRunner(this);
    if (endPending || closesLinkOnRemoval(this.toxic.type)) this.close();
  }

  private start(): ToxicRunner {
    const active = Math.random() < this.toxic.toxicity;
    return active ? createRunner(this.toxic.type, this, { ...this.toxic.attributes }) : new NoopRunner(this);
  }
}
