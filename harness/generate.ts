// Realistic, valid ledger histories for tests and benchmarks: `clients` concurrent clients
// run ops of random duration against a sequential ledger per cell; each op takes effect at a
// random instant inside its [invoke, complete] interval, so the history is linearizable by
// construction. Some ops fail (no effect) and some end in info (effect or not, by coin flip;
// the client then continues under a fresh process id and sometimes retries the same command).
// `corruptLedgerHistory` derives an invalid twin.
import { createRandom, type Random } from "../ground/random.js";
import type { Op } from "./history.js";
import { isJsonObject, type Json, type JsonObject } from "../ground/json.js";

export interface LedgerHistoryOptions {
  seed: number;
  /** Invocations, including the initial account openings. */
  ops: number;
  clients: number;
  cells?: number;
  accountsPerCell?: number;
  initialBalance?: number;
  transferAmountMax?: number;
  opDurationUsMax?: number;
  thinkUsMax?: number;
  failProbability?: number;
  infoProbability?: number;
}

export const GENERATED_OPS_MAX = 5_000_000;

type Command =
  | { f: "transfer"; id: string; cell: string; from: string; to: string; amount: number }
  | { f: "deposit" | "withdraw"; id: string; cell: string; account: string; amount: number }
  | { f: "read"; cell: string };

interface Planned {
  process: number;
  command: Command;
  invokeUs: number;
  effectUs: number;
  completeUs: number;
  ending: "ok" | "fail" | "info";
  /** For info: whether it took effect. */
  applies: boolean;
  result: JsonObject | null;
}

function accountName(cell: number, account: number): string {
  return `c${cell}a${account}`;
}

function applyCommand(balances: Record<string, number>, command: Exclude<Command, { f: "read" }>): "posted" | "rejected" {
  switch (command.f) {
    case "transfer": {
      const from = balances[command.from] as number;
      if (from < command.amount) return "rejected";
      balances[command.from] = from - command.amount;
      balances[command.to] = (balances[command.to] as number) + command.amount;
      return "posted";
    }
    case "deposit":
      balances[command.account] = (balances[command.account] as number) + command.amount;
      return "posted";
    case "withdraw": {
      const current = balances[command.account] as number;
      if (current < command.amount) return "rejected";
      balances[command.account] = current - command.amount;
      return "posted";
    }
  }
}

