// Issue 15, defects 13 and 15: the drill report is one format, rendered by one renderer for the
// CLI and the controller (summary first, a timeline in seconds of drill time, checkers with a
// one-line reason, raw JSON only as a download), and its error rate is the page's computation
// over the page's window, so a spike the chart showed cannot read 0 in the report.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildDrillReport, formatRate } from "../../chaos/drill/report.js";
import type { DrillResult } from "../../chaos/drill/result.js";
import { TrafficStats } from "../../controller/traffic-stats.js";
import type { DrillRunRecord } from "../../domain/records.js";
import type { Op } from "../../harness/history.js";
import { CHART_BIN_US } from "../../harness/window-figures.js";
import { createRandom } from "../../ground/random.js";
import { startRealHarness, type RealHarness } from "../runtime/virtual/real-world.js";

const ROOT = join(import.meta.dirname, "..", "..");
const LDC = join(ROOT, "bin", "ldc.mjs");

let harness: RealHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const headings = (html: string, level: number): string[] =>
  [...html.matchAll(new RegExp(`<h${level}>([^<]*)</h${level}>`, "g"))].map((match) => match[1] as string);

function expectOneFormat(html: string, where: string): void {
  expect(headings(html, 2), where).toEqual(["Summary", "Timeline (seconds of drill time)", "Checkers", "Raw result"]);
  const h3 = headings(html, 3);
  expect(h3.slice(0, 2), where).toEqual(["RTO per cell hit by a fault", "RPO"]);
  expect(h3, where).toContain("Error rate per cell");
  expect(h3, where).toContain("p99 latency per cell (ms)");
  expect(html, where).toContain("<th>checker</th><th>verdict</th><th>why</th>");
  expect(html, where).toMatch(/<a download="drill-[^"]+\.json" href="data:application\/json;base64,/);
  // Raw figures only as the download: no JSON dump, no raw microseconds.
  expect(html, where).not.toContain("<pre");
  expect(html, where).not.toContain("µs");
  expect(html, where).not.toMatch(/<td>\{/);
}

describe("one drill report (issue 15: defect 15)", () => {
  it("the CLI's --out report, its terminal report and the controller's report are one format", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ldc-report-"));
    const file = join(dir, "short.yaml");
    writeFileSync(
      file,
      `name: short-partition\nduration: 25s\nworkload: {profile: steady, opsPerSecond: 80}\nsteps:\n  - at: 8s\n    inject: {type: partition, target: {select: leader}, shape: isolate, duration: 6s}\nexpect: {rtoMsMax: 1500}\n`,
    );
    const cli = spawnSync(process.execPath, [LDC, "drill", "run", file, "--seed", "6", "--out", join(dir, "out")], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(cli.status, cli.stderr).toBe(0);
    const cliHtml = readFileSync(join(dir, "out", "report.html"), "utf8");
    expectOneFormat(cliHtml, "cli");
    expect(cliHtml).toContain("Drill short-partition: SUCCEEDED</h1>");
    const sections = ["summary", "timeline (s of drill time)", "checkers"].map((title) => cli.stdout.split("\n").indexOf(title));
    expect(sections.every((index) => index > 0)).toBe(true);
    expect([...sections].sort((a, b) => a - b)).toEqual(sections);
    expect(cli.stdout).toMatch(/^\s+8\.0\s+fault f-1 partition injected/m);

    const h = (harness = await startRealHarness({ seed: 3, opsPerSecond: 200 }));
    await h.run(500_000);
    const started = await h.request("POST", "/api/v1/drills/dc-outage/runs", {});
    expect(started.status).toBe(202);
    const id = (started.body as DrillRunRecord).id;
    await h.run(2_000_000);
    expect((await h.request("POST", "/api/v1/faults", { type: "latency", target: { select: "one" }, leaseMs: 3_000 })).status).toBe(201);
    for (let step = 0; step < 60 && h.setup.controller.drillRun(id)?.state !== "done"; step++) await h.run(500_000);
    const serverHtml = await (await fetch(`${h.url}/api/v1/drills/runs/${id}/report`)).text();
    expectOneFormat(serverHtml, "server");
    expect(serverHtml).toContain(`run ${id}`);
    // The controller's audit entries for the drill's window are on its timeline.
    expect(serverHtml).toMatch(/audit: api:[^ ]+ drill start dc-outage/);
  }, 240_000);
});

