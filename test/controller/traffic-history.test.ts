// What the page back-fills its charts from and draws beside a running drill (issue 15, defect 8
// and "Expected by operators"): a bounded ring of traffic samples with the fault windows, served
// at GET /api/v1/traffic/history; latency per gateway region; a fault's reason in the audit; a
// drill's plan (steps and expectation) for the timeline.
import { afterEach, describe, expect, it } from "vitest";
import { builtinDrill } from "../../chaos/drill/builtin.js";
import { drillExpectation, drillTimeline } from "../../chaos/drill/timeline.js";
import { TrafficHistory, faultWindowsKeptMax, trafficHistorySamplesMax } from "../../controller/traffic-history.js";
import { TrafficStats, histogramPercentileUs, regionLatencyBuckets } from "../../controller/traffic-stats.js";
import type { AuditEntry, FaultRecord } from "../../domain/records.js";
import type { Random } from "../../ground/ports.js";
import { startHarness, type Harness } from "./harness.js";

const figures = (atMs: number) => ({
  atMs,
  cells: { "cell-1": { tps: atMs, p50Ms: 1, p99Ms: 2, errorRate: 0, shed: 0 } },
  regions: { hangzhou: { rps: 5, toCells: { "cell-1": 5 }, p50Ms: 3, p99Ms: 4, errorRate: 0 } },
});

const fault = (id: string, startedMs: number): FaultRecord => ({
  id,
  type: "partition",
  target: null,
  startedMs,
  leaseMs: 1000,
  expiresMs: startedMs + 1000,
  remainingMs: 1000,
  affects: { hosts: [], links: [] },
});

describe("TrafficHistory", () => {
  it("keeps at most samplesMax samples, oldest dropped first, and serves a window of them", () => {
    const history = new TrafficHistory(10);
    for (let atMs = 0; atMs < 25 * 500; atMs += 500) history.record(figures(atMs));
    const all = history.window(1e9, 12_000).samples;
    expect(all.map((sample) => sample.atMs)).toEqual(Array.from({ length: 10 }, (_, index) => 7500 + index * 500));
    const last = history.window(2000, 12_000).samples;
    expect(last.map((sample) => sample.atMs)).toEqual([10_000, 10_500, 11_000, 11_500, 12_000]);
    // Compact: what the charts draw, not the per-gateway fan-out.
    expect(last[0]?.regions.hangzhou).toEqual({ rps: 5, p50Ms: 3, p99Ms: 4, errorRate: 0 });
    expect(last[0]?.cells["cell-1"]).toEqual({ tps: 10_000, p50Ms: 1, p99Ms: 2, errorRate: 0 });
  });

  it("has a default bound of 15 minutes at the 500 ms health period", () => {
    expect(trafficHistorySamplesMax).toBe(1800);
    const history = new TrafficHistory();
    for (let index = 0; index < trafficHistorySamplesMax + 50; index++) history.record(figures(index * 500));
    expect(history.window(1e12, 1e12).samples.length).toBe(trafficHistorySamplesMax);
  });

  it("ignores a sample that is not newer than the last", () => {
    const history = new TrafficHistory(5);
    history.record(figures(1000));
    history.record(figures(1000));
    history.record(figures(500));
    expect(history.window(1e9, 1000).samples.length).toBe(1);
  });

  it("remembers fault windows, closes them on heal or expiry, and keeps a bounded number", () => {
    const history = new TrafficHistory(5);
    history.faultChanged("injected", fault("f-1", 100), 100);
    history.faultChanged("injected", fault("f-2", 200), 200);
    history.faultChanged("healed", fault("f-1", 100), 900);
    history.faultChanged("expired", fault("f-2", 200), 1200);
    expect(history.window(10_000, 2000).faults).toEqual([
      { id: "f-1", type: "partition", startMs: 100, endMs: 900 },
      { id: "f-2", type: "partition", startMs: 200, endMs: 1200 },
    ]);
    // A window that ended before the range is left out; an open one is always in.
    history.faultChanged("injected", fault("f-3", 300), 300);
    expect(history.window(1000, 2000).faults.map((window) => window.id)).toEqual(["f-2", "f-3"]);
    for (let index = 0; index < faultWindowsKeptMax + 10; index++)
      history.faultChanged("injected", fault(`g-${index}`, 5000 + index), 5000 + index);
    expect(history.window(1e9, 1e9).faults.length).toBe(faultWindowsKeptMax);
  });
});

