// Per-cell request counters and latency samples, accumulated between two health refreshes and
// then turned into rates and percentiles. Bounded: past `latencySamplesMax` a window keeps a
// uniform reservoir sample, so a burst cannot grow memory. Latency per gateway region (what the
// users of a region see) goes into a fixed log-bucket histogram instead: it needs no random draw
// (a reservoir would consume the seeded stream and change every trace) and costs
// `regionLatencyBuckets` counters per region however many requests pass.
import { percentile, roundRate, windowFigures } from "../harness/window-figures.js";
import type { Random } from "../ground/ports.js";

export const latencySamplesMax = 4096;
/** Region latency histogram: bucket i holds latencies up to 100 us * 1.1^i (about 10 % resolution). */
export const regionLatencyBuckets = 160;
const regionLatencyBucketBaseUs = 100;
const regionLatencyBucketGrowth = 1.1;

export interface RegionTrafficFigures {
  readonly rps: number;
  readonly toCells: Record<string, number>;
  /** Percentiles of the requests this region's gateway served, from the histogram (upper bucket bound). */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errorRate: number;
}

export interface CellTrafficFigures {
  readonly tps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errorRate: number;
  readonly shed: number;
}

/** One finished request, for exporters (Prometheus): where it entered, which cell, how it ended. */
export interface RequestSample {
  readonly region: string | null;
  readonly cell: string;
  readonly outcome: "ok" | "error" | "shed";
  /** Admission to answer, simulated µs (null: shed before admission). */
  readonly latencyUs: number | null;
}

export const requestObserversMax = 8;

class CellWindow {
  ok = 0;
  failed = 0;
  shed = 0;
  seen = 0;
  readonly latenciesUs: number[] = [];
}

export class TrafficStats {
  private windows = new Map<string, CellWindow>();
  /** gateway region -> cell -> requests served in this window */
  private served = new Map<string, Map<string, number>>();
  /** gateway region -> latency histogram and outcome counts in this window */
  private regionLatency = new Map<string, { buckets: Uint32Array; ok: number; failed: number }>();

  private readonly observers = new Set<(sample: RequestSample) => void>();

  constructor(private readonly random: Random) {}

  /** Every finished request, as it finishes (the windows above only keep aggregates). */
  observe(observer: (sample: RequestSample) => void): () => void {
    if (this.observers.size >= requestObserversMax)
      throw new Error(`at most ${requestObserversMax} request observers (requestObserversMax)`);
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  recordServed(region: string, cell: string): void {
    let byCell = this.served.get(region);
    if (byCell === undefined) this.served.set(region, (byCell = new Map()));
    byCell.set(cell, (byCell.get(cell) ?? 0) + 1);
  }

  /** `region`: the gateway that served the request (optional for callers without one). */
  recordOutcome(cell: string, ok: boolean, latencyUs: number, region?: string): void {
    for (const observer of this.observers) observer({ region: region ?? null, cell, outcome: ok ? "ok" : "error", latencyUs });
    if (region !== undefined) this.recordRegionOutcome(region, ok, latencyUs);
    const window = this.window(cell);
    if (ok) window.ok++;
    else window.failed++;
    window.seen++;
    if (window.latenciesUs.length < latencySamplesMax) window.latenciesUs.push(latencyUs);
    else {
      const slot = this.random.intBetween(0, window.seen - 1);
      if (slot < latencySamplesMax) window.latenciesUs[slot] = latencyUs;
    }
  }

  recordShed(cell: string, region?: string): void {
    for (const observer of this.observers) observer({ region: region ?? null, cell, outcome: "shed", latencyUs: null });
    this.window(cell).shed++;
    if (region !== undefined) this.regionWindow(region).failed++;
  }

  private recordRegionOutcome(region: string, ok: boolean, latencyUs: number): void {
    const window = this.regionWindow(region);
    if (ok) window.ok++;
    else window.failed++;
    window.buckets[bucketOf(latencyUs)]++;
  }

  private regionWindow(region: string): { buckets: Uint32Array; ok: number; failed: number } {
    let window = this.regionLatency.get(region);
    if (window === undefined)
      this.regionLatency.set(region, (window = { buckets: new Uint32Array(regionLatencyBuckets), ok: 0, failed: 0 }));
    return window;
  }

  /** Closes the window: figures per cell and served rates per gateway over `periodUs`. */
  roll(periodUs: number): { cells: Map<string, CellTrafficFigures>; regions: Map<string, RegionTrafficFigures> } {
    const seconds = periodUs / 1_000_000;
    const cells = new Map<string, CellTrafficFigures>();
    for (const [cell, window] of this.windows) {
      // The same figures as the drill report's timeline bins (harness/window-figures.ts).
      const figures = windowFigures(window, periodUs);
      cells.set(cell, { tps: figures.tps, p50Ms: figures.p50Ms, p99Ms: figures.p99Ms, errorRate: figures.errorRate, shed: window.shed });
    }
    const regions = new Map<string, RegionTrafficFigures>();
    for (const region of new Set([...this.served.keys(), ...this.regionLatency.keys()])) {
      let sum = 0;
      const toCells: Record<string, number> = {};
      for (const [cell, count] of this.served.get(region) ?? []) {
        sum += count;
        toCells[cell] = round(count / seconds);
      }
      const latency = this.regionLatency.get(region);
      const total = latency === undefined ? 0 : latency.ok + latency.failed;
      regions.set(region, {
        rps: round(sum / seconds),
        toCells,
        p50Ms: latency === undefined ? 0 : round(histogramPercentileUs(latency.buckets, 0.5) / 1000),
        p99Ms: latency === undefined ? 0 : round(histogramPercentileUs(latency.buckets, 0.99) / 1000),
        errorRate: total === 0 || latency === undefined ? 0 : roundRate(latency.failed / total),
      });
    }
    this.windows = new Map();
    this.served = new Map();
    this.regionLatency = new Map();
    return { cells, regions };
  }

  private window(cell: string): CellWindow {
    let window = this.windows.get(cell);
    if (window === undefined) this.windows.set(cell, (window = new CellWindow()));
    return window;
  }
}

export { percentile };

function bucketOf(latencyUs: number): number {
  if (!(latencyUs > regionLatencyBucketBaseUs)) return 0;
  const index = Math.ceil(Math.log(latencyUs / regionLatencyBucketBaseUs) / Math.log(regionLatencyBucketGrowth));
  return Math.min(regionLatencyBuckets - 1, index);
}

/** Upper bound of the bucket holding the `fraction` quantile (0 when empty). */
export function histogramPercentileUs(buckets: Uint32Array, fraction: number): number {
  let total = 0;
  for (const count of buckets) total += count;
  if (total === 0) return 0;
  const rank = Math.max(1, Math.ceil(fraction * total));
  let seen = 0;
  for (let index = 0; index < buckets.length; index++) {
    seen += buckets[index] as number;
    if (seen >= rank) return regionLatencyBucketBaseUs * regionLatencyBucketGrowth ** index;
  }
  return regionLatencyBucketBaseUs * regionLatencyBucketGrowth ** (buckets.length - 1);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
