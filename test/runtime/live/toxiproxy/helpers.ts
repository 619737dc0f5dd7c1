// Real TCP on 127.0.0.1 for the Toxiproxy tests: an echo upstream, and a client that records
// what arrives, when, and how the connection ended.
import { connect, createServer, type Server, type Socket } from "node:net";
import { performance } from "node:perf_hooks";

export interface Upstream {
  readonly address: string;
  close(): Promise<void>;
}

/** Echoes every byte back; `onConnection` may replace the behaviour. */
export async function startUpstream(onConnection: (socket: Socket) => void = (socket) => socket.pipe(socket)): Promise<Upstream> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no address");
  return {
    address: `127.0.0.1:${address.port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface Received {
  readonly socket: Socket;
  readonly chunks: { data: Buffer; atMs: number }[];
  bytes(): number;
  text(): string;
  /** Resolves once `count` bytes have arrived, with the time of arrival. */
  waitForBytes(count: number, timeoutMs?: number): Promise<number>;
  /** Resolves with how the socket ended: "close" (FIN/close) or the error code (ECONNRESET). */
  closed: Promise<string>;
}

export async function connectTo(address: string): Promise<Received> {
  const [host, port] = address.split(":");
  const socket = connect({ host, port: Number(port) });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const chunks: { data: Buffer; atMs: number }[] = [];
  const waiters: (() => void)[] = [];
  socket.on("data", (data: Buffer) => {
    chunks.push({ data, atMs: performance.now() });
    for (const waiter of waiters.splice(0)) waiter();
  });
  let errorCode: string | undefined;
  socket.on("error", (error: NodeJS.ErrnoException) => {
    errorCode = error.code ?? "ERROR";
  });
  const closed = new Promise<string>((resolve) => socket.once("close", () => resolve(errorCode ?? "close")));
  const bytes = (): number => chunks.reduce((sum, chunk) => sum + chunk.data.length, 0);
  return {
    socket,
    chunks,
    bytes,
    text: () => Buffer.concat(chunks.map((chunk) => chunk.data)).toString("utf8"),
    closed,
    waitForBytes: (count, timeoutMs = 5000) =>
      new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${bytes()} of ${count} bytes arrived in ${timeoutMs} ms`)), timeoutMs);
        const check = (): void => {
          if (bytes() >= count) {
            clearTimeout(timer);
            resolve(chunks[chunks.length - 1].atMs);
          } else waiters.push(check);
        };
        check();
      }),
  };
}

/** Connection attempt outcome: "connected" or the error code (ECONNREFUSED). */
export async function tryConnect(address: string): Promise<string> {
  const [host, port] = address.split(":");
  return new Promise<string>((resolve) => {
    const socket = connect({ host, port: Number(port) });
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "ERROR"));
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface RawReply {
  status: number;
  contentType: string | null;
  text: string;
}

export async function raw(url: string, method: string, body?: string): Promise<RawReply> {
  const response = await fetch(url, { method, body, headers: body === undefined ? undefined : { "Content-Type": "application/json" } });
  return { status: response.status, contentType: response.headers.get("content-type"), text: await response.text() };
}
