// Starts `ldc start` on a free port with a fresh data directory for a browser test, and stops it.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

export const START_TIMEOUT_MS = 60_000;

export interface LdcServer {
  readonly url: string;
  readonly token: string;
  output(): string;
  /** An authorised API call from the test (what an operator's curl would do). */
  api(method: string, route: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startLdc(options: { seed: number; speed: number; token: string }): Promise<LdcServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDirectory = mkdtempSync(path.join(tmpdir(), "ldc-e2e-"));
  let output = "";
  const child: ChildProcess = spawn(
    process.execPath,
    [
      "bin/ldc.mjs",
      "start",
      "--port",
      String(port),
      "--seed",
      String(options.seed),
      "--speed",
      String(options.speed),
      "--token",
      options.token,
      "--data-dir",
      dataDirectory,
    ],
    {
      cwd: process.cwd(),
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`ldc start exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`ldc start did not answer /healthz within ${START_TIMEOUT_MS} ms:\n${output}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    url,
    token: options.token,
    output: () => output,
    async api(method, route, body) {
      const response = await fetch(`${url}${route}`, {
        method,
        headers: { "content-type": "application/json", authorization: `Bearer ${options.token}` },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text === "" ? null : (JSON.parse(text) as unknown) };
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}
