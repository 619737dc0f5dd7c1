// `ldc swarm --seeds A..B [--nemesis NAMES|all] [--jobs N] [--duration D] [--resume FILE] [--json]`:
// many seeds of `ldc sim --check` in parallel worker processes (VOPR-style), a progress line, a
// summary with the violations per checker, and each failing seed's reproducing command. Each job is
// one long-lived worker process running seed after seed in-process (cli/swarm-pool.ts), with the
// same output as `ldc sim` in a process of its own (`--process-per-seed` still runs it that way).
// With `--resume FILE` every finished seed is appended to FILE as one JSONL line (with the commit and
// version that ran it) and a rerun skips the seeds already there (cli/swarm-results.ts), so a
// 10,000-seed run survives a stop. Exit 1 when any seed found a violation.
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { badInput, CliError } from "./errors.js";
import { formatCountProgress, progressLine, type ProgressStream } from "./progress.js";
import { parseDurationFlag } from "./sim.js";
import {
  appendResult,
  readResults,
  seedResultOf,
  summarise,
  type Provenance,
  type SeedResult,
  type SwarmParameters,
} from "./swarm-results.js";
import { SeedWorker } from "./swarm-pool.js";
import type { CellsSimFlags } from "./sim-flags.js";
import { parseDurationUs } from "../ground/duration.js";

interface SwarmFlags {
  seeds: string;
  nemesis?: string;
  jobs?: string;
  duration: string;
  config?: string;
  resume?: string;
  json?: boolean;
  bug?: string;
  nemesisInterval?: string;
  nemesisFault?: string;
  moves?: boolean;
  processPerSeed?: boolean;
}

/** Parses "A..B" (inclusive); bounded so a typo cannot start a million processes. */
export function parseSeedRange(text: string): { first: number; last: number } {
  const match = /^(\d+)\.\.(\d+)$/.exec(text.trim());
  if (!match) throw badInput("--seeds", "a range A..B of non-negative integers, e.g. 1..100", text);
  const first = Number(match[1]);
  const last = Number(match[2]);
  if (last < first) throw badInput("--seeds", "A <= B", text);
  if (last - first + 1 > 100_000) throw badInput("--seeds", "at most 100000 seeds", text);
  return { first, last };
}

/** Without a terminal (a background run into a log), a plain progress line every this many seeds. */
export const SWARM_LOG_EVERY_SEEDS = 50;

const LDC_BIN = fileURLToPath(new URL("../bin/ldc.mjs", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The commit and version that run the seeds, recorded with each result: a resumed run may span commits. */
export function provenance(): Provenance {
  let commit = "unknown";
  try {
    const head = execFileSync("git", ["rev-parse", "HEAD"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 10_000,
    }).trim();
    if (/^[0-9a-f]{40}$/.test(head)) commit = head;
  } catch {
    // not a git checkout (an unpacked tarball): unknown
  }
  let version = "unknown";
  try {
    const parsed = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: unknown };
    if (typeof parsed.version === "string") version = parsed.version;
  } catch {
    // no package.json next to the CLI: unknown
  }
  return { commit, version };
}

/** The `ldc sim` arguments of one seed (after `--seed N`): the process-per-seed run and the reproducing command. */
function simArgs(seed: number, parameters: SwarmParameters): string[] {
  const args = ["sim", "--seed", String(seed), "--duration", parameters.duration, "--check", "--json"];
  if (parameters.nemesis !== null) args.push("--nemesis", parameters.nemesis);
  if (parameters.config !== null) args.push("--config", parameters.config);
  if (parameters.options !== undefined && parameters.options !== null) args.push(...parameters.options.split(" "));
  return args;
}

function reproduceOf(args: readonly string[]): string {
  return `ldc ${args.filter((arg) => arg !== "--json").join(" ")}`;
}

/** Seeds in flight, so a stop (SIGINT, SIGTERM) can end them and record none of them. */
const running = new Set<ReturnType<typeof spawn>>();
let stopping = false;

/** Seed in a fresh `ldc sim` process (--process-per-seed). null: the seed was stopped with the swarm (it runs again on resume). */
function runSeedProcess(seed: number, parameters: SwarmParameters, built: Provenance): Promise<SeedResult | null> {
  const args = simArgs(seed, parameters);
  const reproduce = reproduceOf(args);
  const startedMs = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [LDC_BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (code, signal) => {
      running.delete(child);
      // Ended with the swarm (or by a signal meant for it, e.g. Ctrl-C to the process group): not a result.
      if (stopping || (code === null && (signal === "SIGINT" || signal === "SIGTERM"))) return resolve(null);
      const wallMs = Math.round(performance.now() - startedMs);
      resolve(seedResultOf(seed, parameters, { exitCode: code ?? 2, stdout, stderr, wallMs, reproduce }, built));
    });
  });
}

