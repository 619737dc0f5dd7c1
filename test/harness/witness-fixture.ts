// Hand-made and generated ledger histories WITH the cell's event log, for the witness checker.
import type { LedgerEventBody } from "../../cells/ledger/events.js";
import type { Op } from "../../harness/history.js";
import type { Json, JsonObject } from "../../ground/json.js";
import { createRandom } from "../../ground/random.js";

/** Appends ops in history order; index and time follow the order of the calls. */
export class HistoryBuilder {
  readonly ops: Op[] = [];

  invoke(process: number, f: string, value: Json): this {
    return this.push(process, "invoke", f, value);
  }

  complete(process: number, type: "ok" | "fail" | "info", f: string, value: Json): this {
    return this.push(process, type, f, value);
  }

  /** An op with nothing concurrent to it. */
  call(process: number, f: string, value: JsonObject, result: JsonObject): this {
    return this.invoke(process, f, value).complete(process, "ok", f, { ...value, ...result });
  }

  private push(process: number, type: Op["type"], f: string, value: Json): this {
    this.ops.push({ process, type, f, value, index: this.ops.length, time: this.ops.length });
    return this;
  }
}

export const opened = (account: string, initialBalance: number): LedgerEventBody => ({ type: "AccountOpened", account, initialBalance });
export const posted = (id: string, from: string, to: string, amount: number): LedgerEventBody => ({
  type: "TransferPosted",
  id,
  from,
  to,
  amount,
});
export const rejected = (id: string, from: string, to: string, amount: number): LedgerEventBody => ({
  type: "TransferRejected",
  id,
  from,
  to,
  amount,
  reason: "INSUFFICIENT_FUNDS",
});

export interface GeneratedWitnessCase {
  readonly history: Op[];
  readonly events: LedgerEventBody[];
}

interface Planned {
  process: number;
  f: "transfer" | "deposit" | "withdraw" | "read";
  value: JsonObject;
  invokeUs: number;
  effectUs: number;
  completeUs: number;
  ending: "ok" | "fail" | "info";
  applies: boolean;
  result: JsonObject | null;
}

/**
 * One cell, `clients` concurrent clients, each op taking effect at a random instant inside its
 * interval against a sequential ledger; the order of effects IS the event log.
 */
export function generateWitnessCase(seed: number, opsCount: number, clients: number, accounts = 8): GeneratedWitnessCase {
  const random = createRandom(seed);
  const history = new HistoryBuilder();
  const events: LedgerEventBody[] = [];
  const balances: Record<string, number> = {};
  const names = Array.from({ length: accounts }, (_, n) => `a${n}`);
  for (const account of names) {
    history.call(0, "open", { cell: "cell-1", account, initialBalance: 100 }, { outcome: "posted" });
    events.push(opened(account, 100));
    balances[account] = 100;
  }
  const planned: Planned[] = [];
  const freeUs = Array.from({ length: clients }, () => random.intBetween(0, 100));
  const processOf = Array.from({ length: clients }, (_, client) => client + 1);
  let nextProcess = clients + 1;
  for (let n = 0; n < opsCount; n++) {
    let client = 0;
    for (let c = 1; c < clients; c++) if ((freeUs[c] as number) < (freeUs[client] as number)) client = c;
    const invokeUs = freeUs[client] as number;
    const completeUs = invokeUs + random.intBetween(1, 500);
    const draw = random.nextFloat();
    const id = `t${n}`;
    const account = random.pick(names);
    let f: Planned["f"] = "transfer";
    let value: JsonObject;
    if (draw < 0.25) {
      f = "read";
      value = { cell: "cell-1" };
    } else if (draw < 0.35) {
      f = draw < 0.3 ? "deposit" : "withdraw";
      value = { id, account, amount: random.intBetween(1, 40), cell: "cell-1" };
    } else {
      const to = names[(names.indexOf(account) + random.intBetween(1, accounts - 1)) % accounts] as string;
      value = { id, from: account, to, amount: random.intBetween(1, 40), cell: "cell-1" };
    }
    const endDraw = random.nextFloat();
    const ending = endDraw < 0.02 ? "fail" : endDraw < 0.03 ? "info" : "ok";
    planned.push({
      process: processOf[client] as number,
      f,
      value,
      invokeUs,
      effectUs: random.intBetween(invokeUs, completeUs),
      completeUs,
      ending,
      applies: ending === "info" && random.chance(0.5),
      result: null,
    });
    freeUs[client] = completeUs + 1 + random.intBetween(0, 50);
    if (ending === "info") processOf[client] = nextProcess++;
  }
  const points: { key: number; seq: number; kind: 0 | 1 | 2; op: Planned }[] = [];
  planned.forEach((op, seq) => {
    points.push({ key: op.invokeUs * 4, seq, kind: 0, op });
    if (op.ending === "ok" || op.applies) points.push({ key: op.effectUs * 4 + 1, seq, kind: 1, op });
    points.push({ key: op.completeUs * 4 + 2, seq, kind: 2, op });
  });
  points.sort((a, b) => a.key - b.key || a.seq - b.seq);
  for (const { kind, op } of points) {
    if (kind === 0) history.invoke(op.process, op.f, op.value);
    else if (kind === 2) history.complete(op.process, op.ending, op.f, op.ending === "ok" ? op.result : op.value);
    else if (op.f === "read") op.result = { cell: "cell-1", balances: { ...balances } };
    else op.result = { ...op.value, outcome: apply(op.f, op.value, balances, events) };
  }
  return { history: history.ops, events };
}

function apply(
  f: "transfer" | "deposit" | "withdraw",
  value: JsonObject,
  balances: Record<string, number>,
  events: LedgerEventBody[],
): "posted" | "rejected" {
  const id = value.id as string;
  const amount = value.amount as number;
  if (f === "transfer") {
    const from = value.from as string;
    const to = value.to as string;
    if ((balances[from] as number) < amount) {
      events.push(rejected(id, from, to, amount));
      return "rejected";
    }
    balances[from] = (balances[from] as number) - amount;
    balances[to] = (balances[to] as number) + amount;
    events.push(posted(id, from, to, amount));
    return "posted";
  }
  const account = value.account as string;
  if (f === "deposit") {
    balances[account] = (balances[account] as number) + amount;
    events.push({ type: "Deposited", id, account, amount });
    return "posted";
  }
  if ((balances[account] as number) < amount) {
    events.push({ type: "WithdrawRejected", id, account, amount, reason: "INSUFFICIENT_FUNDS" });
    return "rejected";
  }
  balances[account] = (balances[account] as number) - amount;
  events.push({ type: "Withdrawn", id, account, amount });
  return "posted";
}
