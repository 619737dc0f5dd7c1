// Sequential specifications for the linearizability checker, with Knossos' semantics for the
// registers and the cell ledger's semantics for `ledger`. A model turns each paired op into an
// (input, output) once, up front, so malformed ops are rejected naming their index before the
// search starts; `output` is null when the op ended in info (it may or may not have happened).
import { HistoryError, type PairedOp } from "./history.js";
import { canonicalJson, isJsonObject, type Json, type JsonObject } from "../ground/json.js";

export interface Model<State, Input, Output> {
  readonly name: string;
  prepare(op: PairedOp): { input: Input; output: Output | null };
  /** The objects an op touches; ops are checked per connected group of objects (P-compositionality). */
  objects(op: PairedOp, input: Input): readonly string[];
  initialState(): State;
  /** The state after the op, or undefined when the op cannot take effect with that output. */
  step(state: State, input: Input, output: Output | null): State | undefined;
  /** True when the op only observes: it never changes the state (the search may place it early). */
  readOnly(input: Input): boolean;
  /** Equal states give equal keys: the memo key of the search. */
  stateKey(state: State): string;
}

function bad(op: PairedOp, detail: string): HistoryError {
  return new HistoryError(
    "HISTORY_FORMAT",
    `op ${op.completion?.index ?? op.invoke.index}: ${detail}`,
    op.completion?.index ?? op.invoke.index,
  );
}

function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return canonicalJson(a) === canonicalJson(b);
}

// ---------------------------------------------------------------- cas-register (Knossos)

export type CasInput = { f: "read" } | { f: "write"; value: Json } | { f: "cas"; expected: Json; next: Json };
/** For reads, the value read (null matches any state); for writes and cas, the fact they succeeded. */
export type CasOutput = { read: Json };

export function casRegister(initial: Json): Model<Json, CasInput, CasOutput> {
  return {
    name: "cas-register",
    prepare(op) {
      const output: CasOutput | null = op.type === "ok" ? { read: op.completion?.value ?? null } : null;
      switch (op.f) {
        case "read":
          return { input: { f: "read" }, output };
        case "write":
          return { input: { f: "write", value: op.invoke.value }, output };
        case "cas": {
          const value = op.invoke.value;
          if (!Array.isArray(value) || value.length !== 2) throw bad(op, "cas value must be [expected new]");
          return { input: { f: "cas", expected: value[0] as Json, next: value[1] as Json }, output };
        }
        default:
          throw bad(op, `cas-register has no operation "${op.f}" (expected read, write or cas)`);
      }
    },
    objects: () => ["register"],
    readOnly: (input) => input.f === "read",
    initialState: () => initial,
    step(state, input, output) {
      switch (input.f) {
        case "read":
          return output === null || output.read === null || jsonEqual(output.read, state) ? state : undefined;
        case "write":
          return input.value;
        case "cas":
          if (jsonEqual(state, input.expected)) return input.next;
          // An info cas may have run and failed: no effect. An ok cas must have matched.
          return output === null ? state : undefined;
      }
    },
    stateKey: (state) => canonicalJson(state),
  };
}

// ---------------------------------------------------------------- multi-register (Knossos)

export interface MicroOp {
  f: "read" | "write";
  key: string;
  value: Json;
}
type RegisterMap = Readonly<Record<string, Json>>;

function parseTxn(op: PairedOp, value: Json, where: string): MicroOp[] {
  if (!Array.isArray(value)) throw bad(op, `${where}: txn value must be a vector of [f key value]`);
  return value.map((micro, position) => {
    if (!Array.isArray(micro) || micro.length !== 3 || (micro[0] !== "read" && micro[0] !== "write")) {
      throw bad(op, `${where}: micro-op ${position} must be [:read key value] or [:write key value]`);
    }
    return { f: micro[0], key: String(micro[1]), value: micro[2] as Json };
  });
}

