// The supervisor's handle on one replica OS process: spawn (node --import tsx replica-main.ts),
// the admin channel with request ids and deadlines, real signals for faults (SIGKILL,
// SIGSTOP/SIGCONT), and the exit watch (an exit the supervisor did not ask for is a crash).

import { spawn, type ChildProcess } from "node:child_process";
import { openSync, closeSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { AdminOp, ReplicaToParent } from "./admin.js";
import type { ReplicaSpec } from "./spec.js";
import { nodeArgumentsFor, REPO_ROOT } from "./entry.js";
import { applyLiveNice, liveProcessNice } from "../priority.js";

export { REPO_ROOT };
export const REPLICA_ENTRY = join(REPO_ROOT, "runtime", "live", "replica-main.ts");
/** Bound on admin requests waiting for a reply from one replica. */
export const ADMIN_PENDING_MAX = 256;

export type ProcessState = "starting" | "running" | "paused" | "down";

export class AdminError extends Error {
  constructor(
    readonly code: "NOT_RUNNING" | "TIMEOUT" | "REFUSED" | "OVERLOADED",
    message: string,
  ) {
    super(message);
  }
}

interface PendingAdmin {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: AdminError) => void;
  readonly timer: NodeJS.Timeout;
}

export class ReplicaProcess {
  state: ProcessState = "down";
  /** Exits not asked for (crash of the replica itself, e.g. an assertion). */
  unexpectedExits = 0;
  private child: ChildProcess | null = null;
  private nextRequestId = 1;
  private readonly pending = new Map<number, PendingAdmin>();
  private readyWaiters: (() => void)[] = [];
  private expectingExit = false;

  constructor(
    readonly spec: ReplicaSpec,
    private readonly onExit: (replica: ReplicaProcess, code: number | null, signal: string | null, expected: boolean) => void = () => {},
    /** The process's entry, relative to the repository root (control replicas: runtime/live/control-main.ts). */
    private readonly entry: string = "runtime/live/replica-main.ts",
  ) {}

  /** How many times the process has been spawned (a restart is a new process, its memory gone). */
  incarnation = 0;

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Spawns the process; resolves once it listens (or rejects if it dies first). */
  async start(): Promise<void> {
    if (this.child !== null) return;
    const args = await nodeArgumentsFor(this.entry);
    mkdirSync(this.spec.dataDir, { recursive: true });
    const logFd = openSync(join(this.spec.dataDir, "replica.log"), "a");
    // LDC_LIVE_NODE_ARGS: extra node flags for replicas, e.g. "--cpu-prof --cpu-prof-dir=DIR".
    const extra = (process.env.LDC_LIVE_NODE_ARGS ?? "").split(" ").filter((flag) => flag.length > 0);
    const child = spawn(process.execPath, [...extra, ...args, JSON.stringify(this.spec)], {
      cwd: REPO_ROOT,
      stdio: ["ignore", logFd, logFd, "ipc"],
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    closeSync(logFd);
    applyLiveNice(child.pid, liveProcessNice());
    this.child = child;
    this.incarnation++;
    this.state = "starting";
    this.expectingExit = false;
    child.on("message", (message: ReplicaToParent) => this.onMessage(message));
    child.on("error", () => undefined);
    return new Promise((resolve, reject) => {
      const onEarlyExit = (code: number | null): void => {
        let tail = "";
        try {
          tail = readFileSync(join(this.spec.dataDir, "replica.log"), "utf8").trim().split("\n").slice(-3).join(" | ");
        } catch {
          tail = "(no log)";
        }
        reject(new Error(`replica ${this.spec.id} exited with ${code} before listening: ${tail}`));
      };
      child.once("exit", onEarlyExit);
      this.readyWaiters.push(() => {
        child.off("exit", onEarlyExit);
        resolve();
      });
      child.on("exit", (code, signal) => {
        if (this.child !== child) return;
        this.child = null;
        this.state = "down";
        const expected = this.expectingExit;
        if (!expected) this.unexpectedExits++;
        for (const [id, entry] of this.pending) {
          clearTimeout(entry.timer);
          entry.reject(new AdminError("NOT_RUNNING", `${this.spec.id} exited`));
          this.pending.delete(id);
        }
        this.onExit(this, code, signal, expected);
      });
    });
  }

  /** SIGKILL: no shutdown code runs, exactly a power cut of the process (not of the page cache). */
  kill(): Promise<void> {
    const child = this.child;
    if (child === null) return Promise.resolve();
    this.expectingExit = true;
    return new Promise((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  }

  /** SIGTERM (the replica exits at once, flushing nothing it has not fsynced), SIGKILL after `graceMs`. */
  stop(graceMs = 2_000): Promise<void> {
    const child = this.child;
    if (child === null) return Promise.resolve();
    this.expectingExit = true;
    return new Promise((resolve) => {
      const force = setTimeout(() => child.kill("SIGKILL"), graceMs);
      child.once("exit", () => {
        clearTimeout(force);
        resolve();
      });
      if (this.state === "paused") child.kill("SIGCONT");
      child.kill("SIGTERM");
    });
  }

  pause(): void {
    if (this.child === null || this.state !== "running") return;
    this.child.kill("SIGSTOP");
    this.state = "paused";
  }

  resume(): void {
    if (this.child === null || this.state !== "paused") return;
    this.child.kill("SIGCONT");
    this.state = "running";
  }

  admin<T>(body: AdminOp, timeoutMs: number): Promise<T> {
    const child = this.child;
    if (child === null || !child.connected || this.state === "starting")
      return Promise.reject(new AdminError("NOT_RUNNING", `${this.spec.id} is ${this.state}`));
    if (this.pending.size >= ADMIN_PENDING_MAX)
      return Promise.reject(new AdminError("OVERLOADED", `${this.spec.id}: ADMIN_PENDING_MAX reached`));
    const requestId = this.nextRequestId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new AdminError("TIMEOUT", `${this.spec.id} did not answer ${body.op} within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.pending.set(requestId, { resolve: resolve as (value: unknown) => void, reject, timer });
      child.send({ type: "admin", requestId, body });
    });
  }

  private onMessage(message: ReplicaToParent): void {
    if (message.type === "ready") {
      this.state = "running";
      for (const waiter of this.readyWaiters.splice(0)) waiter();
      return;
    }
    const entry = this.pending.get(message.requestId);
    if (entry === undefined) return;
    this.pending.delete(message.requestId);
    clearTimeout(entry.timer);
    if (message.ok) entry.resolve(message.result);
    else entry.reject(new AdminError("REFUSED", message.error));
  }
}
