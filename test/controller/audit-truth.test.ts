// Issue 15, defects 5 and 6, against the REAL virtual world: every fault is audited when injected
// and when healed or expired, whoever did it (a drill's faults with the run as actor), once; and a
// restarted controller neither reuses fault ids nor lets its restarted simulated clock reorder the
// audit log or the drill runs.
import { afterEach, describe, expect, it } from "vitest";
import type { AuditEntry, DrillRunRecord } from "../../domain/records.js";
import { tempDataDirectory } from "./harness.js";
import { startRealHarness, type RealHarness, runUntilDone } from "../runtime/virtual/real-world.js";

let harness: RealHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function faultAudit(h: RealHarness): Promise<AuditEntry[]> {
  return ((await h.request("GET", "/api/v1/audit?kind=fault&limit=500")).body as { entries: AuditEntry[] }).entries;
}

describe("faults in the audit log", () => {
  it("a drill's faults are audited when injected and when they end, with the run as actor; an operator's once each", async () => {
    const h = (harness = await startRealHarness({ seed: 2, opsPerSecond: 200 }));
    await h.run(1_000_000);
    const manual = await h.request("POST", "/api/v1/faults", {
      type: "latency",
      target: { select: "one" },
      params: { delayMs: 20 },
      leaseMs: 60_000,
      reason: "game day",
    });
    expect(manual.status).toBe(201);
    const manualId = (manual.body as { id: string }).id;
    expect((await h.request("DELETE", `/api/v1/faults/${manualId}`)).status).toBe(204);
    const started = await h.request("POST", "/api/v1/drills/dc-outage/runs", {});
    expect(started.status).toBe(202);
    const runId = (started.body as DrillRunRecord).id;
    expect((await runUntilDone(h, runId, 120_000_000)).state).toBe("done");

    const entries = await faultAudit(h);
    const about = (id: string): AuditEntry[] => entries.filter((entry) => entry.target === id);
    expect(
      about(manualId)
        .map((entry) => entry.action)
        .sort(),
    ).toEqual(["heal", "inject"]);
    for (const entry of about(manualId)) expect(entry.actor.startsWith("api:")).toBe(true);
    expect(about(manualId).find((entry) => entry.action === "inject")?.reason).toBe("game day");

    const drillInjects = entries.filter((entry) => entry.action === "inject" && entry.actor === `drill:${runId}`);
    expect(drillInjects.length).toBeGreaterThan(0);
    for (const inject of drillInjects) {
      const ends = about(inject.target).filter((entry) => entry.action === "heal" || entry.action === "expire");
      expect(ends, inject.target).toHaveLength(1);
      if (ends[0]?.action === "heal") expect(ends[0].actor).toBe(`drill:${runId}`);
      expect((inject.details as { origin: string }).origin).toBe(`drill:${runId}`);
    }
    // Nothing ended that was never audited as injected.
    const injected = new Set(entries.filter((entry) => entry.action === "inject").map((entry) => entry.target));
    for (const entry of entries.filter((candidate) => candidate.action !== "inject" && candidate.action !== "heal-all"))
      expect(injected.has(entry.target), entry.target).toBe(true);
  }, 240_000);
});

describe("a controller restart", () => {
  it("never reuses a fault id; the audit log and the runs keep their order by sequence, with wall time beside simulated time", async () => {
    const dataDirectory = tempDataDirectory();
    const first = (harness = await startRealHarness({ seed: 4, opsPerSecond: 100, dataDirectory }));
    await first.run(3_000_000);
    const before = await first.request("POST", "/api/v1/faults", {
      type: "latency",
      target: { select: "one" },
      params: { delayMs: 10 },
      leaseMs: 1_000,
    });
    expect(before.status).toBe(201);
    await first.run(2_000_000);
    const runBefore = ((await first.request("POST", "/api/v1/drills/dc-outage/runs", {})).body as DrillRunRecord).id;
    expect((await runUntilDone(first, runBefore, 120_000_000)).state).toBe("done");
    await first.close();

    const second = (harness = await startRealHarness({ seed: 4, opsPerSecond: 100, dataDirectory }));
    await second.run(500_000);
    const after = await second.request("POST", "/api/v1/faults", {
      type: "latency",
      target: { select: "one" },
      params: { delayMs: 10 },
      leaseMs: 1_000,
    });
    expect(after.status).toBe(201);
    const [idBefore, idAfter] = [(before.body as { id: string }).id, (after.body as { id: string }).id];
    expect(idAfter).not.toBe(idBefore);

    const entries = await faultAudit(second);
    const injects = entries.filter((entry) => entry.action === "inject" && entry.actor.startsWith("api:"));
    expect(injects.map((entry) => entry.target)).toEqual([idAfter, idBefore]);
    // Newest first by sequence although the restarted simulated clock put the new row earlier.
    expect((injects[0] as AuditEntry).atMs).toBeLessThan((injects[1] as AuditEntry).atMs);
    expect((injects[0] as AuditEntry).id).toBeGreaterThan((injects[1] as AuditEntry).id);
    for (const entry of entries) expect(entry.wallTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);

    const runAfter = ((await second.request("POST", "/api/v1/drills/dc-outage/runs", {})).body as DrillRunRecord).id;
    expect(runAfter).not.toBe(runBefore);
    const runs = ((await second.request("GET", "/api/v1/drills/runs")).body as { runs: DrillRunRecord[] }).runs;
    expect(runs.map((run) => run.id)).toEqual([runBefore, runAfter]);
    const [older, newer] = runs as [DrillRunRecord, DrillRunRecord];
    expect(newer.seq).toBeGreaterThan(older.seq);
    expect(newer.startedMs).toBeLessThan(older.startedMs);
    for (const run of runs) expect(run.startedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(older.endedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  }, 120_000);
});
