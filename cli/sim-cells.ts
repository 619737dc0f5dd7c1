// `ldc sim` over the cells: the default world's six cells under the steady load, optionally
// with a nemesis and the full checker run. Prints per-cell committed operations, p50/p99 commit
// latency and leaders; `--json` prints one object; a violation prints the reproducing command.

import type { WorldConfig } from "../domain/config.js";
import { runCells, type Nemesis } from "../runtime/virtual/run.js";
import { CliError } from "./errors.js";
import { reproduceCommand, type CellsSimFlags } from "./sim-flags.js";

async function loadNemesis(names: string): Promise<Nemesis> {
  const list = names
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  if (list.length === 0) throw new CliError("--nemesis: expected a comma-separated list of fault names", 2);
  const module = (await import("../chaos/nemesis.js")) as typeof import("../chaos/nemesis.js");
  try {
    return module.nemesisFor(list);
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error), 2);
  }
}

export async function runCellsSimCommand(flags: CellsSimFlags, config: WorldConfig, seed: number, durationUs: number): Promise<number> {
  const nemesis = flags.nemesis ? await loadNemesis(flags.nemesis) : undefined;
  const startedMs = performance.now();
  const result = runCells({
    config,
    seed,
    durationUs,
    check: flags.check === true,
    moves: flags.moves === true,
    ...(nemesis ? { nemesis } : {}),
  });
  const wallMs = Math.round(performance.now() - startedMs);
  const verdicts = result.verdicts;
  const violated = result.invariantViolations.length > 0 || (verdicts !== undefined && verdicts.valid === false);
  const reproduce = reproduceCommand(flags, seed);
  if (flags.out) {
    const { writeRunReport } = await import("../runtime/virtual/report.js");
    writeRunReport(flags.out, result, { command: reproduce });
  }
  if (flags.json === true) {
    const out = {
      seed: result.seed,
      simulatedMs: result.simulatedMs,
      wallMs,
      events: result.events,
      traceHash: result.traceHash,
      operations: result.operations,
      cells: result.cells,
      leaders: Object.fromEntries(Object.entries(result.cells).map(([cell, summary]) => [cell, summary.leader])),
      rtoMs: result.rtoMs,
      faultWindows: result.faultWindows,
      invariantViolations: result.invariantViolations,
      ...(result.moves !== undefined ? { moves: result.moves } : {}),
      ...(verdicts
        ? {
            valid: verdicts.valid,
            lostAckedTransfers: verdicts.lostAckedTransfers,
            checkers: Object.fromEntries(Object.entries(verdicts.checkers).map(([name, verdict]) => [name, verdict.valid])),
          }
        : {}),
      ...(violated ? { reproduce } : {}),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } else {
    const lines = [
      `seed ${result.seed}: ${result.simulatedMs} ms simulated in ${wallMs} ms wall, ${result.events} events, ${result.operations} history ops, trace ${result.traceHash}`,
    ];
    lines.push("cell     leader             term  committed  reads  fail  info  p50 ms  p99 ms  rto ms");
    for (const [cell, summary] of Object.entries(result.cells)) {
      const rto = result.rtoMs[cell];
      lines.push(
        `${cell.padEnd(8)} ${(summary.leader ?? "none").padEnd(18)} ${String(summary.term).padStart(4)}  ${String(summary.committed).padStart(9)}  ${String(summary.reads).padStart(5)}  ${String(summary.failed).padStart(4)}  ${String(summary.info).padStart(4)}  ${String(summary.commitLatencyMs.p50 ?? "-").padStart(6)}  ${String(summary.commitLatencyMs.p99 ?? "-").padStart(6)}  ${rto === undefined ? "-" : String(rto ?? "never")}`,
      );
    }
    if (verdicts) {
      lines.push(
        `checkers: ${Object.entries(verdicts.checkers)
          .map(([name, verdict]) => `${name}=${String(verdict.valid)}`)
          .join(" ")}; lost acknowledged transfers: ${verdicts.lostAckedTransfers}`,
      );
    }
    for (const violation of result.invariantViolations) lines.push(`VIOLATION ${violation}`);
    if (violated) lines.push(`reproduce: ${reproduce}`);
    process.stdout.write(`${lines.join("\n")}\n`);
  }
  if (violated) {
    process.stderr.write(`ldc: violation found; reproduce with: ${reproduce}\n`);
    return 1;
  }
  if (verdicts !== undefined && verdicts.valid === "unknown") return 3;
  return 0;
}
