// Drills end to end in the virtual runtime. Kept to a few short runs (the full 8 drills x 20 seeds
// is scripts/drills-all.sh); each run is a few seconds of wall time.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { builtinDrill } from "../../chaos/drill/builtin.js";
import { parseDrillText } from "../../chaos/drill/format.js";
import { startDrill } from "../../runtime/drill-runner.js";
import { runDrill } from "../../runtime/virtual/drill.js";
import type { DrillResult } from "../../chaos/drill/result.js";
import { FaultManager } from "../../chaos/fault-manager.js";
import { scheduleNemesis } from "../../chaos/nemesis.js";
import { VirtualRuntime } from "../../runtime/virtual/runtime.js";

const ROOT = join(import.meta.dirname, "..", "..");
const LDC = join(ROOT, "bin", "ldc.mjs");

function expectClean(result: DrillResult): void {
  expect(result.reasons).toEqual([]);
  expect(result.outcome).toBe("SUCCEEDED");
  expect(result.lostAckedTransfers).toBe(0);
  // The final heal restarted everything the drill took down.
  expect(result.replicasNotUp).toEqual([]);
  for (const [name, verdict] of Object.entries(result.checkers)) expect([name, verdict.valid]).toEqual([name, true]);
}

describe("drills in the virtual runtime", () => {
  it("dc-outage succeeds on seed 2: every cell recovers, nothing acknowledged is lost, every checker valid", async () => {
    const { result } = await runDrill(builtinDrill("dc-outage"), { seed: 2 });
    expectClean(result);
    expect(Object.keys(result.rtoMs).length).toBeGreaterThan(0);
    for (const rto of Object.values(result.rtoMs)) expect(rto).not.toBeNull();
    expect(Object.keys(result.checkers).sort()).toEqual([
      "availability",
      "bank",
      "durability",
      "global-conservation",
      "invariants",
      "linearizable",
      "liveness",
      "replica-agreement",
    ]);
  }, 120_000);

  it("leader-dc-partition succeeds on seed 5: the isolated leader's cell moves on without losing anything", async () => {
    const { result } = await runDrill(builtinDrill("leader-dc-partition"), { seed: 5 });
    expectClean(result);
    expect(result.faults).toHaveLength(1);
    expect(result.faults[0]).toMatchObject({ type: "partition", startMs: 10_000, endMs: 30_000 });
  }, 120_000);

  it("killing three of five replicas makes the cell unavailable; after recovery nothing acknowledged is lost", async () => {
    const drill = parseDrillText(`
name: lose-quorum
duration: 40s
workload: {profile: steady, opsPerSecond: 120}
steps:
  - at: 10s
    inject: {type: kill, cell: cell-1, select: majority, duration: 12s}
  - wait: 6s
  - expect: {unavailable: [cell-1], available: [cell-2, cell-5]}
expect: {lostAckedTransfersMax: 0, checkers: [linearizable, bank, durability, replica-agreement, invariants]}
`);
    const { result } = await runDrill(drill, { seed: 3 });
    expectClean(result);
    expect(result.steps.find((step) => step.kind === "expect")).toMatchObject({ ok: true, atMs: 16_000 });
    // No quorum for the 12 s: cell-1 answers nothing it was asked after the first seconds.
    expect(result.availability["cell-1"]?.duringErrorRate).toBeGreaterThan(0.3);
    expect(result.rtoMs["cell-1"]).toBeGreaterThan(5_000);
    expect(result.rtoMs["cell-1"]).not.toBeNull();
  }, 120_000);

  it("a scheduled drill on a running world is INTERRUPTED by a fault it did not inject", () => {
    const virtual = new VirtualRuntime({ seed: 4, workload: { opsPerSecond: 60, depositFraction: 0 } });
    virtual.awaitLeaders(2_000_000);
    virtual.startWorkload();
    const faults = new FaultManager(virtual.cluster);
    const drill = parseDrillText(
      `name: short\nduration: 20s\nsteps:\n  - {at: 5s, inject: {type: pause, target: {cell: cell-2, select: followers}, duration: 5s}}\n`,
    );
    let result: DrillResult | null = null;
    const handle = startDrill(virtual, drill, { faults }, (done) => (result = done));
    virtual.runFor(7_000_000);
    expect(handle.progressPct()).toBeGreaterThan(30);
    expect(faults.inject({ type: "latency", target: { region: "shenzhen" }, leaseMs: 3000 }, { origin: "api" }).ok).toBe(true);
    virtual.runFor(10_000_000);
    const finished = result as DrillResult | null;
    expect(finished?.outcome).toBe("INTERRUPTED");
    expect(finished?.reasons[0]).toContain("not injected by the drill");
    // The drill's own fault was healed at once; the operator's fault is left to its lease.
    expect(faults.active().filter((fault) => fault.type === "pause")).toHaveLength(0);
  }, 60_000);

  it("a nemesis schedule ends with a final heal and reports its fault windows", () => {
    const virtual = new VirtualRuntime({ seed: 5, workload: { opsPerSecond: 40, depositFraction: 0 } });
    virtual.awaitLeaders(2_000_000);
    const startUs = virtual.nowUs();
    const nemesis = scheduleNemesis(virtual, ["kill", "partition", "region-outage", "disk"], {
      intervalUs: 3_000_000,
      startUs,
      endUs: startUs + 14_000_000,
      faultUs: 5_000_000,
    });
    virtual.runFor(20_000_000);
    const windows = nemesis.windows();
    expect(windows.length + nemesis.skipped().length).toBe(5);
    for (const window of windows) {
      expect(window.startUs).toBeGreaterThanOrEqual(startUs);
      expect(window.endUs).toBeLessThanOrEqual(startUs + 14_000_000);
    }
    for (const host of virtual.cluster.faults.hosts()) expect([host.id, virtual.cluster.faults.isUp(host.id)]).toEqual([host.id, true]);
  }, 60_000);
});

