// The kill switch through the HTTP API (fake paced cluster): heals every fault, interrupts the
// running drill, pauses schedules, refuses new faults and drills with rule "halted" (force does not
// override it) while recovery actions stay allowed; audited; survives a restart; released, chaos runs again.
import { afterEach, describe, expect, it } from "vitest";
import { nextFireMs } from "../../controller/schedules.js";
import type { AuditEntry, DrillRunRecord, HaltState, ScheduleRecord } from "../../domain/records.js";
import { startHarness, tempDataDirectory, type Harness } from "./harness.js";

let harness: Harness;
afterEach(async () => {
  await harness?.close();
});

async function waitSimMs(h: Harness, ms: number): Promise<void> {
  const target = h.cluster.clock.nowUs() + ms * 1000;
  while (h.cluster.clock.nowUs() < target) await new Promise((resolve) => setTimeout(resolve, 5));
}

async function audit(h: Harness, kind: string): Promise<AuditEntry[]> {
  return ((await h.request("GET", `/api/v1/audit?kind=${kind}`)).body as { entries: AuditEntry[] }).entries;
}

describe("the kill switch", () => {
  it("halt heals every fault, interrupts the running drill, refuses new faults and drills (even forced), allows evacuate; release re-allows", async () => {
    harness = await startHarness({ waitPeriodMs: 0 });
    expect((await harness.request("GET", "/api/v1/halt")).body).toMatchObject({ halted: false });
    const drill = await harness.request("POST", "/api/v1/drills/dc-outage/runs", {});
    const runId = (drill.body as DrillRunRecord).id;
    expect(harness.faults.active()).toHaveLength(0);
    expect((await harness.request("POST", "/api/v1/halt", {})).body).toMatchObject({ field: "reason" });
    expect(harness.controller.drillRun(runId)?.state).toBe("running");
    const halted = await harness.request("POST", "/api/v1/halt", { reason: "incident INC-42" });
    expect(halted.status).toBe(200);
    expect(halted.body).toMatchObject({ halted: true, reason: "incident INC-42", interruptedRun: runId });
    const run = harness.controller.drillRun(runId);
    expect(run).toMatchObject({ state: "done", outcome: "INTERRUPTED" });
    expect(run?.reasons[0]).toContain("halted");

    const fault = await harness.request("POST", "/api/v1/faults", { type: "partition", target: { regions: ["hangzhou", "shanghai"] } });
    expect(fault).toMatchObject({ status: 409, body: { rule: "halted" } });
    expect(harness.faults.active()).toHaveLength(0);
    const refusedDrill = await harness.request("POST", "/api/v1/drills/dc-outage/runs", { force: true, reason: "I know better" });
    expect(refusedDrill).toMatchObject({ status: 409, body: { rule: "halted" } });
    expect(harness.drills.started).toHaveLength(1);
    // Recovery is never blocked by halting chaos.
    expect((await harness.request("POST", "/api/v1/regions/hangzhou/evacuate", { reason: "during the incident" })).status).toBe(200);
    expect((await harness.request("POST", "/api/v1/regions/hangzhou/restore", {})).status).toBe(200);

    expect((await harness.request("POST", "/api/v1/halt/release", {})).status).toBe(400);
    const released = await harness.request("POST", "/api/v1/halt/release", { reason: "incident closed" });
    expect(released).toMatchObject({ status: 200, body: { halted: false } });
    expect((await harness.request("POST", "/api/v1/halt/release", { reason: "again" })).status).toBe(409);
    expect(
      (await harness.request("POST", "/api/v1/faults", { type: "partition", target: { regions: ["hangzhou", "shanghai"] } })).status,
    ).toBe(201);
    await harness.request("DELETE", "/api/v1/faults");
    expect((await harness.request("POST", "/api/v1/drills/dc-outage/runs", {})).status).toBe(202);

    const halts = await audit(harness, "halt");
    expect(halts.map((entry) => [entry.action, entry.reason])).toEqual([
      ["release", "incident closed"],
      ["halt", "incident INC-42"],
    ]);
    const refusals = (await audit(harness, "refusal")).filter((entry) => entry.rule === "halted");
    expect(refusals.map((entry) => entry.action).sort()).toEqual(["drill", "inject"]);
  });

  it("halt heals faults already active", async () => {
    harness = await startHarness();
    expect(
      (await harness.request("POST", "/api/v1/faults", { type: "partition", target: { regions: ["hangzhou", "shanghai"] } })).status,
    ).toBe(201);
    expect(
      (await harness.request("POST", "/api/v1/faults", { type: "partition", target: { regions: ["hangzhou", "shanghai"] } })).status,
    ).toBe(201);
    const halted = await harness.request("POST", "/api/v1/halt", { reason: "stop everything" });
    expect(halted.body).toMatchObject({ healedFaults: 2, interruptedRun: null });
    expect(((await harness.request("GET", "/api/v1/faults")).body as { faults: unknown[] }).faults).toEqual([]);
  });

  it("pauses schedules (skips audited) and survives a controller restart on the same data directory", async () => {
    const dataDirectory = tempDataDirectory();
    harness = await startHarness({ dataDirectory, speed: 100 });
    const schedule = (await harness.request("POST", "/api/v1/schedules", { drill: "dc-outage", cron: "*/2 * * * *" }))
      .body as ScheduleRecord;
    expect((await harness.request("POST", "/api/v1/halt", { reason: "freeze" })).status).toBe(200);
    const listed = ((await harness.request("GET", "/api/v1/schedules")).body as { schedules: ScheduleRecord[] }).schedules[0];
    expect(listed).toMatchObject({ id: schedule.id, paused: true });
    await waitSimMs(harness, nextFireMs("*/2 * * * *", 0) + 1_000);
    expect(harness.drills.started).toEqual([]);
    const skips = (await audit(harness, "schedule")).filter((entry) => entry.action === "skip");
    expect(skips[0]).toMatchObject({ rule: "halted", outcome: "skipped" });
    await harness.close();

    harness = await startHarness({ dataDirectory });
    const state = (await harness.request("GET", "/api/v1/halt")).body as HaltState;
    expect(state).toMatchObject({ halted: true, reason: "freeze" });
    expect((await harness.request("POST", "/api/v1/drills/dc-outage/runs", {})).body).toMatchObject({ rule: "halted" });
    const metrics = await fetch(`${harness.url}/metrics`).then((response) => response.text());
    expect(metrics).toMatch(/^ldc_chaos_halted 1$/m);
    expect((await harness.request("POST", "/api/v1/halt/release", { reason: "thaw" })).status).toBe(200);
    expect(await fetch(`${harness.url}/metrics`).then((response) => response.text())).toMatch(/^ldc_chaos_halted 0$/m);
  });
});