/** A history of one cell's requests, one every `everyUs`, failing where `fails(atUs)` says. */
function syntheticHistory(fromUs: number, toUs: number, everyUs: number, latencyUs: number, fails: (atUs: number) => boolean): Op[] {
  const ops: Op[] = [];
  let process = 0;
  for (let atUs = fromUs; atUs < toUs; atUs += everyUs) {
    const failed = fails(atUs + latencyUs);
    ops.push({
      process,
      type: "invoke",
      f: "transfer",
      value: { cell: "cell-1", from: "a", to: "b", amount: 1 },
      time: atUs,
      index: ops.length,
    });
    ops.push({
      process,
      type: failed ? "fail" : "ok",
      f: "transfer",
      value: { cell: "cell-1", from: "a", to: "b", amount: 1 },
      time: atUs + latencyUs,
      index: ops.length,
    });
    process++;
  }
  return ops;
}

function resultWith(faults: DrillResult["faults"]): DrillResult {
  const none = { ops: 0, errorRate: 0, p50Ms: null, p99Ms: null };
  return {
    drill: "d",
    seed: 1,
    outcome: "SUCCEEDED",
    rtoMs: {},
    lostAckedTransfers: 0,
    availability: {},
    latency: { before: none, during: none, after: none },
    checkers: {},
    faults,
    steps: [],
    replicasNotUp: [],
    operations: 0,
    simulatedMs: 0,
    traceHash: "x",
    reasons: [],
    stop: null,
    stoppedBy: null,
    abortReason: null,
    prediction: null,
  };
}

