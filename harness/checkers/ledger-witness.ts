// Linearizability of one cell's ledger history with a witness: the order in which the cell's
// replicated state machine applied every command (its final event log). A black-box search must
// guess that order among every interleaving of concurrent ops, which explodes when a region
// outage leaves a hundred ops open at once; here the order is given, and the check is that it
// explains the history:
//   1. every ok command is in the log once, with the outcome its client was told; no failed
//      command is there; each info command is resolved by the log (present or absent);
//   2. the log respects real time: a command that completed before another was invoked is
//      earlier in the log;
//   3. every ok read saw the state after some prefix of the log inside its real-time window,
//      and reads in real-time order saw non-decreasing prefixes;
//   4. the log obeys the ledger's rules (no overdraft, no rejection without cause, money
//      conserved but for deposits and withdrawals).
// If all hold, the log with the reads inserted at their prefixes is a linearization, so `true` is
// sound. `false` means the order the cell actually applied does not explain what its clients
// saw; for a replicated state machine, whose reads and outcomes come from prefixes of that very
// log, that is a bug in the cell or in the client even where some other order might exist.
// An incomplete log (a replica restored from a snapshot) gives "unknown", never a guess.
// Cost: O((ops + events) log) time, O(ops + events) memory.

import type { LedgerEventBody } from "../../cells/ledger/events.js";
import { CHECK_STEP_ITEMS, drainSteps, pairHistorySteps, type Op, type PairedOp } from "../history.js";
import { isJsonObject, type Json } from "../../ground/json.js";
import { summarise, type OpSummary } from "../linearizable.js";
import { balancesHash, ReplayedLog, type LogViolationKind } from "./ledger-witness-replay.js";

/** A cell's final event log, or why there is none to trust. */
export type WitnessLog =
  { readonly complete: true; readonly events: readonly LedgerEventBody[] } | { readonly complete: false; readonly reason: string };

export type WitnessViolationKind =
  | "lost"
  | "failed-but-present"
  | "outcome-mismatch"
  | "command-mismatch"
  | "duplicated"
  | "real-time"
  | "stale-read"
  | "future-read"
  | "read-order"
  | "read-unexplained"
  | LogViolationKind;

export interface WitnessViolation {
  kind: WitnessViolationKind;
  message: string;
  /** The ops involved (the op at fault first). */
  ops: OpSummary[];
  /** Log position (0-based event index) the violation is about, when there is one. */
  position?: number;
  /** The events around `position`. */
  window?: { position: number; event: LedgerEventBody }[];
}

export interface WitnessVerdict {
  valid: boolean | "unknown";
  method: "witness";
  reason?: string;
  ops: number;
  events: number;
  reads: number;
  /** Violations found (only the first VIOLATIONS_REPORTED_MAX are listed). */
  violationCount: number;
  violations: WitnessViolation[];
  infoResolved: { present: number; absent: number };
}

export const VIOLATIONS_REPORTED_MAX = 32;
const WINDOW_EVENTS_EACH_SIDE = 3;

export type WitnessErrorCode = "WITNESS_UNKNOWN_FUNCTION" | "WITNESS_MALFORMED_VALUE";

export class WitnessError extends Error {
  constructor(
    readonly code: WitnessErrorCode,
    message: string,
    readonly opIndex: number,
  ) {
    super(message);
  }
}

type Outcome = "posted" | "rejected";

/** A ledger command as the log identifies it: all attempts (retries) of one id together. */
interface Command {
  readonly key: string;
  readonly attempts: PairedOp[];
  /** Earliest invocation of any attempt (history index). */
  invokeIndex: number;
  /** Earliest ok completion of any attempt; Infinity when none completed ok. */
  okCompletionIndex: number;
  okOp: PairedOp | null;
  hasInfo: boolean;
  /** Log position, once matched; -1 when absent. */
  position: number;
}

interface Read {
  readonly op: PairedOp;
  readonly balances: Record<string, number>;
  readonly invokeIndex: number;
  readonly completionIndex: number;
  /** The prefix length chosen (state after that many events); -1 when none fits. */
  prefix: number;
}

