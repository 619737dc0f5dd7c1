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

/** Default initial states: Knossos' registers start at 0 ({x:0,y:0} style maps start empty: nil). */
function defaultInitial(model: ModelName): Json {
  return model === "cas-register" ? 0 : null;
}

function initialError(expected: string): HistoryError {
  return new HistoryError("HISTORY_FORMAT", `--initial: expected ${expected}`);
}

export function checkHistory(ops: readonly Op[], options: CheckHistoryOptions): CheckVerdict {
  const initial = options.initial === undefined ? defaultInitial(options.model) : options.initial;
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
      if (!Array.isArray(accounts) || !accounts.every((account) => typeof account === "string" || typeof account === "number") || typeof total !== "number") {
        throw initialError('bank options {"accounts": [0, 1, 2], "total": 100}');
      }
      const negative = isJsonObject(initial) ? initial["negative-balances?"] ?? initial.negativeBalances : undefined;
      return { checker: "bank", ops: paired.length, ...checkBank(ops, { accounts: accounts as (string | number)[], total, negativeBalances: negative === true }) };
    }
  }
}
