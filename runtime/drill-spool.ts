// A drill's window of the history on disk as it is recorded, checked by a child process when the
// drill ends (Jepsen's store: the history is written as the test runs and checked afterwards).
// The running world's server (`ldc start`) then holds neither the window (~400,000 ops over a
// 100 s drill at the default load, ~85 MB of op objects pinned in memory) nor the checks' working
// set: its memory stays that of the steady state through a drill (issue 15, docs/BENCHMARKS.md
// "Drill checks in a child process"). What the checkers read besides the history is captured at
// the drill's conclusion (harness/run-check.ts captureRun) and written beside it; the child
// (drill-check-child.ts) gives back the verdicts and the figures the result and the report take
// from the window. The same checkers, the same verdicts: test/runtime/drill-spool.test.ts.
import fs from "node:fs";
import path from "node:path";
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Op } from "../harness/history.js";
import { WindowFilter } from "../sim/workload/recorder.js";
import type { Runtime } from "./runtime.js";
import { checkCapturedSteps, type CapturedRun, type CheckRunOptions, type RunVerdicts } from "../harness/run-check.js";
import { drainSteps } from "../harness/history.js";
import type { DrillWindowDigest, DigestParameters } from "./drill-digest.js";
import { digestWindow } from "./drill-digest.js";

/** Bytes of JSON lines buffered before a write (at the default load ~1 MB of ops a second). */
const SPOOL_FLUSH_BYTES = 1 << 20;

export class DrillSpool {
  readonly opsPath: string;
  private readonly fd: number;
  private pending: string[] = [];
  private pendingBytes = 0;
  private written = 0;
  private closed = false;
  /** Why the window on disk is not whole (a write failed), null while it is. */
  failure: string | null = null;

  constructor(
    readonly directory: string,
    private readonly recorder: Runtime["recorder"],
    fromUs: number,
  ) {
    fs.mkdirSync(directory, { recursive: true });
    this.opsPath = path.join(directory, "ops.jsonl");
    this.fd = fs.openSync(this.opsPath, "w");
    // The lead already recorded (the ops from fromUs on), then every op as it comes.
    for (const op of recorder.heldFrom(fromUs)) this.add(op);
    recorder.tapOps((op) => this.add(op));
  }

  /** Ops written so far (buffered ones included). */
  get ops(): number {
    return this.written;
  }

  private add(op: Op): void {
    if (this.failure !== null) return;
    const line = JSON.stringify(op);
    this.pending.push(line);
    this.pendingBytes += line.length + 1;
    this.written++;
    if (this.pendingBytes >= SPOOL_FLUSH_BYTES) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0 || this.failure !== null) return;
    try {
      fs.writeSync(this.fd, `${this.pending.join("\n")}\n`);
    } catch (error) {
      // A full or failing disk ends the spool, not the world: the drill says its window is not whole.
      this.failure = `writing ${this.opsPath}: ${(error as Error).message}`;
    }
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Stops taking ops (the window ends here) and writes what is buffered. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.recorder.tapOps(null);
    this.flush();
    fs.closeSync(this.fd);
  }

  remove(): void {
    this.close();
    fs.rmSync(this.directory, { recursive: true, force: true });
  }
}

/** Everything the child needs besides the ops file: plain data, written as JSON. */
export interface DrillCheckJob {
  readonly opsPath: string;
  readonly fromUs: number;
  readonly captured: CapturedRun;
  readonly options: Pick<CheckRunOptions, "checkers" | "faultWindows" | "linearizableTimeoutMs" | "liveness" | "requireDrained">;
  readonly digest: DigestParameters;
}

export interface DrillCheckAnswer {
  readonly verdicts: RunVerdicts;
  readonly digest: DrillWindowDigest;
}

/**
 * Writes `value` as JSON, its objects down to `depth` a key at a time: the job's per-cell logs
 * (~4 MB each at the end of a 100 s drill) never become one string of ~30 MB in the server.
 */
