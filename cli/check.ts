// `ldc check --model M [--initial JSON] [--json] [--timeout 60s] FILE...`
// Exit 0 all valid, 1 any invalid, 3 any unknown (and none invalid), 2 bad input.
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { EdnError } from "../harness/edn.js";
import {
  checkHistory,
  isModelName,
  MODEL_NAMES,
  resolveInitial,
  type CheckVerdict,
  type InitialState,
  type ModelName,
} from "../harness/check.js";
import { HistoryError, parseHistory } from "../harness/history.js";
import type { Json } from "../ground/json.js";
import { DURATION_FORM, parseDurationUs } from "../ground/duration.js";
import { badInput, CliError } from "./errors.js";

interface CheckFlags {
  model: string;
  initial?: string;
  json?: boolean;
  timeout: string;
}

function parseInitial(text: string | undefined): Json | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw badInput("--initial", 'JSON such as 0, null, {"x":0,"y":0} or {"accounts":[0,1,2],"total":100}', text);
  }
}

function checkFile(
  file: string,
  model: ModelName,
  given: Json | undefined,
  timeoutMs: number,
): { verdict: CheckVerdict; initial: InitialState; ms: number } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new CliError(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, 2);
  }
  const startedMs = performance.now();
  try {
    const ops = parseHistory(text);
    const initial = resolveInitial(model, ops, given);
    const verdict = checkHistory(ops, { model, initial: initial.initial, timeoutMs });
    return { verdict, initial, ms: Math.round(performance.now() - startedMs) };
  } catch (error) {
    if (error instanceof EdnError) throw new CliError(`${file}:${error.line}:${error.column}: ${error.detail}`, 2);
    if (error instanceof HistoryError) throw new CliError(`${file}: ${error.message}`, 2);
    throw error;
  }
}

function describe(verdict: CheckVerdict): string {
  if (verdict.checker === "bank")
    return verdict.valid
      ? `${verdict["read-count"]} reads`
      : `${verdict["error-count"]} bad reads, first at op ${verdict["first-error"]?.op.index}`;
  if (verdict.valid === false && verdict.failure) {
    const { op, partition } = verdict.failure;
    return `${op.f} by process ${op.process} (ops ${op.invokeIndex}..${op.completionIndex ?? "open"})${partition ? ` in ${partition}` : ""} cannot be linearized`;
  }
  if (verdict.valid === "unknown") return `gave up: ${verdict.reason}`;
  return `${verdict.ops} ops, ${verdict.partitions} partition(s)`;
}

export function register(program: Command): void {
  program
    .command("check")
    .description("Check histories (JSONL, JSON or Jepsen EDN) for linearizability or bank invariants")
    .requiredOption("--model <name>", `one of ${MODEL_NAMES.join(", ")}`)
    .option("--initial <json>", "the model's initial state (JSON)")
    .option("--json", "one JSON object per file on its own line")
    .option("--timeout <duration>", "search budget per file", "60s")
    .argument("<files...>")
    .action((files: string[], flags: CheckFlags) => {
      if (!isModelName(flags.model)) throw badInput("--model", MODEL_NAMES.join(" | "), flags.model);
      const initial = parseInitial(flags.initial);
      let timeoutMs: number;
      try {
        timeoutMs = parseDurationUs(flags.timeout, "--timeout") / 1000;
      } catch {
        throw badInput("--timeout", DURATION_FORM, flags.timeout);
      }
      let anyInvalid = false;
      let anyUnknown = false;
      for (const file of files) {
        const { verdict, initial: used, ms } = checkFile(file, flags.model, initial, timeoutMs);
        if (verdict.valid === false) anyInvalid = true;
        if (verdict.valid === "unknown") anyUnknown = true;
        if (flags.json) {
          const { checker, valid, ops, ...details } = verdict;
          process.stdout.write(
            `${JSON.stringify({ file, model: flags.model, valid, ops, ms, checker, initial: used.initial, initialAssumed: used.assumed, ...details })}\n`,
          );
        } else {
          const label = verdict.valid === true ? "valid" : verdict.valid === false ? "INVALID" : "unknown";
          const from =
            used.why === null
              ? flags.initial === undefined
                ? ""
                : `; initial state ${JSON.stringify(used.initial)} (--initial)`
              : `; assumed initial state ${JSON.stringify(used.initial)}: ${used.why}; --initial to change`;
          process.stdout.write(`${file}: ${label} (${describe(verdict)}, ${ms} ms${from})\n`);
        }
      }
      process.exitCode = anyInvalid ? 1 : anyUnknown ? 3 : 0;
    });
}
