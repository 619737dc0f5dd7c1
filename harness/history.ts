// Jepsen histories: a list of invoke/ok/fail/info operations. `ok` took effect, `fail` did not,
// `info` may or may not have, and its process never invokes again (the client continues under
// a fresh process id). Readers accept JSON Lines, JSON arrays and Jepsen/Knossos EDN.
import { readEdnAll, writeEdn, EdnError } from "./edn.js";
import { isJsonObject, type Json, type JsonObject } from "../ground/json.js";

export type OpType = "invoke" | "ok" | "fail" | "info";
export type ProcessId = number | string;

export interface Op {
  process: ProcessId;
  type: OpType;
  f: string;
  value: Json;
  /** Time of the event in µs (virtual or wall); optional in imported histories. */
  time?: number;
  /** Position in the history; assigned from file order when absent. */
  index: number;
}

/** An invocation with its completion. A `null` completion (history ended) counts as `info`. */
export interface PairedOp {
  process: ProcessId;
  f: string;
  type: "ok" | "fail" | "info";
  invoke: Op;
  completion: Op | null;
}

export type HistoryErrorCode =
  "HISTORY_FORMAT" | "HISTORY_UNPAIRED_COMPLETION" | "HISTORY_DOUBLE_INVOKE" | "HISTORY_INVOKE_AFTER_INFO" | "HISTORY_MISMATCHED_F";

export class HistoryError extends Error {
  constructor(
    readonly code: HistoryErrorCode,
    message: string,
    /** The index of the offending op, when there is one. */
    readonly opIndex?: number,
  ) {
    super(message);
  }
}

const OP_TYPES: ReadonlySet<string> = new Set(["invoke", "ok", "fail", "info"]);

/** Jepsen's nemesis logs its faults in the history under this process; they are not client ops. */
export const NEMESIS_PROCESS = "nemesis";

export type HistoryFormat = "jsonl" | "json" | "edn";

/** Detects the format from the content: a JSON array, one JSON object per line, or EDN. */
export function detectFormat(text: string): HistoryFormat {
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{")) {
    const firstLine = trimmed.split("\n", 1)[0] as string;
    try {
      JSON.parse(firstLine);
      return "jsonl";
    } catch {
      return "edn";
    }
  }
  if (trimmed.startsWith("[")) {
    try {
      JSON.parse(trimmed);
      return "json";
    } catch {
      return "edn";
    }
  }
  return "edn";
}

/** Parses a history file's text into ops (nemesis ops included; see `clientOps`). */
export function parseHistory(text: string, format: HistoryFormat = detectFormat(text)): Op[] {
  let raw: Json[];
  switch (format) {
    case "json": {
      const parsed = parseJson(text, "history");
      if (!Array.isArray(parsed)) throw new HistoryError("HISTORY_FORMAT", "history: expected a JSON array of ops");
      raw = parsed;
      break;
    }
    case "jsonl":
      raw = [];
      text.split("\n").forEach((line, lineIndex) => {
        if (line.trim() === "") return;
        raw.push(parseJson(line, `line ${lineIndex + 1}`));
      });
      break;
    case "edn": {
      const values = readEdnAll(text);
      // One vector/list of ops, or a bare sequence of op maps.
      raw = values.length === 1 && Array.isArray(values[0]) ? values[0] : values;
      break;
    }
    default:
      return assertNever(format);
  }
  return raw.map((item, position) => normaliseOp(item, position));
}

function parseJson(text: string, where: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (error) {
    throw new HistoryError("HISTORY_FORMAT", `${where}: malformed JSON (${(error as Error).message})`);
  }
}

export function normaliseOp(item: Json, position: number): Op {
  if (!isJsonObject(item)) throw new HistoryError("HISTORY_FORMAT", `op ${position}: expected a map {process, type, f, value}`, position);
  const index = item.index === undefined ? position : item.index;
  if (typeof index !== "number" || !Number.isInteger(index))
    throw new HistoryError("HISTORY_FORMAT", `op ${position}: index must be an integer`, position);
  const { process, type, f } = item;
  if (typeof process !== "number" && typeof process !== "string") {
    throw new HistoryError(
      "HISTORY_FORMAT",
      `op ${index}: process must be an integer or a name, got ${JSON.stringify(process ?? null)}`,
      index,
    );
  }
  if (typeof type !== "string" || !OP_TYPES.has(type)) {
    throw new HistoryError(
      "HISTORY_FORMAT",
      `op ${index}: type must be invoke, ok, fail or info, got ${JSON.stringify(type ?? null)}`,
      index,
    );
  }
  if (typeof f !== "string") throw new HistoryError("HISTORY_FORMAT", `op ${index}: f must be a keyword or string`, index);
  const op: Op = { process, type: type as OpType, f, value: item.value === undefined ? null : item.value, index };
  if (item.time !== undefined) {
    if (typeof item.time !== "number") throw new HistoryError("HISTORY_FORMAT", `op ${index}: time must be a number`, index);
    op.time = item.time;
  }
  return op;
}

