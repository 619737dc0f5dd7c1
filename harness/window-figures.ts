// One computation of "how a cell did over a window" for the page's charts (controller/
// traffic-stats.ts, per health period) and the drill report's timeline (chaos/drill/report.ts,
// per bin of the same width): requests are counted when they finish, an error is anything but
// ok (failed, timed out, shed), latency percentiles are nearest-rank. Rates keep 4 decimals so a
// 0.3 % spike is never shown as 0.

/** The page's chart period (controller health period): the report bins its timeline the same. */
export const CHART_BIN_US = 500_000;

export interface WindowCounts {
  ok: number;
  failed: number;
  shed: number;
  /** Latencies (µs) of finished requests; sorted in place by `windowFigures`. */
  readonly latenciesUs: number[];
}

export interface WindowFigures {
  readonly ops: number;
  readonly tps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errorRate: number;
}

export function emptyCounts(): WindowCounts {
  return { ok: 0, failed: 0, shed: 0, latenciesUs: [] };
}

/** Nearest-rank percentile of an ascending array (0 when empty). */
export function percentile(sortedAscending: readonly number[], fraction: number): number {
  if (sortedAscending.length === 0) return 0;
  const rank = Math.min(sortedAscending.length - 1, Math.max(0, Math.ceil(fraction * sortedAscending.length) - 1));
  return sortedAscending[rank] as number;
}

export function roundRate(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

export function windowFigures(counts: WindowCounts, periodUs: number): WindowFigures {
  const sorted = counts.latenciesUs.sort((a, b) => a - b);
  const total = counts.ok + counts.failed + counts.shed;
  return {
    ops: total,
    tps: round2(counts.ok / (periodUs / 1_000_000)),
    p50Ms: round2(percentile(sorted, 0.5) / 1000),
    p99Ms: round2(percentile(sorted, 0.99) / 1000),
    errorRate: total === 0 ? 0 : roundRate((counts.failed + counts.shed) / total),
  };
}
