// `ldc bench sim`: (1) a pure scheduler micro-benchmark, the classic "hold" model: a constant
// population of pending events, each delivered event schedules one more at a pseudo-random
// delay; (2) the simulated-to-wall time ratio of the default ping world.
import { run as runLedgerBench } from "./ledger.js";
import { createRandom } from "../ground/random.js";
import { Scheduler } from "../sim/kernel/scheduler.js";
import { defaultWorldConfig } from "../domain/config.js";
import { buildPingWorld } from "../sim/world/ping.js";
import { VirtualRuntime } from "../runtime/virtual/runtime.js";

export interface SimBenchOptions {
  /** Events per scheduler measurement; the default takes ~1 s on the reference machine. */
  schedulerEvents?: number;
  pendingEvents?: number;
  pingSimulatedUs?: number;
  repetitions?: number;
  cellsSimulatedUs?: number;
  saturatedOpsPerSecond?: number;
  saturatedSimulatedUs?: number;
  /** Runs of each cells measurement; the median by wall time is reported. */
  cellsRepetitions?: number;
  /** Applies per run of the ledger floor measurement. */
  floorTransfers?: number;
  /** Called as each measurement starts ("step i/n: what"): `ldc bench` shows it on a terminal. */
  progress?: (phase: string) => void;
}

export interface SimBenchResult {
  schedulerEventsPerSecond: number;
  schedulerEventsPerSecondRuns: number[];
  /** Simulated / wall time of the default cells world at its default load (2,000 ops/s). */
  simToWallRatio: number;
  /** Committed (acknowledged) transfers per wall-clock second, each applied on five replicas. */
  committedTransfersPerWallSecond: number;
  cellsWorld: { defaultLoad: CellsMedian; saturated: CellsMedian };
  /**
   * What the five ledger applies alone cost, measured in this run: every committed transfer is
   * applied on five replicas, so 5 x ledgerApplyUs is a floor on the wall time per transfer that
   * no Raft, disk, network or client work can go below.
   */
  floors: ApplyFloors;
  pingSimToWallRatio: number;
  pingWorld: { simulatedMs: number; wallMs: number; events: number; eventsPerSecond: number; hosts: number };
  method: string;
  machine: { node: string; platform: string; cpus: number; cpuModel: string; loadAverage1m: number };
}

interface CellsMeasurement {
  opsPerSecondOffered: number;
  /** Commands per batch the region clients sent in the timed window (coalescing, cells/cell/client.ts). */
  meanBatchSize: number;
  /** Invoke to acknowledgement of the transfers invoked in the timed window, simulated ms. */
  transferLatencyMs: { p50: number; p99: number };
  simulatedMs: number;
  wallMs: number;
  events: number;
  committedTransfers: number;
  committedTransfersPerWallSecond: number;
  simToWallRatio: number;
}

/** Every committed transfer is applied by each of a cell's five replicas. */
const APPLIES_PER_TRANSFER = 5;

export interface ApplyFloors {
  /** One LedgerStateMachine apply of a one-transfer batch entry (median of 3 runs of bench/ledger.ts). */
  ledgerApplyUs: number;
  /** Apply cost per transfer at each batch size (bench/ledger.ts, the run whose batch-1 figure is the median). */
  ledgerApplyUsPerTransferByBatchSize: Record<string, number>;
  accounts: number;
  appliesPerTransfer: typeof APPLIES_PER_TRANSFER;
  /** 1e6 / (5 x ledgerApplyUs): committedTransfersPerWallSecond if nothing but the applies cost anything. */
  committedTransfersPerWallSecondCeiling: number;
  /** Share of the default-load run's wall time the applies of its committed transfers take. */
  defaultLoadApplyShare: number;
  /** simToWallRatio if the default load cost only its transfers' applies. */
  simToWallRatioCeiling: number;
}

/** The five-applies floor, with the same accounts per cell as the default world. */
function applyFloors(defaultLoad: CellsMeasurement, transfers: number): ApplyFloors {
  const config = defaultWorldConfig();
  const accounts = Math.max(2, Math.round((config.cells.shards * config.workload.accountsPerShard) / config.cells.count));
  const runs = [0, 1, 2]
    .map(() => runLedgerBench({ accounts, transfers, warmupTransfers: Math.min(20_000, transfers) }))
    .sort((a, b) => a.microsecondsPerApply - b.microsecondsPerApply);
  const median = runs[1] as (typeof runs)[number];
  const ledgerApplyUs = median.microsecondsPerApply;
  const applyMs = (defaultLoad.committedTransfers * APPLIES_PER_TRANSFER * ledgerApplyUs) / 1000;
  return {
    ledgerApplyUs,
    ledgerApplyUsPerTransferByBatchSize: Object.fromEntries(
      median.batches.map((figure) => [String(figure.batchSize), figure.microsecondsPerTransfer]),
    ),
    accounts,
    appliesPerTransfer: APPLIES_PER_TRANSFER,
    committedTransfersPerWallSecondCeiling: Math.round(1_000_000 / (APPLIES_PER_TRANSFER * ledgerApplyUs)),
    defaultLoadApplyShare: Math.round((applyMs / defaultLoad.wallMs) * 1000) / 1000,
    simToWallRatioCeiling: Math.round((defaultLoad.simulatedMs / applyMs) * 10) / 10,
  };
}

