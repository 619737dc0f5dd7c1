// Drill runs through the API against the running real world, with the chaos module's runner:
// dc-outage SUCCEEDS (the runner's checkers over the world's history), a real fault injected
// while a drill runs makes it INTERRUPTED, and both are stored with their report.
import { afterEach, describe, expect, it } from "vitest";
import type { DrillRunRecord } from "../../../domain/records.js";
import { startRealHarness, type RealHarness, runUntilDone } from "./real-world.js";

let harness: RealHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** Starts dc-outage through the API after `warmUpUs` of the running world; returns the run id. */
async function startDcOutage(h: RealHarness, warmUpUs: number): Promise<string> {
  await h.run(warmUpUs);
  const started = await h.request("POST", "/api/v1/drills/dc-outage/runs", {});
  expect(started.status).toBe(202);
  return (started.body as DrillRunRecord).id;
}

describe("drills against the real world", () => {
  it("dc-outage through the API: SUCCEEDED with RTO per cell, no lost transfer, stored report", async () => {
    const h = (harness = await startRealHarness({ seed: 2, opsPerSecond: 200 }));
    const id = await startDcOutage(h, 1_000_000);
    const run = await runUntilDone(h, id, 120_000_000);
    expect(run.state).toBe("done");
    expect(run.reasons).toEqual([]);
    expect(run.outcome).toBe("SUCCEEDED");
    expect(run.lostAckedTransfers).toBe(0);
    // The datacenter with the most leaders lost power: some cell had to re-elect.
    expect(Object.keys(run.rtoMs).length).toBeGreaterThan(0);
    for (const rto of Object.values(run.rtoMs)) expect(rto).not.toBeNull();
    expect(Object.values(run.checkers).every((verdict) => (verdict as { valid: unknown }).valid === true)).toBe(true);
    const stored = (await h.request("GET", `/api/v1/drills/runs/${id}`)).body as DrillRunRecord;
    expect(stored).toMatchObject({ id, outcome: "SUCCEEDED" });
    const report = await fetch(`${h.url}/api/v1/drills/runs/${id}/report`);
    expect(report.status).toBe(200);
    expect(await report.text()).toContain("Drill dc-outage: SUCCEEDED");
    // The fault the drill injected is healed; the online checkers stayed valid through it.
    expect(h.setup.faults.active()).toEqual([]);
    expect(h.setup.consistency.snapshot()).toMatchObject({ valid: true, lostAckedTransfers: 0 });
  }, 240_000);

  it("a real fault during the drill makes it INTERRUPTED, audited and stored", async () => {
    const h = (harness = await startRealHarness({ seed: 3, opsPerSecond: 200 }));
    const id = await startDcOutage(h, 500_000);
    await h.run(2_000_000);
    expect(h.setup.controller.drillRun(id)?.state).toBe("running");
    const fault = await h.request("POST", "/api/v1/faults", { type: "latency", target: { select: "one" }, leaseMs: 3_000 });
    expect(fault.status).toBe(201);
    const run = await runUntilDone(h, id, 30_000_000);
    expect(run).toMatchObject({ state: "done", outcome: "INTERRUPTED" });
    expect(run.reasons.join(" ")).toContain((fault.body as { id: string }).id);
    const report = await fetch(`${h.url}/api/v1/drills/runs/${id}/report`);
    expect(await report.text()).toContain("INTERRUPTED");
    const audit = (await h.request("GET", "/api/v1/audit?kind=drill")).body as { entries: { action: string; outcome: string }[] };
    expect(audit.entries.some((entry) => entry.action === "finish" && entry.outcome === "INTERRUPTED")).toBe(true);
  }, 120_000);
});
