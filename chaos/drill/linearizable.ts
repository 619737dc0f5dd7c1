// The drill's linearizability checker, per cell with the ledger model: first the cell's committed
// log as the witness order (chaos/drill/log-witness.ts: fast, and a proof when it passes), then,
// only if that order does not fit, the exhaustive search of the harness for the verdict.
import { checkHistory } from "../../harness/check.js";
import type { Op } from "../../harness/history.js";
import type { VirtualWorld } from "../../sim/virtual/world.js";
import { checkLogWitness, type LogEntry } from "./log-witness.js";

export interface CellLinearizability {
  readonly valid: boolean | "unknown";
  readonly method: "log-witness" | "search";
  readonly witnessProblem?: string;
  readonly search?: unknown;
}

/** Per cell, the committed commands of its most complete replica that kept its whole history. */
export function cellLogs(virtual: VirtualWorld): Record<string, LogEntry[]> {
  const logs: Record<string, LogEntry[]> = {};
  for (const cell of virtual.placement.cells) {
    let best: ReturnType<VirtualWorld["node"]>;
    for (const replica of cell.replicas) {
      const node = virtual.node(replica.replica);
      if (node === undefined || node.stateMachine.ledger.firstRetainedEventIndex !== 0) continue;
      if (best === undefined || node.stateMachine.ledger.eventCount > best.stateMachine.ledger.eventCount) best = node;
    }
    const entries: LogEntry[] = [];
    for (const stored of best?.stateMachine.ledger.events() ?? []) {
      const event = stored.event;
      switch (event.type) {
        case "AccountOpened":
        case "AccountOpenRejected":
          entries.push({ input: { f: "open", account: event.account, initialBalance: event.initialBalance }, outcome: event.type === "AccountOpened" ? "posted" : "rejected" });
          break;
        case "TransferPosted":
        case "TransferRejected":
          entries.push({ input: { f: "transfer", id: event.id, from: event.from, to: event.to, amount: event.amount }, outcome: event.type === "TransferPosted" ? "posted" : "rejected" });
          break;
        case "Deposited":
        case "DepositRejected":
          entries.push({ input: { f: "deposit", id: event.id, account: event.account, amount: event.amount }, outcome: event.type === "Deposited" ? "posted" : "rejected" });
          break;
        case "Withdrawn":
        case "WithdrawRejected":
          entries.push({ input: { f: "withdraw", id: event.id, account: event.account, amount: event.amount }, outcome: event.type === "Withdrawn" ? "posted" : "rejected" });
          break;
      }
    }
    logs[cell.cell] = entries;
  }
  return logs;
}

export function checkCellsLinearizable(virtual: VirtualWorld, searchTimeoutMs: number): { valid: boolean | "unknown"; cells: Record<string, CellLinearizability> } {
  const byCell = new Map<string, Op[]>();
  for (const op of virtual.recorder.history()) {
    const value = op.value as { cell?: unknown } | null;
    if (value === null || typeof value !== "object" || typeof value.cell !== "string") continue;
    const list = byCell.get(value.cell) ?? [];
    list.push(op);
    byCell.set(value.cell, list);
  }
  const logs = cellLogs(virtual);
  const cells: Record<string, CellLinearizability> = {};
  let valid: boolean | "unknown" = true;
  for (const [cell, ops] of [...byCell].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const witness = checkLogWitness(ops, logs[cell] ?? []);
    let verdict: CellLinearizability;
    if (witness.valid) verdict = { valid: true, method: "log-witness" };
    else {
      const search = checkHistory(ops, { model: "ledger", timeoutMs: searchTimeoutMs });
      verdict = { valid: search.valid, method: "search", witnessProblem: witness.problem ?? "", search: search.valid === true ? undefined : search };
    }
    cells[cell] = verdict;
    if (verdict.valid === false) valid = false;
    else if (verdict.valid === "unknown" && valid === true) valid = "unknown";
  }
  return { valid, cells };
}