const COMMAND_FUNCTIONS: ReadonlySet<string> = new Set(["open", "transfer", "deposit", "withdraw"]);

function malformed(op: PairedOp, message: string): WitnessError {
  return new WitnessError("WITNESS_MALFORMED_VALUE", `op ${op.invoke.index}: ${message}`, op.invoke.index);
}

function keyOfOp(op: PairedOp): string {
  const value = op.invoke.value;
  if (!isJsonObject(value)) throw malformed(op, `${op.f} invoke value must be a map`);
  if (op.f === "open") {
    if (typeof value.account !== "string" && typeof value.account !== "number")
      throw malformed(op, "open value.account must be a string or integer");
    return `open:${value.account}`;
  }
  if (typeof value.id !== "string" && typeof value.id !== "number") throw malformed(op, `${op.f} value.id must be a string or integer`);
  return `id:${value.id}`;
}

function keyOfEvent(event: LedgerEventBody): string {
  switch (event.type) {
    case "AccountOpened":
    case "AccountOpenRejected":
      return `open:${event.account}`;
    // The relay's steps: no client of this cell invoked them, so no command matches their keys.
    case "CreditReceived":
    case "CreditRefused":
      return `in:${event.id}`;
    case "TransferSettled":
    case "TransferRefunded":
      return `settle:${event.id}`;
    case "ShardsMoved":
      return `move:${event.moveId}:${event.step}`; // no client op is a move step
    default:
      return `id:${event.id}`;
  }
}

function outcomeOfEvent(event: LedgerEventBody): Outcome {
  switch (event.type) {
    case "AccountOpened":
    case "TransferPosted":
    case "TransferSent":
    case "Deposited":
    case "Withdrawn":
      return "posted";
    default:
      return "rejected";
  }
}

const EVENT_FUNCTION: Record<LedgerEventBody["type"], string> = {
  AccountOpened: "open",
  AccountOpenRejected: "open",
  TransferPosted: "transfer",
  TransferRejected: "transfer",
  Deposited: "deposit",
  DepositRejected: "deposit",
  Withdrawn: "withdraw",
  WithdrawRejected: "withdraw",
  TransferSent: "transfer",
  CreditReceived: "credit-in",
  CreditRefused: "credit-in",
  TransferSettled: "settle",
  TransferRefunded: "settle",
  ShardsMoved: "move",
};

/** Does the event carry the command the client sent (same function, accounts and amount)? */
function sameCommand(op: PairedOp, event: LedgerEventBody): boolean {
  const value = op.invoke.value;
  if (!isJsonObject(value) || EVENT_FUNCTION[event.type] !== op.f) return false;
  switch (event.type) {
    case "AccountOpened":
    case "AccountOpenRejected":
      return value.initialBalance === undefined || value.initialBalance === event.initialBalance;
    case "TransferPosted":
    case "TransferRejected":
    case "TransferSent":
      return String(value.from) === event.from && String(value.to) === event.to && value.amount === event.amount;
    case "Deposited":
    case "DepositRejected":
    case "Withdrawn":
    case "WithdrawRejected":
      return String(value.account) === event.account && value.amount === event.amount;
    default:
      return false;
  }
}

/** The outcome (and reason) the client was told; an open without one counts as posted. */
function toldOutcome(op: PairedOp): { outcome: Outcome; reason?: string } {
  const value = op.completion?.value ?? null;
  if (!isJsonObject(value)) {
    if (op.f === "open") return { outcome: "posted" };
    throw malformed(op, `${op.f} completion value must carry outcome "posted" or "rejected"`);
  }
  const outcome = value.outcome ?? (op.f === "open" ? "posted" : undefined);
  if (outcome !== "posted" && outcome !== "rejected")
    throw malformed(op, `${op.f} completion value must carry outcome "posted" or "rejected"`);
  return typeof value.reason === "string" ? { outcome, reason: value.reason } : { outcome };
}

