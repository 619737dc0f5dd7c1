// `ldc toxiproxy [--host 127.0.0.1] [--port 8474]`: runs the embedded Toxiproxy-compatible
// server until interrupted. Prints the API URL on stdout once it is listening.
import type { Command } from "commander";
import { startToxiproxyServer, defaultToxiproxyHost, defaultToxiproxyPort } from "../runtime/live/toxiproxy/index.js";
import { badInput, CliError } from "./errors.js";

export function register(program: Command): void {
  program
    .command("toxiproxy")
    .description("Run a Toxiproxy 2.x compatible server (HTTP API + TCP proxies)")
    .option("--host <host>", "API listen host", defaultToxiproxyHost)
    .option("--port <port>", "API listen port (0 picks a free one)", String(defaultToxiproxyPort))
    .action(async (options: { host: string; port: string }) => {
      const port = parsePort(options.port);
      if (options.host.length === 0) throw badInput("--host", "a host name or IP address", options.host);
      let server;
      try {
        server = await startToxiproxyServer({ host: options.host, port });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new CliError(`--port: could not listen on ${options.host}:${port}: ${message}`, 2);
      }
      process.stdout.write(`toxiproxy API listening on ${server.url}\n`);
      const shutdown = (): void => {
        void server.close().then(() => process.exit(0));
      };
      process.once("SIGINT", shutdown);
      process.once("SIGTERM", shutdown);
    });
}

function parsePort(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw badInput("--port", "an integer from 0 to 65535", text);
  return Number(text);
}
