// `ldc sim` over the cells: the default world's six cells under the steady load, optionally
// with a nemesis and the full checker run. Prints per-cell committed operations, p50/p99 commit
// latency and leaders; `--json` prints one object; a violation prints the reproducing command.

import type { WorldConfig } from "../domain/config.js";
import { runCells, type CellsRunResult, type Nemesis } from "../runtime/virtual/run.js";
import { BUG_NAMES, isBugName, type BugName, type InjectedBugs } from "../cells/bugs.js";
import { parseDurationUs } from "../ground/duration.js";
import { catchersOf } from "../harness/mutants.js";
import { CliError } from "./errors.js";
import { reproduceCommand, type CellsSimFlags } from "./sim-flags.js";

/** Parses `--bug a,b`: exit 2 naming the unknown one. */
export function parseBugs(text: string | undefined): InjectedBugs | undefined {
  if (text === undefined) return undefined;
  const names = text
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  if (names.length === 0) throw new CliError(`--bug: expected a comma-separated list of ${BUG_NAMES.join(", ")}`, 2);
  for (const name of names)
    if (!isBugName(name)) throw new CliError(`--bug: unknown bug "${name}"; expected one of ${BUG_NAMES.join(", ")}`, 2);
  return new Set(names as BugName[]);
}

async function loadNemesis(names: string, intervalUs: number | undefined, faultUs: number | undefined): Promise<Nemesis> {
  const list = names
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  if (list.length === 0) throw new CliError("--nemesis: expected a comma-separated list of fault names", 2);
  const module = (await import("../chaos/nemesis.js")) as typeof import("../chaos/nemesis.js");
  try {
    return module.nemesisFor(list, intervalUs, faultUs);
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error), 2);
  }
}

function parseDurationUsFlag(text: string, field: string): number {
  try {
    const us = parseDurationUs(text, field);
    if (!(us > 0)) throw new RangeError(`${field}: expected a positive duration such as 2s or 500ms, got "${text}"`);
    return us;
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error), 2);
  }
}

function globalConservationSummary(verdict: { valid: boolean | "unknown"; [key: string]: unknown }): Record<string, unknown> {
  const { valid, checkPoints, violationCount, first, reason } = verdict;
  return { valid, checkPoints, violationCount, first, ...(reason !== undefined ? { reason } : {}) };
}