describe("ldc drill run", () => {
  const dir = mkdtempSync(join(tmpdir(), "ldc-drill-"));

  it("same seed, same JSON; exit 0 on SUCCEEDED", () => {
    const file = join(dir, "short.yaml");
    writeFileSync(
      file,
      `name: short-partition\nduration: 25s\nworkload: {profile: steady, opsPerSecond: 80}\nsteps:\n  - at: 8s\n    inject: {type: partition, target: {select: leader}, shape: isolate, duration: 6s}\nexpect: {rtoMsMax: 1500}\n`,
    );
    const run = (): string =>
      execFileSync(process.execPath, [LDC, "drill", "run", file, "--seed", "6", "--json"], { cwd: ROOT, encoding: "utf8" });
    const first = run();
    expect(first.trim().split("\n")).toHaveLength(1);
    const parsed = JSON.parse(first) as DrillResult;
    expect(parsed).toMatchObject({ drill: "short-partition", seed: 6, outcome: "SUCCEEDED", lostAckedTransfers: 0 });
    expect(typeof parsed.traceHash).toBe("string");
    expect(run()).toBe(first);
  }, 120_000);

  it("rtoMsMax: 1 on region-outage FAILS with the measured figure and the reproducing command", () => {
    const file = join(dir, "strict.yaml");
    writeFileSync(
      file,
      `name: strict-region-outage\nduration: 30s\nworkload: {profile: steady, opsPerSecond: 100}\nsteps:\n  - at: 8s\n    inject: {type: region-outage, select: leader, duration: 12s}\nexpect: {rtoMsMax: 1, lostAckedTransfersMax: 0, checkers: [durability]}\n`,
    );
    const out = join(dir, "report");
    const result = spawnSync(process.execPath, [LDC, "drill", "run", file, "--seed", "1", "--out", out], { cwd: ROOT, encoding: "utf8" });
    expect(result.status).toBe(1);
    expect(existsSync(join(out, "history.jsonl")) && existsSync(join(out, "verdicts.json")) && existsSync(join(out, "report.html"))).toBe(
      true,
    );
    expect(readFileSync(join(out, "verdicts.json"), "utf8")).toContain('"outcome": "FAILED"');
    expect(result.stdout).toMatch(/FAILED/);
    expect(result.stdout).toMatch(/reason: rto: cell-\d recovered in \d+(\.\d+)? ms > rtoMsMax 1 ms/);
    expect(result.stdout).toContain(`reproduce: ldc drill run ${file} --seed 1`);
  }, 120_000);

  it("bad drill files exit 2 naming the field (and the line)", () => {
    const cases: [string, RegExp][] = [
      [
        "name: x\nduration: 30s\nsteps:\n  - at: 5s\n    inject: {type: meteor}\n",
        /steps\[0\]\.inject\.type \(line 5\): unknown fault type "meteor"/,
      ],
      [
        "name: x\nduration: 30s\nsteps:\n  - at: 5s\n    inject: {type: dc-outage, datacenter: mars-1}\n",
        /steps\[0\]\.inject\.datacenters \(line 5\): unknown datacenter "mars-1"/,
      ],
      [
        "name: x\nduration: 30s\nsteps:\n  - at: 45s\n    inject: {type: kill}\n",
        /steps\[0\]\.at \(line 4\): at 45s is after the end of the drill/,
      ],
    ];
    cases.forEach(([text, message], index) => {
      const file = join(dir, `bad-${index}.yaml`);
      writeFileSync(file, text);
      const result = spawnSync(process.execPath, [LDC, "drill", "run", file], { cwd: ROOT, encoding: "utf8" });
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    });
    const unknown = spawnSync(process.execPath, [LDC, "drill", "run", "no-such-drill"], { cwd: ROOT, encoding: "utf8" });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("drill: expected a built-in drill");
  }, 60_000);
});
