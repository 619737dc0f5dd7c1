// The default world end to end in the simulator: determinism, the commit path's cost, and a
// region outage with no acknowledged transfer lost.
import { describe, expect, it } from "vitest";
import { defaultWorldConfig } from "../../../domain/config.js";
import { runCells } from "../../../runtime/virtual/run.js";
import { VirtualRuntime } from "../../../runtime/virtual/runtime.js";
import { checkRun } from "../../../harness/run-check.js";
import { percentile } from "../../../harness/checkers/availability.js";

describe("default world", () => {
  it("is deterministic: the same seed gives the same trace, another seed a different one", () => {
    const config = defaultWorldConfig();
    const a = runCells({ config, seed: 7, durationUs: 1_500_000 });
    const b = runCells({ config, seed: 7, durationUs: 1_500_000 });
    const c = runCells({ config, seed: 8, durationUs: 1_500_000 });
    expect(a.events).toBeGreaterThan(10_000);
    expect(b.traceHash).toBe(a.traceHash);
    expect(b.events).toBe(a.events);
    expect(c.traceHash).not.toBe(a.traceHash);
  });

  it("commits a hangzhou-led cell within one hangzhou-shanghai round trip + fsync + 1 ms", () => {
    const config = defaultWorldConfig();
    const virtual = new VirtualRuntime({ seed: 11, config, failFast: true });
    expect(virtual.settleLeaders(3_000_000)).toBe(true);
    virtual.startWorkload();
    virtual.runFor(3_000_000);
    const leader = virtual.cluster.cell("cell-1")?.leader;
    expect(leader?.region).toBe("hangzhou");
    const latencies = (virtual.node(leader?.replica ?? "")?.commitLatencies() ?? []).sort((x, y) => x - y);
    expect(latencies.length).toBeGreaterThan(500);
    // Quorum = hz-a, hz-b and the first shanghai replica: a commit waits for one hz<->sh round
    // trip (6 ms) plus the follower's fsync (0.25 ms), the leader's own fsync running in parallel.
    const boundUs = 6_000 + config.disk.fsyncLatencyUs + 1_000;
    expect(percentile(latencies, 0.5)).toBeLessThanOrEqual(boundUs);
    expect(percentile(latencies, 0.5)).toBeGreaterThanOrEqual(6_000); // really cross-region
    // The tail: a proposal that arrives while the leader's (or the follower's) previous batch is
    // being fsynced waits for it (group commit), up to one more fsync each; plus jitter.
    expect(percentile(latencies, 0.99)).toBeLessThanOrEqual(boundUs + 2 * config.disk.fsyncLatencyUs);
  });

  it("survives the loss of the region holding the leaders: new leaders elsewhere, no acknowledged transfer lost", () => {
    const config = defaultWorldConfig();
    const virtual = new VirtualRuntime({ seed: 5, config, failFast: true });
    expect(virtual.settleLeaders(3_000_000)).toBe(true);
    virtual.startWorkload();
    virtual.runFor(2_000_000);
    const ledBefore = virtual.cluster
      .cells()
      .filter((cell) => cell.leader?.region === "hangzhou")
      .map((cell) => cell.id);
    expect(ledBefore).toEqual(["cell-1", "cell-2", "cell-3"]);
    const startUs = virtual.nowUs();
    const hangzhouHosts = virtual.faults.hosts().filter((host) => host.region === "hangzhou");
    for (const host of hangzhouHosts) virtual.faults.crash(host.id);
    const cut = virtual.faults.partition({ kind: "region-vs-rest", region: "hangzhou" });
    virtual.runFor(5_000_000);
    for (const cell of virtual.cluster.cells()) {
      expect(cell.leader, cell.id).not.toBeNull();
      expect(cell.leader?.region, cell.id).not.toBe("hangzhou");
    }
    const endUs = virtual.nowUs();
    virtual.faults.heal(cut);
    for (const host of hangzhouHosts) virtual.faults.restart(host.id);
    virtual.runFor(2_000_000);
    virtual.drain(10_000_000);
    virtual.runFor(2_000_000);
    const verdicts = checkRun(virtual, { faultWindows: [{ id: "outage", kind: "region-outage", startUs, endUs }] });
    expect(verdicts.invariantViolations).toEqual([]);
    expect(verdicts.lostAckedTransfers).toBe(0);
    expect(verdicts.checkers.durability.valid).toBe(true);
    expect(verdicts.checkers["replica-agreement"].valid).toBe(true);
    expect(verdicts.checkers.bank.valid).toBe(true);
    for (const cell of ledBefore) {
      const rto = verdicts.rtoMs[cell];
      expect(rto, cell).not.toBeNull();
      expect(rto as number, cell).toBeLessThanOrEqual(1_500);
    }
  });
});
