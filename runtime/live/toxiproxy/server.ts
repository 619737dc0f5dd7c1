// Starts the embedded Toxiproxy-compatible server: the HTTP API on host:port (8474 by default,
// as Toxiproxy) and a TCP listener per enabled proxy.
import { createServer } from "node:http";
import { ToxiproxyApi } from "./api.js";
import { joinHostPort } from "./address.js";

export interface ToxiproxyServerOptions {
  readonly host?: string;
  /** 0 picks a free port; `url` reports the real one. */
  readonly port?: number;
}

export interface ToxiproxyServer {
  /** e.g. "http://127.0.0.1:8474", ready for `new Toxiproxy(url)`. */
  readonly url: string;
  readonly api: ToxiproxyApi;
  /** Stops the API and every proxy, closing their connections. */
  close(): Promise<void>;
}

export const defaultToxiproxyHost = "127.0.0.1";
export const defaultToxiproxyPort = 8474;

export async function startToxiproxyServer(options: ToxiproxyServerOptions = {}): Promise<ToxiproxyServer> {
  const host = options.host ?? defaultToxiproxyHost;
  const port = options.port ?? defaultToxiproxyPort;
  const api = new ToxiproxyApi();
  const server = createServer((request, response) => api.handle(request, response));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("toxiproxy API listener has no TCP address");
  const url = `http://${joinHostPort(address.address, address.port)}`;
  return {
    url,
    api,
    close: async () => {
      api.proxies.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