/** Seed in a long-lived worker (the default). null: stopped with the swarm. */
async function runSeedInWorker(
  worker: SeedWorker,
  seed: number,
  parameters: SwarmParameters,
  flags: CellsSimFlags,
  built: Provenance,
): Promise<SeedResult | null> {
  const startedMs = performance.now();
  const reply = await worker.run({ seed, flags });
  if (reply === null) return null;
  const wallMs = Math.round(performance.now() - startedMs);
  return seedResultOf(seed, parameters, { ...reply, wallMs, reproduce: reproduceOf(simArgs(seed, parameters)) }, built);
}

/** The flags `ldc sim` parses from simArgs (less --seed), for a seed run in a worker. */
function simFlagsOf(parameters: SwarmParameters, flags: SwarmFlags): CellsSimFlags {
  return {
    duration: parameters.duration,
    check: true,
    json: true,
    workload: "cells",
    ...(parameters.nemesis !== null && { nemesis: parameters.nemesis }),
    ...(parameters.config !== null && { config: parameters.config }),
    ...(flags.nemesisInterval !== undefined && { nemesisInterval: flags.nemesisInterval }),
    ...(flags.nemesisFault !== undefined && { nemesisFault: flags.nemesisFault }),
    ...(flags.bug !== undefined && { bug: flags.bug }),
    ...(flags.moves === true && { moves: true }),
  };
}

/** `--nemesis all` is every family of the random nemesis (chaos/nemesis.ts). */
async function nemesisParameter(text: string | undefined): Promise<string | null> {
  if (text === undefined) return null;
  const { parseNemesisNames } = await import("../chaos/nemesis.js");
  try {
    return parseNemesisNames(text).join(",");
  } catch (error) {
    throw new CliError((error as Error).message, 2);
  }
}

function seedsPerHour(seeds: number, wallMs: number): number {
  return wallMs > 0 ? Math.round((seeds / wallMs) * 3_600_000) : 0;
}

