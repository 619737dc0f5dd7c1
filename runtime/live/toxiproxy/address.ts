// host:port strings as Go's net package reads and prints them, so listen addresses and listen
// errors look exactly like Toxiproxy's ("listen tcp 127.0.0.1:8474: bind: address already in use").
import { listenFailed, type ApiError } from "./errors.js";

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** net.SplitHostPort plus port validation; throws Go's "listen tcp: address ..." errors. */
export function parseListenAddress(address: string): HostPort {
  // net.Listen("tcp", "") listens on every interface, on a port the kernel picks.
  if (address === "") return { host: "", port: 0 };
  const split = splitHostPort(address);
  if (split === undefined) throw listenFailed(`listen tcp: address ${address}: missing port in address`);
  const port = parsePort(split.port);
  if (port === undefined) throw listenFailed(`listen tcp: address ${split.port}: invalid port`);
  // Go resolves localhost to 127.0.0.1 for listening; Node 20 might pick ::1.
  return { host: split.host === "localhost" ? "127.0.0.1" : split.host, port };
}

export function parseDialAddress(address: string): HostPort | undefined {
  const split = splitHostPort(address);
  if (split === undefined) return undefined;
  const port = parsePort(split.port);
  return port === undefined ? undefined : { host: split.host === "" ? "127.0.0.1" : split.host, port };
}

export function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Node's listen errors in the words Go's net.Listen uses. */
export function listenError(address: HostPort, error: NodeJS.ErrnoException): ApiError {
  const shown = joinHostPort(address.host === "" ? "" : address.host, address.port);
  switch (error.code) {
    case "EADDRINUSE":
      return listenFailed(`listen tcp ${shown}: bind: address already in use`);
    case "EACCES":
      return listenFailed(`listen tcp ${shown}: bind: permission denied`);
    case "EADDRNOTAVAIL":
      return listenFailed(`listen tcp ${shown}: bind: cannot assign requested address`);
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return listenFailed(`listen tcp: lookup ${address.host}: no such host`);
    default:
      return listenFailed(`listen tcp ${shown}: ${error.message}`);
  }
}

function splitHostPort(address: string): { host: string; port: string } | undefined {
  if (address.startsWith("[")) {
    const match = /^\[([^\]]*)\]:([^:]*)$/.exec(address);
    return match ? { host: match[1], port: match[2] } : undefined;
  }
  const colon = address.lastIndexOf(":");
  if (colon < 0) return undefined;
  const host = address.slice(0, colon);
  if (host.includes(":")) return undefined;
  return { host, port: address.slice(colon + 1) };
}

function parsePort(text: string): number | undefined {
  if (text === "") return 0;
  if (!/^\d+$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}
