// `ldc bench <target> [--json]`: benchmarks, not tests. Each target is a file bench/<name>.ts
// exporting `run(options): Promise<object>`; writing the file registers the target. The
// planned targets (docs/BENCHMARKS.md) are always listed; a planned target whose file is not written
// yet, or an unknown target, exits 2.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Command } from "commander";
import { bundleEntry, REPO_ROOT } from "../runtime/bundle.js";
import { badInput, CliError } from "./errors.js";
import { formatSeconds, progressLine } from "./progress.js";
import { CROSS_CELL_RATIO_FLAG, CROSS_CELL_RATIO_HELP, parseCrossCellRatio } from "./cross-cell-flag.js";

export const PLANNED_BENCH_TARGETS = ["sim", "live", "check", "failover"] as const;

/** Targets with a bench/<name>.ts file, plus the planned ones. */
export function benchTargets(): string[] {
  let files: string[] = [];
  try {
    files = readdirSync(join(import.meta.dirname, "..", "bench"));
  } catch {
    files = [];
  }
  const found = files.filter((file) => /^[a-z][a-z0-9-]*\.ts$/.test(file)).map((file) => file.slice(0, -3));
  return [...new Set([...PLANNED_BENCH_TARGETS, ...found])].sort();
}

export interface BenchModule {
  run(options: Record<string, unknown>): Promise<object>;
}

/**
 * Benchmarks measure the code as it would ship: an esbuild bundle (runtime/bundle.ts), not tsx's
 * per-module transpile. `LDC_BENCH_TSX=1` measures under tsx. Targets that locate files relative
 * to their own source (live spawns replica processes, check reads the Knossos corpus) run unbundled.
 */
const BUNDLED_TARGETS: ReadonlySet<string> = new Set(["sim", "ledger", "failover", "drill-rto", "cross-cell"]);

async function importBundled(target: string): Promise<BenchModule> {
  const entry = `bench/${target}.ts`;
  if (!existsSync(join(REPO_ROOT, entry))) throw new CliError(`target: "${target}" has no benchmark yet (${entry})`, 2);
  const wantBundle = BUNDLED_TARGETS.has(target) && process.env.LDC_BENCH_TSX !== "1";
  const bundled = wantBundle ? await bundleEntry(entry) : null;
  if (wantBundle && bundled === null) process.stderr.write(`bench ${target}: could not bundle ${entry}; measuring it under tsx\n`);
  return (await import(pathToFileURL(bundled ?? join(REPO_ROOT, entry)).href)) as BenchModule;
}

export async function loadBench(target: string): Promise<BenchModule> {
  const targets = benchTargets();
  if (!targets.includes(target)) throw new CliError(`target: expected one of ${targets.join(", ")}, got "${target}"`, 2);
  return importBundled(target);
}

function printHuman(target: string, result: object): void {
  const lines = Object.entries(result).map(
    ([key, value]) => `${key}: ${typeof value === "object" ? JSON.stringify(value) : String(value)}`,
  );
  process.stdout.write(`bench ${target}\n${lines.map((line) => `  ${line}`).join("\n")}\n`);
}

export function register(program: Command): void {
  program
    .command("bench")
    .description(`Run a benchmark: ${benchTargets().join(" | ")}`)
    .argument("<target>", benchTargets().join(" | "))
    .option("--json", "print one JSON object")
    .option("--minutes <n>", "how long a time-boxed target runs (soak; else LDC_SOAK_MINUTES, else 30)")
    .option(CROSS_CELL_RATIO_FLAG, `targets with a workload (move): ${CROSS_CELL_RATIO_HELP}`)
    .action(async (target: string, flags: { json?: boolean; minutes?: string; crossCellRatio?: string }) => {
      const options: Record<string, unknown> = {};
      if (flags.minutes !== undefined) {
        const minutes = Number(flags.minutes);
        if (!/^\d+(\.\d+)?$/.test(flags.minutes) || !(minutes > 0))
          throw badInput("--minutes", "a positive number of minutes", flags.minutes);
        options.minutes = minutes;
      }
      if (flags.crossCellRatio !== undefined) options.crossCellRatio = parseCrossCellRatio(flags.crossCellRatio);
      const bench = await loadBench(target);
      // Benchmarks are mostly synchronous loops: a timer would not fire, so a bench that knows its
      // steps reports them (bench/sim.ts); the line shows the step and the wall time so far.
      const line = progressLine();
      const startedMs = performance.now();
      const progress = (phase: string): void =>
        line.update(`bench ${target} [${formatSeconds(performance.now() - startedMs)}] ${phase}`, true);
      progress("starting");
      const result = await bench.run({ ...options, progress });
      line.end();
      if (flags.json === true) process.stdout.write(`${JSON.stringify(result)}\n`);
      else printHuman(target, result);
    });
}