/** The default world after warm-up (leaders settled, accounts open), timed over `simulatedUs`. */
function measureCells(opsPerSecond: number, simulatedUs: number): CellsMeasurement {
  const config = defaultWorldConfig();
  config.workload.opsPerSecond = opsPerSecond;
  const virtual = new VirtualRuntime({ seed: 1, config });
  virtual.settleLeaders(3_000_000);
  virtual.startWorkload();
  virtual.runFor(1_000_000);
  const committedBefore = committedTransfers(virtual);
  const eventsBefore = virtual.world.scheduler.eventsDelivered;
  const batchesBefore = virtual.clientBatches();
  const timedFromUs = virtual.nowUs();
  const startedMs = performance.now();
  virtual.runFor(simulatedUs);
  const wallMs = performance.now() - startedMs;
  const committed = committedTransfers(virtual) - committedBefore;
  const batchesAfter = virtual.clientBatches();
  const batches = batchesAfter.batches - batchesBefore.batches;
  return {
    opsPerSecondOffered: opsPerSecond,
    meanBatchSize: batches === 0 ? 0 : Math.round(((batchesAfter.commands - batchesBefore.commands) / batches) * 100) / 100,
    transferLatencyMs: transferLatencies(virtual, timedFromUs),
    simulatedMs: simulatedUs / 1000,
    wallMs: Math.round(wallMs),
    events: virtual.world.scheduler.eventsDelivered - eventsBefore,
    committedTransfers: committed,
    committedTransfersPerWallSecond: Math.round(committed / (wallMs / 1000)),
    simToWallRatio: Math.round((simulatedUs / 1000 / wallMs) * 100) / 100,
  };
}

/** The median run by wall time, with every run's wall time. */
type CellsMedian = CellsMeasurement & { readonly wallMsRuns: number[] };

/** Runs `measure` `runs` times; the median by wall time, with every run's wall time. */
function medianCells(runs: number, measure: () => CellsMeasurement): CellsMedian {
  const results = Array.from({ length: Math.max(1, runs) }, measure).sort((a, b) => a.wallMs - b.wallMs);
  return { ...(results[Math.floor((results.length - 1) / 2)] as CellsMeasurement), wallMsRuns: results.map((result) => result.wallMs) };
}

/** Latency percentiles of the transfers invoked at or after `fromUs` and acknowledged. */
function transferLatencies(virtual: VirtualRuntime, fromUs: number): { p50: number; p99: number } {
  const invoked = new Map<unknown, number>();
  const latenciesMs: number[] = [];
  for (const op of virtual.recorder.history()) {
    if (op.f !== "transfer") continue;
    if (op.type === "invoke") {
      if ((op.time ?? 0) >= fromUs) invoked.set(op.process, op.time ?? 0);
    } else if (op.type === "ok" && invoked.has(op.process)) {
      latenciesMs.push(((op.time ?? 0) - (invoked.get(op.process) as number)) / 1000);
      invoked.delete(op.process);
    }
  }
  latenciesMs.sort((a, b) => a - b);
  const at = (q: number): number =>
    Math.round((latenciesMs[Math.min(latenciesMs.length - 1, Math.floor(latenciesMs.length * q))] ?? 0) * 100) / 100;
  return { p50: at(0.5), p99: at(0.99) };
}

function committedTransfers(virtual: VirtualRuntime): number {
  let count = 0;
  for (const op of virtual.recorder.history()) if (op.type === "ok" && op.f === "transfer") count++;
  return count;
}

