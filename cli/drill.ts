// `ldc drill list | show NAME | run NAME|FILE [--seed N] [--json] [--out DIR] [--runtime virtual|live]`.
// Exit 0 when the drill SUCCEEDED, 1 when it FAILED (or was INTERRUPTED), 2 on bad input. `--json`
// prints one object and nothing wall-clock dependent, so the same seed gives the same bytes.
import { existsSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import { BUILTIN_DRILLS, builtinDrill, builtinDrillNames } from "../chaos/drill/builtin.js";
import { drillDurationMs, parseDrillText, type Drill } from "../chaos/drill/format.js";
import { universeOfConfig } from "../chaos/drill/universe.js";
import { ChaosError } from "../chaos/errors.js";
import { CliError, badInput, parseSeed } from "./errors.js";
import { formatTimeProgress, progressLine } from "./progress.js";
import { loadConfigOrExit } from "./sim.js";
import { CROSS_CELL_RATIO_FLAG, CROSS_CELL_RATIO_HELP, crossCellRatioArgument, withCrossCellRatio } from "./cross-cell-flag.js";

interface RunFlags {
  seed?: string;
  json?: boolean;
  out?: string;
  runtime: string;
  config?: string;
  timeScale?: string;
  cells?: string;
  crossCellRatio?: string;
}

function loadDrill(nameOrFile: string, configPath: string | undefined): { drill: Drill; source: string } {
  const config = loadConfigOrExit(configPath);
  const universe = universeOfConfig(config);
  try {
    if (BUILTIN_DRILLS[nameOrFile] !== undefined) return { drill: builtinDrill(nameOrFile, universe), source: nameOrFile };
    if (!existsSync(nameOrFile))
      throw badInput("drill", `a built-in drill (${builtinDrillNames().join(", ")}) or a readable YAML/JSON file`, nameOrFile);
    return { drill: parseDrillText(readFileSync(nameOrFile, "utf8"), universe), source: nameOrFile };
  } catch (error) {
    if (error instanceof ChaosError) throw new CliError(`${nameOrFile}: ${error.message}`, 2);
    throw error;
  }
}

function reproduce(source: string, seed: number, flags: RunFlags): string {
  return `ldc drill run ${source} --seed ${seed}${flags.config ? ` --config ${flags.config}` : ""}${crossCellRatioArgument(flags.crossCellRatio)}`;
}

async function run(nameOrFile: string, flags: RunFlags): Promise<void> {
  if (flags.runtime !== "virtual" && flags.runtime !== "live") throw badInput("--runtime", "virtual or live", flags.runtime);
  if (flags.runtime === "live") {
    // Real processes, files and TCP through Toxiproxy: runtime/live (issue 8).
    const seed = parseSeed(flags.seed);
    const { drill, source } = loadDrill(nameOrFile, flags.config);
    const { runLiveDrillCommand } = await import("./drill-live.js");
    const extra = `${flags.timeScale !== undefined ? ` --time-scale ${flags.timeScale}` : ""}${flags.cells !== undefined ? ` --cells ${flags.cells}` : ""}`;
    await runLiveDrillCommand(
      drill,
      seed,
      withCrossCellRatio(loadConfigOrExit(flags.config), flags.crossCellRatio),
      flags,
      `${reproduce(source, seed, flags)} --runtime live${extra}`,
    );
    return;
  }
  const seed = parseSeed(flags.seed);
  const { drill, source } = loadDrill(nameOrFile, flags.config);
  const config = withCrossCellRatio(loadConfigOrExit(flags.config), flags.crossCellRatio);
  const { drillNeedsController, runControllerDrill } = await import("../runtime/virtual/control-drill.js");
  // A drill that presses the controller's buttons (or aims at the control leader) runs in a controller world.
  const runDrill = drillNeedsController(drill) ? runControllerDrill : (await import("../runtime/virtual/drill.js")).runDrill;
  const startedMs = performance.now();
  const { OnlineConsistency, defaultConsistencyOptions } = await import("../controller/consistency.js");
  const line = progressLine();
  const label = `drill ${drill.name}`;
  line.update(formatTimeProgress({ label, doneUs: 0, totalUs: drill.durationUs }), true);
  const output = await runDrill(drill, {
    seed,
    config,
    onProgress: (doneUs, totalUs) => line.update(formatTimeProgress({ label, doneUs, totalUs }), doneUs === totalUs),
    // The controller's online check of acknowledged transfers, for the lostAckedTransfersMax stop condition.
    onlineLostCount: (virtual) => {
      const online = new OnlineConsistency(defaultConsistencyOptions, { source: virtual, clock: virtual.cluster.clock });
      return { start: () => online.start(), stop: () => online.stop(), lostAckedTransfers: () => online.snapshot().lostAckedTransfers };
    },
  });
  line.end();
  const wallMs = Math.round(performance.now() - startedMs);
  const result = output.result;
  const command = reproduce(source, seed, flags);
  const { buildDrillReport } = await import("../chaos/drill/report.js");
  const history = output.virtual.recorder.history();
  const report = buildDrillReport({
    result,
    history,
    startUs: output.execution.startUs,
    durationMs: drillDurationMs(drill),
    command,
    rtoMsMax: drill.expect.rtoMsMax,
  });
  if (flags.out !== undefined) {
    const { writeDrillReportFiles } = await import("./drill-report-files.js");
    writeDrillReportFiles(flags.out, report, history, {
      drill: result.drill,
      seed,
      outcome: result.outcome,
      traceHash: result.traceHash,
      command,
      reasons: [...result.reasons],
    });
  }
  if (flags.json === true) process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stdout.write((await import("../chaos/drill/report-text.js")).renderDrillReportText(report, wallMs));
  if (result.outcome !== "SUCCEEDED") {
    if (flags.json === true) process.stderr.write(`ldc: drill ${result.outcome}: ${result.reasons[0] ?? ""}\nreproduce: ${command}\n`);
    process.exitCode = 1;
  }
}

export function register(program: Command): void {
  const drill = program.command("drill").description("Disaster-recovery drills: scripted faults with expectations, judged by the checkers");
  drill
    .command("list")
    .description("List the built-in drills")
    .option("--json", "print one JSON object")
    .action((flags: { json?: boolean }) => {
      const drills = builtinDrillNames().map((name) => {
        const parsed = builtinDrill(name);
        return { name, description: parsed.description, durationMs: drillDurationMs(parsed) };
      });
      if (flags.json === true) process.stdout.write(`${JSON.stringify({ drills })}\n`);
      else
        process.stdout.write(
          `${drills.map((entry) => `${entry.name.padEnd(32)} ${String(entry.durationMs / 1000).padStart(4)} s  ${entry.description}`).join("\n")}\n`,
        );
    });
  drill
    .command("show <name>")
    .description("Print a built-in drill's YAML (a starting point for your own)")
    .action((name: string) => {
      const text = BUILTIN_DRILLS[name];
      if (text === undefined) throw badInput("drill", `one of ${builtinDrillNames().join(", ")}`, name);
      process.stdout.write(text.trimStart());
    });
  drill
    .command("run <drill>")
    .description("Run a built-in drill or a drill file (YAML or JSON)")
    .option("--seed <n>", "PRNG seed", "1")
    .option("--json", "print one JSON object")
    .option("--out <dir>", "write the harness report (history, verdicts, HTML) here")
    .option("--runtime <kind>", "virtual or live (OS processes, files, TCP through Toxiproxy)", "virtual")
    .option("--time-scale <x>", "live only: multiply the drill's timeline (0.5 runs a 90 s drill in 45 s)")
    .option("--cells <n>", "live only: run the first N cells of the world (default: all)")
    .option("--config <file>", "world configuration (YAML or JSON)")
    .option(CROSS_CELL_RATIO_FLAG, CROSS_CELL_RATIO_HELP)
    .action(async (name: string, flags: RunFlags) => run(name, flags));
}