describe("the report's error rate is the page's (issue 15: defect 13)", () => {
  it("a 2 % spike in one chart period reads 2 % in the report, not 0, bin for bin as the page computes it", () => {
    const startUs = 10_000_000;
    // 400 requests a second for 60 s; in [30 s, 30.5 s) of drill time 4 of the 200 fail: 2 %.
    const spikeFromUs = startUs + 30_000_000;
    let failedInSpike = 0;
    const history = syntheticHistory(
      startUs,
      startUs + 60_000_000,
      2_500,
      1_000,
      (atUs) => atUs >= spikeFromUs && atUs < spikeFromUs + CHART_BIN_US && failedInSpike++ % 50 === 0,
    );
    const report = buildDrillReport({
      result: resultWith([{ id: "f-1", type: "latency", startMs: 10_000, endMs: 50_000, cells: ["cell-1"] }]),
      history,
      startUs,
      durationMs: 60_000,
    });

    const during = report.summary.during.find((cell) => cell.cell === "cell-1");
    expect(during?.errorRatePeak).toBe(0.02);
    expect(during?.errorRatePeakAtS).toBe(30);
    expect(during?.errorRate).toBeGreaterThan(0);
    expect(formatRate(during?.errorRate ?? 0)).not.toBe("0%");
    expect(formatRate(during?.errorRatePeak ?? 0)).toBe("2.00%");

    // The page: the same outcomes through the gateway's TrafficStats, rolled every chart period.
    const stats = new TrafficStats(createRandom(1));
    const page: { atS: number; errorRate: number; p99Ms: number }[] = [];
    let binEndUs = startUs + CHART_BIN_US;
    const completions = history.filter((op) => op.type !== "invoke");
    for (const completion of completions) {
      while ((completion.time as number) >= binEndUs) {
        const figures = stats.roll(CHART_BIN_US).cells.get("cell-1");
        if (figures !== undefined)
          page.push({ atS: (binEndUs - CHART_BIN_US - startUs) / 1e6, errorRate: figures.errorRate, p99Ms: figures.p99Ms });
        binEndUs += CHART_BIN_US;
      }
      stats.recordOutcome("cell-1", completion.type === "ok", 1_000, "hangzhou");
    }
    const last = stats.roll(CHART_BIN_US).cells.get("cell-1");
    if (last !== undefined) page.push({ atS: (binEndUs - CHART_BIN_US - startUs) / 1e6, errorRate: last.errorRate, p99Ms: last.p99Ms });
    const reportBins = (report.timeline.cells["cell-1"] ?? []).map((bin) => ({ atS: bin.atS, errorRate: bin.errorRate, p99Ms: bin.p99Ms }));
    expect(reportBins).toEqual(page);
    expect(page.find((bin) => bin.atS === 30)?.errorRate).toBe(0.02);
  });

  it("on the running world, the report's worst chart period per cell (error rate, p99) is the worst the page was sent", async () => {
    const h = (harness = await startRealHarness({ seed: 4, opsPerSecond: 300 }));
    const page: { atMs: number; cells: Record<string, { errorRate: number; p99Ms: number }> }[] = [];
    const faultTimes: { atMs: number; action: string; id: string }[] = [];
    h.setup.controller.subscribe((event) => {
      if (event.type === "traffic")
        page.push({ atMs: event.atMs, cells: event.cells as Record<string, { errorRate: number; p99Ms: number }> });
      if (event.type === "fault") faultTimes.push({ atMs: event.atMs, action: event.action, id: (event.fault as { id: string }).id });
    });
    await h.run(1_000_000);
    const started = await h.request("POST", "/api/v1/drills/region-outage/runs", {});
    const id = (started.body as DrillRunRecord).id;
    // region-outage cuts the leaders' region at 10 s; 15 s later a real fault interrupts the drill, which heals its own at once.
    await h.run(25_000_000);
    expect((await h.request("POST", "/api/v1/faults", { type: "latency", target: { select: "one" }, leaseMs: 2_000 })).status).toBe(201);
    for (let step = 0; step < 60 && h.setup.controller.drillRun(id)?.state !== "done"; step++) await h.run(500_000);
    const html = await (await fetch(`${h.url}/api/v1/drills/runs/${id}/report`)).text();
    const drillFault = faultTimes.find((event) => event.action === "injected");
    const healed = faultTimes.find((event) => event.action !== "injected" && event.id === drillFault?.id);
    expect(drillFault).toBeDefined();
    expect(healed).toBeDefined();
    const fromMs = drillFault?.atMs as number;
    const toMs = healed?.atMs as number;
    const rows = [
      ...html.matchAll(/<tr><td>(cell-\d+)<\/td><td>\d+<\/td><td>[^<]*<\/td><td>([^<]*)<\/td><td>[^<]*<\/td><td>([^<]*) ms<\/td>/g),
    ].map((match) => [match[1] as string, match[2] as string, Number(match[3])] as const);
    expect(rows.length).toBe(6);
    for (const [cell, shownRate, shownP99Ms] of rows) {
      // A traffic event at atMs closes the chart period [atMs - 500, atMs).
      const periods = page
        .filter((event) => event.atMs > fromMs && event.atMs - CHART_BIN_US / 1000 < toMs)
        .map((event) => event.cells[cell] ?? { errorRate: 0, p99Ms: 0 });
      expect(periods.length, cell).toBeGreaterThan(10);
      expect(shownRate, cell).toBe(formatRate(Math.max(0, ...periods.map((figures) => figures.errorRate))));
      expect(shownP99Ms, cell).toBe(Math.max(0, ...periods.map((figures) => figures.p99Ms)));
      expect(shownP99Ms, cell).toBeGreaterThan(0);
    }
  }, 240_000);

  it("the page never rounds a small error rate to 0 either", () => {
    const stats = new TrafficStats(createRandom(1));
    for (let i = 0; i < 400; i++) stats.recordOutcome("cell-1", i !== 0, 1_000);
    expect(stats.roll(CHART_BIN_US).cells.get("cell-1")?.errorRate).toBe(0.0025);
  });
});
