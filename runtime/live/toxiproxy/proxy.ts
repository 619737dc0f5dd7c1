// One proxy (Toxiproxy's Proxy): a TCP listener while enabled, a connection to the upstream per
// accepted client, and the toxics applied to both. Disabling closes the listener and every
// connection, so new connections are refused and open ones see their sockets close.
import { createServer, connect, type Server, type Socket } from "node:net";
import { joinHostPort, listenError, parseDialAddress, parseListenAddress } from "./address.js";
import { Connection, type ConnectionOwner } from "./connection.js";
import { ApiError } from "./errors.js";
import type { ToxicLink } from "./link.js";
import { ToxicCollection } from "./toxic-collection.js";
import { toxicJson, type ToxicJson } from "./toxic.js";

/** Open client connections per proxy; more are closed on accept rather than queued. */
export const connectionsPerProxyMax = 4096;

export interface ProxyJson {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicJson[];
}

export interface ProxySettings {
  readonly listen: string;
  readonly upstream: string;
  readonly enabled: boolean;
}

export class Proxy implements ConnectionOwner {
  readonly toxics = new ToxicCollection();
  private enabledState = false;
  private server: Server | undefined;
  private readonly connections = new Set<Connection>();
  /** Upstream sockets still connecting, with the client each one is for. */
  private readonly dialing = new Map<Socket, Socket>();

  constructor(
    readonly name: string,
    private listenAddress: string,
    private upstreamAddress: string,
  ) {}

  get listen(): string {
    return this.listenAddress;
  }

  get upstream(): string {
    return this.upstreamAddress;
  }

  get enabled(): boolean {
    return this.enabledState;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Binds the listener; on success `listen` becomes the bound address (the real port for :0). */
  async start(): Promise<void> {
    if (this.enabledState) return;
    const address = parseListenAddress(this.listenAddress);
    const server = createServer({ pauseOnConnect: true }, (client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => reject(listenError(address, error));
      server.once("error", onError);
      server.listen({ host: address.host === "" ? undefined : address.host, port: address.port }, () => {
        server.off("error", onError);
        resolve();
      });
    });
    // Errors after binding (EMFILE on accept, say) must not take the whole server down.
    server.on("error", () => undefined);
    const bound = server.address();
    if (bound === null || typeof bound === "string") throw new ApiError("INTERNAL", "listener has no TCP address", 500);
    this.listenAddress = joinHostPort(bound.address, bound.port);
    this.server = server;
    this.enabledState = true;
  }

  stop(): void {
    if (!this.enabledState) return;
    this.enabledState = false;
    this.server?.close();
    this.server = undefined;
    for (const [upstream, client] of this.dialing) {
      upstream.destroy();
      client.destroy();
    }
    this.dialing.clear();
    for (const connection of this.connections) connection.close();
  }

  /** Toxiproxy's Proxy.Update: a new address restarts the proxy; `enabled` starts or stops it. */
  async update(settings: ProxySettings): Promise<void> {
    if (settings.listen !== this.listenAddress || settings.upstream !== this.upstreamAddress) {
      this.stop();
      this.listenAddress = settings.listen;
      this.upstreamAddress = settings.upstream;
    }
    if (settings.enabled !== this.enabledState) {
      if (settings.enabled) await this.start();
      else this.stop();
    }
  }

  toJSON(): ProxyJson {
    return {
      name: this.name,
      listen: this.listenAddress,
      upstream: this.upstreamAddress,
      enabled: this.enabledState,
      toxics: this.toxics.list().map(toxicJson),
    };
  }

  linkStarted(link: ToxicLink): void {
    this.toxics.linkStarted(link);
  }

  linkFinished(link: ToxicLink): void {
    this.toxics.linkFinished(link);
  }

  connectionClosed(connection: Connection): void {
    this.connections.delete(connection);
  }

  private accept(client: Socket): void {
    client.on("error", () => undefined);
    const target = parseDialAddress(this.upstreamAddress);
    if (!this.enabledState || target === undefined || this.connections.size + this.dialing.size >= connectionsPerProxyMax) {
      client.destroy();
      return;
    }
    client.setNoDelay(true);
    const upstream = connect({ host: target.host, port: target.port });
    this.dialing.set(upstream, client);
    upstream.on("error", () => client.destroy());
    upstream.once("connect", () => {
      this.dialing.delete(upstream);
      if (!this.enabledState || client.destroyed) {
        upstream.destroy();
        client.destroy();
        return;
      }
      upstream.setNoDelay(true);
      const connection = new Connection(client, upstream, this.toxics.chainsSnapshot(), this);
      this.connections.add(connection);
      client.resume();
    });
    client.once("close", () => {
      if (this.dialing.delete(upstream)) upstream.destroy();
    });
  }
}