export function multiRegister(initial: Json): Model<RegisterMap, MicroOp[], MicroOp[]> {
  const initialState: Record<string, Json> = {};
  if (initial !== null) {
    if (!isJsonObject(initial))
      throw new HistoryError("HISTORY_FORMAT", 'initial: multi-register expects a map of key to value, e.g. {"x":0,"y":0}');
    for (const [key, value] of Object.entries(initial)) initialState[key] = value;
  }
  return {
    name: "multi-register",
    prepare(op) {
      if (op.f !== "txn") throw bad(op, `multi-register has no operation "${op.f}" (expected txn)`);
      const input = parseTxn(op, op.invoke.value, "invoke");
      if (op.type !== "ok") return { input, output: null };
      const output = parseTxn(op, op.completion?.value ?? null, "completion");
      if (output.length !== input.length) throw bad(op, "completion txn has a different length from its invoke");
      return { input, output };
    },
    objects: (_op, input) => input.map((micro) => micro.key),
    readOnly: (input) => input.every((micro) => micro.f === "read"),
    initialState: () => initialState,
    step(state, input, output) {
      let next: Record<string, Json> | null = null;
      for (let i = 0; i < input.length; i++) {
        const micro = input[i] as MicroOp;
        const current = next ?? state;
        if (micro.f === "read") {
          const seen = output === null ? null : (output[i] as MicroOp).value;
          if (seen !== null && !jsonEqual(seen, current[micro.key] ?? null)) return undefined;
        } else {
          next ??= { ...state };
          next[micro.key] = micro.value;
        }
      }
      return next ?? state;
    },
    stateKey: (state) => canonicalJson(state as JsonObject),
  };
}

// ---------------------------------------------------------------- ledger (one cell = one object)

export type LedgerOutcome = "posted" | "rejected";
export type LedgerInput =
  | { f: "transfer"; id: string; from: string; to: string; amount: number }
  | { f: "deposit" | "withdraw"; id: string; account: string; amount: number }
  | { f: "open"; account: string; initialBalance: number }
  | { f: "read" };
export type LedgerOutput = { outcome: LedgerOutcome } | { balances: Readonly<Record<string, number>> };

export interface LedgerState {
  /** Open accounts and their balances, in minor units. */
  readonly balances: Readonly<Record<string, number>>;
  /** Outcomes of commands whose id occurs more than once in the history (retries): idempotency. */
  readonly outcomes: Readonly<Record<string, LedgerOutcome>>;
}

const LEDGER_FUNCTIONS = "transfer, deposit, withdraw, open or read";

/** The cell an op belongs to (`value.cell` on the invoke or the completion); "" when not given. */
export function opCell(op: PairedOp): string {
  // The completion's cell first: a command that followed its moved shard was applied by the cell that answered.
  for (const value of [op.completion?.value ?? null, op.invoke.value]) {
    if (isJsonObject(value) && value.cell !== undefined && value.cell !== null) return String(value.cell);
  }
  return "";
}

function field(op: PairedOp, value: JsonObject, name: string, kind: "id" | "amount"): string | number {
  const got = value[name];
  if (kind === "amount") {
    if (typeof got !== "number" || !Number.isSafeInteger(got))
      throw bad(op, `${op.f} value.${name} must be an integer amount in minor units`);
    return got;
  }
  if (typeof got !== "string" && typeof got !== "number") throw bad(op, `${op.f} value.${name} must be a string or integer`);
  return String(got);
}

function parseLedgerInput(op: PairedOp): LedgerInput {
  if (op.f === "read") return { f: "read" };
  const value = op.invoke.value;
  if (!isJsonObject(value)) throw bad(op, `${op.f} invoke value must be a map`);
  switch (op.f) {
    case "transfer":
      return {
        f: "transfer",
        id: field(op, value, "id", "id") as string,
        from: field(op, value, "from", "id") as string,
        to: field(op, value, "to", "id") as string,
        amount: field(op, value, "amount", "amount") as number,
      };
    case "deposit":
    case "withdraw":
      return {
        f: op.f,
        id: field(op, value, "id", "id") as string,
        account: field(op, value, "account", "id") as string,
        amount: field(op, value, "amount", "amount") as number,
      };
    case "open":
      return {
        f: "open",
        account: field(op, value, "account", "id") as string,
        initialBalance: field(op, value, "initialBalance", "amount") as number,
      };
    default:
      throw bad(op, `ledger has no operation "${op.f}" (expected ${LEDGER_FUNCTIONS})`);
  }
}

function parseLedgerOutput(op: PairedOp, input: LedgerInput): LedgerOutput | null {
  if (op.type !== "ok") return null;
  const value = op.completion?.value ?? null;
  if (input.f === "read") {
    const balances = isJsonObject(value) ? value.balances : undefined;
    if (!isJsonObject(balances)) throw bad(op, "read completion value must be {balances: {account: amount}}");
    const parsed: Record<string, number> = {};
    for (const [account, amount] of Object.entries(balances)) {
      if (typeof amount !== "number" || !Number.isSafeInteger(amount))
        throw bad(op, `read balance of ${account} must be an integer amount`);
      parsed[account] = amount;
    }
    return { balances: parsed };
  }
  // An open completion may omit the outcome: opening is then taken as done.
  if (input.f === "open" && !(isJsonObject(value) && value.outcome !== undefined)) return { outcome: "posted" };
  const outcome = isJsonObject(value) ? value.outcome : undefined;
  if (outcome !== "posted" && outcome !== "rejected") throw bad(op, `${op.f} completion value must carry outcome "posted" or "rejected"`);
  return { outcome };
}

