// `ldc bench soak [--minutes N]`: does a long-running `ldc start` keep its memory flat? Runs
// `ldc start` as `npm start` runs it (its environment and node flags from package.json; default world, virtual
// runtime, --speed 1) in a child process for N minutes
// (default 30; `--minutes` or LDC_SOAK_MINUTES), starts a built-in drill through the API every
// few minutes, and once forces a drill while hangzhou is evacuated (the scenario that ran a first
// server out of heap: issue 15), then restores the region. Samples the child's RSS from
// /proc/<pid>/status and its heap and pacer lag from /healthz every `sampleSeconds`, and reports
// the samples, max RSS, RSS at 5 and 30 minutes, the least-squares RSS slope over the last 20
// minutes, the max lag and each drill's outcome. LDC_SOAK_REPO runs another checkout's
// `bin/ldc.mjs` (an old commit, for comparison) with this harness.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../runtime/bundle.js";

export interface SoakOptions {
  readonly minutes?: number;
  readonly sampleSeconds?: number;
  readonly drillEveryMinutes?: number;
  /** Minute at which hangzhou is evacuated and a drill forced (then the region restored). */
  readonly forcedDrillAtMinute?: number;
}

export interface SoakSample {
  readonly tS: number;
  readonly rssMB: number;
  /**
   * RSS of the server's descendant processes: esbuild's service (tsx) and, while a drill's window
   * is checked, the check process (runtime/drill-spool.ts). Sampled with the server's, so a
   * check shorter than the sampling period can fall between two samples.
   */
  readonly childrenRssMB: number;
  /** null when /healthz did not answer in time or does not report it (an old commit). */
  readonly heapUsedMB: number | null;
  readonly lagMs: number | null;
}

const TOKEN = "soak-bench-token";
const DRILLS = ["region-outage", "dc-outage", "leader-dc-partition"] as const;
const HEALTH_TIMEOUT_MS = 5_000;
/** The slope is taken over this trailing window (issue 16: "not growing in the last 20"). */
const SLOPE_WINDOW_S = 20 * 60;

export function defaultMinutes(): number {
  const text = process.env.LDC_SOAK_MINUTES;
  if (text === undefined) return 30;
  const minutes = Number(text);
  if (!(Number.isFinite(minutes) && minutes > 0))
    throw new Error(`LDC_SOAK_MINUTES: expected a positive number, got ${JSON.stringify(text)}`);
  return minutes;
}

/** A drill the soak started (or tried to): when, what the API answered, and how it ended. */
interface SoakDrill {
  atMinute: number;
  drill: string;
  forced: boolean;
  id: string | null;
  status: number;
  outcome: string | null;
  reasons: readonly string[];
}

/** The process's peak RSS so far (VmHWM): catches a transient peak that falls between two samples. */
function peakRssMB(pid: number): number | null {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match === null ? null : Math.round(Number(match[1]) / 1024);
  } catch {
    return null;
  }
}

function rssMB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match === null ? 0 : Math.round(Number(match[1]) / 1024);
}