describe("schedule default stop conditions", () => {
  it("a schedule's stop reaches its runs (a drill without its own), and a run request's stop replaces the drill's", async () => {
    harness = await startHarness({ speed: 100 });
    const created = await harness.request("POST", "/api/v1/schedules", {
      drill: "dc-outage",
      cron: "*/2 * * * *",
      stop: { errorRateMax: 0.1, window: "2s" },
    });
    expect(created.status).toBe(201);
    expect((created.body as ScheduleRecord).stop).toEqual({
      errorRateMax: 0.1,
      p99MsMax: null,
      lostAckedTransfersMax: null,
      unavailableMsMax: null,
      windowMs: 2000,
    });
    await waitSimMs(harness, nextFireMs("*/2 * * * *", 0) + 1_000);
    expect(harness.drills.options[0]?.defaultStop).toMatchObject({ errorRateMax: 0.1, windowMs: 2000 });
    const run = harness.controller.drillRuns()[0];
    expect(run?.stop).toMatchObject({ errorRateMax: 0.1 });
    await waitSimMs(harness, 11_000);
    const manual = await harness.request("POST", "/api/v1/drills/dc-outage/runs", { stop: { p99MsMax: 250 } });
    expect((manual.body as DrillRunRecord).stop).toMatchObject({ p99MsMax: 250, windowMs: 5000 });
    expect(harness.drills.options[1]?.stop).toMatchObject({ p99MsMax: 250 });
  });
});
