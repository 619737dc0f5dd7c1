// Every checker of the harness over one finished (healed and drained) virtual run:
// linearizable (the ledger model, one object per cell), bank (Jepsen's semantics per cell: every
// ok read of a cell's balances sums to its opening total), durability (every acknowledged
// transfer exactly once in its cell's final ledger), replica agreement (equal event hash chains)
// availability (RTO per fault window and cell) and, when the run observed it, liveness (every
// cell commits again and is routed to its leader within a bound after the last heal) and planned
// switchover (every leadership move the controller planned costs its cell's writes at most a bound).

import { CHECK_STEP_ITEMS, pairHistorySteps, type Op } from "./history.js";
import type { Json } from "../ground/json.js";
import { checkHistory } from "./check.js";
import { checkLedgerWitnessSteps } from "./checkers/ledger-witness.js";
import { checkBankSteps } from "./checkers/bank.js";
import { checkDurabilitySteps } from "./checkers/durability.js";
import { checkReplicaAgreement } from "./checkers/replica-agreement.js";
import { checkAvailabilitySteps, type checkAvailability, type FaultWindow } from "./checkers/availability.js";
import { checkLiveness, type LivenessObservations } from "./checkers/liveness.js";
import { checkPlannedSwitchoverSteps, type PlannedMove } from "./checkers/planned-switchover.js";
import type { FinalLedgers } from "./checkers/durability.js";
import type { ReplicaChains } from "./checkers/replica-agreement.js";
import type { WitnessLog } from "./checkers/ledger-witness.js";
import { checkGlobalConservation, type CrossCellFigures, type TimedCellLog } from "./checkers/global-conservation.js";

/**
 * What the checkers need of a finished run, whichever runtime ran it: VirtualRuntime (runtime/virtual)
 * and LiveRuntime (runtime/live, after collectFinalState) both provide it.
 */
export interface CheckableRun {
  readonly recorder: { history(): readonly Op[]; since(timeUs: number): Op[]; readonly firstIndex: number };
  readonly workloadRunner: { accountsOf(cell: string): readonly string[]; readonly initialBalance: number };
  /** `fromUs`: the checkers look only at operations invoked from then on (a bounded log may start later than 0). */
  finalLedgers(fromUs?: number): FinalLedgers;
  finalEvents(fromUs?: number): Record<string, WitnessLog>;
  replicaChains(): ReplicaChains;
  invariantViolations(): readonly string[];
  /**
   * Per cell, the whole event log with first-applied times (global conservation across cells);
   * absent: the checker uses finalEvents and checks the end only.
   */
  crossCellLogs?(): Record<string, TimedCellLog>;
  /** Per cell, money carried in and out by shard moves (the furthest replica's ledger); absent: not known (no moves in this runtime). */
  movedMoney?(): Record<string, { readonly movedIn: number; readonly movedOut: number }>;
}

export const CHECKER_NAMES = [
  "linearizable",
  "bank",
  "durability",
  "replica-agreement",
  "availability",
  "global-conservation",
  "liveness",
  "planned-switchover",
] as const;
export type CheckerName = (typeof CHECKER_NAMES)[number];

type CheckerVerdict = { valid: boolean | "unknown"; [key: string]: unknown };

export interface RunVerdicts {
  readonly valid: boolean | "unknown";
  /** Liveness and planned switchover are judged only for runs that recorded them (CheckRunOptions.liveness, .plannedMoves). */
  readonly checkers: Record<Exclude<CheckerName, "liveness" | "planned-switchover">, CheckerVerdict> & {
    liveness?: CheckerVerdict;
    "planned-switchover"?: CheckerVerdict;
  };
  readonly lostAckedTransfers: number;
  readonly rtoMs: Record<string, number | null>;
  readonly invariantViolations: readonly string[];
  /** Cross-cell transfers as the global-conservation checker counted them (present when it ran). */
  readonly crossCell?: CrossCellFigures;
}

