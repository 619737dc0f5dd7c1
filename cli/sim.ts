// `ldc sim`: runs the simulated world for --duration of virtual time. Until the cells exist it
// runs the ping workload (sim/world/ping.ts); building the world and summarising it are
// library functions so the cells' runner can replace the workload and keep the rest.
import type { Command } from "commander";
import { parseDurationUs } from "../ground/duration.js";
import { ConfigError, type WorldConfig } from "../domain/config.js";
import { loadWorldConfig } from "./config-file.js";
import { buildPingWorld, pingSummary, type PingSummary } from "../sim/world/ping.js";
import { CliError, parseSeed } from "./errors.js";
import type { CellsSimFlags } from "./sim-flags.js";
import { CROSS_CELL_RATIO_FLAG, CROSS_CELL_RATIO_HELP, withCrossCellRatio } from "./cross-cell-flag.js";

export function loadConfigOrExit(path: string | undefined): WorldConfig {
  try {
    return loadWorldConfig(path);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.field === "--config" ? error.message : `config ${error.message}`, 2);
    throw error;
  }
}

export function parseDurationFlag(text: string): number {
  try {
    return parseDurationUs(text, "--duration");
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error), 2);
  }
}

export interface PingRunResult extends PingSummary {
  wallMs: number;
}

export function runPingSim(config: WorldConfig, seed: number, durationUs: number): PingRunResult {
  const startedMs = performance.now();
  const ping = buildPingWorld(config, seed);
  ping.world.runFor(durationUs);
  const summary = pingSummary(ping);
  return { ...summary, wallMs: Math.round(performance.now() - startedMs) };
}

function printHuman(result: PingRunResult): void {
  const lines = [
    `seed ${result.seed}: ${result.simulatedMs} ms simulated in ${result.wallMs} ms wall, ${result.events} events, trace ${result.traceHash}`,
    `messages: sent ${result.messages.sent}, delivered ${result.messages.delivered}, duplicated ${result.messages.duplicated}, dropped ${JSON.stringify(result.messages.dropped)}`,
    "round trips (ms):",
    ...Object.entries(result.rttMs).map(
      ([pair, rtt]) =>
        `  ${pair.padEnd(22)} p50 ${rtt.p50.toFixed(3)}  p99 ${rtt.p99.toFixed(3)}  max ${rtt.max.toFixed(3)}  (${rtt.count})`,
    ),
    `reproduce: ldc sim --seed ${result.seed} --duration ${result.simulatedMs}ms`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

export function register(program: Command): void {
  program
    .command("sim")
    .description("Run the default world (six cells, 100 shards, the steady load) in the deterministic simulator")
    .option("--config <file>", "world configuration (YAML or JSON)")
    .option("--seed <n>", "PRNG seed", "1")
    .option("--duration <d>", "simulated time (60s, 250ms, 2m)", "60s")
    .option("--nemesis <names>", "comma-separated faults: partition,kill,disk,region-outage,clock,... or all")
    .option("--nemesis-interval <d>", "time between nemesis faults, each lasting half of it (default 10s)")
    .option("--nemesis-fault <d>", "how long each nemesis fault lasts; longer than the interval, faults overlap")
    .option("--check", "heal, drain and run every checker over the history (liveness included); exit 1 on a violation")
    .option("--bug <names>", "switch on deliberate bugs (docs/harness.md), comma-separated: to show the checkers catch them")
    .option("--report-html <file>", "with --check: on a violation, write a one-page HTML report of it there")
    .option("--moves", "elastic cells: add cells and move random shard ranges during the run (checked: one owner per shard)")
    .option("--out <dir>", "write the history, verdicts and HTML report there")
    .option("--workload <kind>", "cells (default) or ping (the kernel's message-passing load)", "cells")
    .option(CROSS_CELL_RATIO_FLAG, CROSS_CELL_RATIO_HELP)
    .option("--json", "print one JSON object")
    .action(async (flags: CellsSimFlags) => {
      const seed = parseSeed(flags.seed);
      const durationUs = parseDurationFlag(flags.duration);
      const config = withCrossCellRatio(loadConfigOrExit(flags.config), flags.crossCellRatio);
      if (flags.workload === "ping") {
        const result = runPingSim(config, seed, durationUs);
        if (flags.json === true) {
          const { seed: runSeed, simulatedMs, wallMs, events, traceHash, messages, rttMs, hosts } = result;
          process.stdout.write(`${JSON.stringify({ seed: runSeed, simulatedMs, wallMs, events, traceHash, messages, rttMs, hosts })}\n`);
        } else {
          printHuman(result);
        }
        return;
      }
      if (flags.workload !== "cells") throw new CliError(`--workload: expected cells or ping, got "${flags.workload}"`, 2);
      const { runCellsSimCommand } = await import("./sim-cells.js");
      const exitCode = await runCellsSimCommand(flags, config, seed, durationUs);
      process.exitCode = exitCode;
    });
}
