// One direction of one proxied connection (Toxiproxy's ToxicLink): source socket -> toxics of
// that direction, in order -> destination socket. Toxics are added at the end, updated and
// removed while data flows. When the chain's output ends, the destination is closed fully
// (Toxiproxy calls Close, not CloseWrite), which in turn ends the other direction.
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { Chunk, LinkHost, Sink } from "./chunk.js";
import { ToxicStub } from "./stub.js";
import type { Direction, Toxic } from "./toxic.js";

/**
 * Bytes read from the source but not yet handed to the destination (held by latency or
 * bandwidth toxics, say). Above it the link stops reading, so a slow toxic pushes back on the
 * sender through TCP instead of buffering without bound.
 */
export const linkInFlightBytesMax = 4 * 1024 * 1024;

export interface LinkEvents {
  resetConnection(): void;
  finished(link: ToxicLink): void;
}

class Head implements Sink {
  constructor(public next: Sink) {}
  write(chunk: Chunk): void {
    this.next.write(chunk);
  }
  end(): void {
    this.next.end();
  }
}

export class ToxicLink implements LinkHost {
  private readonly head: Head;
  private readonly stubs: ToxicStub[] = [];
  private inFlightBytes = 0;
  private destinationBlocked = false;
  private inputEnded = false;
  private outputEnded = false;

  constructor(
    readonly direction: Direction,
    private readonly source: Socket,
    private readonly destination: Socket,
    chain: readonly Toxic[],
    private readonly events: LinkEvents,
  ) {
    const output: Sink = { write: (chunk) => this.writeOutput(chunk), end: () => this.endOutput() };
    let next: Sink = output;
    for (let index = chain.length - 1; index >= 0; index -= 1) {
      const stub = new ToxicStub(this, chain[index], next);
      this.stubs.unshift(stub);
      next = stub;
    }
    this.head = new Head(next);
    destination.on("drain", () => {
      this.destinationBlocked = false;
      this.maybeResume();
    });
    source.on("data", (data: Buffer) => this.read(data));
    source.on("end", () => this.endInput());
    source.on("close", () => this.endInput());
  }

  nowMs(): number {
    return performance.now();
  }

  dropped(bytes: number): void {
    this.release(bytes);
  }

  resetConnection(): void {
    this.events.resetConnection();
  }

  addToxic(toxic: Toxic): void {
    const last = this.stubs.at(-1) ?? this.head;
    const stub = new ToxicStub(this, toxic, last.next);
    last.next = stub;
    this.stubs.push(stub);
  }

  updateToxic(index: number, toxic: Toxic): void {
    this.stubs[index].restart(toxic);
  }

  removeToxic(index: number): void {
    const stub = this.stubs[index];
    const previous = index > 0 ? this.stubs[index - 1] : this.head;
    stub.remove();
    previous.next = stub.next;
    this.stubs.splice(index, 1);
  }

  private read(data: Buffer): void {
    this.inFlightBytes += data.length;
    if (this.inFlightBytes > linkInFlightBytesMax) this.source.pause();
    this.head.write({ data, timestampMs: this.nowMs() });
  }

  private endInput(): void {
    if (this.inputEnded) return;
    this.inputEnded = true;
    this.head.end();
  }

  private writeOutput(chunk: Chunk): void {
    if (this.outputEnded || this.destination.destroyed) {
      this.release(chunk.data.length);
      return;
    }
    const accepted = this.destination.write(chunk.data);
    this.release(chunk.data.length);
    if (!accepted) {
      this.destinationBlocked = true;
      this.source.pause();
    }
  }

  private endOutput(): void {
    if (this.outputEnded) return;
    this.outputEnded = true;
    if (this.destination.destroyed) {
      this.events.finished(this);
      return;
    }
    this.destination.end(() => {
      this.destination.destroy();
      this.events.finished(this);
    });
    // A peer that never reads would hold 'finish' back forever; closing wins either way.
    this.destination.once("close", () => this.events.finished(this));
  }

  private release(bytes: number): void {
    this.inFlightBytes -= bytes;
    if (this.inFlightBytes < 0) throw new Error(`link accounting went negative: ${this.inFlightBytes}`);
    this.maybeResume();
  }

  private maybeResume(): void {
    if (this.destinationBlocked || this.inputEnded) return;
    if (this.inFlightBytes <= linkInFlightBytesMax / 2 && this.source.isPaused()) this.source.resume();
  }
}
