// The live runtime's Transport: length-prefixed JSON frames over TCP.
//
// One OUTBOUND connection per peer carries this process's messages to it; the peer answers over
// its own outbound connection, so in the live cluster every direction of every replica pair is
// its own TCP connection through its own Toxiproxy proxy, and a one-way partition is one proxy
// disabled. The first frame on a connection is a hello naming the sender. A target with no
// configured address (a client that does not listen) is answered over the connection it opened.
//
// Best effort, like the simulated network: while a peer is unreachable its messages wait in a
// bounded queue (`sendQueueFramesMax`, beyond it they are dropped: Raft retransmits), and the
// connection is retried with exponential backoff.

import { createServer, connect, type Server, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { Log, Transport } from "../../../ground/ports.js";
import { silentLog } from "../../../ground/ports.js";
import { encodeFrame, FrameDecoder, FRAME_BYTES_MAX_DEFAULT } from "./framing.js";

export interface TcpTransportOptions {
  readonly self: string;
  /** Where to accept connections; omitted for clients that only dial out. */
  readonly listen?: { readonly host: string; readonly port: number };
  /** Target id -> "host:port" to dial (a replica's own port, or the Toxiproxy proxy in front of it). */
  readonly peers: ReadonlyMap<string, string>;
  /** Frames waiting for a connection to one peer; beyond it new frames are dropped. */
  readonly sendQueueFramesMax?: number;
  /** Bytes buffered in a connected socket beyond which frames are dropped (a clogged link). */
  readonly socketBufferBytesMax?: number;
  readonly reconnectDelayUsMin?: number;
  readonly reconnectDelayUsMax?: number;
  readonly frameBytesMax?: number;
  readonly log?: Log;
}

export const SEND_QUEUE_FRAMES_MAX_DEFAULT = 1_024;
export const SOCKET_BUFFER_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;
export const RECONNECT_DELAY_US_MIN_DEFAULT = 20_000;
/** Frames batched for one socket beyond this many bytes are written at once, not at the flush. */
export const WRITE_BATCH_BYTES_MAX = 1024 * 1024;
export const RECONNECT_DELAY_US_MAX_DEFAULT = 500_000;
/**
 * A connection must stay up this long before its backoff resets. Through a proxy, a dial to a
 * dead peer SUCCEEDS (the proxy accepts) and is closed a moment later when the proxy's own dial
 * fails; resetting the backoff on connect would redial such a peer every 20 ms, a storm of
 * handshakes through the proxy exactly while the survivors of a crash are electing a leader.
 */
export const CONNECTION_STABLE_US = 1_000_000;

interface Hello {
  readonly hello: string;
}

function isHello(value: unknown): value is Hello {
  return typeof value === "object" && value !== null && typeof (value as { hello?: unknown }).hello === "string";
}

interface Outbound {
  readonly target: string;
  readonly address: string;
  socket: Socket | null;
  connected: boolean;
  queue: Buffer[];
  backoffUs: number;
  retryTimer: NodeJS.Timeout | null;
  /** performance.now() at the last connect, ms (0: never connected). */
  connectedAtMs: number;
}

export interface TransportStats {
  sentFrames: number;
  droppedFrames: number;
  receivedFrames: number;
  connects: number;
}

export class TcpTransport<Message = unknown> implements Transport<Message> {
  readonly self: string;
  readonly stats: TransportStats = { sentFrames: 0, droppedFrames: 0, receivedFrames: 0, connects: 0 };
  private handler: ((source: string, message: Message) => void) | null = null;
  private readonly outbound = new Map<string, Outbound>();
  private readonly inboundBySource = new Map<string, Socket>();
  private readonly inbound = new Set<Socket>();
  private server: Server | null = null;
  private readonly batches = new Map<Socket, { frames: Buffer[]; bytes: number }>();
  private flushScheduled = false;
  private closed = false;
  private readonly sendQueueFramesMax: number;
  private readonly socketBufferBytesMax: number;
  private readonly reconnectDelayUsMin: number;
  private readonly reconnectDelayUsMax: number;
  private readonly frameBytesMax: number;
  private readonly log: Log;

  constructor(private readonly options: TcpTransportOptions) {
    this.self = options.self;
    this.sendQueueFramesMax = options.sendQueueFramesMax ?? SEND_QUEUE_FRAMES_MAX_DEFAULT;
    this.socketBufferBytesMax = options.socketBufferBytesMax ?? SOCKET_BUFFER_BYTES_MAX_DEFAULT;
    this.reconnectDelayUsMin = options.reconnectDelayUsMin ?? RECONNECT_DELAY_US_MIN_DEFAULT;
    this.reconnectDelayUsMax = options.reconnectDelayUsMax ?? RECONNECT_DELAY_US_MAX_DEFAULT;
    this.frameBytesMax = options.frameBytesMax ?? FRAME_BYTES_MAX_DEFAULT;
    this.log = options.log ?? silentLog;
  }

  /** Starts listening (when configured); resolves with the bound port. */
  listen(): Promise<number> {
    const listen = this.options.listen;
    if (listen === undefined) return Promise.resolve(0);
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: listen.host, port: listen.port }, () => {
        server.off("error", reject);
        const address = server.address();
        resolve(typeof address === "object" && address !== null ? address.port : listen.port);
      });
    });
  }

  onMessage(handler: (source: string, message: Message) => void): void {
    this.handler = handler;
  }

  send(target: string, message: Message): void {
    if (this.closed) return;
    const address = this.options.peers.get(target);
    if (address === undefined) {
      // A client that never listens: answer over the connection it opened to us.
      const socket = this.inboundBySource.get(target);
      if (socket === undefined || socket.destroyed) {
        this.stats.droppedFrames++;
        return;
      }
      this.write(socket, encodeFrame(message, this.frameBytesMax));
      return;
    }
    const link = this.linkTo(target, address);
    const frame = encodeFrame(message, this.frameBytesMax);
    if (link.connected && link.socket !== null) {
      this.write(link.socket, frame);
      return;
    }
    if (link.queue.length >= this.sendQueueFramesMax) {
      this.stats.droppedFrames++;
      return;
    }
    link.queue.push(frame);
    if (link.socket === null && link.retryTimer === null) this.dial(link);
  }

  /**
   * Dials every configured peer now and keeps each connection up (redialling with backoff), as
   * etcd's rafthttp keeps a stream to every peer. Without it a connection is made by the first
   * message to that peer, and followers never talk to each other until an election: every vote
   * and vote answer after a leader dies would then pay a fresh TCP handshake through the proxy
   * (three processes' event loops) on the election's critical path.
   */
  connectAll(): void {
    if (this.closed) return;
    for (const [target, address] of this.options.peers) {
      if (target === this.self) continue;
      const link = this.linkTo(target, address);
      if (link.socket === null && link.retryTimer === null) this.dial(link);
    }
  }

  /** The address this transport dials to reach `peer` (its proxy, or the peer itself). */
  addressOf(peer: string): string | undefined {
    return this.options.peers.get(peer);
  }

  /** Drops every connection to and from `peer` (its process restarted, or a test wants it). */
  disconnect(peer: string): void {
    this.outbound.get(peer)?.socket?.destroy();
    this.inboundBySource.get(peer)?.destroy();
  }

  close(): Promise<void> {
    this.closed = true;
    for (const link of this.outbound.values()) {
      if (link.retryTimer !== null) clearTimeout(link.retryTimer);
      link.socket?.destroy();
    }
    for (const socket of this.inbound) socket.destroy();
    const server = this.server;
    if (server === null) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private linkTo(target: string, address: string): Outbound {
    let link = this.outbound.get(target);
    if (link === undefined) {
      link = {
        target,
        address,
        socket: null,
        connected: false,
        queue: [],
        backoffUs: this.reconnectDelayUsMin,
        retryTimer: null,
        connectedAtMs: 0,
      };
      this.outbound.set(target, link);
    }
    return link;
  }

  private write(socket: Socket, frame: Buffer): void {
    if (socket.writableLength > this.socketBufferBytesMax) {
      this.stats.droppedFrames++;
      return;
    }
    this.stats.sentFrames++;
    // Frames sent in one event-loop iteration leave as one buffer per socket in one write, flushed
    // once the iteration's I/O callbacks have all run (setImmediate, not nextTick: a leader that
    // handles four appendResponses in one poll phase answers its clients in one write, not four).
    const batch = this.batches.get(socket);
    if (batch === undefined) this.batches.set(socket, { frames: [frame], bytes: frame.length });
    else {
      batch.frames.push(frame);
      batch.bytes += frame.length;
      if (batch.bytes >= WRITE_BATCH_BYTES_MAX) this.flushSocket(socket);
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushAll());
    }
  }

  private flushAll(): void {
    this.flushScheduled = false;
    for (const socket of [...this.batches.keys()]) this.flushSocket(socket);
  }

  private flushSocket(socket: Socket): void {
    const batch = this.batches.get(socket);
    if (batch === undefined) return;
    this.batches.delete(socket);
    if (!socket.destroyed) socket.write(batch.frames.length === 1 ? (batch.frames[0] as Buffer) : Buffer.concat(batch.frames, batch.bytes));
  }

  private dial(link: Outbound): void {
    const separator = link.address.lastIndexOf(":");
    const socket = connect({ host: link.address.slice(0, separator), port: Number(link.address.slice(separator + 1)) });
    socket.setNoDelay(true);
    link.socket = socket;
    socket.on("connect", () => {
      if (link.socket !== socket) return;
      link.connected = true;
      link.connectedAtMs = performance.now();
      this.stats.connects++;
      socket.write(encodeFrame({ hello: this.self } satisfies Hello));
      const queued = link.queue;
      link.queue = [];
      for (const frame of queued) this.write(socket, frame);
    });
    // Replies normally come over the peer's own connection, but accept them here too.
    this.readFrames(socket, () => link.target);
    socket.on("error", () => undefined);
    socket.on("close", () => {
      if (link.socket !== socket) return;
      const wasConnected = link.connected;
      link.socket = null;
      link.connected = false;
      if (this.closed) return;
      // A connection that lasted resets the backoff; one closed soon after connecting does not.
      if (wasConnected && (performance.now() - link.connectedAtMs) * 1000 >= CONNECTION_STABLE_US)
        link.backoffUs = this.reconnectDelayUsMin;
      const delayUs = link.backoffUs;
      link.backoffUs = Math.min(this.reconnectDelayUsMax, link.backoffUs * 2);
      link.retryTimer = setTimeout(() => {
        link.retryTimer = null;
        if (!this.closed && link.socket === null) this.dial(link);
      }, delayUs / 1000);
      link.retryTimer.unref();
    });
  }

  private accept(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    this.inbound.add(socket);
    let source: string | null = null;
    socket.on("error", () => undefined);
    socket.on("close", () => {
      this.inbound.delete(socket);
      if (source !== null && this.inboundBySource.get(source) === socket) this.inboundBySource.delete(source);
    });
    this.readFrames(
      socket,
      () => source,
      (hello) => {
        source = hello;
        this.inboundBySource.set(hello, socket);
      },
    );
  }

  private readFrames(socket: Socket, sourceOf: () => string | null, onHello?: (source: string) => void): void {
    const decoder = new FrameDecoder(this.frameBytesMax);
    socket.on("data", (chunk: Buffer) => {
      let values: unknown[];
      try {
        values = decoder.push(chunk);
      } catch (error) {
        this.log.event("warn", "transport.frame.rejected", { self: this.self, reason: (error as Error).message });
        socket.destroy();
        return;
      }
      for (const value of values) {
        if (isHello(value)) {
          onHello?.(value.hello);
          continue;
        }
        const source = sourceOf();
        if (source === null) {
          this.log.event("warn", "transport.frame.beforeHello", { self: this.self });
          socket.destroy();
          return;
        }
        this.stats.receivedFrames++;
        this.handler?.(source, value as Message);
      }
    });
  }
}