export interface CheckRunOptions {
  readonly faultWindows?: readonly FaultWindow[];
  readonly checkers?: readonly CheckerName[];
  /** Time budget of the linearizability search per cell. */
  readonly linearizableTimeoutMs?: number;
  readonly rtoUsMax?: number;
  /** Check only the operations invoked from this time on (a drill's window in a long run). */
  readonly historyFromUs?: number;
  /** The window already taken (recorder.since(historyFromUs)), when the caller needs it too. */
  readonly history?: readonly Op[];
  /**
   * The window as steps (recorder.sinceSteps(historyFromUs), made when the rest of the run is
   * read: the first step), copied a slice per step after it; instead of `history`.
   */
  readonly historySteps?: Generator<void, readonly Op[], void>;
  /** What the runtime saw after the last heal (runtime/virtual/liveness.ts); absent: liveness is not judged. */
  readonly liveness?: LivenessObservations;
  /** The leadership moves the controller planned during the run (runtime/virtual/leader-move.ts); absent: planned switchover is not judged. */
  readonly plannedMoves?: readonly PlannedMove[];
  /** The planned-switchover bound (default PLANNED_SWITCHOVER_BOUND_US_DEFAULT). */
  readonly plannedSwitchoverBoundUs?: number;
  /** Global conservation: whether an outbox record still open at the end is a violation (default true: after heal and drain). */
  readonly requireDrained?: boolean;
}

function cellOf(op: Op): string | null {
  const value = op.value as { cell?: unknown } | null;
  return value !== null && typeof value === "object" && typeof value.cell === "string" ? value.cell : null;
}

export function checkRun(run: CheckableRun, options: CheckRunOptions = {}): RunVerdicts {
  const steps = checkRunSteps(run, options);
  for (;;) {
    const next = steps.next();
    if (next.done === true) return next.value;
  }
}

/** The whole history, which must be held whole: the pairs of a history cut at some op would not match up. */
function wholeHistory(recorder: CheckableRun["recorder"]): readonly Op[] {
  if (recorder.firstIndex > 0)
    throw new Error(
      `history: the first ${recorder.firstIndex} ops were dropped (a running world keeps a window of its history): check a window (historyFromUs), or keep the whole history (bounds.historyRetention: null)`,
    );
  return recorder.history();
}

/**
 * checkRun a step at a time, for a caller that must stay responsive while a long window is
 * checked (the running world's drills: the API is served by the same event loop). The first
 * step reads everything the checkers need of the run (the history window, the event logs, the
 * final ledgers, the replicas' chains); later steps, a checker or a cell each, read only that, so
 * the run may go on between steps without changing the verdicts.
 */
export function* checkRunSteps(run: CheckableRun, options: CheckRunOptions = {}): Generator<void, RunVerdicts, void> {
  const window =
    options.history ??
    options.historySteps ??
    (options.historyFromUs === undefined ? wholeHistory(run.recorder) : run.recorder.since(options.historyFromUs));
  const captured = captureRun(run, options);
  // Across cells the whole log is needed (a transfer in flight at a window's start has its debit
  // before it): the whole history held, copied now like the rest.
  const globalHistory = captured.globalLogs === null ? [] : run.recorder.history().slice();
  yield;
  return yield* checkCapturedSteps(captured, window, globalHistory, options);
}

/**
 * What the checkers read of a run besides its history, taken at one instant (checkRunSteps' first
 * step). Plain data: a drill in the running world writes it for a child process that checks its
 * window (runtime/drill-check-child.ts), and JSON gives the same object back.
 */
export interface CapturedRun {
  readonly logs: Record<string, WitnessLog>;
  readonly ledgers: FinalLedgers;
  readonly chains: ReplicaChains | null;
  readonly violations: readonly string[];
  readonly moved: Record<string, { readonly movedIn: number; readonly movedOut: number }>;
  /** Per cell, its whole timed log (global conservation), null when that checker is not wanted. */
  readonly globalLogs: Record<string, TimedCellLog> | null;
  /** Each checked cell's accounts (the bank checker's total). */
  readonly accounts: Record<string, readonly string[]>;
  readonly initialBalance: number;
}

