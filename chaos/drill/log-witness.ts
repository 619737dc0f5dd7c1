// Linearizability of a cell's history with the cell's own committed log as the witness order.
//
// Why: a region outage leaves dozens of transfers and reads of one cell pending together until
// the new leader answers them all at once; the Wing-Gong search then has to guess which subset
// each read saw, and on a whole-cell ledger (one object, no P-compositional split) it runs out of
// budget. A Raft ledger's log order IS its linearization, so we can check that order directly:
// replay the log through the harness's ledger model, place every ok read at a log prefix whose
// balances it returned, and check every real-time constraint. Passing is a proof (the order is an
// explicit linearization). Failing proves only that the LOG order does not linearize the history;
// the caller then falls back to the exhaustive search for the verdict.
import { pairHistory, type Op, type PairedOp } from "../../harness/history.js";
import { isJsonObject } from "../../harness/json.js";
import { ledger, type LedgerInput, type LedgerOutcome, type LedgerState } from "../../harness/models.js";

/** One committed command of a cell, in log order (reads are not in the log). */
export type LogEntry = { readonly input: Exclude<LedgerInput, { f: "read" }>; readonly outcome: LedgerOutcome };

export interface WitnessVerdict {
  readonly valid: boolean;
  /** Why the log order is not a linearization (null when valid). */
  readonly problem: string | null;
  readonly commands: number;
  readonly reads: number;
}

function balancesKey(balances: Readonly<Record<string, number>>): string {
  return Object.keys(balances)
    .sort()
    .map((account) => `${account}=${balances[account]}`)
    .join(";");
}

function keyOf(input: LogEntry["input"]): string {
  return input.f === "open" ? `open:${input.account}` : `cmd:${input.id}`;
}

function opKey(op: PairedOp): string | null {
  const value = op.invoke.value;
  if (!isJsonObject(value)) return null;
  if (op.f === "open") return typeof value.account === "string" ? `open:${value.account}` : null;
  return typeof value.id === "string" || typeof value.id === "number" ? `cmd:${String(value.id)}` : null;
}

function acknowledgedOutcome(op: PairedOp): LedgerOutcome | null {
  const value = op.completion?.value ?? null;
  return isJsonObject(value) && (value.outcome === "posted" || value.outcome === "rejected") ? value.outcome : null;
}

/** First index in ascending `sorted` that is >= `min`, or -1. */
function lowerBound(sorted: readonly number[], min: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((sorted[middle] as number) < min) low = middle + 1;
    else high = middle;
  }
  return low < sorted.length ? low : -1;
}

