// Durability after the run heals and drains: every acknowledged (ok) command is in its cell's
// final ledger exactly once with the acknowledged outcome, no failed command is there at all,
// and each info command is reported as present or absent (either is allowed).
import { CHECK_STEP_ITEMS, drainSteps, pairHistorySteps, type Op, type PairedOp } from "../history.js";
import { isJsonObject } from "../../ground/json.js";
import { opCell, type LedgerOutcome } from "../models.js";

/** One applied command in a cell's final ledger (its event log after replay). */
export interface AppliedCommand {
  id: string;
  outcome: LedgerOutcome;
}

/** Per cell, the commands its ledger holds, in log order. */
export type FinalLedgers = Readonly<Record<string, readonly AppliedCommand[]>>;

export type DurabilityViolation =
  | { kind: "lost"; id: string; cell: string; op: PairedOp }
  | { kind: "duplicated"; id: string; cell: string; copies: number }
  | { kind: "outcome-mismatch"; id: string; cell: string; acknowledged: LedgerOutcome; applied: LedgerOutcome; op: PairedOp }
  | { kind: "failed-but-present"; id: string; cell: string; applied: LedgerOutcome; op: PairedOp };

export interface DurabilityVerdict {
  valid: boolean;
  acknowledged: number;
  failed: number;
  infoPresent: string[];
  infoAbsent: string[];
  /** Commands in the ledgers that no client in the history invoked (e.g. from before it). */
  unrecorded: number;
  violations: DurabilityViolation[];
}

const COMMAND_FUNCTIONS: ReadonlySet<string> = new Set(["transfer", "deposit", "withdraw"]);

function commandId(op: PairedOp): string | null {
  const value = op.invoke.value;
  return isJsonObject(value) && (typeof value.id === "string" || typeof value.id === "number") ? String(value.id) : null;
}

export function checkDurability(ops: readonly Op[], ledgers: FinalLedgers): DurabilityVerdict {
  return drainSteps(checkDurabilitySteps(ops, ledgers));
}

/** checkDurability, yielding every CHECK_STEP_ITEMS commands or ops (harness/run-check.ts checkRunSteps). */
export function* checkDurabilitySteps(ops: readonly Op[], ledgers: FinalLedgers): Generator<void, DurabilityVerdict, void> {
  let seen = 0;
  // id -> cell -> outcomes found there
  const found = new Map<string, Map<string, LedgerOutcome[]>>();
  for (const [cell, commands] of Object.entries(ledgers)) {
    for (const command of commands) {
      if (++seen % CHECK_STEP_ITEMS === 0) yield;
      let cells = found.get(command.id);
      if (!cells) found.set(command.id, (cells = new Map()));
      const outcomes = cells.get(cell) ?? [];
      outcomes.push(command.outcome);
      cells.set(cell, outcomes);
    }
  }
  const violations: DurabilityViolation[] = [];
  const verdict: DurabilityVerdict = {
    valid: true,
    acknowledged: 0,
    failed: 0,
    infoPresent: [],
    infoAbsent: [],
    unrecorded: 0,
    violations,
  };
  const invoked = new Set<string>();
  for (const op of yield* pairHistorySteps(ops)) {
    if (++seen % CHECK_STEP_ITEMS === 0) yield;
    if (!COMMAND_FUNCTIONS.has(op.f)) continue;
    const id = commandId(op);
    if (id === null) continue;
    invoked.add(id);
    // An acknowledged command is looked for in the cell that answered it; a failed or unknown one
    // in every cell (its shard may have moved while it was in flight).
    const cell = op.type === "ok" ? opCell(op) : "";
    const cells = found.get(id);
    // Without a cell on the op, any cell's ledger may hold it.
    const entries =
      cell === "" ? [...(cells?.entries() ?? [])] : cells?.has(cell) ? [[cell, cells.get(cell) as LedgerOutcome[]] as const] : [];
    const copies = entries.reduce((sum, [, outcomes]) => sum + outcomes.length, 0);
    const where = entries[0]?.[0] ?? cell;
    switch (op.type) {
      case "ok": {
        verdict.acknowledged++;
        if (copies === 0) {
          violations.push({ kind: "lost", id, cell, op });
          break;
        }
        const acknowledged = isJsonObject(op.completion?.value ?? null)
          ? (op.completion?.value as { outcome?: unknown }).outcome
          : undefined;
        const applied = (entries[0] as readonly [string, LedgerOutcome[]])[1][0] as LedgerOutcome;
        if ((acknowledged === "posted" || acknowledged === "rejected") && acknowledged !== applied) {
          violations.push({ kind: "outcome-mismatch", id, cell: where, acknowledged, applied, op });
        }
        break;
      }
      case "fail":
        verdict.failed++;
        if (copies > 0)
          violations.push({
            kind: "failed-but-present",
            id,
            cell: where,
            applied: (entries[0] as readonly [string, LedgerOutcome[]])[1][0] as LedgerOutcome,
            op,
          });
        break;
      case "info":
        (copies > 0 ? verdict.infoPresent : verdict.infoAbsent).push(id);
        break;
    }
  }
  for (const [id, cells] of found) {
    if (++seen % CHECK_STEP_ITEMS === 0) yield;
    if (!invoked.has(id)) verdict.unrecorded++;
    let copies = 0;
    let cell = "";
    for (const [name, outcomes] of cells) {
      copies += outcomes.length;
      cell ||= name;
    }
    if (copies > 1) violations.push({ kind: "duplicated", id, cell, copies });
  }
  verdict.valid = violations.length === 0;
  return verdict;
}