/** Reads what the wanted checkers need of the run now (copies: the run may go on afterwards). */
export function captureRun(run: CheckableRun, options: Pick<CheckRunOptions, "checkers" | "historyFromUs"> = {}): CapturedRun {
  const wanted = new Set<CheckerName>(options.checkers ?? CHECKER_NAMES);
  const fromUs = options.historyFromUs ?? 0;
  const logs = wanted.has("linearizable") || wanted.has("bank") ? copiedLogs(run.finalEvents(fromUs)) : {};
  // Always read: an operation's cell is the one that applied it (a command follows its moved shard).
  const ledgers = run.finalLedgers(fromUs);
  const accounts: Record<string, readonly string[]> = {};
  for (const cell of new Set([...Object.keys(ledgers), ...Object.keys(logs)])) accounts[cell] = run.workloadRunner.accountsOf(cell);
  return {
    logs,
    ledgers,
    chains: wanted.has("replica-agreement") ? run.replicaChains() : null,
    violations: [...run.invariantViolations()],
    moved: wanted.has("bank") ? (run.movedMoney?.() ?? {}) : {},
    globalLogs: wanted.has("global-conservation")
      ? copiedTimedLogs(
          run.crossCellLogs?.() ??
            Object.fromEntries(Object.entries(run.finalEvents(0)).map(([cell, log]): [string, TimedCellLog] => [cell, log])),
        )
      : null,
    accounts,
    initialBalance: run.workloadRunner.initialBalance,
  };
}

/**
 * The checkers over a captured run and its history window (`history`: the ops, or the steps that
 * copy them), a checker or a cell a step. `globalHistory`: the history global conservation names
 * transfers from (the whole history held).
 */
export function* checkCapturedSteps(
  captured: CapturedRun,
  window: readonly Op[] | Generator<void, readonly Op[], void>,
  globalHistory: readonly Op[],
  options: CheckRunOptions = {},
): Generator<void, RunVerdicts, void> {
  const wanted = new Set<CheckerName>(options.checkers ?? CHECKER_NAMES);
  const { logs, ledgers, chains, violations, moved } = captured;
  const workload = { accountsOf: (cell: string) => captured.accounts[cell] ?? [], initialBalance: captured.initialBalance };
  const global = captured.globalLogs === null ? null : { logs: captured.globalLogs, history: globalHistory };
  const history: readonly Op[] = isSteps(window) ? yield* window : window;
  const byCell = yield* opsByCell(history, ledgers);
  const checkers = {} as RunVerdicts["checkers"];
  if (wanted.has("linearizable"))
    checkers.linearizable = yield* checkLinearizablePerCell(byCell, logs, options.linearizableTimeoutMs ?? 20_000);
  if (wanted.has("bank")) {
    const perCell = yield* checkBankPerCell(byCell, workload, logs);
    // Global money: what every move carried out of a cell arrived in another (none lost or doubled in flight).
    let movedIn = 0;
    let movedOut = 0;
    for (const money of Object.values(moved)) {
      movedIn += money.movedIn;
      movedOut += money.movedOut;
    }
    const global = { movedIn, movedOut, conserved: movedIn === movedOut };
    checkers.bank = { ...perCell, valid: perCell.valid === true && global.conserved ? perCell.valid : false, global };
    yield;
  }
  let lostAckedTransfers = 0;
  if (wanted.has("durability")) {
    const verdict = yield* checkDurabilitySteps(history, ledgers);
    lostAckedTransfers = verdict.violations.filter((violation) => violation.kind === "lost").length;
    checkers.durability = {
      ...verdict,
      valid: verdict.valid,
      infoPresent: verdict.infoPresent.length,
      infoAbsent: verdict.infoAbsent.length,
    };
    yield;
  }
  if (chains !== null) checkers["replica-agreement"] = { ...checkReplicaAgreement(chains) };
  let rtoMs: Record<string, number | null> = {};
  if (wanted.has("availability")) {
    yield;
    const verdict = yield* checkAvailabilitySteps(
      history,
      options.faultWindows ?? [],
      options.rtoUsMax === undefined ? {} : { rtoUsMax: options.rtoUsMax },
    );
    rtoMs = worstRtoMsPerCell(verdict);
    checkers.availability = { ...verdict };
  }
  if (wanted.has("liveness") && options.liveness !== undefined) checkers.liveness = { ...checkLiveness(options.liveness) };
  if (wanted.has("planned-switchover") && options.plannedMoves !== undefined) {
    yield;
    checkers["planned-switchover"] = {
      ...(yield* checkPlannedSwitchoverSteps(history, options.plannedMoves, options.faultWindows ?? [], options.plannedSwitchoverBoundUs)),
    };
  }
  let crossCell: CrossCellFigures | undefined;
  if (global !== null) {
    yield;
    const verdict = checkGlobalConservation(global.logs, global.history, { requireDrained: options.requireDrained ?? true });
    crossCell = verdict.crossCell;
    checkers["global-conservation"] = { ...verdict };
  }
  let valid: boolean | "unknown" = violations.length === 0;
  for (const verdict of Object.values(checkers)) {
    if (verdict.valid === false) valid = false;
    else if (verdict.valid === "unknown" && valid === true) valid = "unknown";
  }
  return { valid, checkers, lostAckedTransfers, rtoMs, invariantViolations: violations, ...(crossCell ? { crossCell } : {}) };
}

