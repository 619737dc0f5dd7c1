// Stop conditions: a drill whose health goes bad stops by itself (ABORTED, faults healed at once,
// checkers run over what happened); an operator can abort a drill the same way.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDrill, parseDrillText } from "../../chaos/drill/format.js";
import { startDrill } from "../../runtime/drill-runner.js";
import { runDrill } from "../../runtime/virtual/drill.js";
import type { DrillResult } from "../../chaos/drill/result.js";
import { ChaosError } from "../../chaos/errors.js";
import { FaultManager } from "../../chaos/fault-manager.js";
import { VirtualRuntime } from "../../runtime/virtual/runtime.js";

const ROOT = join(import.meta.dirname, "..", "..");
const LDC = join(ROOT, "bin", "ldc.mjs");

function fieldOf(input: unknown): string {
  try {
    parseDrill(input);
  } catch (error) {
    if (error instanceof ChaosError) return `${error.field}: ${error.reason}`;
    throw error;
  }
  return "accepted";
}

describe("stop conditions in the drill format", () => {
  const base = { name: "x", duration: "30s" };
  it("reads the four limits and the window; none set means no stop conditions", () => {
    const drill = parseDrill({
      ...base,
      stop: { errorRateMax: 0.2, p99MsMax: 300, lostAckedTransfersMax: 0, unavailableMsMax: 2000, window: "2s" },
    });
    expect(drill.stop).toEqual({ errorRateMax: 0.2, p99MsMax: 300, lostAckedTransfersMax: 0, unavailableMsMax: 2000, windowUs: 2_000_000 });
    expect(parseDrill({ ...base, stop: { p99MsMax: 1 } }).stop?.windowUs).toBe(5_000_000);
    expect(parseDrill(base).stop).toBeNull();
  });

  it("rejects negative and non-numeric limits naming the field", () => {
    expect(fieldOf({ ...base, stop: { p99MsMax: -1 } })).toMatch(/^stop\.p99MsMax: expected a non-negative number of milliseconds, got -1/);
    expect(fieldOf({ ...base, stop: { errorRateMax: "lots" } })).toMatch(/^stop\.errorRateMax: expected an error rate in \[0, 1\]/);
    expect(fieldOf({ ...base, stop: { errorRateMax: 1.5 } })).toMatch(/^stop\.errorRateMax: expected an error rate in \[0, 1\], got 1\.5/);
    expect(fieldOf({ ...base, stop: { lostAckedTransfersMax: 0.5 } })).toMatch(
      /^stop\.lostAckedTransfersMax: expected a non-negative count/,
    );
    expect(fieldOf({ ...base, stop: { unavailableMsMax: null } })).toMatch(/^stop\.unavailableMsMax: /);
    expect(fieldOf({ ...base, stop: { p99Max: 3 } })).toBe("stop.p99Max: unknown key");
    expect(fieldOf({ ...base, stop: { p99MsMax: 3, window: "0s" } })).toBe("stop.window: expected a positive duration");
  });
});

