// The recent past of the traffic figures, so a page opened (or reloaded) in the middle of a drill
// draws the last minutes instead of the seconds since it loaded (GET /api/v1/traffic/history).
// A fixed ring of compact samples, one per health period, plus the recent fault windows; both
// bounded by named limits so a server left running for days holds the same memory as after 15 min.
import type { FaultRecord } from "../domain/records.js";

/** 15 minutes of simulated time at the default 500 ms health period (about 1.9 MB, docs/API.md). */
export const trafficHistorySamplesMax = 1800;
/** Fault windows kept for the charts' shading (injected and healed/expired). */
export const faultWindowsKeptMax = 128;
/** The widest window the API serves: the operator's "15 m". */
export const trafficHistoryWindowMsMax = 15 * 60_000;

export interface TrafficSample {
  readonly atMs: number;
  readonly cells: Readonly<
    Record<string, { readonly tps: number; readonly p50Ms: number; readonly p99Ms: number; readonly errorRate: number }>
  >;
  readonly regions: Readonly<
    Record<string, { readonly rps: number; readonly p50Ms: number; readonly p99Ms: number; readonly errorRate: number }>
  >;
}

export interface FaultWindow {
  readonly id: string;
  readonly type: string;
  readonly startMs: number;
  endMs: number | null;
}

interface TrafficFigures {
  readonly atMs: number;
  readonly cells: Readonly<
    Record<string, { readonly tps: number; readonly p50Ms: number; readonly p99Ms: number; readonly errorRate: number }>
  >;
  readonly regions: Readonly<
    Record<string, { readonly rps: number; readonly p50Ms?: number; readonly p99Ms?: number; readonly errorRate?: number }>
  >;
}

export class TrafficHistory {
  private readonly samples: (TrafficSample | undefined)[];
  private start = 0;
  private length = 0;
  private readonly faultWindows: FaultWindow[] = [];

  constructor(readonly samplesMax: number = trafficHistorySamplesMax) {
    if (!Number.isSafeInteger(samplesMax) || samplesMax <= 0)
      throw new RangeError(`samplesMax: expected a positive integer, got ${samplesMax}`);
    this.samples = new Array<TrafficSample | undefined>(samplesMax);
  }

  /** Keeps only what the charts draw (no per-gateway fan-out), so a sample stays small. */
  record(figures: TrafficFigures): void {
    const last = this.length === 0 ? undefined : this.samples[(this.start + this.length - 1) % this.samplesMax];
    if (last !== undefined && last.atMs >= figures.atMs) return;
    const cells: Record<string, TrafficSample["cells"][string]> = {};
    for (const [id, metrics] of Object.entries(figures.cells))
      cells[id] = { tps: metrics.tps, p50Ms: metrics.p50Ms, p99Ms: metrics.p99Ms, errorRate: metrics.errorRate };
    const regions: Record<string, TrafficSample["regions"][string]> = {};
    for (const [name, metrics] of Object.entries(figures.regions))
      regions[name] = { rps: metrics.rps, p50Ms: metrics.p50Ms ?? 0, p99Ms: metrics.p99Ms ?? 0, errorRate: metrics.errorRate ?? 0 };
    const sample: TrafficSample = { atMs: figures.atMs, cells, regions };
    if (this.length < this.samplesMax) {
      this.samples[(this.start + this.length) % this.samplesMax] = sample;
      this.length++;
    } else {
      this.samples[this.start] = sample;
      this.start = (this.start + 1) % this.samplesMax;
    }
  }

  faultChanged(action: "injected" | "healed" | "expired", fault: FaultRecord, atMs: number): void {
    if (action === "injected") {
      if (this.faultWindows.some((window) => window.id === fault.id)) return;
      this.faultWindows.push({ id: fault.id, type: fault.type, startMs: fault.startedMs, endMs: null });
      if (this.faultWindows.length > faultWindowsKeptMax) this.faultWindows.shift();
      return;
    }
    const window = this.faultWindows.find((candidate) => candidate.id === fault.id && candidate.endMs === null);
    if (window !== undefined) window.endMs = atMs;
  }

  /** Samples and fault windows of the last `windowMs` before `nowMs`, oldest first. */
  window(windowMs: number, nowMs: number): { samples: TrafficSample[]; faults: FaultWindow[] } {
    const fromMs = nowMs - windowMs;
    const samples: TrafficSample[] = [];
    for (let index = 0; index < this.length; index++) {
      const sample = this.samples[(this.start + index) % this.samplesMax] as TrafficSample;
      if (sample.atMs >= fromMs) samples.push(sample);
    }
    const faults = this.faultWindows.filter((window) => window.endMs === null || window.endMs >= fromMs).map((window) => ({ ...window }));
    return { samples, faults };
  }
}