function isSteps(window: readonly Op[] | Generator<void, readonly Op[], void>): window is Generator<void, readonly Op[], void> {
  return !Array.isArray(window);
}

/** Timed logs as they are now (events and their times), for the same reason as copiedLogs. */
function copiedTimedLogs(logs: Record<string, TimedCellLog>): Record<string, TimedCellLog> {
  const copies: Record<string, TimedCellLog> = {};
  for (const [cell, log] of Object.entries(logs))
    copies[cell] = log.complete
      ? { complete: true, events: log.events.slice(), ...(log.appliedUs !== undefined && { appliedUs: log.appliedUs.slice() }) }
      : log;
  return copies;
}

/** The logs as they are now: a live log's array goes on growing while later steps read it. */
function copiedLogs(logs: Record<string, WitnessLog>): Record<string, WitnessLog> {
  const copies: Record<string, WitnessLog> = {};
  for (const [cell, log] of Object.entries(logs)) copies[cell] = log.complete ? { complete: true, events: log.events.slice() } : log;
  return copies;
}

/**
 * Each operation with the cell that applied it, invocation and completion together: the cell
 * that answered an acknowledged one (a command follows its shard when the shard moves: the
 * witness checker follows it too), the cell whose log holds an unknown one, else the cell it was
 * sent to.
 */
function* opsByCell(history: readonly Op[], ledgers: FinalLedgers): Generator<void, Map<string, Op[]>, void> {
  const cellOfId = new Map<string, string>();
  let seen = 0;
  for (const [cell, commands] of Object.entries(ledgers))
    for (const command of commands) {
      if (++seen % CHECK_STEP_ITEMS === 0) yield;
      cellOfId.set(command.id, cell);
    }
  // Only ops whose cell is not the one their own value names (the lookup falls back to that): a
  // drill's window is ~400,000 ops, and an entry for each was ~30 MB at the checks' peak (issue 15).
  const cellByIndex = new Map<number, string>();
  let moved = false;
  for (const paired of yield* pairHistorySteps(history)) {
    if (++seen % CHECK_STEP_ITEMS === 0) yield;
    const invoked = cellOf(paired.invoke);
    const completion = paired.completion;
    let cell = invoked;
    if (completion !== null && completion !== undefined) {
      if (paired.type === "ok") cell = cellOf(completion) ?? invoked;
      else {
        const id = (paired.invoke.value as { id?: unknown } | null)?.id;
        if (typeof id === "string" || typeof id === "number") cell = cellOfId.get(String(id)) ?? invoked;
      }
      if (cell !== null && cell !== cellOf(completion)) cellByIndex.set(completion.index, cell);
    }
    if (cell !== null && cell !== invoked) cellByIndex.set(paired.invoke.index, cell);
    if (cell !== invoked) moved = true;
  }
  const byCell = new Map<string, Op[]>();
  for (const op of history) {
    if (++seen % CHECK_STEP_ITEMS === 0) yield;
    const cell = moved ? (cellByIndex.get(op.index) ?? cellOf(op)) : cellOf(op);
    if (cell === null) continue;
    let ops = byCell.get(cell);
    if (ops === undefined) byCell.set(cell, (ops = []));
    ops.push(op);
  }
  return byCell;
}

type Verdict = CheckerVerdict;

/**
 * The witness (the cell's own applied order) first: linear in the history. The black-box
 * search only when the log cannot be trusted whole (a snapshot-restored replica).
 */
