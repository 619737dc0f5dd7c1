// Every checker of the harness over one finished (healed and drained) virtual run:
// linearizable (the ledger model, one object per cell), bank (Jepsen's semantics per cell: every
// ok read of a cell's balances sums to its opening total), durability (every acknowledged
// transfer exactly once in its cell's final ledger), replica agreement (equal event hash chains)
// and availability (RTO per fault window and cell).

import type { Op } from "./history.js";
import type { Json } from "../ground/json.js";
import { checkHistory } from "./check.js";
import { checkLedgerWitness } from "./checkers/ledger-witness.js";
import { checkBank } from "./checkers/bank.js";
import { checkDurability } from "./checkers/durability.js";
import { checkReplicaAgreement } from "./checkers/replica-agreement.js";
import { checkAvailability, type FaultWindow } from "./checkers/availability.js";
import type { FinalLedgers } from "./checkers/durability.js";
import type { ReplicaChains } from "./checkers/replica-agreement.js";
import type { WitnessLog } from "./checkers/ledger-witness.js";

/**
 * What the checkers need of a finished run, whichever runtime ran it: VirtualRuntime (runtime/virtual)
 * and LiveRuntime (runtime/live, after collectFinalState) both provide it.
 */
export interface CheckableRun {
  readonly recorder: { history(): readonly Op[]; since(timeUs: number): Op[] };
  readonly workloadRunner: { accountsOf(cell: string): readonly string[]; readonly initialBalance: number };
  /** `fromUs`: the checkers look only at operations invoked from then on (a bounded log may start later than 0). */
  finalLedgers(fromUs?: number): FinalLedgers;
  finalEvents(fromUs?: number): Record<string, WitnessLog>;
  replicaChains(): ReplicaChains;
  invariantViolations(): readonly string[];
}

export const CHECKER_NAMES = ["linearizable", "bank", "durability", "replica-agreement", "availability"] as const;
export type CheckerName = (typeof CHECKER_NAMES)[number];

export interface RunVerdicts {
  readonly valid: boolean | "unknown";
  readonly checkers: Record<CheckerName, { valid: boolean | "unknown"; [key: string]: unknown }>;
  readonly lostAckedTransfers: number;
  readonly rtoMs: Record<string, number | null>;
  readonly invariantViolations: readonly string[];
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

/**
 * checkRun a step at a time, for a caller that must stay responsive while a long window is
 * checked (the running world's drills: the API is served by the same event loop). The first
 * step reads everything the checkers need of the run (the history window, the event logs, the
 * final ledgers, the replicas' chains); later steps, a checker or a cell each, read only that, so
 * the run may go on between steps without changing the verdicts.
 */
export function* checkRunSteps(run: CheckableRun, options: CheckRunOptions = {}): Generator<void, RunVerdicts, void> {
  const wanted = new Set<CheckerName>(options.checkers ?? CHECKER_NAMES);
  const fromUs = options.historyFromUs ?? 0;
  const history = options.history ?? (options.historyFromUs === undefined ? run.recorder.history() : run.recorder.since(fromUs));
  const logs = wanted.has("linearizable") ? copiedLogs(run.finalEvents(fromUs)) : {};
  const ledgers = wanted.has("durability") ? run.finalLedgers(fromUs) : null;
  const chains = wanted.has("replica-agreement") ? run.replicaChains() : null;
  const violations = [...run.invariantViolations()];
  yield;
  const byCell = opsByCell(history);
  const checkers = {} as RunVerdicts["checkers"];
  if (wanted.has("linearizable"))
    checkers.linearizable = yield* checkLinearizablePerCell(byCell, logs, options.linearizableTimeoutMs ?? 20_000);
  if (wanted.has("bank")) {
    checkers.bank = checkBankPerCell(byCell, run.workloadRunner);
    yield;
  }
  let lostAckedTransfers = 0;
  if (ledgers !== null) {
    const verdict = checkDurability(history, ledgers);
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
    const verdict = checkAvailability(
      history,
      options.faultWindows ?? [],
      options.rtoUsMax === undefined ? {} : { rtoUsMax: options.rtoUsMax },
    );
    rtoMs = worstRtoMsPerCell(verdict);
    checkers.availability = { ...verdict };
  }
  let valid: boolean | "unknown" = violations.length === 0;
  for (const verdict of Object.values(checkers)) {
    if (verdict.valid === false) valid = false;
    else if (verdict.valid === "unknown" && valid === true) valid = "unknown";
  }
  return { valid, checkers, lostAckedTransfers, rtoMs, invariantViolations: violations };
}

/** The logs as they are now: a live log's array goes on growing while later steps read it. */
function copiedLogs(logs: Record<string, WitnessLog>): Record<string, WitnessLog> {
  const copies: Record<string, WitnessLog> = {};
  for (const [cell, log] of Object.entries(logs)) copies[cell] = log.complete ? { complete: true, events: log.events.slice() } : log;
  return copies;
}

function opsByCell(history: readonly Op[]): Map<string, Op[]> {
  const byCell = new Map<string, Op[]>();
  for (const op of history) {
    const cell = cellOf(op);
    if (cell === null) continue;
    let ops = byCell.get(cell);
    if (ops === undefined) byCell.set(cell, (ops = []));
    ops.push(op);
  }
  return byCell;
}

type Verdict = RunVerdicts["checkers"][CheckerName];

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
    const witness = checkLedgerWitness(ops, log);
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

function checkBankPerCell(byCell: ReadonlyMap<string, Op[]>, workload: CheckableRun["workloadRunner"]): Verdict {
  const perCell: Record<string, unknown> = {};
  let valid = true;
  for (const [cell, ops] of byCell) {
    const accounts = workload.accountsOf(cell);
    // Every account of the cell is opened before the users arrive; with no deposits or
    // withdrawals (the default) each cell's money is constant.
    const total = accounts.length * workload.initialBalance;
    const verdict = checkBank(bankReadsOf(ops), { accounts, total });
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
function bankReadsOf(ops: readonly Op[]): Op[] {
  const lastOpen = Math.max(0, ...ops.filter((op) => op.f === "open" && op.type !== "invoke").map((op) => op.time ?? 0));
  const bankOps: Op[] = [];
  const invokedAfter = new Set<number | string>();
  for (const op of ops) {
    if (op.f !== "read") continue;
    if (op.type === "invoke") {
      if ((op.time ?? 0) > lastOpen) invokedAfter.add(op.process);
      else continue;
      bankOps.push({ ...op, value: null });
      continue;
    }
    if (!invokedAfter.has(op.process)) continue;
    invokedAfter.delete(op.process);
    const balances = (op.value as { balances?: Json } | null)?.balances ?? null;
    bankOps.push({ ...op, value: op.type === "ok" ? balances : null });
  }
  return bankOps;
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