function schedulerRun(events: number, pending: number): number {
  // Delays are drawn before timing so the figure is the scheduler's, not the PRNG's.
  const random = createRandom(1);
  const delaysUs = new Uint32Array(1 << 16);
  for (let i = 0; i < delaysUs.length; i++) delaysUs[i] = random.intBetween(1, 10_000);
  const scheduler = new Scheduler();
  let cursor = 0;
  const callback = (): void => {
    scheduler.after(delaysUs[cursor++ & 0xffff] as number, callback, 1);
  };
  for (let i = 0; i < pending; i++) scheduler.after(delaysUs[cursor++ & 0xffff] as number, callback, 1);
  const startedMs = performance.now();
  const delivered = scheduler.runUntil(Number.MAX_SAFE_INTEGER, events);
  const elapsedMs = performance.now() - startedMs;
  return delivered / (elapsedMs / 1000);
}

export async function run(options: SimBenchOptions = {}): Promise<SimBenchResult> {
  const events = options.schedulerEvents ?? 3_000_000;
  const pending = options.pendingEvents ?? 10_000;
  const repetitions = options.repetitions ?? 5;
  const cellsRuns = options.cellsRepetitions ?? 3;
  const stepsTotal = 1 + repetitions + 1 + 2 * cellsRuns + 1;
  let step = 0;
  const phase = (what: string): void => options.progress?.(`step ${++step}/${stepsTotal}: ${what}`);
  phase("scheduler warm-up");
  schedulerRun(Math.min(events, 200_000), pending); // warm-up: let the JIT settle
  const runs: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    phase(`scheduler run ${i + 1}/${repetitions}`);
    runs.push(Math.round(schedulerRun(events, pending)));
  }
  const sorted = [...runs].sort((a, b) => a - b);

  const simulatedUs = options.pingSimulatedUs ?? 600_000_000;
  phase(`ping world, ${simulatedUs / 1e6} s simulated`);
  const startedMs = performance.now();
  const ping = buildPingWorld(defaultWorldConfig(), 1);
  ping.world.runFor(simulatedUs);
  const wallMs = performance.now() - startedMs;
  const summary = ping.world.summary();
  // The machine is shared and noisy: each cells figure is the median (by wall time) of a few runs.
  let cellsRun = 0;
  const defaultLoad = medianCells(cellsRuns, () => {
    phase(`cells world at 2,000 ops/s, run ${(cellsRun++ % cellsRuns) + 1}/${cellsRuns}`);
    return measureCells(2_000, options.cellsSimulatedUs ?? 10_000_000);
  });
  const saturated = medianCells(cellsRuns, () => {
    phase(`cells world saturated, run ${(cellsRun++ % cellsRuns) + 1}/${cellsRuns}`);
    return measureCells(options.saturatedOpsPerSecond ?? 60_000, options.saturatedSimulatedUs ?? 2_000_000);
  });
  const os = await import("node:os");
  return {
    schedulerEventsPerSecond: sorted[Math.floor(sorted.length / 2)] as number,
    schedulerEventsPerSecondRuns: runs,
    simToWallRatio: defaultLoad.simToWallRatio,
    committedTransfersPerWallSecond: saturated.committedTransfersPerWallSecond,
    cellsWorld: { defaultLoad, saturated },
    floors: (phase("ledger apply floor"), applyFloors(defaultLoad, options.floorTransfers ?? 200_000)),
    pingSimToWallRatio: Math.round(simulatedUs / 1000 / wallMs),
    pingWorld: {
      simulatedMs: summary.simulatedMs,
      wallMs: Math.round(wallMs),
      events: summary.events,
      eventsPerSecond: Math.round(summary.events / (wallMs / 1000)),
      hosts: summary.hosts,
    },
    method:
      `code: an esbuild bundle when run as \`ldc bench sim\` (cli/bench.ts; LDC_BENCH_TSX=1 for tsx); ` +
      `scheduler: hold model, ${pending} pending events, ${events} deliveries per run, median of ${repetitions} runs after a warm-up; ` +
      `cells: the default world (6 cells x 5 replicas, seed 1) after leaders settle and 1 s of load, timed over ${(options.cellsSimulatedUs ?? 10_000_000) / 1e6} s simulated at 2,000 ops/s (simToWallRatio) and ${(options.saturatedSimulatedUs ?? 2_000_000) / 1e6} s at ${options.saturatedOpsPerSecond ?? 60_000} ops/s offered (committedTransfersPerWallSecond: acknowledged transfers / wall s), each the median of ${cellsRuns} runs by wall time (wallMsRuns); ` +
      `floors: bench/ledger.ts in the same process with the default world's accounts per cell, median of 3 runs of ${options.floorTransfers ?? 200_000} applies; ` +
      `ping world: default config, 2 hosts per datacenter pinging all others every 100 ms, seed 1, ${simulatedUs / 1_000_000} s simulated, wall time includes building the world`,
    machine: {
      node: process.version,
      platform: `${process.platform}/${process.arch}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? "unknown",
      loadAverage1m: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
    },
  };
}
