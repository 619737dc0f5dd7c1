// `ldc bench move` (issue 18): shard moves in the virtual runtime at the default load (2,000
// ops/s over six cells), all figures in SIMULATED time (deterministic for a seed):
//   - 20 moves of one shard each (shards 0..19, from their owner to a cell added for them):
//     the move's duration (expect sent -> cut over) and its fence window (fence sent -> import
//     committed: writes to the shard redirected and not yet servable), p50/p99/max;
//   - one move of a shard holding 10,000 accounts (opened in shard 50 before it moves).
// Targets: fence window p99 <= 50 ms, the 10,000-account move <= 2 s.
import { VirtualRuntime } from "../runtime/virtual/runtime.js";
import { elasticDriver } from "../runtime/virtual/elastic-stand-in.js";
import type { MoveRecord } from "../controller/elastic.js";
import { percentile } from "../harness/checkers/availability.js";

export interface MoveBenchOptions {
  readonly seed?: number;
  readonly moves?: number;
  readonly bigShardAccounts?: number;
  /** Share of cross-cell transfers in the workload (default: the world's, 0.2). */
  readonly crossCellRatio?: number;
  readonly progress?: (phase: string) => void;
}

function summary(values: readonly number[]): { p50: number | null; p99: number | null; max: number | null } {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted.length === 0 ? null : (sorted[sorted.length - 1] as number),
  };
}

export async function run(options: MoveBenchOptions = {}): Promise<object> {
  const seed = options.seed ?? 1;
  const movesCount = options.moves ?? 20;
  const bigAccounts = options.bigShardAccounts ?? 10_000;
  const wallStartMs = performance.now();
  const virtual = new VirtualRuntime({
    seed,
    ...(options.crossCellRatio !== undefined && { workload: { crossCellRatio: Number(options.crossCellRatio) } }),
  });
  virtual.settleLeaders(5_000_000);
  options.progress?.("opening accounts");
  virtual.startWorkload();
  virtual.runFor(2_000_000);
  const driver = elasticDriver(virtual);
  if (driver === null) throw new Error("the virtual runtime has no elastic port");
  let cell: string | null = null;
  driver.elastic.addCell({ reason: "bench", actor: "bench" }, (result) => {
    if (result.ok) cell = result.value.cell;
  });
  while (cell === null && virtual.nowUs() < 60_000_000) virtual.runFor(50_000);
  if (cell === null) throw new Error("the added cell never became routable");
  const target: string = cell;
  const moveOne = (shards: string, to: string): MoveRecord => {
    let done: MoveRecord | null = null;
    let refusal: string | null = null;
    driver.elastic.moveShards({ shards, to, reason: "bench", actor: "bench" }, (result) => {
      if (result.ok) done = result.value;
      else refusal = result.error;
    });
    const deadlineUs = virtual.nowUs() + 120_000_000;
    while (done === null && refusal === null && virtual.nowUs() < deadlineUs) virtual.runFor(1_000);
    if (done === null) throw new Error(`move ${shards} -> ${to}: ${refusal ?? "no answer"}`);
    return done;
  };
  const moves: MoveRecord[] = [];
  for (let shard = 0; shard < movesCount; shard++) {
    options.progress?.(`move ${shard + 1}/${movesCount}`);
    moves.push(moveOne(String(shard), target));
    virtual.runFor(200_000);
  }
  // A shard with many accounts: opened through a region client in batches of 500, then moved.
  options.progress?.(`opening ${bigAccounts} accounts in shard 50`);
  const owner = virtual.placement.cellOfShard(50);
  const client = virtual.clientReaching(owner);
  if (client === undefined) throw new Error(`no client reaches ${owner}`);
  let pending = 0;
  for (let first = 0; first < bigAccounts; first += 500) {
    const commands = Array.from({ length: Math.min(500, bigAccounts - first) }, (_, i) => ({
      type: "OpenAccount",
      account: `acct-50-${1_000_000 + first + i}`,
      initialBalance: 100,
    }));
    pending++;
    client.submit(owner, `bench-open-${first}`, "batch", { commands }, () => pending--);
  }
  while (pending > 0 && virtual.nowUs() < virtual.nowUs() + 60_000_000) virtual.runFor(10_000);
  options.progress?.("moving the big shard");
  const big = moveOne("50", target);
  virtual.drain(10_000_000);
  const durations = moves.map((move) => move.durationMs ?? 0);
  const windows = moves.map((move) => move.fenceWindowMs ?? 0);
  const carriedOutbox = moves.map((move) => move.outboxRecords ?? 0);
  return {
    seed,
    load: "default (2,000 ops/s over six cells, 4 accounts per shard)",
    crossCellRatio: options.crossCellRatio ?? "default",
    timeBase: "simulated ms",
    moves: moves.length,
    states: [...new Set(moves.map((move) => move.state))],
    moveDurationMs: summary(durations),
    fenceWindowMs: summary(windows),
    fenceWindowTargetMs: 50,
    // Open cross-cell outbox records of the moved shard's payers, carried by its fence.
    outboxRecordsCarried: { ...summary(carriedOutbox), total: carriedOutbox.reduce((a, b) => a + b, 0) },
    rolledBack: moves.filter((move) => move.state !== "cut-over").length,
    bigShard: {
      accounts: big.accounts,
      idempotencyEntries: big.idempotencyEntries,
      state: big.state,
      durationMs: big.durationMs,
      fenceWindowMs: big.fenceWindowMs,
      targetMs: 2_000,
    },
    invariantViolations: virtual.invariantViolations().length,
    wallMs: Math.round(performance.now() - wallStartMs),
  };
}
