// Per-cell request counters and latency samples, accumulated between two health refreshes and
// then turned into rates and percentiles. Bounded: past `latencySamplesMax` a window keeps a
// uniform reservoir sample, so a burst cannot grow memory.
import { percentile, windowFigures } from "../harness/window-figures.js";
import type { Random } from "../sim/kernel/ports.js";

export const latencySamplesMax = 4096;

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

  private readonly observers = new Set<(sample: RequestSample) => void>();

  constructor(private readonly random: Random) {}

  /** Every finished request, as it finishes (the windows above only keep aggregates). */
  observe(observer: (sample: RequestSample) => void): () => void {
    if (this.observers.size >= requestObserversMax) throw new Error(`at most ${requestObserversMax} request observers (requestObserversMax)`);
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  recordServed(region: string, cell: string): void {
    let byCell = this.served.get(region);
    if (byCell === undefined) this.served.set(region, (byCell = new Map()));
    byCell.set(cell, (byCell.get(cell) ?? 0) + 1);
  }

  recordOutcome(cell: string, ok: boolean, latencyUs: number, region: string | null = null): void {
    for (const observer of this.observers) observer({ region, cell, outcome: ok ? "ok" : "error", latencyUs });
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

  recordShed(cell: string, region: string | null = null): void {
    for (const observer of this.observers) observer({ region, cell, outcome: "shed", latencyUs: null });
    this.window(cell).shed++;
  }

  /** Closes the window: figures per cell and served rates per gateway over `periodUs`. */
  roll(periodUs: number): { cells: Map<string, CellTrafficFigures>; regions: Map<string, { rps: number; toCells: Record<string, number> }> } {
    const seconds = periodUs / 1_000_000;
    const cells = new Map<string, CellTrafficFigures>();
    for (const [cell, window] of this.windows) {
      // The same figures as the drill report's timeline bins (harness/window-figures.ts).
      const figures = windowFigures(window, periodUs);
      cells.set(cell, { tps: figures.tps, p50Ms: figures.p50Ms, p99Ms: figures.p99Ms, errorRate: figures.errorRate, shed: window.shed });
    }
    const regions = new Map<string, { rps: number; toCells: Record<string, number> }>();
    for (const [region, byCell] of this.served) {
      let sum = 0;
      const toCells: Record<string, number> = {};
      for (const [cell, count] of byCell) {
        sum += count;
        toCells[cell] = round(count / seconds);
      }
      regions.set(region, { rps: round(sum / seconds), toCells });
    }
    this.windows = new Map();
    this.served = new Map();
    return { cells, regions };
  }

  private window(cell: string): CellWindow {
    let window = this.windows.get(cell);
    if (window === undefined) this.windows.set(cell, (window = new CellWindow()));
    return window;
  }
}

export { percentile };

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
