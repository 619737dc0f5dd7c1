// Cross-cell transfers (issue 17): the default world run twice for the same simulated time and
// seed, once with every transfer inside its cell (crossCellRatio 0) and once with every transfer
// crossing cells (crossCellRatio 1). Reports settled cross-cell transfers per simulated second,
// settle latency p50/p99 (invocation to settlement at the source, simulated ms), and the wall
// cost per transfer of each run: a cross-cell transfer is three log entries in two cells (debit,
// credit, settle) plus the relays' outbox reads, against one entry. Target: at most 2.5x.
// Wall figures are noisy on a shared host: compare the ratio, measured in the same invocation.
import { defaultWorldConfig } from "../domain/config.js";
import { runCells } from "../runtime/virtual/run.js";

export interface CrossCellBenchOptions {
  readonly durationUs?: number;
  readonly seed?: number;
  readonly progress?: (phase: string) => void;
}

interface RunFigures {
  readonly crossCellRatio: number;
  readonly wallMs: number;
  readonly transfers: number;
  readonly wallUsPerTransfer: number;
  readonly settled: number;
  readonly settledPerSecond: number;
  readonly settleMsP50: number | null;
  readonly settleMsP99: number | null;
  readonly inFlightAtEnd: number;
}

function runOnce(crossCellRatio: number, durationUs: number, seed: number): RunFigures {
  const config = defaultWorldConfig();
  const startedMs = performance.now();
  const result = runCells({ config: { ...config, workload: { ...config.workload, crossCellRatio } }, seed, durationUs });
  const wallMs = performance.now() - startedMs;
  let transfers = 0;
  for (const op of result.virtual.recorder.history()) if (op.type === "ok" && op.f === "transfer") transfers++;
  return {
    crossCellRatio,
    wallMs: Math.round(wallMs),
    transfers,
    wallUsPerTransfer: transfers === 0 ? 0 : Math.round((wallMs * 1000) / transfers),
    settled: result.crossCell.settled,
    settledPerSecond: Math.round((result.crossCell.settled / (durationUs / 1_000_000)) * 10) / 10,
    settleMsP50: result.crossCell.settleMsP50,
    settleMsP99: result.crossCell.settleMsP99,
    inFlightAtEnd: result.crossCell.inFlightAtEnd,
  };
}

export async function run(options: CrossCellBenchOptions = {}): Promise<object> {
  const durationUs = options.durationUs ?? 20_000_000;
  const seed = options.seed ?? 1;
  options.progress?.("intra-cell run (crossCellRatio 0)");
  const intra = runOnce(0, durationUs, seed);
  options.progress?.("cross-cell run (crossCellRatio 1)");
  const cross = runOnce(1, durationUs, seed);
  const ratio = intra.wallUsPerTransfer === 0 ? null : Math.round((cross.wallUsPerTransfer / intra.wallUsPerTransfer) * 100) / 100;
  return {
    simulatedSeconds: durationUs / 1_000_000,
    seed,
    settledPerSecond: cross.settledPerSecond,
    settleMsP50: cross.settleMsP50,
    settleMsP99: cross.settleMsP99,
    wallCostRatioCrossToIntra: ratio,
    targetRatioMax: 2.5,
    intra,
    cross,
  };
}
