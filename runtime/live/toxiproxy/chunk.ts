// The unit of data inside a link. `timestampMs` is when the bytes were read from the source
// (performance.now() clock); latency is measured from it, as Toxiproxy's StreamChunk.Timestamp,
// so chunks queued behind each other do not add their delays up.
export interface Chunk {
  readonly data: Buffer;
  readonly timestampMs: number;
}

/** Where a stage hands its output: the next toxic of the chain, or the destination socket. */
export interface Sink {
  write(chunk: Chunk): void;
  end(): void;
}

/** What a toxic may ask of the link it runs in. */
export interface LinkHost {
  nowMs(): number;
  /** Bytes a toxic dropped on the floor still count as consumed for flow control. */
  dropped(bytes: number): void;
  /** Close both sockets with a TCP RST (reset_peer: SO_LINGER 0 then close in Toxiproxy). */
  resetConnection(): void;
}