function readBalances(op: PairedOp): Record<string, number> {
  const value = op.completion?.value ?? null;
  const balances: Json | undefined = isJsonObject(value) ? value.balances : undefined;
  if (!isJsonObject(balances ?? null)) throw malformed(op, "read completion value must be {balances: {account: amount}}");
  const parsed: Record<string, number> = {};
  for (const [account, amount] of Object.entries(balances as Record<string, Json>)) {
    if (typeof amount !== "number" || !Number.isSafeInteger(amount))
      throw malformed(op, `read balance of ${account} must be an integer amount`);
    parsed[account] = amount;
  }
  return parsed;
}

class Report {
  readonly violations: WitnessViolation[] = [];
  count = 0;

  constructor(private readonly events: readonly LedgerEventBody[]) {}

  add(kind: WitnessViolationKind, message: string, ops: readonly PairedOp[], position?: number): void {
    this.count++;
    if (this.violations.length >= VIOLATIONS_REPORTED_MAX) return;
    const violation: WitnessViolation = { kind, message, ops: ops.map(summarise) };
    if (position !== undefined) {
      violation.position = position;
      const window: { position: number; event: LedgerEventBody }[] = [];
      const last = Math.min(this.events.length - 1, position + WINDOW_EVENTS_EACH_SIDE);
      for (let at = Math.max(0, position - WINDOW_EVENTS_EACH_SIDE); at <= last; at++)
        window.push({ position: at, event: this.events[at] as LedgerEventBody });
      violation.window = window;
    }
    this.violations.push(violation);
  }
}

/** Checks one cell's history against its final event log (see the file comment). */
export function checkLedgerWitness(history: readonly Op[], log: WitnessLog): WitnessVerdict {
  return drainSteps(checkLedgerWitnessSteps(history, log));
}

/**
 * checkLedgerWitness, yielding every CHECK_STEP_ITEMS ops, commands, events or reads (and around
 * the log's replay, one pass over the events): harness/run-check.ts checkRunSteps.
 */
export function* checkLedgerWitnessSteps(history: readonly Op[], log: WitnessLog): Generator<void, WitnessVerdict, void> {
  const paired = yield* pairHistorySteps(history);
  if (!log.complete) {
    return {
      valid: "unknown",
      method: "witness",
      reason: log.reason,
      ops: paired.length,
      events: 0,
      reads: 0,
      violationCount: 0,
      violations: [],
      infoResolved: { present: 0, absent: 0 },
    };
  }
  const events = log.events;
  const report = new Report(events);
  const commands = yield* collectCommands(paired);
  const reads: Read[] = [];
  let seen = 0;
  for (const op of paired) {
    if (++seen % CHECK_STEP_ITEMS === 0) yield;
    if (op.f === "read" && op.type === "ok") {
      reads.push({
        op,
        balances: readBalances(op),
        invokeIndex: op.invoke.index,
        completionIndex: (op.completion as Op).index,
        prefix: -1,
      });
    } else if (op.f !== "read" && !COMMAND_FUNCTIONS.has(op.f)) {
      throw new WitnessError(
        "WITNESS_UNKNOWN_FUNCTION",
        `op ${op.invoke.index}: ledger has no operation "${op.f}" (expected open, transfer, deposit, withdraw or read)`,
        op.invoke.index,
      );
    }
  }

  yield;
  const replayed = new ReplayedLog(events);
  yield;
  for (const violation of replayed.violations)
    report.add(violation.kind, violation.message, [], Math.min(violation.position, Math.max(0, events.length - 1)));

  const infoResolved = yield* matchCommands(commands, events, report);
  const placed = commandsByPosition(commands, events.length);
  checkRealTime(placed, report);
  yield;
  yield* checkReads(reads, placed, replayed, report);

  const verdict: WitnessVerdict = {
    valid: report.count === 0,
    method: "witness",
    ops: paired.length,
    events: events.length,
    reads: reads.length,
    violationCount: report.count,
    violations: report.violations,
    infoResolved,
  };
  return verdict;
}