export function generateLedgerHistory(options: LedgerHistoryOptions): Op[] {
  const cells = options.cells ?? 1;
  const accountsPerCell = options.accountsPerCell ?? 8;
  const initialBalance = options.initialBalance ?? 100;
  const amountMax = options.transferAmountMax ?? 40;
  const durationUsMax = options.opDurationUsMax ?? 5_000;
  const thinkUsMax = options.thinkUsMax ?? 1_000;
  const failProbability = options.failProbability ?? 0.02;
  const infoProbability = options.infoProbability ?? 0.005;
  if (!Number.isInteger(options.ops) || options.ops < 0 || options.ops > GENERATED_OPS_MAX)
    throw new RangeError(`ops: expected an integer in [0, ${GENERATED_OPS_MAX}]`);
  if (!Number.isInteger(options.clients) || options.clients < 1) throw new RangeError("clients: expected a positive integer");
  if (accountsPerCell < 2) throw new RangeError("accountsPerCell: expected at least 2");
  const random = createRandom(options.seed);
  const workload = random.fork("workload");
  const timing = random.fork("timing");

  // Openings come first, one at a time, so every account exists before any concurrency.
  const history: Op[] = [];
  let timeUs = 0;
  const balances: Record<string, number>[] = [];
  for (let cell = 0; cell < cells; cell++) {
    balances.push({});
    for (let account = 0; account < accountsPerCell; account++) {
      if (history.length / 2 >= options.ops) break;
      const value: JsonObject = { cell: `cell-${cell + 1}`, account: accountName(cell, account), initialBalance };
      history.push({ process: 0, type: "invoke", f: "open", value, time: timeUs++, index: history.length });
      history.push({ process: 0, type: "ok", f: "open", value: { ...value, outcome: "posted" }, time: timeUs++, index: history.length });
      (balances[cell] as Record<string, number>)[accountName(cell, account)] = initialBalance;
    }
  }
  const planned = planOps(
    options.ops - history.length / 2,
    options.clients,
    cells,
    accountsPerCell,
    amountMax,
    timeUs,
    { durationUsMax, thinkUsMax, failProbability, infoProbability },
    workload,
    timing,
  );

  // Take effect in effect-time order; invoke < effect < complete at equal µs (see sortKey).
  const events: { key: number; seq: number; kind: 0 | 1 | 2; op: Planned }[] = [];
  planned.forEach((op, seq) => {
    events.push({ key: op.invokeUs * 4 + 0, seq, kind: 0, op });
    if (op.ending === "ok" || op.applies) events.push({ key: op.effectUs * 4 + 1, seq, kind: 1, op });
    events.push({ key: op.completeUs * 4 + 2, seq, kind: 2, op });
  });
  events.sort((a, b) => a.key - b.key || a.seq - b.seq);
  // The cells' idempotency table: a retried command returns its first outcome, changes nothing.
  const outcomes = new Map<string, "posted" | "rejected">();
  for (const event of events) {
    const { op } = event;
    const cellIndex = Number(op.command.cell.slice(5)) - 1;
    const cellBalances = balances[cellIndex] as Record<string, number>;
    if (event.kind === 1) {
      if (op.command.f === "read") op.result = { cell: op.command.cell, balances: { ...cellBalances } };
      else {
        const outcome = outcomes.get(op.command.id) ?? applyCommand(cellBalances, op.command);
        outcomes.set(op.command.id, outcome);
        op.result = { id: op.command.id, cell: op.command.cell, outcome };
      }
      continue;
    }
    const type = event.kind === 0 ? "invoke" : op.ending;
    let value: Json = { ...op.command } as JsonObject;
    if (op.command.f === "read") value = { cell: op.command.cell };
    if (event.kind === 2 && op.ending === "ok") value = op.result;
    const { f } = op.command;
    history.push({ process: op.process, type, f, value, time: event.kind === 0 ? op.invokeUs : op.completeUs, index: history.length });
  }
  return history;
}

function planOps(
  count: number,
  clients: number,
  cells: number,
  accountsPerCell: number,
  amountMax: number,
  startUs: number,
  timing: { durationUsMax: number; thinkUsMax: number; failProbability: number; infoProbability: number },
  workload: Random,
  clock: Random,
): Planned[] {
  const planned: Planned[] = [];
  const nextFreeUs = Array.from({ length: clients }, () => startUs + clock.intBetween(0, timing.thinkUsMax));
  const processOf = Array.from({ length: clients }, (_, client) => client + 1);
  const retryOf: (Command | null)[] = Array.from({ length: clients }, () => null);
  let nextProcess = clients + 1;
  let commandCounter = 0;
  for (let n = 0; n < count; n++) {
    // The client that is free earliest goes next (ties: lowest client number).
    let client = 0;
    for (let c = 1; c < clients; c++) if ((nextFreeUs[c] as number) < (nextFreeUs[client] as number)) client = c;
    const invokeUs = nextFreeUs[client] as number;
    const durationUs = clock.intBetween(1, timing.durationUsMax);
    const completeUs = invokeUs + durationUs;
    const command = retryOf[client] ?? nextCommand(workload, cells, accountsPerCell, amountMax, () => `t${++commandCounter}`);
    retryOf[client] = null;
    const draw = clock.nextFloat();
    const ending = draw < timing.failProbability ? "fail" : draw < timing.failProbability + timing.infoProbability ? "info" : "ok";
    planned.push({
      process: processOf[client] as number,
      command,
      invokeUs,
      effectUs: clock.intBetween(invokeUs, completeUs),
      completeUs,
      ending,
      applies: ending === "info" && clock.chance(0.5),
      result: null,
    });
    nextFreeUs[client] = completeUs + 1 + clock.intBetween(0, timing.thinkUsMax);
    if (ending === "info") {
      processOf[client] = nextProcess++;
      if (command.f !== "read" && clock.chance(0.5)) retryOf[client] = command;
    }
  }
  return planned;
}

