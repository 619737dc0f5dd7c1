// `ldc bench <target> [--json]`: benchmarks, not tests. Each target is a file bench/<name>.ts
// exporting `run(options): Promise<object>`; writing the file registers the target. The
// planned targets (DESIGN.md) are always listed; a planned target whose file is not written
// yet, or an unknown target, exits 2.
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Command } from "commander";
import { CliError } from "./errors.js";

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
 * Benchmarks measure the code as it would ship: bundled once by esbuild into plain ESM, not
 * transpiled module by module by the development loader (tsx), whose per-module export getters
 * and `__name` wrappers cost ~30 % of the simulator's wall time. The bundle lives under
 * node_modules/.cache so its package imports resolve; `LDC_BENCH_TSX=1` measures under tsx.
 * Targets that locate files relative to their own source (live spawns replica processes, check
 * reads the Knossos corpus) run unbundled.
 */
const BUNDLED_TARGETS: ReadonlySet<string> = new Set(["sim", "ledger", "failover", "drill-rto"]);

async function importBundled(target: string): Promise<BenchModule> {
  const root = join(import.meta.dirname, "..");
  const entry = join(root, "bench", `${target}.ts`);
  if (!existsSync(entry)) throw new CliError(`target: "${target}" has no benchmark yet (bench/${target}.ts)`, 2);
  if (process.env.LDC_BENCH_TSX === "1" || !BUNDLED_TARGETS.has(target)) return (await import(pathToFileURL(entry).href)) as BenchModule;
  const { build } = await import("esbuild");
  const outfile = join(root, "node_modules", ".cache", "ldc", `bench-${target}-${process.pid}.mjs`);
  await build({ entryPoints: [entry], outfile, bundle: true, platform: "node", format: "esm", target: "node20", packages: "external", logLevel: "silent" });
  try {
    return (await import(pathToFileURL(outfile).href)) as BenchModule;
  } finally {
    rmSync(outfile, { force: true });
  }
}

export async function loadBench(target: string): Promise<BenchModule> {
  const targets = benchTargets();
  if (!targets.includes(target)) throw new CliError(`target: expected one of ${targets.join(", ")}, got "${target}"`, 2);
  return importBundled(target);
}

function printHuman(target: string, result: object): void {
  const lines = Object.entries(result).map(([key, value]) => `${key}: ${typeof value === "object" ? JSON.stringify(value) : String(value)}`);
  process.stdout.write(`bench ${target}\n${lines.map((line) => `  ${line}`).join("\n")}\n`);
}

export function register(program: Command): void {
  program
    .command("bench")
    .description(`Run a benchmark: ${benchTargets().join(" | ")}`)
    .argument("<target>", benchTargets().join(" | "))
    .option("--json", "print one JSON object")
    .action(async (target: string, flags: { json?: boolean }) => {
      const bench = await loadBench(target);
      const result = await bench.run({});
      if (flags.json === true) process.stdout.write(`${JSON.stringify(result)}\n`);
      else printHuman(target, result);
    });
}