function* collectCommands(paired: readonly PairedOp[]): Generator<void, Map<string, Command>, void> {
  const commands = new Map<string, Command>();
  let seen = 0;
  for (const op of paired) {
    if (++seen % CHECK_STEP_ITEMS === 0) yield;
    if (!COMMAND_FUNCTIONS.has(op.f)) continue;
    const key = keyOfOp(op);
    let command = commands.get(key);
    if (command === undefined) {
      command = { key, attempts: [], invokeIndex: op.invoke.index, okCompletionIndex: Infinity, okOp: null, hasInfo: false, position: -1 };
      commands.set(key, command);
    }
    command.attempts.push(op);
    command.invokeIndex = Math.min(command.invokeIndex, op.invoke.index);
    if (op.type === "ok" && (op.completion as Op).index < command.okCompletionIndex) {
      command.okCompletionIndex = (op.completion as Op).index;
      command.okOp = op;
    }
    if (op.type === "info") command.hasInfo = true;
  }
  return commands;
}

/** Check 1: presence, multiplicity, outcome and content of every command in the log. */
function* matchCommands(
  commands: Map<string, Command>,
  events: readonly LedgerEventBody[],
  report: Report,
): Generator<void, { present: number; absent: number }, void> {
  // First positions in one map, repeats apart: repeats are rare, and an array per key was garbage.
  const firstByKey = new Map<string, number>();
  const repeatsByKey = new Map<string, number[]>();
  for (let position = 0; position < events.length; position++) {
    if ((position + 1) % CHECK_STEP_ITEMS === 0) yield;
    const key = keyOfEvent(events[position] as LedgerEventBody);
    const first = firstByKey.get(key);
    if (first === undefined) firstByKey.set(key, position);
    else {
      const repeats = repeatsByKey.get(key);
      if (repeats === undefined) repeatsByKey.set(key, [first, position]);
      else repeats.push(position);
    }
  }
  const infoResolved = { present: 0, absent: 0 };
  let seen = 0;
  for (const command of commands.values()) {
    if (++seen % CHECK_STEP_ITEMS === 0) yield;
    const first = firstByKey.get(command.key);
    const positions = first === undefined ? [] : (repeatsByKey.get(command.key) ?? [first]);
    const opName = (command.attempts[0] as PairedOp).f;
    if (positions.length === 0) {
      if (command.okOp !== null) report.add("lost", `${opName} ${command.key} was acknowledged but is not in the log`, [command.okOp]);
      else if (command.hasInfo) infoResolved.absent++;
      continue;
    }
    const position = positions[0] as number;
    command.position = position;
    const event = events[position] as LedgerEventBody;
    // Only a retried opening (no id, so no idempotency) may leave a rejection after itself.
    const opensInvoked = command.key.startsWith("open:") ? command.attempts.length : 1;
    if (positions.length > opensInvoked) {
      report.add(
        "duplicated",
        `${opName} ${command.key} is in the log ${positions.length} times (at ${positions.join(", ")})`,
        command.attempts,
        positions[1],
      );
    }
    if (command.okOp === null && !command.hasInfo) {
      report.add("failed-but-present", `${opName} ${command.key} failed but is in the log`, command.attempts, position);
      continue;
    }
    if (command.okOp === null) infoResolved.present++;
    for (const attempt of command.attempts) {
      if (attempt.type !== "ok") continue;
      if (!sameCommand(attempt, event)) {
        report.add(
          "command-mismatch",
          `${attempt.f} ${command.key} in the log is ${event.type} ${JSON.stringify(event)}, not what the client sent`,
          [attempt],
          position,
        );
        continue;
      }
      const told = toldOutcome(attempt);
      const applied = outcomeOfEvent(event);
      const appliedReason = "reason" in event ? event.reason : undefined;
      const candidates = positions.map((at) => events[at] as LedgerEventBody);
      // With several openings of one account, the client may have been answered by any of them.
      const explained = candidates.some(
        (candidate) =>
          outcomeOfEvent(candidate) === told.outcome &&
          (told.reason === undefined || !("reason" in candidate) || candidate.reason === told.reason),
      );
      if (!explained) {
        report.add(
          "outcome-mismatch",
          `${attempt.f} ${command.key}: client was told ${told.outcome}${told.reason ? ` (${told.reason})` : ""}, the log says ${applied}${appliedReason ? ` (${appliedReason})` : ""}`,
          [attempt],
          position,
        );
      }
    }
  }
  return infoResolved;
}