/** Client ops only: Jepsen's nemesis process records faults, not operations on the system. */
export function clientOps(ops: readonly Op[]): Op[] {
  return ops.filter((op) => op.process !== NEMESIS_PROCESS);
}

/**
 * Pairs each invoke with its process's next completion, in history order. Rejects a completion
 * without an open invoke, a second invoke while one is open, and an invoke by a process that
 * already ended with `info`. Invokes still open at the end become `info` (completion null).
 */
export function pairHistory(ops: readonly Op[]): PairedOp[] {
  return drainSteps(pairHistorySteps(ops));
}

/**
 * Items a checker handles between two yields of its step generator (the running world's drills
 * check a window of ~400,000 ops on the event loop that serves the API: each step stays short).
 */
export const CHECK_STEP_ITEMS = 1_024;

/** Runs a step generator to its end at once (the synchronous form of a checker). */
export function drainSteps<T>(steps: Generator<void, T, void>): T {
  for (;;) {
    const next = steps.next();
    if (next.done === true) return next.value;
  }
}

/** pairHistory, yielding every CHECK_STEP_ITEMS ops. */
export function* pairHistorySteps(ops: readonly Op[]): Generator<void, PairedOp[], void> {
  const open = new Map<ProcessId, PairedOp>();
  const crashed = new Map<ProcessId, number>();
  const paired: PairedOp[] = [];
  let seen = 0;
  for (const op of ops) {
    if (++seen % CHECK_STEP_ITEMS === 0) yield;
    if (op.process === NEMESIS_PROCESS) continue;
    const pending = open.get(op.process);
    if (op.type === "invoke") {
      if (pending) {
        throw new HistoryError(
          "HISTORY_DOUBLE_INVOKE",
          `op ${op.index}: process ${op.process} invokes again while op ${pending.invoke.index} is still open`,
          op.index,
        );
      }
      const crashedAt = crashed.get(op.process);
      if (crashedAt !== undefined) {
        throw new HistoryError(
          "HISTORY_INVOKE_AFTER_INFO",
          `op ${op.index}: process ${op.process} invokes after its op ${crashedAt} ended in info; a crashed client must take a fresh process id`,
          op.index,
        );
      }
      const entry: PairedOp = { process: op.process, f: op.f, type: "info", invoke: op, completion: null };
      open.set(op.process, entry);
      paired.push(entry);
      continue;
    }
    if (!pending) {
      throw new HistoryError(
        "HISTORY_UNPAIRED_COMPLETION",
        `op ${op.index}: ${op.type} by process ${op.process} has no preceding invoke`,
        op.index,
      );
    }
    if (pending.f !== op.f) {
      throw new HistoryError(
        "HISTORY_MISMATCHED_F",
        `op ${op.index}: completion f ${op.f} does not match invoke op ${pending.invoke.index} f ${pending.f}`,
        op.index,
      );
    }
    pending.type = op.type;
    pending.completion = op;
    open.delete(op.process);
    if (op.type === "info") crashed.set(op.process, op.index);
  }
  return paired;
}

export function toJsonl(ops: readonly Op[]): string {
  return ops.map((op) => JSON.stringify(op)).join("\n") + (ops.length > 0 ? "\n" : "");
}

export function toJsonArray(ops: readonly Op[]): string {
  return `[${ops.map((op) => JSON.stringify(op)).join(",\n ")}]\n`;
}

const EDN_KEYWORD_FIELDS: ReadonlySet<string> = new Set(["type", "f", "process"]);

export function toEdn(ops: readonly Op[]): string {
  return `[${ops.map((op) => writeEdn(op as unknown as JsonObject, EDN_KEYWORD_FIELDS)).join("\n ")}]\n`;
}

export { EdnError };

function assertNever(value: never): never {
  throw new Error(`unexpected ${String(value)}`);
}
