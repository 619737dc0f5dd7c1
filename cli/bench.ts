// `ldc bench <target> [--json]`: benchmarks, not tests. Each target is a file bench/<name>.ts
// exporting `run(options): Promise<object>`; writing the file registers the target. The
// planned targets (DESIGN.md) are always listed; a planned target whose file is not written
// yet, or an unknown target, exits 2.
import { readdirSync } from "node:fs";
import { join } from "node:path";
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

export async function loadBench(target: string): Promise<BenchModule> {
  const targets = benchTargets();
  if (!targets.includes(target)) throw new CliError(`target: expected one of ${targets.join(", ")}, got "${target}"`, 2);
  try {
    return (await import(`../bench/${target}.ts`)) as BenchModule;
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_MODULE_NOT_FOUND" && String(error).includes(`/bench/${target}.ts`)) {
      throw new CliError(`target: "${target}" has no benchmark yet (bench/${target}.ts)`, 2);
    }
    throw error;
  }
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
