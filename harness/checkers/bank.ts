// Jepsen's bank checker (jepsen.tests.bank/checker), same semantics and result keys: every ok
// read must name only known accounts, have no nil balance, sum to the total, and (unless
// negative balances are allowed) have no negative balance. Errors are grouped by type with
// count, first, worst and last (and lowest/highest total for wrong-total).
import { drainSteps, type Op } from "../history.js";
import { isJsonObject, type Json, type JsonObject } from "../../ground/json.js";

export interface BankOptions {
  accounts: readonly (string | number)[];
  total: number;
  negativeBalances?: boolean;
  /**
   * The total one read must see, when it varies (a cell whose money crosses to other cells:
   * the read carries its cell's cross-cell net). `total` when absent.
   */
  totalOf?: (op: Op) => number;
}

export type BankErrorType = "unexpected-key" | "nil-balance" | "wrong-total" | "negative-value";

export type BankError =
  | { type: "unexpected-key"; unexpected: string[]; op: Op }
  | { type: "nil-balance"; nils: JsonObject; op: Op }
  | { type: "wrong-total"; total: number; op: Op }
  | { type: "negative-value"; negative: number[]; op: Op };

export interface BankErrorGroup {
  count: number;
  first: BankError;
  worst: BankError;
  last: BankError;
  lowest?: BankError;
  highest?: BankError;
}

export interface BankVerdict {
  valid: boolean;
  "read-count": number;
  "error-count": number;
  "first-error": BankError | null;
  errors: Partial<Record<BankErrorType, BankErrorGroup>>;
}

/** The balances map of a read: Jepsen's `{account balance}`, or the ledger's `{balances: {...}}`. */
function readBalances(value: Json): JsonObject {
  if (isJsonObject(value) && isJsonObject(value.balances ?? null)) return value.balances as JsonObject;
  return isJsonObject(value) ? value : {};
}

function checkRead(accounts: ReadonlySet<string>, total: number, negativeBalances: boolean, op: Op): BankError | null {
  const balances = readBalances(op.value);
  const keys = Object.keys(balances);
  const values = keys.map((key) => balances[key] as Json);
  const unexpected = keys.filter((key) => !accounts.has(key));
  if (unexpected.length > 0) return { type: "unexpected-key", unexpected, op };
  if (values.some((value) => value === null)) {
    const nils: JsonObject = {};
    for (const key of keys) if (balances[key] === null) nils[key] = null;
    return { type: "nil-balance", nils, op };
  }
  const numbers = values.map(Number);
  const sum = numbers.reduce((a, b) => a + b, 0);
  if (sum !== total) return { type: "wrong-total", total: sum, op };
  if (!negativeBalances && numbers.some((value) => value < 0))
    return { type: "negative-value", negative: numbers.filter((value) => value < 0), op };
  return null;
}

function badness(total: number, error: BankError): number {
  switch (error.type) {
    case "unexpected-key":
      return error.unexpected.length;
    case "nil-balance":
      return Object.keys(error.nils).length;
    case "wrong-total":
      return Math.abs((error.total - total) / total);
    case "negative-value":
      return -error.negative.reduce((a, b) => a + b, 0);
  }
}

/** Like Clojure's max-by/min-by in jepsen.util: the first element wins ties. */
function bestBy<T>(items: readonly T[], score: (item: T) => number, better: (a: number, b: number) => boolean): T {
  let best = items[0] as T;
  for (const item of items.slice(1)) if (better(score(item), score(best))) best = item;
  return best;
}

export function checkBank(ops: readonly Op[], options: BankOptions): BankVerdict {
  return drainSteps(checkBankSteps(ops, options));
}

/** Reads checked between two yields of checkBankSteps (a read sums every account of its cell). */
export const BANK_READS_PER_STEP = 128;

/** checkBank, yielding every BANK_READS_PER_STEP reads (harness/run-check.ts checkRunSteps). */
export function* checkBankSteps(ops: readonly Op[], options: BankOptions): Generator<void, BankVerdict, void> {
  const accounts = new Set(options.accounts.map(String));
  const reads = ops.filter((op) => op.type === "ok" && op.f === "read");
  const byType = new Map<BankErrorType, BankError[]>();
  let seen = 0;
  for (const read of reads) {
    if (++seen % BANK_READS_PER_STEP === 0) yield;
    const error = checkRead(accounts, options.totalOf?.(read) ?? options.total, options.negativeBalances ?? false, read);
    if (error === null) continue;
    const list = byType.get(error.type) ?? [];
    list.push(error);
    byType.set(error.type, list);
  }
  const errors: Partial<Record<BankErrorType, BankErrorGroup>> = {};
  let errorCount = 0;
  let firstError: BankError | null = null;
  for (const [type, list] of byType) {
    errorCount += list.length;
    const first = list[0] as BankError;
    if (firstError === null || first.op.index < firstError.op.index) firstError = first;
    const group: BankErrorGroup = {
      count: list.length,
      first,
      worst: bestBy(
        list,
        (error) => badness(options.total, error),
        (a, b) => a > b,
      ),
      last: list[list.length - 1] as BankError,
    };
    if (type === "wrong-total") {
      const totalOf = (error: BankError): number => (error.type === "wrong-total" ? error.total : 0);
      group.lowest = bestBy(list, totalOf, (a, b) => a < b);
      group.highest = bestBy(list, totalOf, (a, b) => a > b);
    }
    errors[type] = group;
  }
  return { valid: errorCount === 0, "read-count": reads.length, "error-count": errorCount, "first-error": firstError, errors };
}
