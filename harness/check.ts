// One entry point for `ldc check` and the benchmark: a model name, an initial state and a
// history in, a verdict out. Bad input (unknown model, malformed initial state or history)
// throws HistoryError/EdnError, which callers report as exit 2.
import { checkBank, type BankVerdict } from "./checkers/bank.js";
import { HistoryError, pairHistory, type Op } from "./history.js";
import { isJsonObject, type Json } from "../ground/json.js";
import { checkLinearizable, type LinearizabilityVerdict } from "./linearizable.js";
import { casRegister, ledger, multiRegister, repeatedLedgerIds } from "./models.js";

export const MODEL_NAMES = ["cas-register", "multi-register", "bank", "ledger"] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export function isModelName(name: string): name is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(name);
}

export interface CheckHistoryOptions {
  model: ModelName;
  /** Model initial state; undefined: the model's default. */
  initial?: Json;
  timeoutMs?: number;
}

export type CheckVerdict = ({ checker: "linearizable" } & LinearizabilityVerdict) | ({ checker: "bank"; ops: number } & BankVerdict);

/** Every register a multi-register history touches, in order of first appearance. */
function registerKeys(ops: readonly Op[]): string[] {
  const keys = new Set<string>();
  for (const op of ops) {
    if (op.f !== "txn" || !Array.isArray(op.value)) continue;
    for (const micro of op.value) if (Array.isArray(micro) && micro.length === 3) keys.add(String(micro[1]));
  }
  return [...keys];
}

export interface InitialState {
  readonly initial: Json;
  /** True when the caller gave none and the model's conventional one was assumed. */
  readonly assumed: boolean;
  /** How the assumed state was chosen, for the output. */
  readonly why: string | null;
}

/**
 * The initial state a check runs from. Without one given, the model's convention, as Knossos'
 * own tests run its example histories: a cas-register holds 0, every register of a
 * multi-register holds 0 (`{:x 0 :y 0}`), a ledger has no accounts; bank has no convention.
 */
export function resolveInitial(model: ModelName, ops: readonly Op[], given: Json | undefined): InitialState {
  if (given !== undefined) return { initial: given, assumed: false, why: null };
  switch (model) {
    case "cas-register":
      return { initial: 0, assumed: true, why: "the register holds 0 (Knossos' convention)" };
    case "multi-register":
      return {
        initial: Object.fromEntries(registerKeys(ops).map((key) => [key, 0])),
        assumed: true,
        why: "every register holds 0 (Knossos' convention)",
      };
    case "ledger":
      return { initial: null, assumed: true, why: "no accounts" };
    case "bank":
      return { initial: null, assumed: false, why: null };
  }
}

function initialError(expected: string): HistoryError {
  return new HistoryError("HISTORY_FORMAT", `--initial: expected ${expected}`);
}

export function checkHistory(ops: readonly Op[], options: CheckHistoryOptions): CheckVerdict {
  const initial = resolveInitial(options.model, ops, options.initial).initial;
  const paired = pairHistory(ops);
  const linearizableOptions = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
  switch (options.model) {
    case "cas-register":
      return { checker: "linearizable", ...checkLinearizable(casRegister(initial), paired, linearizableOptions) };
    case "multi-register":
      if (initial !== null && !isJsonObject(initial)) throw initialError('a map of key to value, e.g. {"x":0,"y":0}');
      return { checker: "linearizable", ...checkLinearizable(multiRegister(initial), paired, linearizableOptions) };
    case "ledger": {
      let initialBalances: Record<string, number> | undefined;
      if (initial !== null) {
        const balances = isJsonObject(initial) && isJsonObject(initial.balances ?? null) ? initial.balances : null;
        if (!isJsonObject(balances ?? null)) throw initialError('{"balances": {account: amount}}');
        initialBalances = {};
        for (const [account, amount] of Object.entries(balances as Record<string, Json>)) {
          if (typeof amount !== "number" || !Number.isSafeInteger(amount)) throw initialError(`an integer balance for account ${account}`);
          initialBalances[account] = amount;
        }
      }
      const model = ledger({ repeatedIds: repeatedLedgerIds(paired), ...(initialBalances ? { initialBalances } : {}) });
      return { checker: "linearizable", ...checkLinearizable(model, paired, linearizableOptions) };
    }
    case "bank": {
      const accounts = isJsonObject(initial) ? initial.accounts : undefined;
      const total = isJsonObject(initial) ? initial.total : undefined;
      if (
        !Array.isArray(accounts) ||
        !accounts.every((account) => typeof account === "string" || typeof account === "number") ||
        typeof total !== "number"
      ) {
        throw initialError('bank options {"accounts": [0, 1, 2], "total": 100}');
      }
      const negative = isJsonObject(initial) ? (initial["negative-balances?"] ?? initial.negativeBalances) : undefined;
      return {
        checker: "bank",
        ops: paired.length,
        ...checkBank(ops, { accounts: accounts as (string | number)[], total, negativeBalances: negative === true }),
      };
    }
  }
}
