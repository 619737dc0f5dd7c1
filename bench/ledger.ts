// Micro-benchmark of the ledger state machine: committed transfer entries applied per wall-clock
// second by one LedgerStateMachine (parse, idempotency check, decide, sha256 chain link, apply,
// conservation assertion). The simulation applies every transfer on five replicas, so the
// simulated cell throughput is bounded by appliesPerSecond / 5 per core.

import { LedgerStateMachine } from "../cells/ledger/state-machine.js";

export interface LedgerBenchOptions {
  readonly transfers: number;
  readonly accounts: number;
  /** Untimed applies first, so the JIT has settled before the timed run. */
  readonly warmupTransfers: number;
}

export interface LedgerBenchResult {
  readonly appliesPerSecond: number;
  readonly microsecondsPerApply: number;
  readonly transfers: number;
  readonly accounts: number;
  readonly method: string;
}

const defaults: LedgerBenchOptions = { transfers: 200_000, accounts: 1_000, warmupTransfers: 20_000 };

function transferEntries(firstIndex: number, count: number, accounts: number, idPrefix: string) {
  const entries = new Array<{ index: number; term: number; data: unknown }>(count);
  for (let i = 0; i < count; i++) {
    // A fixed stride over the accounts: varied pairs, never the same account, never overdrawn.
    const from = (i * 7919) % accounts;
    const to = (from + 1 + (i % (accounts - 1))) % accounts;
    entries[i] = {
      index: firstIndex + i,
      term: 1,
      data: { requestId: `${idPrefix}-${i}`, command: { type: "Transfer", id: `${idPrefix}-${i}`, from: `acct-${from}`, to: `acct-${to}`, amount: 1 + (i % 100) } },
    };
  }
  return entries;
}

export function run(options: Partial<LedgerBenchOptions> = {}): LedgerBenchResult {
  const { transfers, accounts, warmupTransfers } = { ...defaults, ...options };
  if (accounts < 2) throw new RangeError("accounts: expected at least 2");
  const machine = new LedgerStateMachine();
  let index = 1;
  for (let a = 0; a < accounts; a++) {
    machine.apply({ index: index++, term: 1, data: { requestId: `open-${a}`, command: { type: "OpenAccount", account: `acct-${a}`, initialBalance: 1_000_000_000 } } });
  }
  for (const entry of transferEntries(index, warmupTransfers, accounts, "warm")) machine.apply(entry);
  index += warmupTransfers;
  // Entries are built before timing: the replica receives them already decoded.
  const entries = transferEntries(index, transfers, accounts, "bench");
  const startedMs = performance.now();
  let posted = 0;
  for (const entry of entries) {
    if (machine.apply(entry).outcome === "posted") posted++;
  }
  const elapsedMs = performance.now() - startedMs;
  if (posted !== transfers) throw new Error(`bench: expected ${transfers} posted transfers, got ${posted}`);
  const verified = machine.ledger.verify();
  if (!verified.ok) throw new Error(`bench: ledger failed verification: ${verified.message}`);
  return {
    appliesPerSecond: Math.round((transfers / elapsedMs) * 1000),
    microsecondsPerApply: Number(((elapsedMs * 1000) / transfers).toFixed(3)),
    transfers,
    accounts,
    method: `one LedgerStateMachine, ${accounts} accounts, ${warmupTransfers} warm-up then ${transfers} timed Transfer entries applied in a loop (wall clock, performance.now)`,
  };
}