describe("a drill stopped by its stop conditions", () => {
  it("unavailableMsMax: losing a cell's quorum ends the drill ABORTED within the limit, its faults healed and the checkers run", async () => {
    const drill = parseDrillText(`
name: quorum-loss-stops
duration: 60s
workload: {profile: steady, opsPerSecond: 100}
steps:
  - at: 5s
    inject: {type: kill, cell: cell-1, select: majority, duration: 40s}
stop: {unavailableMsMax: 1500}
`);
    const { result, virtual } = await runDrill(drill, { seed: 3 });
    expect(result.outcome).toBe("ABORTED");
    expect(result.stoppedBy?.condition).toBe("unavailableMsMax");
    expect(result.stoppedBy?.value).toBeGreaterThan(1500);
    // Checked every 250 ms: the breach is seen within one period of crossing the limit.
    expect(result.stoppedBy?.atMs).toBeGreaterThanOrEqual(6_500);
    expect(result.stoppedBy?.atMs).toBeLessThan(7_000);
    expect(result.reasons[0]).toMatch(/^stopped by unavailableMsMax: measured \d+(\.\d+)? ms > 1500 ms/);
    // The kill was healed at the breach, not 40 s later.
    expect(result.faults).toHaveLength(1);
    expect(result.faults[0]?.endMs).toBe(result.stoppedBy?.atMs);
    expect(result.stop).toMatchObject({ unavailableMsMax: 1500, windowMs: 5000 });
    expect(Object.keys(result.checkers)).toContain("linearizable");
    expect(result.lostAckedTransfers).toBe(0);
    expect(virtual.cluster.cells().every((cell) => cell.quorumAvailable)).toBe(true);
  }, 120_000);

  it("errorRateMax judges a sliding window: a latency fault does not trip it, a cell losing its quorum does", async () => {
    const tolerant = (
      await runDrill(
        parseDrillText(
          `name: slow\nduration: 20s\nworkload: {profile: steady, opsPerSecond: 100}\nsteps:\n  - {at: 3s, inject: {type: latency, region: shanghai, delayMs: 30, duration: 10s}}\nstop: {errorRateMax: 0.05}\nexpect: {checkers: [durability]}\n`,
        ),
        { seed: 2 },
      )
    ).result;
    expect(tolerant.outcome).toBe("SUCCEEDED");
    expect(tolerant.stoppedBy).toBeNull();
    const outage = (
      await runDrill(
        parseDrillText(
          `name: outage\nduration: 40s\nworkload: {profile: steady, opsPerSecond: 100}\nsteps:\n  - {at: 3s, inject: {type: kill, cell: cell-1, select: majority, duration: 30s}}\nstop: {errorRateMax: 0.05, window: 2s}\nexpect: {checkers: [durability]}\n`,
        ),
        { seed: 2 },
      )
    ).result;
    expect(outage.outcome).toBe("ABORTED");
    expect(outage.stoppedBy?.condition).toBe("errorRateMax");
    expect(outage.stoppedBy?.value).toBeGreaterThan(0.05);
    // Requests to the dead cell fail only at their 5 s deadline: the window sees them after that.
    expect(outage.faults[0]?.endMs).toBeLessThan(12_000);
    expect(outage.faults[0]?.endMs).toBe(outage.stoppedBy?.atMs);
  }, 120_000);

  it("an operator's abort on a running world heals the drill's faults at once and ends ABORTED with the reason", () => {
    const virtual = new VirtualRuntime({ seed: 4, workload: { opsPerSecond: 60, depositFraction: 0 } });
    virtual.awaitLeaders(2_000_000);
    virtual.startWorkload();
    const faults = new FaultManager(virtual.cluster);
    const drill = parseDrillText(
      `name: long\nduration: 60s\nsteps:\n  - {at: 2s, inject: {type: partition, target: {cell: cell-2, select: leader}, duration: 50s}}\n`,
    );
    let result: DrillResult | null = null;
    const prediction = { atMs: 100, outcome: "SUCCEEDED", rtoMs: { "cell-2": 420 }, lostAckedTransfers: 0, errorRate: 0.01, p99Ms: 30 };
    const handle = startDrill(virtual, drill, { faults, prediction }, (done) => (result = done));
    virtual.runFor(4_000_000);
    expect(faults.active()).toHaveLength(1);
    handle.abort("the pager went off");
    expect(faults.active()).toHaveLength(0);
    virtual.runFor(10_000_000);
    const finished = result as DrillResult | null;
    expect(finished?.outcome).toBe("ABORTED");
    expect(finished?.abortReason).toBe("the pager went off");
    expect(finished?.reasons[0]).toBe("aborted: the pager went off");
    expect(finished?.stoppedBy).toBeNull();
    // A rehearsal's prediction rides along into the result, for the report.
    expect(finished?.prediction).toEqual(prediction);
  }, 60_000);
});

describe("ldc drill run with stop conditions", () => {
  const dir = mkdtempSync(join(tmpdir(), "ldc-drill-stop-"));

  it("stop: {p99MsMax: 1} ends ABORTED, exit 1, stoppedBy.condition p99MsMax, no fault left", () => {
    const file = join(dir, "p99.yaml");
    writeFileSync(
      file,
      `name: stop-on-p99\nduration: 30s\nworkload: {profile: steady, opsPerSecond: 100}\nsteps:\n  - at: 1s\n    inject: {type: latency, region: hangzhou, delayMs: 80, duration: 20s}\nstop: {p99MsMax: 1, window: 2s}\n`,
    );
    const run = spawnSync(process.execPath, [LDC, "drill", "run", file, "--seed", "1", "--json"], { cwd: ROOT, encoding: "utf8" });
    expect(run.status).toBe(1);
    const result = JSON.parse(run.stdout) as DrillResult;
    expect(result.outcome).toBe("ABORTED");
    expect(result.stoppedBy).toMatchObject({ condition: "p99MsMax", limit: 1 });
    expect(result.stoppedBy?.value).toBeGreaterThan(1);
    expect(result.simulatedMs).toBeLessThan(30_000);
    for (const fault of result.faults) expect(fault.endMs).toBeLessThanOrEqual(result.stoppedBy?.atMs ?? 0);
    expect(run.stderr).toContain("drill ABORTED: stopped by p99MsMax");
  }, 60_000);

  it("a negative limit exits 2 with one line naming the field and its line", () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "name: x\nduration: 30s\nstop:\n  p99MsMax: -5\n");
    const run = spawnSync(process.execPath, [LDC, "drill", "run", file], { cwd: ROOT, encoding: "utf8" });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/stop\.p99MsMax \(line 4\): expected a non-negative number of milliseconds, got -5/);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
  }, 60_000);
});