function commandsByPosition(commands: Map<string, Command>, eventCount: number): (Command | undefined)[] {
  const placed: (Command | undefined)[] = new Array<Command | undefined>(eventCount);
  for (const command of commands.values()) if (command.position >= 0) placed[command.position] = command;
  return placed;
}

/**
 * Check 2: no command B sits before a command A in the log although A completed before B was
 * invoked. Scanning the log backwards with the earliest completion seen so far finds, for every
 * B, the earliest-completing A after it: one pass.
 */
function checkRealTime(placed: readonly (Command | undefined)[], report: Report): void {
  let earliest: Command | null = null;
  for (let position = placed.length - 1; position >= 0; position--) {
    const command = placed[position];
    if (command === undefined) continue;
    if (earliest !== null && earliest.okCompletionIndex < command.invokeIndex) {
      report.add(
        "real-time",
        `${earliest.key} completed (op ${earliest.okCompletionIndex}) before ${command.key} was invoked (op ${command.invokeIndex}), but the log applies it later (event ${earliest.position} > ${position})`,
        [earliest.okOp as PairedOp, command.attempts[0] as PairedOp],
        position,
      );
    }
    if (earliest === null || command.okCompletionIndex < earliest.okCompletionIndex) earliest = command;
  }
}

/**
 * Check 3. Each ok read R must see the state after some prefix p of the log with
 *   lower(R) <= p <= upper(R): lower = 1 + the last position of a command completed before R was
 *   invoked, upper = the first position of a command invoked after R completed;
 * and p(R1) <= p(R2) whenever R1 completed before R2 was invoked.
 * Greedy is complete: take reads by invocation and give each the SMALLEST matching p at or above
 * max(lower(R), p of its real-time predecessors). Every predecessor of R was invoked before R, so
 * it is placed first. Suppose some assignment q works; by induction greedy's p(R') <= q(R') for
 * every earlier read, so R's greedy bound is <= max(lower(R), q of its predecessors) <= q(R), and
 * q(R) itself is a candidate within upper(R): greedy finds a p(R) <= q(R). The only constraints
 * between reads are such lower bounds, so choosing low never hurts a later read.
 */