export function register(program: Command): void {
  program
    .command("swarm")
    .description("Run many seeds of `ldc sim --check` in parallel worker processes")
    .requiredOption("--seeds <A..B>", "seed range, inclusive")
    .option("--nemesis <names>", "comma-separated faults, as for ldc sim, or `all`")
    .option("--jobs <n>", "parallel worker processes (default: CPUs)")
    .option("--duration <d>", "simulated time per seed", "10s")
    .option("--config <file>", "world configuration")
    .option("--resume <file>", "append one JSONL result per seed to FILE and skip the seeds already in it")
    .option("--nemesis-interval <d>", "time between nemesis faults, as for ldc sim")
    .option("--nemesis-fault <d>", "how long each nemesis fault lasts, as for ldc sim")
    .option("--bug <names>", "switch on deliberate bugs in every seed (docs/harness.md), as for ldc sim")
    .option("--moves", "elastic cells: random cell additions and shard moves in every seed")
    .option("--process-per-seed", "run each seed in a fresh `ldc sim` process instead of a long-lived worker (slower; to compare)")
    .option("--json", "print one JSON object")
    .action(async (flags: SwarmFlags) => {
      const { first, last } = parseSeedRange(flags.seeds);
      parseDurationFlag(flags.duration);
      const jobs = flags.jobs === undefined ? availableParallelism() : Number(flags.jobs);
      if (!Number.isSafeInteger(jobs) || jobs < 1 || jobs > 64) throw badInput("--jobs", "an integer from 1 to 64", flags.jobs);
      for (const [field, text] of [
        ["--nemesis-interval", flags.nemesisInterval],
        ["--nemesis-fault", flags.nemesisFault],
      ] as const) {
        if (text === undefined) continue;
        try {
          parseDurationUs(text, field);
        } catch (error) {
          throw new CliError((error as Error).message, 2);
        }
      }
      if (flags.bug !== undefined) {
        const { parseBugs } = await import("./sim-cells.js");
        parseBugs(flags.bug);
      }
      const options: string[] = [];
      if (flags.nemesisInterval !== undefined) options.push("--nemesis-interval", flags.nemesisInterval);
      if (flags.nemesisFault !== undefined) options.push("--nemesis-fault", flags.nemesisFault);
      if (flags.bug !== undefined) options.push("--bug", flags.bug);
      if (flags.moves === true) options.push("--moves");
      const parameters: SwarmParameters = {
        duration: flags.duration,
        nemesis: await nemesisParameter(flags.nemesis),
        config: flags.config ?? null,
        options: options.length === 0 ? null : options.join(" "),
      };
      const simFlags = simFlagsOf(parameters, flags);
      const built = provenance();
      const earlier = flags.resume === undefined ? new Map<number, SeedResult>() : readResults(flags.resume, parameters);
      const results: SeedResult[] = [];
      const seeds: number[] = [];
      for (let seed = first; seed <= last; seed++) {
        const done = earlier.get(seed);
        if (done === undefined) seeds.push(seed);
        else results.push(done);
      }
      const resumed = results.length;
      const total = last - first + 1;
      let next = 0;
      const startedMs = performance.now();
      const stream: ProgressStream = process.stderr;
      const line = progressLine(stream);
      const logged = flags.resume !== undefined && stream.isTTY !== true;
      let failedCount = results.filter((result) => !result.ok).length;
      const progress = (): string => {
        const elapsedMs = performance.now() - startedMs;
        const ran = results.length - resumed;
        return `swarm ${formatCountProgress({ done: ran, total: seeds.length, failed: failedCount, elapsedMs })} (${results.length}/${total} with resumed, ${seedsPerHour(ran, elapsedMs)} seeds/h)`;
      };
      // At once, not after the first seed: a 300-seed run otherwise shows nothing for minutes.
      line.update(progress(), true);
      if (logged) stream.write(`${progress()}\n`);
      const workers: SeedWorker[] = [];
      const stop = (): void => {
        stopping = true;
        for (const child of running) child.kill("SIGTERM");
        for (const worker of workers) worker.stop();
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      const worker = async (): Promise<void> => {
        const pooled = flags.processPerSeed === true ? null : new SeedWorker();
        if (pooled !== null) workers.push(pooled);
        while (next < seeds.length && !stopping) {
          const seed = seeds[next++] as number;
          const result =
            pooled === null
              ? await runSeedProcess(seed, parameters, built)
              : await runSeedInWorker(pooled, seed, parameters, simFlags, built);
          if (result === null) continue;
          if (flags.resume !== undefined) appendResult(flags.resume, result);
          results.push(result);
          if (!result.ok) failedCount++;
          const ran = results.length - resumed;
          line.update(progress(), ran === seeds.length);
          if (logged && (ran % SWARM_LOG_EVERY_SEEDS === 0 || ran === seeds.length)) stream.write(`${progress()}\n`);
        }
        pooled?.close();
      };
      await Promise.all(Array.from({ length: Math.min(jobs, seeds.length) }, worker));
      process.removeListener("SIGINT", stop);
      process.removeListener("SIGTERM", stop);
      line.end();
      if (stopping)
        stream.write(
          `swarm stopped: ${results.length}/${total} seeds done${flags.resume ? `, rerun the same command to resume from ${flags.resume}` : ""}\n`,
        );
      const wallMs = Math.round(performance.now() - startedMs);
      const ran = results.slice(resumed);
      const slowest = ran.reduce<SeedResult | null>(
        (worst, result) => (worst === null || result.wallMs > worst.wallMs ? result : worst),
        null,
      );
      const summary = {
        ...summarise(results),
        ran: ran.length,
        resumed,
        wallMs,
        seedsPerHour: seedsPerHour(ran.length, wallMs),
        slowestSeed: slowest === null ? null : { seed: slowest.seed, wallMs: slowest.wallMs },
      };
      if (flags.json === true) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else {
        const byChecker = Object.entries(summary.violationsByChecker)
          .map(([name, count]) => `${name} ${count}`)
          .join(", ");
        const lines = [
          `${summary.seeds} seeds (${summary.ran} run in ${wallMs} ms with ${jobs} jobs, ${summary.seedsPerHour} seeds/h; ${resumed} from ${flags.resume ?? "-"}): ${summary.violations} with violations${byChecker ? ` (${byChecker})` : ""}, ${summary.errors} could not run${slowest ? `; slowest seed ${slowest.seed} (${slowest.wallMs} ms)` : ""}`,
        ];
        const commits = Object.entries(summary.commits);
        if (commits.length > 1)
          lines.push(
            `  results span ${commits.length} commits: ${commits.map(([commit, count]) => `${commit === "unknown" ? commit : commit.slice(0, 12)} (${count} seeds)`).join(", ")}`,
          );
        else if (commits.length === 1) lines.push(`  commit ${commits[0]?.[0]}, version ${Object.keys(summary.versions).join(", ")}`);
        for (const failure of summary.failing)
          lines.push(`  seed ${failure.seed} (exit ${failure.exitCode}): ${failure.summary}\n    reproduce: ${failure.reproduce}`);
        process.stdout.write(`${lines.join("\n")}\n`);
      }
      // 130: stopped by a signal, as a shell reports it; the summary covers what was done.
      process.exitCode = stopping ? 130 : summary.failing.length > 0 ? 1 : 0;
    });
}