function balancesEqual(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  const keysA = Object.keys(a);
  if (keysA.length !== Object.keys(b).length) return false;
  for (const key of keysA) if (a[key] !== b[key]) return false;
  return true;
}

/** What the ledger does with a command: the outcome and the balances after it. */
function applyLedger(
  state: LedgerState,
  input: Exclude<LedgerInput, { f: "read" }>,
): { outcome: LedgerOutcome; balances: Readonly<Record<string, number>> } {
  const balances = state.balances;
  const rejected = { outcome: "rejected" as const, balances };
  switch (input.f) {
    case "open":
      if (balances[input.account] !== undefined || input.initialBalance < 0) return rejected;
      return { outcome: "posted", balances: { ...balances, [input.account]: input.initialBalance } };
    case "deposit": {
      const current = balances[input.account];
      if (current === undefined || input.amount <= 0) return rejected;
      return { outcome: "posted", balances: { ...balances, [input.account]: current + input.amount } };
    }
    case "withdraw": {
      const current = balances[input.account];
      if (current === undefined || input.amount <= 0 || current < input.amount) return rejected;
      return { outcome: "posted", balances: { ...balances, [input.account]: current - input.amount } };
    }
    case "transfer": {
      const from = balances[input.from];
      const to = balances[input.to];
      if (from === undefined || to === undefined || input.from === input.to || input.amount <= 0 || from < input.amount) return rejected;
      return { outcome: "posted", balances: { ...balances, [input.from]: from - input.amount, [input.to]: to + input.amount } };
    }
  }
}

export interface LedgerModelOptions {
  /** Balances every cell starts with (accounts already open); default none. */
  initialBalances?: Readonly<Record<string, number>>;
  /** Command ids that occur more than once in the history: only these need the idempotency table. */
  repeatedIds?: ReadonlySet<string>;
}

export function ledger(options: LedgerModelOptions = {}): Model<LedgerState, LedgerInput, LedgerOutput> {
  const initial: LedgerState = { balances: options.initialBalances ?? {}, outcomes: {} };
  const repeatedIds = options.repeatedIds ?? new Set<string>();
  return {
    name: "ledger",
    prepare(op) {
      const input = parseLedgerInput(op);
      return { input, output: parseLedgerOutput(op, input) };
    },
    objects: (op) => [opCell(op)],
    readOnly: (input) => input.f === "read",
    initialState: () => initial,
    step(state, input, output) {
      if (input.f === "read") {
        if (output === null) return state;
        return "balances" in output && balancesEqual(output.balances, state.balances) ? state : undefined;
      }
      const id = input.f === "open" ? undefined : input.id;
      const tracked = id !== undefined && repeatedIds.has(id);
      const earlier = tracked ? state.outcomes[id] : undefined;
      if (earlier !== undefined) {
        // A retried command returns the first outcome and changes nothing (idempotency table).
        return output === null || ("outcome" in output && output.outcome === earlier) ? state : undefined;
      }
      const result = applyLedger(state, input);
      if (output !== null && !("outcome" in output && output.outcome === result.outcome)) return undefined;
      const outcomes = tracked ? { ...state.outcomes, [id]: result.outcome } : state.outcomes;
      return { balances: result.balances, outcomes };
    },
    stateKey(state) {
      const accounts = Object.keys(state.balances).sort();
      let key = "";
      for (const account of accounts) key += `${account}=${state.balances[account]};`;
      const ids = Object.keys(state.outcomes);
      if (ids.length > 0)
        key += `|${ids
          .sort()
          .map((id) => `${id}:${state.outcomes[id]}`)
          .join(",")}`;
      return key;
    },
  };
}

/** Ids of ledger commands that occur in more than one invoke. */
export function repeatedLedgerIds(paired: readonly PairedOp[]): Set<string> {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const op of paired) {
    const value = op.invoke.value;
    if (!isJsonObject(value) || value.id === undefined || value.id === null) continue;
    const id = String(value.id);
    if (seen.has(id)) repeated.add(id);
    seen.add(id);
  }
  return repeated;
}