/** Checks one cell's client ops (invoke/ok/fail/info, time in µs) against its log. */
export function checkLogWitness(history: readonly Op[], log: readonly LogEntry[]): WitnessVerdict {
  const model = ledger();
  // State after each prefix: prefixStates[k] = balances after log[0..k).
  let state: LedgerState = model.initialState();
  const prefixesByBalances = new Map<string, number[]>();
  const remember = (k: number): void => {
    const key = balancesKey(state.balances);
    const list = prefixesByBalances.get(key);
    if (list === undefined) prefixesByBalances.set(key, [k]);
    else list.push(k);
  };
  remember(0);
  const positionOf = new Map<string, number>();
  for (let position = 0; position < log.length; position++) {
    const entry = log[position] as LogEntry;
    const next = model.step(state, entry.input, { outcome: entry.outcome });
    if (next === undefined) return { valid: false, problem: `log entry ${position} (${keyOf(entry.input)}) ${entry.outcome} contradicts the ledger model`, commands: 0, reads: 0 };
    if (positionOf.has(keyOf(entry.input))) return { valid: false, problem: `${keyOf(entry.input)} is in the log twice`, commands: 0, reads: 0 };
    positionOf.set(keyOf(entry.input), position);
    state = next;
    remember(position + 1);
  }

  const paired = pairHistory(history);
  type Timed = { readonly op: PairedOp; readonly position: number };
  const commands: Timed[] = [];
  const reads: PairedOp[] = [];
  for (const op of paired) {
    if (op.f === "read") {
      if (op.type === "ok") reads.push(op);
      continue;
    }
    const key = opKey(op);
    if (key === null) return { valid: false, problem: `op ${op.invoke.index}: ${op.f} without an id`, commands: 0, reads: 0 };
    const position = positionOf.get(key);
    if (op.type === "fail") {
      if (position !== undefined) return { valid: false, problem: `op ${op.invoke.index}: ${key} failed but is in the log at ${position}`, commands: 0, reads: 0 };
      continue;
    }
    if (position === undefined) {
      if (op.type === "ok") return { valid: false, problem: `op ${op.invoke.index}: ${key} was acknowledged but is not in the log`, commands: 0, reads: 0 };
      continue; // info, never applied: it did not happen
    }
    const acknowledged = op.type === "ok" ? acknowledgedOutcome(op) : null;
    const applied = (log[position] as LogEntry).outcome;
    if (acknowledged !== null && acknowledged !== applied) return { valid: false, problem: `op ${op.invoke.index}: ${key} acknowledged ${acknowledged} but the log has ${applied}`, commands: 0, reads: 0 };
    commands.push({ op, position });
  }

  // Real time: sweep invocations and completions; at equal times an invocation comes first (a
  // completion at the same instant did not strictly precede it).
  type Event = { readonly atUs: number; readonly order: number; readonly run: () => string | null };
  const events: Event[] = [];
  let maxPositionCompleted = -1;
  let maxReadPrefixCompleted = 0;
  const readPrefix = new Map<PairedOp, number>();
  // For a read's upper bound: the smallest log position of a command invoked after it completed.
  const byInvoke = [...commands].sort((a, b) => (a.op.invoke.time as number) - (b.op.invoke.time as number));
  const suffixMinPosition: number[] = new Array<number>(byInvoke.length + 1);
  suffixMinPosition[byInvoke.length] = log.length;
  for (let i = byInvoke.length - 1; i >= 0; i--) suffixMinPosition[i] = Math.min((byInvoke[i] as Timed).position, suffixMinPosition[i + 1] as number);
  const invokeTimes = byInvoke.map((command) => command.op.invoke.time as number);
  const firstInvokedAfter = (timeUs: number): number => {
    let low = 0;
    let high = invokeTimes.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((invokeTimes[middle] as number) <= timeUs) low = middle + 1;
      else high = middle;
    }
    return low;
  };

  for (const command of commands) {
    events.push({
      atUs: command.op.invoke.time as number,
      order: 0,
      run: () => (command.position <= maxPositionCompleted ? `op ${command.op.invoke.index}: log position ${command.position} is before that of a command completed before it was invoked (${maxPositionCompleted})` : null),
    });
    if (command.op.completion !== null && command.op.type === "ok") {
      events.push({
        atUs: command.op.completion.time as number,
        order: 1,
        run: () => {
          maxPositionCompleted = Math.max(maxPositionCompleted, command.position);
          return null;
        },
      });
    }
  }
  for (const read of reads) {
    events.push({
      atUs: read.invoke.time as number,
      order: 0,
      run: () => {
        const value = read.completion?.value ?? null;
        const balances = isJsonObject(value) && isJsonObject(value.balances ?? null) ? (value.balances as Record<string, number>) : null;
        if (balances === null) return `op ${read.invoke.index}: read without balances`;
        const candidates = prefixesByBalances.get(balancesKey(balances)) ?? [];
        const low = Math.max(maxPositionCompleted + 1, maxReadPrefixCompleted);
        const high = suffixMinPosition[firstInvokedAfter(read.completion?.time as number)] as number;
        const at = lowerBound(candidates, low);
        const prefix = at < 0 ? -1 : (candidates[at] as number);
        if (prefix < 0 || prefix > high) return `op ${read.invoke.index}: read balances match no log prefix in [${low}, ${high}] (matching prefixes: ${candidates.slice(0, 5).join(", ") || "none"})`;
        readPrefix.set(read, prefix);
        return null;
      },
    });
    events.push({
      atUs: read.completion?.time as number,
      order: 1,
      run: () => {
        maxReadPrefixCompleted = Math.max(maxReadPrefixCompleted, readPrefix.get(read) ?? 0);
        return null;
      },
    });
  }
  events.sort((a, b) => a.atUs - b.atUs || a.order - b.order);
  for (const event of events) {
    const problem = event.run();
    if (problem !== null) return { valid: false, problem, commands: commands.length, reads: reads.length };
  }
  return { valid: true, problem: null, commands: commands.length, reads: reads.length };
}