function* checkReads(
  reads: Read[],
  placed: readonly (Command | undefined)[],
  replayed: ReplayedLog,
  report: Report,
): Generator<void, void, void> {
  if (reads.length === 0) return;
  const present = placed.filter((command): command is Command => command !== undefined);
  const byCompletion = present
    .filter((command) => command.okCompletionIndex !== Infinity)
    .sort((a, b) => a.okCompletionIndex - b.okCompletionIndex);
  const byInvocationDescending = [...present].sort((a, b) => b.invokeIndex - a.invokeIndex);

  // upper(R), sweeping reads by completion, latest first, against commands invoked after it.
  const upper = new Map<Read, { bound: number; by: Command | null }>();
  let minimum: Command | null = null;
  let cursor = 0;
  for (const read of [...reads].sort((a, b) => b.completionIndex - a.completionIndex)) {
    while (cursor < byInvocationDescending.length && (byInvocationDescending[cursor] as Command).invokeIndex > read.completionIndex) {
      const command = byInvocationDescending[cursor++] as Command;
      if (minimum === null || command.position < minimum.position) minimum = command;
    }
    upper.set(read, { bound: minimum === null ? replayed.length : minimum.position, by: minimum });
  }

  reads.sort((a, b) => a.invokeIndex - b.invokeIndex);
  const readsByCompletion = [...reads].sort((a, b) => a.completionIndex - b.completionIndex);
  let lastCompleted: Command | null = null;
  let commandCursor = 0;
  let readCursor = 0;
  let previousRead: Read | null = null;
  let seen = 0;
  for (const read of reads) {
    if (++seen % CHECK_STEP_ITEMS === 0) yield;
    while (commandCursor < byCompletion.length && (byCompletion[commandCursor] as Command).okCompletionIndex < read.invokeIndex) {
      const command = byCompletion[commandCursor++] as Command;
      if (lastCompleted === null || command.position > lastCompleted.position) lastCompleted = command;
    }
    while (readCursor < readsByCompletion.length && (readsByCompletion[readCursor] as Read).completionIndex < read.invokeIndex) {
      const earlier = readsByCompletion[readCursor++] as Read;
      if (earlier.prefix >= 0 && (previousRead === null || earlier.prefix > previousRead.prefix)) previousRead = earlier;
    }
    const lower = lastCompleted === null ? 0 : lastCompleted.position + 1;
    const { bound: upperBound, by: upperBy } = upper.get(read) as { bound: number; by: Command | null };
    const orderedLower = Math.max(lower, previousRead?.prefix ?? 0);
    const hash = balancesHash(read.balances);
    const found = firstMatch(replayed, hash, read.balances, orderedLower, upperBound);
    if (found >= 0) {
      read.prefix = found;
      continue;
    }
    diagnoseRead(
      read,
      { lower, upper: upperBound, orderedLower, lastCompleted, upperBy, previousRead },
      (from, to) => firstMatch(replayed, hash, read.balances, from, to),
      report,
    );
  }
}

/** The smallest p in [from, to] whose state hash is the read's and whose state really equals it. */
function firstMatch(replayed: ReplayedLog, hash: number, balances: Readonly<Record<string, number>>, from: number, to: number): number {
  for (let p = replayed.firstWithHash(hash, from); p >= 0 && p <= to; p = replayed.nextWithHash(hash)) {
    if (replayed.stateEquals(p, balances)) return p;
  }
  return -1;
}

interface ReadWindow {
  lower: number;
  upper: number;
  orderedLower: number;
  lastCompleted: Command | null;
  upperBy: Command | null;
  previousRead: Read | null;
}

function diagnoseRead(read: Read, window: ReadWindow, firstMatchIn: (from: number, to: number) => number, report: Report): void {
  const opsOf = (command: Command | null): PairedOp[] => (command === null ? [] : [command.okOp ?? (command.attempts[0] as PairedOp)]);
  if (firstMatchIn(window.lower, window.upper) >= 0) {
    const earlier = window.previousRead as Read;
    report.add(
      "read-order",
      `read (op ${read.invokeIndex}) matches the log only before prefix ${earlier.prefix}, which read op ${earlier.invokeIndex} (completed before it was invoked) had already seen`,
      [read.op, earlier.op],
      Math.max(0, earlier.prefix - 1),
    );
    return;
  }
  const before = firstMatchIn(0, window.lower - 1);
  if (before >= 0) {
    const writer = window.lastCompleted as Command;
    report.add(
      "stale-read",
      `read (op ${read.invokeIndex}) saw the state after ${before} events, but ${writer.key} (event ${writer.position}) completed before the read was invoked`,
      [read.op, ...opsOf(writer)],
      writer.position,
    );
    return;
  }
  const after = firstMatchIn(window.upper + 1, Number.MAX_SAFE_INTEGER);
  if (after >= 0) {
    const writer = window.upperBy as Command;
    report.add(
      "future-read",
      `read (op ${read.invokeIndex}) saw the state after ${after} events, including ${writer.key} (event ${writer.position}) invoked only after the read completed`,
      [read.op, ...opsOf(writer)],
      writer.position,
    );
    return;
  }
  report.add(
    "read-unexplained",
    `read (op ${read.invokeIndex}) saw balances the log never held; its window is prefixes ${window.lower}..${window.upper}`,
    [read.op, ...opsOf(window.lastCompleted)],
    Math.max(0, window.lower - 1),
  );
}
