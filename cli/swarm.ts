// `ldc swarm --seeds A..B [--nemesis NAMES] [--jobs N] [--duration D] [--json]`: many seeds of
// `ldc sim --check` in parallel worker processes (VOPR-style), a progress line on stderr (a terminal only: cli/progress.ts), a
// summary, and each failing seed's reproducing command. Exit 1 when any seed found a violation.
import { spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { badInput, CliError } from "./errors.js";
import { formatCountProgress, progressLine } from "./progress.js";
import { parseDurationFlag } from "./sim.js";

interface SwarmFlags {
  seeds: string;
  nemesis?: string;
  jobs?: string;
  duration: string;
  config?: string;
  json?: boolean;
  moves?: boolean;
}

interface SeedResult {
  seed: number;
  ok: boolean;
  exitCode: number;
  wallMs: number;
  reproduce: string;
  summary: string;
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

const LDC_BIN = fileURLToPath(new URL("../bin/ldc.mjs", import.meta.url));

function runSeed(seed: number, flags: SwarmFlags): Promise<SeedResult> {
  const args = ["sim", "--seed", String(seed), "--duration", flags.duration, "--check", "--json"];
  if (flags.nemesis) args.push("--nemesis", flags.nemesis);
  if (flags.config) args.push("--config", flags.config);
  if (flags.moves) args.push("--moves");
  const reproduce = `ldc ${args.filter((arg) => arg !== "--json").join(" ")}`;
  const startedMs = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [LDC_BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (code) => {
      const exitCode = code ?? 2;
      let summary = stderr.trim().split("\n").pop() ?? "";
      try {
        const parsed = JSON.parse(stdout) as { checkers?: Record<string, unknown>; invariantViolations?: string[] };
        summary = `${JSON.stringify(parsed.checkers ?? {})}${parsed.invariantViolations?.length ? ` ${parsed.invariantViolations[0]}` : ""}`;
      } catch {
        // keep the stderr line
      }
      resolve({ seed, ok: exitCode === 0, exitCode, wallMs: Math.round(performance.now() - startedMs), reproduce, summary });
    });
  });
}

export function register(program: Command): void {
  program
    .command("swarm")
    .description("Run many seeds of `ldc sim --check` in parallel worker processes")
    .requiredOption("--seeds <A..B>", "seed range, inclusive")
    .option("--nemesis <names>", "comma-separated faults, as for ldc sim")
    .option("--jobs <n>", "parallel worker processes (default: CPUs)")
    .option("--duration <d>", "simulated time per seed", "10s")
    .option("--config <file>", "world configuration")
    .option("--moves", "elastic cells: random cell additions and shard moves in every seed")
    .option("--json", "print one JSON object")
    .action(async (flags: SwarmFlags) => {
      const { first, last } = parseSeedRange(flags.seeds);
      parseDurationFlag(flags.duration);
      const jobs = flags.jobs === undefined ? availableParallelism() : Number(flags.jobs);
      if (!Number.isSafeInteger(jobs) || jobs < 1 || jobs > 64) throw badInput("--jobs", "an integer from 1 to 64", flags.jobs);
      if (flags.nemesis) {
        const { parseNemesisNames } = await import("../chaos/nemesis.js");
        try {
          parseNemesisNames(flags.nemesis);
        } catch (error) {
          throw new CliError((error as Error).message, 2);
        }
      }
      const seeds = Array.from({ length: last - first + 1 }, (_, i) => first + i);
      const results: SeedResult[] = [];
      let next = 0;
      const startedMs = performance.now();
      const line = progressLine();
      let failedCount = 0;
      const draw = (force: boolean): void =>
        line.update(
          `swarm ${formatCountProgress({ done: results.length, total: seeds.length, failed: failedCount, elapsedMs: performance.now() - startedMs })}`,
          force,
        );
      // At once, not after the first seed: a 300-seed run otherwise shows nothing for minutes.
      draw(true);
      const worker = async (): Promise<void> => {
        while (next < seeds.length) {
          const seed = seeds[next++] as number;
          const result = await runSeed(seed, flags);
          results.push(result);
          if (!result.ok) failedCount++;
          draw(results.length === seeds.length);
        }
      };
      await Promise.all(Array.from({ length: Math.min(jobs, seeds.length) }, worker));
      line.end();
      results.sort((a, b) => a.seed - b.seed);
      const failing = results.filter((result) => !result.ok);
      const slowest = results.reduce((worst, result) => (result.wallMs > worst.wallMs ? result : worst), results[0] as SeedResult);
      const summary = {
        seeds: results.length,
        violations: failing.filter((result) => result.exitCode === 1).length,
        errors: failing.filter((result) => result.exitCode !== 1).length,
        wallMs: Math.round(performance.now() - startedMs),
        slowestSeed: { seed: slowest.seed, wallMs: slowest.wallMs },
        failing: failing.map((result) => ({
          seed: result.seed,
          exitCode: result.exitCode,
          reproduce: result.reproduce,
          summary: result.summary,
        })),
      };
      if (flags.json === true) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else {
        const lines = [
          `${summary.seeds} seeds in ${summary.wallMs} ms (${jobs} jobs): ${summary.violations} with violations, ${summary.errors} could not run; slowest seed ${slowest.seed} (${slowest.wallMs} ms)`,
        ];
        for (const failure of summary.failing)
          lines.push(`  seed ${failure.seed} (exit ${failure.exitCode}): ${failure.summary}\n    reproduce: ${failure.reproduce}`);
        process.stdout.write(`${lines.join("\n")}\n`);
      }
      process.exitCode = failing.length > 0 ? 1 : 0;
    });
}
