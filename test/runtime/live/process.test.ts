// Process hygiene of the live runtime: no replica outlives its supervisor, whether the
// supervisor is killed with SIGKILL (the replicas see the IPC channel close) or stopped with
// Ctrl-C; and a replica spawned with a bad spec exits 2 naming the bad field.
import { describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { REPLICA_ENTRY, REPO_ROOT } from "../../../runtime/live/replica/process.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function startSupervisor(via: string): Promise<{ pid: number; replicas: number[] }> {
  const child = spawn(process.execPath, ["--import", "tsx", join(REPO_ROOT, "test/runtime/live/fixtures/supervisor.ts"), via], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout });
  const line = await new Promise<string>((resolve, reject) => {
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`supervisor exited ${code}`)));
  });
  const parsed = JSON.parse(line) as { pids: number[]; toxiproxy: number | null };
  // The embedded Toxiproxy runs in its own process too: it must not outlive the supervisor either.
  return { pid: child.pid as number, replicas: parsed.toxiproxy === null ? parsed.pids : [...parsed.pids, parsed.toxiproxy] };
}

async function allGone(pids: readonly number[], timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (pids.every((pid) => !alive(pid))) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

describe("live process hygiene", () => {
  it("leaves no replica running after the supervisor is killed with SIGKILL", async () => {
    const supervisor = await startSupervisor("toxiproxy");
    expect(supervisor.replicas).toHaveLength(6);
    expect(supervisor.replicas.every(alive)).toBe(true);
    process.kill(supervisor.pid, "SIGKILL");
    expect(await allGone(supervisor.replicas, 5_000)).toBe(true);
  });

  it("leaves no replica running after Ctrl-C (SIGINT) of the supervisor", async () => {
    const supervisor = await startSupervisor("direct");
    expect(supervisor.replicas.every(alive)).toBe(true);
    process.kill(supervisor.pid, "SIGINT");
    expect(await allGone([supervisor.pid, ...supervisor.replicas], 5_000)).toBe(true);
  });

  it("a replica with a bad spec exits 2 with one line naming the field", () => {
    const run = (spec: string | undefined): { status: number | null; stderr: string } => {
      const result = spawnSync(process.execPath, ["--import", "tsx", REPLICA_ENTRY, ...(spec === undefined ? [] : [spec])], {
        cwd: REPO_ROOT,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
      return { status: result.status, stderr: result.stderr };
    };
    const missing = run(undefined);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^ldc replica: spec: expected one JSON argument/);
    const badPort = run(
      JSON.stringify({
        id: "a",
        cell: "c",
        voters: ["a"],
        host: "127.0.0.1",
        port: 70_000,
        peers: {},
        dataDir: "/tmp/x",
        seed: 1,
        raft: { tickUs: 10_000, electionTicks: 20, heartbeatTicks: 5 },
      }),
    );
    expect(badPort.status).toBe(2);
    expect(badPort.stderr).toMatch(/spec\.port/);
    expect(badPort.stderr.trim().split("\n")).toHaveLength(1);
    const noPeer = run(
      JSON.stringify({
        id: "a",
        cell: "c",
        voters: ["a", "b"],
        host: "127.0.0.1",
        port: 7000,
        peers: {},
        dataDir: "/tmp/x",
        seed: 1,
        raft: { tickUs: 10_000, electionTicks: 20, heartbeatTicks: 5 },
      }),
    );
    expect(noPeer.status).toBe(2);
    expect(noPeer.stderr).toMatch(/spec\.peers: expected an address for voter b/);
  });
});
