// `ldc drill run NAME --runtime live [--time-scale X] [--cells N]`: runs the drill with
// runLiveDrill, prints it like the virtual runner (or one JSON object with --json) and sets the
// exit code (0 SUCCEEDED, 1 FAILED/INTERRUPTED). Called from cli/drill.ts, which parses and
// validates the drill itself; bad live flags exit 2 naming the flag.
import type { Drill } from "../chaos/drill/format.js";
import type { WorldConfig } from "../domain/config.js";
import { CliError } from "./errors.js";
import { formatTimeProgress, progressLine } from "./progress.js";
import { TIME_SCALE_MAX, TIME_SCALE_MIN } from "../runtime/live/drill-scale.js";

export interface LiveDrillFlags {
  readonly json?: boolean;
  readonly out?: string;
  readonly timeScale?: string;
  readonly cells?: string;
}

export function parseTimeScale(text: string | undefined): number {
  if (text === undefined) return 1;
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(value >= TIME_SCALE_MIN && value <= TIME_SCALE_MAX)) {
    throw new CliError(`--time-scale: expected a number in [${TIME_SCALE_MIN}, ${TIME_SCALE_MAX}] (0.5 runs a 90 s drill in 45 s), got "${text}"`, 2);
  }
  return value;
}

export function parseCells(text: string | undefined, config: WorldConfig): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > config.cells.count) throw new CliError(`--cells: expected an integer in [1, ${config.cells.count}], got "${text}"`, 2);
  return value;
}

export async function runLiveDrillCommand(drill: Drill, seed: number, config: WorldConfig, flags: LiveDrillFlags, command: string): Promise<void> {
  const timeScale = parseTimeScale(flags.timeScale);
  const cellCount = parseCells(flags.cells, config);
  const { runLiveDrill } = await import("../runtime/live/drill.js");
  const startedMs = performance.now();
  // On a terminal only (cli/progress.ts): the phase the run is in, then real time done / total.
  const line = progressLine();
  const label = `drill ${drill.name} (live)`;
  const output = await runLiveDrill(drill, {
    seed,
    config,
    timeScale,
    ...(cellCount !== undefined ? { cellCount } : {}),
    progress: (phase) => line.update(`${label} [${((performance.now() - startedMs) / 1000).toFixed(1)} s] ${phase}`, true),
    onProgress: (doneUs, totalUs) => line.update(formatTimeProgress({ label, doneUs, totalUs }, "real"), doneUs === totalUs),
  });
  line.end();
  const result = output.result;
  if (flags.out !== undefined) {
    const { writeReport } = await import("../harness/report.js");
    writeReport(flags.out, {
      history: output.history,
      verdicts: output.verdicts.checkers as Record<string, unknown>,
      faultWindows: output.execution.windows,
      meta: { drill: result.drill, seed, runtime: "live", timeScale, outcome: result.outcome, command, reasons: [...result.reasons] },
    });
  }
  if (flags.json === true) {
    process.stdout.write(`${JSON.stringify({ ...result, runtime: "live", timeScale, live: output.liveNotes })}\n`);
  } else {
    const lines = [`drill ${result.drill} seed ${seed} (live, time scale ${timeScale}): ${result.outcome} in ${Math.round(performance.now() - startedMs)} ms wall, ${result.operations} history events`];
    for (const fault of result.faults) lines.push(`  fault ${fault.id} ${fault.type} ${Math.round(fault.startMs)}..${Math.round(fault.endMs)} ms on ${fault.cells.join(", ") || "-"}`);
    for (const step of result.steps) lines.push(`  ${step.ok ? "ok  " : "FAIL"} ${Math.round(step.atMs)} ms ${step.kind}: ${step.detail}`);
    const rto = Object.entries(result.rtoMs);
    if (rto.length > 0) lines.push(`  rto ms: ${rto.map(([cell, ms]) => `${cell} ${ms ?? "never"}`).join(", ")}`);
    lines.push(`  lost acknowledged transfers: ${result.lostAckedTransfers}`);
    for (const phase of ["before", "during", "after"] as const) {
      const figures = result.latency[phase];
      lines.push(`  ${phase.padEnd(6)} ops ${figures.ops} errors ${(figures.errorRate * 100).toFixed(2)}% p50 ${figures.p50Ms ?? "-"} ms p99 ${figures.p99Ms ?? "-"} ms`);
    }
    lines.push(`  checkers: ${Object.entries(result.checkers).map(([name, verdict]) => `${name} ${verdict.valid === true ? "valid" : verdict.valid === false ? "INVALID" : "unknown"}`).join(", ")}`);
    for (const replica of result.replicasNotUp) lines.push(`  replica not up after the drill: ${replica.replica} (${replica.state})`);
    for (const note of [...output.liveNotes.errors, ...output.liveNotes.ignored, ...output.liveNotes.unexpectedExits]) lines.push(`  live: ${note}`);
    for (const reason of result.reasons) lines.push(`  reason: ${reason}`);
    if (result.outcome !== "SUCCEEDED") lines.push(`reproduce (not byte for byte: live): ${command}`);
    process.stdout.write(`${lines.join("\n")}\n`);
  }
  if (result.outcome !== "SUCCEEDED") process.exitCode = 1;
}
