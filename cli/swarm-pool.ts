// The swarm's side of its workers (cli/swarm-worker.ts): one forked, long-lived process per job,
// fed one seed at a time over IPC. A worker that dies mid-seed (a crash, out of memory) yields that
// seed's result as a process that died would (its exit code, its stderr) and is replaced for the next
// seed; after SWARM_WORKER_SEEDS_MAX seeds a worker is replaced anyway, so a slow leak in a long run
// cannot grow without bound.
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { SeedReply, SeedRequest } from "./swarm-worker.js";

const WORKER_BIN = fileURLToPath(new URL("../bin/ldc-swarm-worker.mjs", import.meta.url));

/** Seeds one worker process runs before it is replaced by a fresh one. */
export const SWARM_WORKER_SEEDS_MAX = 500;

/**
 * A larger young generation for the workers: a seed allocates a lot of short-lived objects, and
 * with V8's default semi-space the scavenger took about a fifth of a seed's CPU; 32 MB cut a seed's
 * CPU time by ~19% (docs/BENCHMARKS.md, "Swarm throughput"). Garbage collection changes no result.
 */
export const SWARM_WORKER_EXEC_ARGV: readonly string[] = ["--max-semi-space-size=32"];

/** A dying worker's last words kept for the seed's summary (its stderr tail). */
const STDERR_KEPT_CHARS = 64 * 1024;

export class SeedWorker {
  private child: ChildProcess | null = null;
  private seedsRun = 0;
  private stderr = "";
  private stopped = false;

  /** null: the worker was stopped (stop()) or killed by SIGINT/SIGTERM while running it: not a result. */
  run(request: SeedRequest): Promise<SeedReply | null> {
    if (this.stopped) return Promise.resolve(null);
    if (this.child !== null && this.seedsRun >= SWARM_WORKER_SEEDS_MAX) this.retire();
    const child = this.child ?? this.spawn();
    this.seedsRun++;
    this.stderr = "";
    return new Promise((resolve) => {
      const onMessage = (reply: SeedReply): void => {
        child.off("close", onExit);
        resolve(reply);
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
        child.off("message", onMessage);
        if (this.child === child) this.child = null;
        if (this.stopped || (code === null && (signal === "SIGINT" || signal === "SIGTERM"))) return resolve(null);
        resolve({
          seed: request.seed,
          exitCode: code ?? 2,
          stdout: "",
          stderr: this.stderr || `ldc: swarm worker ended by ${signal ?? `exit ${code}`}\n`,
        });
      };
      child.once("message", onMessage);
      child.once("close", onExit);
      child.send(request);
    });
  }

  /** Ends the worker now (a swarm being stopped): a seed in flight resolves null. */
  stop(): void {
    this.stopped = true;
    this.child?.kill("SIGTERM");
  }

  /** Lets the worker exit once idle (it exits when its IPC channel closes). */
  close(): void {
    this.retire();
  }

  private retire(): void {
    const child = this.child;
    this.child = null;
    if (child !== null && child.connected) child.disconnect();
  }

  private spawn(): ChildProcess {
    const child = fork(WORKER_BIN, [], {
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      execArgv: [...SWARM_WORKER_EXEC_ARGV],
      serialization: "json",
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      if (this.child === child) this.stderr = (this.stderr + chunk.toString()).slice(-STDERR_KEPT_CHARS);
    });
    this.child = child;
    this.seedsRun = 0;
    return child;
  }
}