function writeJsonFile(file: string, value: unknown, depth: number): void {
  const fd = fs.openSync(file, "w");
  try {
    writeJsonTo(fd, value, depth);
  } finally {
    fs.closeSync(fd);
  }
}

function writeJsonTo(fd: number, value: unknown, depth: number): void {
  if (depth === 0 || value === null || typeof value !== "object" || Array.isArray(value)) {
    fs.writeSync(fd, JSON.stringify(value) ?? "null");
    return;
  }
  let separator = "{";
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue;
    fs.writeSync(fd, `${separator}${JSON.stringify(key)}:`);
    separator = ",";
    writeJsonTo(fd, item, depth - 1);
  }
  fs.writeSync(fd, separator === "{" ? "{}" : "}");
}

/** Runs a job's checks and answers (checkInChildProcess; a test injects one). */
export type DrillCheckRunner = (job: DrillCheckJob, directory: string) => Promise<DrillCheckAnswer>;

/** Reads a spooled ops file (JSON lines) back into ops, in order, a megabyte at a time (the file is ~110 MB for a 100 s drill). */
export function readSpooledOps(opsPath: string): Op[] {
  const ops: Op[] = [];
  const fd = fs.openSync(opsPath, "r");
  try {
    const chunk = Buffer.alloc(1 << 20);
    // Bytes after the last newline read so far (a line, or a character, cut by a read).
    let rest = Buffer.alloc(0);
    const parseLines = (text: string): void => {
      for (const line of text.split("\n")) if (line !== "") ops.push(JSON.parse(line) as Op);
    };
    for (;;) {
      const read = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      const bytes = rest.length === 0 ? chunk.subarray(0, read) : Buffer.concat([rest, chunk.subarray(0, read)]);
      const lastNewline = bytes.lastIndexOf(0x0a);
      if (lastNewline === -1) {
        rest = Buffer.from(bytes);
        continue;
      }
      parseLines(bytes.toString("utf8", 0, lastNewline));
      rest = Buffer.from(bytes.subarray(lastNewline + 1));
    }
    parseLines(rest.toString("utf8"));
  } finally {
    fs.closeSync(fd);
  }
  return ops;
}

/** The checks over a spooled window, where they run (the child; a test runs them in-process). */
export function checkSpooledJob(job: DrillCheckJob): DrillCheckAnswer {
  const spooled = readSpooledOps(job.opsPath);
  const filter = new WindowFilter(job.fromUs);
  const window = spooled.filter((op) => filter.keeps(op));
  const verdicts = drainSteps(checkCapturedSteps(job.captured, window, spooled, { ...job.options, historyFromUs: job.fromUs }));
  return { verdicts, digest: digestWindow(window, job.digest) };
}

const CHILD_ENTRY = fileURLToPath(new URL("../bin/drill-check.mjs", import.meta.url));

/**
 * Runs a job in a child node process (bin/drill-check.mjs): the job file beside the ops, the
 * answer over IPC. Rejects when the child cannot start, dies, or answers with an error.
 */
export const checkInChildProcess: DrillCheckRunner = (job, directory) => {
  const jobPath = path.join(directory, "job.json");
  writeJsonFile(jobPath, job, 3);
  return new Promise((resolve, reject) => {
    const child = fork(CHILD_ENTRY, [jobPath], { serialization: "advanced", stdio: ["ignore", "ignore", "pipe", "ipc"] });
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      if (stderr.length < 4_000) stderr += chunk;
    });
    let answered = false;
    child.once("message", (message: { answer?: DrillCheckAnswer; error?: string }) => {
      answered = true;
      if (message.answer !== undefined) resolve(message.answer);
      else reject(new Error(message.error ?? "the check process answered nothing"));
    });
    child.once("error", (error) => reject(error));
    child.once("exit", (code, signal) => {
      if (!answered)
        reject(
          new Error(
            `the check process ended (${signal ?? `exit ${code}`}) without an answer${stderr === "" ? "" : `: ${stderr.trim().split("\n").slice(-1)[0]}`}`,
          ),
        );
    });
  });
};
