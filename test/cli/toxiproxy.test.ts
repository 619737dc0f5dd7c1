// `ldc toxiproxy`: starts, prints its URL, answers /version; bad flags exit 2 naming the flag.
import { describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";

const ldc = ["bin/ldc.mjs", "toxiproxy"];

describe("ldc toxiproxy", () => {
  it("starts on a free port and answers /version", async () => {
    const child = spawn(process.execPath, [...ldc, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let output = "";
        const timer = setTimeout(() => reject(new Error(`no URL printed: ${output}`)), 20_000);
        child.stdout.on("data", (data: Buffer) => {
          output += data.toString();
          const match = /listening on (http:\/\/\S+)/.exec(output);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        });
        child.once("exit", (code) => reject(new Error(`exited with ${code}`)));
      });
      const response = await fetch(`${url}/version`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ version: "2.12.0" });
    } finally {
      child.kill("SIGTERM");
    }
    const exitCode = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(exitCode).toBe(0);
  });

  it("exits 2 naming --port on a bad port", () => {
    const result = spawnSync(process.execPath, [...ldc, "--port", "84740"], { encoding: "utf8", timeout: 20_000 });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--port: expected an integer from 0 to 65535/);
  });

  it("exits 2 when the API port is in use", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    const result = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [...ldc, "--port", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (data: Buffer) => (stderr += data.toString()));
      child.once("exit", (status) => resolve({ status, stderr }));
    });
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--port: could not listen/);
  });
});