function nextCommand(random: Random, cells: number, accountsPerCell: number, amountMax: number, nextId: () => string): Command {
  const cellIndex = random.intBetween(0, cells - 1);
  const cell = `cell-${cellIndex + 1}`;
  const draw = random.nextFloat();
  const account = (): string => accountName(cellIndex, random.intBetween(0, accountsPerCell - 1));
  if (draw < 0.25) return { f: "read", cell };
  if (draw < 0.32) return { f: "deposit", id: nextId(), cell, account: account(), amount: random.intBetween(1, amountMax) };
  if (draw < 0.4) return { f: "withdraw", id: nextId(), cell, account: account(), amount: random.intBetween(1, amountMax) };
  const from = random.intBetween(0, accountsPerCell - 1);
  const to = (from + random.intBetween(1, accountsPerCell - 1)) % accountsPerCell;
  return {
    f: "transfer",
    id: nextId(),
    cell,
    from: accountName(cellIndex, from),
    to: accountName(cellIndex, to),
    amount: random.intBetween(1, amountMax),
  };
}

export type Corruption = "wrong-balance" | "stale-read" | "flip-outcome";

/**
 * An invalid twin: `wrong-balance` adds 1 to one balance of an ok read (money from nowhere);
 * `stale-read` makes an ok read return the balances of an earlier read of its cell that
 * completed before some posted transfer was even invoked; `flip-outcome` reports a posted
 * transfer as rejected. Returns null when the history has no op to corrupt that way.
 */
export function corruptLedgerHistory(
  history: readonly Op[],
  corruption: Corruption,
  seed: number,
): { history: Op[]; index: number } | null {
  const random = createRandom(seed).fork(corruption);
  const copy = history.map((op) => ({ ...op }));
  const okReads = copy.filter((op) => op.type === "ok" && op.f === "read" && isJsonObject(op.value));
  const balancesOf = (op: Op): Record<string, number> => (op.value as { balances: Record<string, number> }).balances;
  switch (corruption) {
    case "wrong-balance": {
      if (okReads.length === 0) return null;
      const target = random.pick(okReads);
      const balances = { ...balancesOf(target) };
      const account = random.pick(Object.keys(balances).sort());
      balances[account] = (balances[account] as number) + 1;
      target.value = { ...(target.value as JsonObject), balances };
      return { history: copy, index: target.index };
    }
    case "stale-read": {
      // A later read of the same cell, separated from an earlier one by a whole posted transfer.
      for (const target of random.shuffle(okReads)) {
        const cell = (target.value as JsonObject).cell;
        const invokeOf = invokeIndexOf(copy, target);
        const earlier = okReads.find(
          (read) =>
            read.index < invokeOf &&
            (read.value as JsonObject).cell === cell &&
            hasPostedTransferBetween(copy, read.index, invokeOf, cell as Json) &&
            JSON.stringify(balancesOf(read)) !== JSON.stringify(balancesOf(target)),
        );
        if (earlier) {
          target.value = { ...(target.value as JsonObject), balances: { ...balancesOf(earlier) } };
          return { history: copy, index: target.index };
        }
      }
      return null;
    }
    case "flip-outcome": {
      const posted = copy.filter(
        (op) => op.type === "ok" && op.f === "transfer" && isJsonObject(op.value) && op.value.outcome === "posted",
      );
      if (posted.length === 0) return null;
      const target = random.pick(posted);
      target.value = { ...(target.value as JsonObject), outcome: "rejected" };
      return { history: copy, index: target.index };
    }
  }
}

function invokeIndexOf(history: readonly Op[], completion: Op): number {
  for (let i = completion.index - 1; i >= 0; i--) {
    const op = history[i] as Op;
    if (op.process === completion.process && op.type === "invoke") return op.index;
  }
  return completion.index;
}

/** A transfer of `cell` posted whose invoke and completion both lie strictly between the indexes. */
function hasPostedTransferBetween(history: readonly Op[], afterIndex: number, beforeIndex: number, cell: Json): boolean {
  for (let i = afterIndex + 1; i < beforeIndex; i++) {
    const op = history[i] as Op;
    if (op.type !== "ok" || op.f !== "transfer" || !isJsonObject(op.value) || op.value.cell !== cell || op.value.outcome !== "posted")
      continue;
    if (invokeIndexOf(history, op) > afterIndex) return true;
  }
  return false;
}