describe("TrafficStats per region", () => {
  it("gives each gateway region its own p50/p99 and error rate, without drawing random numbers", () => {
    let draws = 0;
    const random = {
      intBetween: () => {
        draws++;
        return 0;
      },
    } as unknown as Random;
    const stats = new TrafficStats(random);
    // hangzhou's users: 100 requests at 10 ms and one at 200 ms; shanghai's: 50 at 40 ms, 50 failed.
    for (let index = 0; index < 100; index++) stats.recordOutcome("cell-1", true, 10_000, "hangzhou");
    stats.recordOutcome("cell-1", true, 200_000, "hangzhou");
    for (let index = 0; index < 50; index++) stats.recordOutcome("cell-4", true, 40_000, "shanghai");
    for (let index = 0; index < 50; index++) stats.recordOutcome("cell-4", false, 40_000, "shanghai");
    const rolled = stats.roll(1_000_000);
    const hangzhou = rolled.regions.get("hangzhou");
    const shanghai = rolled.regions.get("shanghai");
    expect(hangzhou?.p50Ms).toBeGreaterThanOrEqual(10);
    expect(hangzhou?.p50Ms).toBeLessThanOrEqual(11);
    expect(hangzhou?.p99Ms).toBeGreaterThanOrEqual(10);
    expect(hangzhou?.p99Ms).toBeLessThanOrEqual(11);
    expect(hangzhou?.errorRate).toBe(0);
    expect(shanghai?.p99Ms).toBeGreaterThanOrEqual(40);
    expect(shanghai?.p99Ms).toBeLessThanOrEqual(44);
    expect(shanghai?.errorRate).toBe(0.5);
    // Cells' reservoirs were never full, so no draw at all: the seeded stream is untouched.
    expect(draws).toBe(0);
    // The window closed: the next one starts empty.
    expect(stats.roll(1_000_000).regions.get("hangzhou")).toBeUndefined();
  });

  it("reads percentiles off the histogram's upper bucket bounds", () => {
    const buckets = new Uint32Array(regionLatencyBuckets);
    expect(histogramPercentileUs(buckets, 0.99)).toBe(0);
    buckets[0] = 99;
    buckets[50] = 1;
    expect(histogramPercentileUs(buckets, 0.5)).toBe(100);
    expect(histogramPercentileUs(buckets, 0.99)).toBe(100);
    expect(histogramPercentileUs(buckets, 1)).toBeCloseTo(100 * 1.1 ** 50, 6);
  });
});

describe("a drill's plan for the page", () => {
  it("lists the steps with the heal of each timed fault, the settle and the verdict, and the expectation", () => {
    const drill = builtinDrill("region-outage");
    const steps = drillTimeline(drill, 5_000_000);
    expect(steps.map((step) => [step.atMs, step.kind])).toEqual([
      [10_000, "inject"],
      [70_000, "heal"],
      [90_000, "settle"],
      [95_000, "verdict"],
    ]);
    expect(steps[0]?.label).toBe("inject region-outage where the most leaders are for 60s");
    expect(drillExpectation(drill)).toEqual({
      rtoMsMax: 1500,
      lostAckedTransfersMax: 0,
      checkers: ["linearizable", "bank", "durability", "replica-agreement", "invariants"],
    });
    const nemesis = drillTimeline(builtinDrill("random-availability-attacks"), 5_000_000);
    expect(nemesis.filter((step) => step.kind === "nemesis").map((step) => step.atMs)).toEqual([8000, 64_000]);
  });
});

describe("GET /api/v1/traffic/history and a fault's reason", () => {
  let harness: Harness;
  afterEach(async () => {
    await harness?.close();
  });

  it("serves the samples of the asked window, names a bad windowMs, and audits an injection's reason", async () => {
    harness = await startHarness({ speed: 50 });
    const h = harness;
    const target = h.cluster.clock.nowUs() + 8_000_000;
    while (h.cluster.clock.nowUs() < target) await new Promise((resolve) => setTimeout(resolve, 5));
    const response = await h.request("GET", "/api/v1/traffic/history?windowMs=5000");
    expect(response.status).toBe(200);
    const body = response.body as {
      atMs: number;
      windowMs: number;
      samplesMax: number;
      samples: { atMs: number }[];
      faults: unknown[];
      routing: unknown[];
    };
    expect(body.windowMs).toBe(5000);
    expect(body.samplesMax).toBe(trafficHistorySamplesMax);
    expect(body.samples.length).toBeGreaterThanOrEqual(8);
    for (const sample of body.samples) expect(sample.atMs).toBeGreaterThanOrEqual(body.atMs - 5000);
    const wider = (await h.request("GET", "/api/v1/traffic/history?windowMs=60000")).body as { samples: unknown[] };
    expect(wider.samples.length).toBeGreaterThan(body.samples.length);
    for (const bad of ["5", "900001", "soon"]) {
      expect(await h.request("GET", `/api/v1/traffic/history?windowMs=${bad}`)).toMatchObject({ status: 400, body: { field: "windowMs" } });
    }
    const injected = await h.request("POST", "/api/v1/faults", {
      type: "partition",
      target: { regions: ["hangzhou", "shanghai"] },
      reason: "game day: hz-sh link",
    });
    expect(injected.status).toBe(201);
    const audit = ((await h.request("GET", "/api/v1/audit?kind=fault")).body as { entries: AuditEntry[] }).entries;
    expect(audit.find((entry) => entry.action === "inject")?.reason).toBe("game day: hz-sh link");
    // The fault's window is in the history at once.
    const after = (await h.request("GET", "/api/v1/traffic/history?windowMs=60000")).body as {
      faults: { id: string; endMs: number | null }[];
    };
    expect(after.faults.map((window) => [window.id, window.endMs])).toContainEqual([(injected.body as { id: string }).id, null]);
  });
});
