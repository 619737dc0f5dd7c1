// Micro-benchmark of the ledger state machine: committed transfers applied per wall-clock second
// by one LedgerStateMachine, one batch per Raft entry, at batch sizes 1, 8, 64 and 512. Each apply
// decodes the batch's bytes (fresh bytes per entry: a live replica decodes every entry once; the
// simulator's five replicas share one decode), then per transfer: idempotency check, decide,
// apply, outcome; per batch: one sha256 chain link and one conservation check. The simulation
// applies every transfer on five replicas, so the simulated cell throughput is bounded by
// transfersPerSecond / 5 per core.

import { decodeBatchCached, encodeBatch } from "../cells/ledger/codec.js";
import type { BatchCommand } from "../cells/ledger/commands.js";
import type { LedgerBatchOutcome } from "../cells/ledger/outcome.js";
import { LedgerStateMachine } from "../cells/ledger/state-machine.js";

export interface LedgerBenchOptions {
  readonly transfers: number;
  readonly accounts: number;
  /** Untimed applies first, so the JIT has settled before the timed run. */
  readonly warmupTransfers: number;
  readonly batchSizes: readonly number[];
}

export interface LedgerBatchFigure {
  readonly batchSize: number;
  readonly transfersPerSecond: number;
  /** Decoding each entry's bytes included (a live replica's cost). */
  readonly microsecondsPerTransfer: number;
  readonly microsecondsPerBatch: number;
  /**
   * The entries decoded before timing (the simulator's case: a cell's five replicas share one
   * decode), comparable with the figure before batches, whose entries were decoded objects.
   */
  readonly microsecondsPerTransferPredecoded: number;
}

export interface LedgerBenchResult {
  /** At batch size 1 (one transfer per Raft entry, as before batches). */
  readonly appliesPerSecond: number;
  readonly microsecondsPerApply: number;
  readonly batches: readonly LedgerBatchFigure[];
  readonly transfers: number;
  readonly accounts: number;
  readonly method: string;
}

const defaults: LedgerBenchOptions = { transfers: 200_000, accounts: 1_000, warmupTransfers: 20_000, batchSizes: [1, 8, 64, 512] };

function transferEntries(firstIndex: number, count: number, batchSize: number, accounts: number, idPrefix: string) {
  const entries: { index: number; term: number; data: Uint8Array }[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const commands: BatchCommand[] = [];
    for (let i = start; i < Math.min(count, start + batchSize); i++) {
      // A fixed stride over the accounts: varied pairs, never the same account, never overdrawn.
      const from = (i * 7919) % accounts;
      const to = (from + 1 + (i % (accounts - 1))) % accounts;
      commands.push({ type: "Transfer", id: `${idPrefix}-${i}`, from: `acct-${from}`, to: `acct-${to}`, amount: 1 + (i % 100) });
    }
    entries.push({
      index: firstIndex + entries.length,
      term: 1,
      data: encodeBatch({ requestId: `${idPrefix}-b${start}`, linked: false, commands }),
    });
  }
  return entries;
}

function measure(batchSize: number, options: LedgerBenchOptions): LedgerBatchFigure {
  const fresh = timeApplies(batchSize, options, false);
  const predecoded = timeApplies(batchSize, options, true);
  return { ...fresh, microsecondsPerTransferPredecoded: predecoded.microsecondsPerTransfer };
}

function timeApplies(
  batchSize: number,
  options: LedgerBenchOptions,
  predecode: boolean,
): Omit<LedgerBatchFigure, "microsecondsPerTransferPredecoded"> {
  const { transfers, accounts, warmupTransfers } = options;
  const machine = new LedgerStateMachine();
  const opens: BatchCommand[] = Array.from({ length: accounts }, (_, a) => ({
    type: "OpenAccount",
    account: `acct-${a}`,
    initialBalance: 1_000_000_000,
  }));
  machine.apply({ index: 1, term: 1, data: encodeBatch({ requestId: "open", linked: false, commands: opens }) });
  let index = 2;
  for (const entry of transferEntries(index, warmupTransfers, batchSize, accounts, `warm${batchSize}`)) {
    machine.apply(entry);
    index = entry.index + 1;
  }
  // Entries are encoded before timing: the replica receives bytes.
  const entries = transferEntries(index, transfers, batchSize, accounts, `bench${batchSize}`);
  if (predecode) for (const entry of entries) decodeBatchCached(entry.data);
  const startedMs = performance.now();
  let posted = 0;
  for (const entry of entries) {
    const result = machine.apply(entry) as LedgerBatchOutcome;
    for (const outcome of result.outcomes) if (outcome.outcome === "posted") posted++;
  }
  const elapsedMs = performance.now() - startedMs;
  if (posted !== transfers) throw new Error(`bench: expected ${transfers} posted transfers, got ${posted}`);
  const verified = machine.ledger.verify();
  if (!verified.ok) throw new Error(`bench: ledger failed verification: ${verified.message}`);
  return {
    batchSize,
    transfersPerSecond: Math.round((transfers / elapsedMs) * 1000),
    microsecondsPerTransfer: Number(((elapsedMs * 1000) / transfers).toFixed(3)),
    microsecondsPerBatch: Number(((elapsedMs * 1000) / entries.length).toFixed(3)),
  };
}

export function run(options: Partial<LedgerBenchOptions> = {}): LedgerBenchResult {
  const resolved = { ...defaults, ...options };
  if (resolved.accounts < 2) throw new RangeError("accounts: expected at least 2");
  const batches = resolved.batchSizes.map((size) => measure(size, resolved));
  const single = batches.find((figure) => figure.batchSize === 1) ?? measure(1, resolved);
  return {
    appliesPerSecond: single.transfersPerSecond,
    microsecondsPerApply: single.microsecondsPerTransfer,
    batches,
    transfers: resolved.transfers,
    accounts: resolved.accounts,
    method: `one LedgerStateMachine per batch size, ${resolved.accounts} accounts, ${resolved.warmupTransfers} warm-up then ${resolved.transfers} timed transfers in entries of batchSize binary-encoded transfers, each entry's bytes decoded by the apply; microsecondsPerTransferPredecoded: the same with every entry decoded before timing (a fresh ledger per figure; wall clock, performance.now)`,
  };
}