function* checkLinearizablePerCell(
  byCell: ReadonlyMap<string, Op[]>,
  logs: Record<string, WitnessLog>,
  timeoutMs: number,
): Generator<void, Verdict, void> {
  const perCell: Record<string, unknown> = {};
  let valid: boolean | "unknown" = true;
  for (const [cell, ops] of byCell) {
    yield;
    const log = logs[cell] ?? { complete: false, reason: `no replica of ${cell} found` };
    const witness = yield* checkLedgerWitnessSteps(ops, log);
    if (witness.valid !== "unknown") {
      perCell[cell] = witness.valid
        ? {
            valid: true,
            method: "witness",
            ops: witness.ops,
            events: witness.events,
            reads: witness.reads,
            infoResolved: witness.infoResolved,
          }
        : witness;
      if (!witness.valid) valid = false;
      continue;
    }
    const verdict = { ...checkHistory(ops, { model: "ledger", timeoutMs }), method: "search", witnessUnknown: witness.reason };
    perCell[cell] = verdict.valid === true ? { valid: true, method: "search", witnessUnknown: witness.reason } : verdict;
    if (verdict.valid === false) valid = false;
    else if (verdict.valid === "unknown" && valid === true) valid = "unknown";
  }
  return { valid, cells: perCell };
}

function* checkBankPerCell(
  byCell: ReadonlyMap<string, Op[]>,
  workload: CheckableRun["workloadRunner"],
  logs: Record<string, WitnessLog>,
): Generator<void, Verdict, void> {
  const perCell: Record<string, unknown> = {};
  let valid = true;
  for (const [cell, ops] of byCell) {
    yield;
    const log = logs[cell];
    if (log !== undefined && log.complete && log.events.some((event) => event.type === "ShardsMoved")) {
      // Shards moved in or out: the cell's total changed with them, by the balances the moves
      // carried. Each read is checked against the cell's own log instead (the witness: the state
      // after some prefix, totals included), and money across cells by the moves' balance.
      perCell[cell] = { valid: true, method: "witness", reason: "shards moved: the cell's total follows its log" };
      continue;
    }
    const accounts = workload.accountsOf(cell);
    // Every account of the cell is opened before the users arrive; with no deposits or
    // withdrawals (the default) each cell's money is constant but for what crossed to or from
    // other cells, which each read reports beside its balances (the same state: a separate sum).
    const total = accounts.length * workload.initialBalance;
    const verdict = yield* checkBankSteps(yield* bankReadsOf(ops), { accounts, total, totalOf: (op) => total + crossCellNetOf(op) });
    perCell[cell] = verdict.valid ? { valid: true, "read-count": verdict["read-count"] } : verdict;
    if (!verdict.valid) valid = false;
  }
  return { valid, cells: perCell };
}

/**
 * A cell's reads as Jepsen's bank reads (maps of account -> balance; ours carry the cell beside
 * them). Reads before every account is open see a smaller total: only reads invoked after the
 * last open completed are the bank workload proper.
 */
function* bankReadsOf(ops: readonly Op[]): Generator<void, Op[], void> {
  let lastOpen = 0;
  for (const op of ops) if (op.f === "open" && op.type !== "invoke") lastOpen = Math.max(lastOpen, op.time ?? 0);
  yield;
  const bankOps: Op[] = [];
  const invokedAfter = new Set<number | string>();
  let seen = 0;
  for (const op of ops) {
    if (++seen % CHECK_STEP_ITEMS === 0) yield;
    if (op.f !== "read") continue;
    if (op.type === "invoke") {
      if ((op.time ?? 0) > lastOpen) invokedAfter.add(op.process);
      else continue;
      bankOps.push({ ...op, value: null });
      continue;
    }
    if (!invokedAfter.has(op.process)) continue;
    invokedAfter.delete(op.process);
    const value = op.value as { balances?: Json; crossCellNet?: Json } | null;
    const balances = value?.balances ?? null;
    bankOps.push({
      ...op,
      value: op.type === "ok" ? balances : null,
      ...(typeof value?.crossCellNet === "number" ? { crossCellNet: value.crossCellNet } : {}),
    });
  }
  return bankOps;
}

function crossCellNetOf(op: Op): number {
  const net = (op as Op & { crossCellNet?: unknown }).crossCellNet;
  return typeof net === "number" ? net : 0;
}

/** Per cell, the worst recovery over all fault windows (null: it never recovered). */
function worstRtoMsPerCell(verdict: ReturnType<typeof checkAvailability>): Record<string, number | null> {
  const rtoMs: Record<string, number | null> = {};
  for (const window of verdict.windows) {
    for (const cell of window.cells) {
      const ms = cell.rtoUs === null ? null : Math.round(cell.rtoUs / 1000);
      const previous = rtoMs[cell.cell];
      rtoMs[cell.cell] = previous === undefined ? ms : previous === null || ms === null ? null : Math.max(previous, ms);
    }
  }
  return rtoMs;
}