/** What one `ldc sim` over the cells prints and its exit code (the swarm's pool runs seeds through this in-process). */
export interface CellsSimOutput {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runCellsSimCommand(flags: CellsSimFlags, config: WorldConfig, seed: number, durationUs: number): Promise<number> {
  const output = await cellsSimOutput(flags, config, seed, durationUs);
  if (output.stdout !== "") process.stdout.write(output.stdout);
  if (output.stderr !== "") process.stderr.write(output.stderr);
  return output.exitCode;
}

/**
 * One `ldc sim` run over the cells, its printed output returned instead of written: the same
 * bytes whether the command prints them or a swarm worker sends them back (cli/swarm-pool.ts).
 * `wallMs` in the output is the only field that depends on more than the flags and the seed.
 */
export async function cellsSimOutput(flags: CellsSimFlags, config: WorldConfig, seed: number, durationUs: number): Promise<CellsSimOutput> {
  let stdout = "";
  let stderr = "";
  const intervalUs = flags.nemesisInterval === undefined ? undefined : parseDurationUsFlag(flags.nemesisInterval, "--nemesis-interval");
  const faultUs = flags.nemesisFault === undefined ? undefined : parseDurationUsFlag(flags.nemesisFault, "--nemesis-fault");
  const nemesis = flags.nemesis ? await loadNemesis(flags.nemesis, intervalUs, faultUs) : undefined;
  const bugs = parseBugs(flags.bug);
  if (flags.reportHtml !== undefined && flags.check !== true)
    throw new CliError("--report-html: needs --check (the report shows a checker's violation)", 2);
  const startedMs = performance.now();
  let result: CellsRunResult;
  try {
    result = runCells({
      config,
      seed,
      durationUs,
      check: flags.check === true,
      moves: flags.moves === true,
      ...(nemesis ? { nemesis } : {}),
      ...(bugs ? { bugs } : {}),
    });
  } catch (error) {
    // An assertion inside the cells (or the harness) stopped the run: a violation like any other.
    const reproduce = reproduceCommand(flags, seed);
    const message = error instanceof Error ? error.message : String(error);
    if (flags.json === true)
      stdout += `${JSON.stringify({ seed, valid: false, assertion: message, caughtBy: ["assertion"], reproduce })}\n`;
    else stdout += `seed ${seed}: VIOLATION assertion: ${message}\nreproduce: ${reproduce}\n`;
    stderr += `ldc: violation found; reproduce with: ${reproduce}\n`;
    return { exitCode: 1, stdout, stderr };
  }
  const wallMs = Math.round(performance.now() - startedMs);
  const verdicts = result.verdicts;
  const violated = result.invariantViolations.length > 0 || (verdicts !== undefined && verdicts.valid === false);
  const reproduce = reproduceCommand(flags, seed);
  if (flags.reportHtml !== undefined && violated) {
    const { failureReportHtml } = await import("../harness/failure-report.js");
    const html = failureReportHtml({
      history: result.virtual.recorder.history(),
      checkers: verdicts?.checkers ?? {},
      invariantViolations: result.invariantViolations,
      title: `ldc sim seed ${seed}: violation`,
      reproduce,
    });
    if (html !== null) {
      const { writeFileSync } = await import("node:fs");
      writeFileSync(flags.reportHtml, html);
    }
  }
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
            // Each checker's validity; global-conservation also names its first violation (transfer id, history index).
            checkers: Object.fromEntries(
              Object.entries(verdicts.checkers).map(([name, verdict]) => [
                name,
                name === "global-conservation" ? globalConservationSummary(verdict) : verdict.valid,
              ]),
            ),
          }
        : {}),
      ...(bugs ? { bugs: [...bugs] } : {}),
      ...(violated
        ? {
            caughtBy: catchersOf(verdicts, result.invariantViolations, null),
            findings: verdicts === undefined ? [] : checkerFindings(verdicts.checkers),
            reproduce,
          }
        : {}),
      crossCell: result.crossCell,
    };
    stdout += `${JSON.stringify(out)}\n`;
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
    const x = result.crossCell;
    lines.push(
      `cross-cell: ${x.initiated} initiated, ${x.settled} settled, ${x.refunded} refunded, ${x.inFlightAtEnd} in flight at the end; settle p50 ${x.settleMsP50 ?? "-"} ms, p99 ${x.settleMsP99 ?? "-"} ms`,
    );
    if (verdicts) {
      lines.push(
        `checkers: ${Object.entries(verdicts.checkers)
          .map(([name, verdict]) => `${name}=${String(verdict.valid)}`)
          .join(" ")}; lost acknowledged transfers: ${verdicts.lostAckedTransfers}`,
      );
    }
    if (verdicts) for (const line of checkerFindings(verdicts.checkers)) lines.push(line);
    for (const violation of result.invariantViolations) lines.push(`VIOLATION ${violation}`);
    if (violated) lines.push(`reproduce: ${reproduce}`);
    stdout += `${lines.join("\n")}\n`;
  }
  if (violated) {
    stderr += `ldc: violation found; reproduce with: ${reproduce}\n`;
    return { exitCode: 1, stdout, stderr };
  }
  return { exitCode: verdicts !== undefined && verdicts.valid === "unknown" ? 3 : 0, stdout, stderr };
}

/**
 * What each failing checker said in words (its string lists: planned-switchover's `slow` and
 * `lagging`, ...), at most FINDINGS_PER_CHECKER lines each, so a violation reads without --json.
 */
function checkerFindings(checkers: Record<string, { valid: unknown } | undefined>): string[] {
  const lines: string[] = [];
  for (const [name, verdict] of Object.entries(checkers)) {
    if (verdict === undefined || verdict.valid !== false) continue;
    const said = Object.values(verdict).flatMap((value) =>
      Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [],
    );
    for (const finding of said.slice(0, FINDINGS_PER_CHECKER)) lines.push(`${name}: ${finding}`);
    if (said.length > FINDINGS_PER_CHECKER) lines.push(`${name}: ... ${said.length - FINDINGS_PER_CHECKER} more (--json)`);
  }
  return lines;
}

const FINDINGS_PER_CHECKER = 3;
