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
    throw new CliError(
      `--time-scale: expected a number in [${TIME_SCALE_MIN}, ${TIME_SCALE_MAX}] (0.5 runs a 90 s drill in 45 s), got "${text}"`,
      2,
    );
  }
  return value;
}

export function parseCells(text: string | undefined, config: WorldConfig): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > config.cells.count)
    throw new CliError(`--cells: expected an integer in [1, ${config.cells.count}], got "${text}"`, 2);
  return value;
}

export async function runLiveDrillCommand(
  drill: Drill,
  seed: number,
  config: WorldConfig,
  flags: LiveDrillFlags,
  command: string,
): Promise<void> {
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
  const wallMs = Math.round(performance.now() - startedMs);
  const { buildDrillReport } = await import("../chaos/drill/report.js");
  const { drillDurationMs } = await import("../chaos/drill/format.js");
  const report = buildDrillReport({
    result,
    history: output.history,
    startUs: output.execution.startUs,
    durationMs: drillDurationMs(drill),
    runtime: "live",
    command: `${command} (not byte for byte: live)`,
    rtoMsMax: drill.expect.rtoMsMax,
  });
  if (flags.out !== undefined) {
    const { writeDrillReportFiles } = await import("./drill-report-files.js");
    writeDrillReportFiles(flags.out, report, output.history, {
      drill: result.drill,
      seed,
      runtime: "live",
      timeScale,
      outcome: result.outcome,
      command,
      reasons: [...result.reasons],
    });
  }
  if (flags.json === true) {
    process.stdout.write(`${JSON.stringify({ ...result, runtime: "live", timeScale, live: output.liveNotes })}\n`);
  } else {
    const { renderDrillReportText } = await import("../chaos/drill/report-text.js");
    const notes = [...output.liveNotes.errors, ...output.liveNotes.ignored, ...output.liveNotes.unexpectedExits]
      .map((note) => `live: ${note}\n`)
      .join("");
    process.stdout.write(`${renderDrillReportText(report, wallMs)}${notes}`);
  }
  if (result.outcome !== "SUCCEEDED") process.exitCode = 1;
}