/** The processes below `pid` (/proc/<pid>/task/<tid>/children), recursively. */
function descendants(pid: number): number[] {
  const found: number[] = [];
  const visit = (parent: number): void => {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${parent}/task`);
    } catch {
      return;
    }
    for (const task of tasks) {
      let children = "";
      try {
        children = readFileSync(`/proc/${parent}/task/${task}/children`, "utf8");
      } catch {
        continue;
      }
      for (const child of children.split(/\s+/).filter((text) => text !== "")) {
        found.push(Number(child));
        visit(Number(child));
      }
    }
  };
  visit(pid);
  return found;
}

function childrenRssMB(pid: number): number {
  let total = 0;
  for (const child of descendants(pid)) {
    try {
      total += rssMB(child);
    } catch {
      // Ended between the listing and the read.
    }
  }
  return total;
}

async function request(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS),
  });
  const text = await response.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // an HTML or empty body: kept as text
  }
  return { status: response.status, json };
}

/** Least-squares slope of y over x (MB per minute when x is minutes). */
export function slope(points: readonly { readonly x: number; readonly y: number }[]): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const meanX = points.reduce((sum, point) => sum + point.x, 0) / n;
  const meanY = points.reduce((sum, point) => sum + point.y, 0) / n;
  let numerator = 0;
  let denominator = 0;
  for (const point of points) {
    numerator += (point.x - meanX) * (point.y - meanY);
    denominator += (point.x - meanX) ** 2;
  }
  return denominator === 0 ? 0 : numerator / denominator;
}

/** How `npm start` runs `ldc start` in a checkout: environment assignments before `node`, then node's flags. */
export interface StartCommand {
  readonly env: Readonly<Record<string, string>>;
  readonly nodeFlags: readonly string[];
}

/**
 * The command of `npm start` in `repo` (its package.json `start` script,
 * `[NAME=VALUE ...] node [FLAGS] bin/ldc.mjs start`), so the soak measures what `npm start` runs
 * there, an older checkout's too: the allocator's settings (environment) as well as V8's (flags).
 */
export function startCommand(startScript: unknown): StartCommand {
  const match =
    typeof startScript === "string"
      ? /^((?:[A-Z_][A-Z0-9_]*=\S+ )*)node((?: --[\w-]+(?:=\S+)?)*) bin\/ldc\.mjs start$/.exec(startScript.trim())
      : null;
  if (match === null)
    throw new Error(
      `package.json scripts.start: expected "[NAME=VALUE ...] node [--flag ...] bin/ldc.mjs start", got ${JSON.stringify(startScript)}`,
    );
  const env: Record<string, string> = {};
  for (const assignment of (match[1] as string).split(" ").filter((word) => word !== "")) {
    const equals = assignment.indexOf("=");
    env[assignment.slice(0, equals)] = assignment.slice(equals + 1);
  }
  return { env, nodeFlags: (match[2] as string).split(" ").filter((flag) => flag !== "") };
}

function startServer(repo: string, port: number, dataDirectory: string): ChildProcess {
  const packageJson = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { scripts?: { start?: unknown } };
  const command = startCommand(packageJson.scripts?.start);
  const child = spawn(
    process.execPath,
    [
      ...command.nodeFlags,
      join(repo, "bin", "ldc.mjs"),
      "start",
      "--port",
      String(port),
      "--seed",
      "1",
      "--speed",
      "1",
      "--data-dir",
      dataDirectory,
      "--token",
      TOKEN,
    ],
    {
      cwd: repo,
      env: { ...process.env, ...command.env },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  child.stderr?.setEncoding("utf8");
  return child;
}

async function waitForServer(base: string, child: ChildProcess, deadlineMs: number): Promise<void> {
  while (Date.now() < deadlineMs) {
    if (child.exitCode !== null) throw new Error(`ldc start exited with ${child.exitCode} before serving`);
    try {
      if ((await request(base, "GET", "/healthz")).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error("ldc start did not answer /healthz within 120 s");
}

export async function run(options: SoakOptions & Record<string, unknown> = {}): Promise<object> {
  const minutes = options.minutes ?? defaultMinutes();
  const sampleSeconds = options.sampleSeconds ?? 10;
  const drillEveryMinutes = options.drillEveryMinutes ?? 3;
  const forcedDrillAtMinute = options.forcedDrillAtMinute ?? Math.min(7, minutes / 2);
  const repo = process.env.LDC_SOAK_REPO ?? REPO_ROOT;
  const port = 18_000 + Math.floor(Math.random() * 10_000);
  const base = `http://127.0.0.1:${port}`;
  const dataDirectory = mkdtempSync(join(tmpdir(), "ldc-soak-"));
  const child = startServer(repo, port, dataDirectory);
  let stderrTail = "";
  child.stderr?.on("data", (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-4_000);
  });
  const samples: SoakSample[] = [];
  const drills: SoakDrill[] = [];
  const events: string[] = [];
  let exited: string | null = null;
  let survived = false;
  let serverPeakRssMB: number | null = null;
  child.on("exit", (code, signal) => {
    exited = `exited with ${code ?? signal}`;
  });
  try {
    await waitForServer(base, child, Date.now() + 120_000);
    const startedMs = Date.now();
    const endMs = startedMs + minutes * 60_000;
    let nextDrillMs = startedMs + 60_000;
    let drillIndex = 0;
    let forced: "pending" | "running" | "done" = "pending";
    while (Date.now() < endMs && exited === null) {
      const tS = Math.round((Date.now() - startedMs) / 1000);
      let heapUsedMB: number | null = null;
      let lagMs: number | null = null;
      try {
        const health = (await request(base, "GET", "/healthz")).json as { heapUsedBytes?: number; lagMs?: number };
        if (typeof health.heapUsedBytes === "number") heapUsedMB = Math.round(health.heapUsedBytes / 1_048_576);
        if (typeof health.lagMs === "number") lagMs = health.lagMs;
      } catch {
        events.push(`${tS}s: /healthz did not answer within ${HEALTH_TIMEOUT_MS} ms`);
      }
      if (exited !== null) break;
      samples.push({ tS, rssMB: rssMB(child.pid as number), childrenRssMB: childrenRssMB(child.pid as number), heapUsedMB, lagMs });
      const minute = tS / 60;
      const running = await runningDrill(base);
      if (forced === "pending" && minute >= forcedDrillAtMinute && running === null) {
        const evacuated = await request(base, "POST", "/api/v1/regions/hangzhou/evacuate", {
          reason: "soak: the drill forced while evacuated (issue 15)",
        });
        events.push(`${tS}s: evacuate hangzhou -> ${evacuated.status}`);
        drills.push(await startDrill(base, "region-outage", true, minute));
        forced = "running";
      } else if (forced === "running" && running === null) {
        const restored = await request(base, "POST", "/api/v1/regions/hangzhou/restore", {
          reason: "soak: forced drill done",
          force: true,
        });
        events.push(`${tS}s: restore hangzhou -> ${restored.status}`);
        forced = "done";
        nextDrillMs = Date.now() + drillEveryMinutes * 60_000;
      } else if (forced !== "running" && Date.now() >= nextDrillMs && running === null) {
        drills.push(await startDrill(base, DRILLS[drillIndex++ % DRILLS.length] as string, false, minute));
        nextDrillMs = Date.now() + drillEveryMinutes * 60_000;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, startedMs + (tS + sampleSeconds) * 1000 - Date.now())));
    }
    for (const drill of drills) {
      if (drill.id === null) continue;
      try {
        const run = (await request(base, "GET", `/api/v1/drills/runs/${drill.id}`)).json as { outcome?: string | null; reasons?: string[] };
        drill.outcome = run.outcome ?? null;
        drill.reasons = run.reasons ?? [];
      } catch {
        drill.outcome = "unknown: the server did not answer";
      }
    }
  } finally {
    survived = exited === null;
    if (child.exitCode === null) serverPeakRssMB = peakRssMB(child.pid as number);
    if (child.exitCode === null) child.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(dataDirectory, { recursive: true, force: true });
  }
  const lastTS = samples.at(-1)?.tS ?? 0;
  const trailing = samples.filter((sample) => sample.tS >= lastTS - SLOPE_WINDOW_S && sample.tS >= Math.min(5 * 60, lastTS / 2));
  const at = (seconds: number): number | null => samples.find((sample) => sample.tS >= seconds)?.rssMB ?? null;
  const lags = samples.map((sample) => sample.lagMs).filter((lag): lag is number => lag !== null);
  return {
    repo,
    minutes,
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? "unknown",
      memoryGB: Math.round(totalmem() / 2 ** 30),
      loadavgAtEnd: loadavg().map((load) => Math.round(load * 100) / 100),
    },
    survived,
    exit: survived ? null : exited,
    rssMBMax: Math.max(0, ...samples.map((sample) => sample.rssMB)),
    /** The server's peak RSS over the whole run (VmHWM, read before it is stopped): transients between samples included. */
    rssMBPeak: serverPeakRssMB,
    /** The server and its descendants together, at the sample where that sum was largest. */
    treeRssMBMax: Math.max(0, ...samples.map((sample) => sample.rssMB + sample.childrenRssMB)),
    childrenRssMBMax: Math.max(0, ...samples.map((sample) => sample.childrenRssMB)),
    rssMBAt5Min: at(300),
    rssMBAt30Min: at(1800),
    rssMBLast: samples.at(-1)?.rssMB ?? null,
    heapUsedMBMax: Math.max(0, ...samples.map((sample) => sample.heapUsedMB ?? 0)),
    rssSlopeMBPerMinLast20Min: Math.round(slope(trailing.map((sample) => ({ x: sample.tS / 60, y: sample.rssMB }))) * 100) / 100,
    slopeWindow: `${trailing[0]?.tS ?? 0}-${lastTS} s`,
    lagMsMax: lags.length === 0 ? null : Math.max(...lags),
    drills,
    events,
    stderrTail: survived ? "" : stderrTail,
    samples,
  };
}

async function runningDrill(base: string): Promise<string | null> {
  try {
    const runs = ((await request(base, "GET", "/api/v1/drills/runs")).json as { runs?: { id: string; state: string }[] }).runs ?? [];
    return runs.find((run) => run.state === "running")?.id ?? null;
  } catch {
    return "unknown";
  }
}

async function startDrill(base: string, drill: string, force: boolean, atMinute: number): Promise<SoakDrill> {
  try {
    const response = await request(
      base,
      "POST",
      `/api/v1/drills/${drill}/runs`,
      force ? { force: true, reason: "soak: forced while hangzhou is evacuated (issue 15)" } : {},
    );
    const id = (response.json as { id?: string }).id ?? null;
    return {
      atMinute: Math.round(atMinute * 10) / 10,
      drill,
      forced: force,
      id,
      status: response.status,
      outcome: null,
      reasons: response.status >= 400 ? [JSON.stringify(response.json)] : [],
    };
  } catch (error) {
    return {
      atMinute: Math.round(atMinute * 10) / 10,
      drill,
      forced: force,
      id: null,
      status: 0,
      outcome: null,
      reasons: [(error as Error).message],
    };
  }
}
