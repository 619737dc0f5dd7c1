// The API's edges: 401 without the token, 400 naming the field, fuzzed bodies on every mutating
// route (only 2xx/4xx, no state change on a 4xx), schedules firing on simulated time, and the
// audit log and schedules surviving a controller restart on the same data directory.
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { nextFireMs } from "../../../controller/schedules.js";
import type { AuditEntry, DrillRunRecord, RoutingSnapshot, ScheduleRecord } from "../../../domain/records.js";
import { startHarness, tempDataDirectory, type Harness } from "../harness.js";

let harness: Harness;
afterEach(async () => {
  await harness?.close();
});

const MUTATING: readonly [string, string][] = [
  ["POST", "/api/v1/cells/cell-1/failover"],
  ["POST", "/api/v1/regions/hangzhou/evacuate"],
  ["POST", "/api/v1/regions/hangzhou/restore"],
  ["POST", "/api/v1/faults"],
  ["DELETE", "/api/v1/faults/f-1"],
  ["DELETE", "/api/v1/faults"],
  ["POST", "/api/v1/drills/dc-outage/runs"],
  ["POST", "/api/v1/schedules"],
  ["PUT", "/api/v1/schedules/s-1"],
  ["DELETE", "/api/v1/schedules/s-1"],
  ["POST", "/api/v1/drills/runs/r-1/abort"],
  ["POST", "/api/v1/halt"],
  ["POST", "/api/v1/halt/release"],
];

async function waitSimMs(h: Harness, ms: number): Promise<void> {
  const target = h.cluster.clock.nowUs() + ms * 1000;
  while (h.cluster.clock.nowUs() < target) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe("controller API edges", () => {
  it("answers 401 to every mutating route without a valid token, and changes nothing", async () => {
    harness = await startHarness();
    for (const [method, route] of MUTATING) {
      for (const token of [null, "wrong"]) {
        const response = await harness.request(method, route, { to: "shanghai" }, { token });
        expect(response.status, `${method} ${route}`).toBe(401);
        expect(response.body).toEqual({ error: "missing or invalid bearer token" });
      }
    }
    expect(harness.cluster.transfers).toBe(0);
    expect(((await harness.request("GET", "/api/v1/audit")).body as { entries: unknown[] }).entries).toEqual([]);
  });

  it("400s name the field; malformed JSON is a JSON 400", async () => {
    harness = await startHarness();
    const missing = await harness.request("POST", "/api/v1/cells/cell-1/failover", {});
    expect(missing).toMatchObject({ status: 400, body: { field: "to" } });
    const unknown = await harness.request("POST", "/api/v1/regions/hangzhou/evacuate", { reasn: "typo" });
    expect(unknown.status).toBe(400);
    expect((unknown.body as { error: string }).error).toContain("reasn");
    const malformed = await harness.request("POST", "/api/v1/schedules", undefined, { raw: '{"drill": ' });
    expect(malformed).toMatchObject({ status: 400, body: { field: "(body)" } });
    const badCron = await harness.request("POST", "/api/v1/schedules", { drill: "dc-outage", cron: "every tuesday" });
    expect(badCron).toMatchObject({ status: 400, body: { field: "cron" } });
    const openapi = await harness.request("GET", "/api/v1/openapi.json");
    expect((openapi.body as { openapi: string; paths: Record<string, unknown> }).paths).toHaveProperty("/api/v1/cells/{cell}/failover");
  });

  it("fuzzed bodies on every mutating route: only 2xx/4xx, and a 4xx changes no state", async () => {
    harness = await startHarness({ speed: 50 });
    const h = harness;
    const state = async () => ({
      routing: ((await h.request("GET", "/api/v1/routing")).body as RoutingSnapshot).version,
      schedules: JSON.stringify(
        ((await h.request("GET", "/api/v1/schedules")).body as { schedules: ScheduleRecord[] }).schedules.map((s) => [
          s.id,
          s.cron,
          s.enabled,
          s.drill,
        ]),
      ),
      faults: ((await h.request("GET", "/api/v1/faults")).body as { faults: unknown[] }).faults.length,
      runs: ((await h.request("GET", "/api/v1/drills/runs")).body as { runs: unknown[] }).runs.length,
      leaders: harness.cluster
        .cells()
        .map((cell) => cell.leader?.replica)
        .join(","),
    });
    const body = fc.oneof(
      fc.anything(),
      fc.record(
        {
          to: fc.oneof(fc.string(), fc.constantFrom("shanghai", "sh-a", "nowhere")),
          reason: fc.option(fc.string()),
          force: fc.option(fc.boolean()),
        },
        { requiredKeys: [] },
      ),
      fc.record(
        {
          drill: fc.oneof(fc.string(), fc.constant("dc-outage")),
          cron: fc.oneof(fc.string(), fc.constant("0 0 1 1 *")),
          maxDurationMs: fc.integer(),
          allowedWindows: fc.array(fc.string()),
        },
        { requiredKeys: [] },
      ),
      fc.record(
        { type: fc.oneof(fc.string(), fc.constant("partition")), target: fc.anything(), seed: fc.oneof(fc.integer(), fc.double()) },
        { requiredKeys: [] },
      ),
    );
    for (const [method, route] of MUTATING) {
      await fc.assert(
        fc.asyncProperty(body, async (value) => {
          const before = await state();
          const response = await h.request(method, route, value);
          expect(response.status, `${method} ${route} ${JSON.stringify(value)}`).toBeGreaterThanOrEqual(200);
          expect(response.status, `${method} ${route} ${JSON.stringify(value)} -> ${JSON.stringify(response.body)}`).toBeLessThan(500);
          if (response.status >= 400) expect(await state()).toEqual(before);
          // docs/API.md: every 400 names its field (issue 15, defect 10).
          if (response.status === 400)
            expect(
              (response.body as { field?: unknown }).field,
              `${method} ${route} ${JSON.stringify(value)} -> ${JSON.stringify(response.body)}`,
            ).toEqual(expect.any(String));
          // Undo accepted changes so each run starts from the same world.
          if (response.status < 300) {
            h.faults.healAll();
          }
        }),
        { numRuns: 15, seed: 6 },
      );
    }
  });

  it("a cron schedule runs its drill at the expected simulated time and stores the outcome", async () => {
    harness = await startHarness({ speed: 100 });
    const created = await harness.request("POST", "/api/v1/schedules", { drill: "dc-outage", cron: "*/2 * * * *", maxDurationMs: 60_000 });
    expect(created.status).toBe(201);
    const schedule = created.body as ScheduleRecord;
    const expectedMs = nextFireMs("*/2 * * * *", 0);
    expect(expectedMs).toBe(120_000);
    expect(schedule.nextRunMs).toBe(expectedMs);
    await waitSimMs(harness, expectedMs + 11_000);
    expect(harness.drills.started[0]).toBe(expectedMs);
    const runs = ((await harness.request("GET", "/api/v1/drills/runs")).body as { runs: DrillRunRecord[] }).runs;
    expect(runs[0]).toMatchObject({
      drill: "dc-outage",
      schedule: schedule.id,
      state: "done",
      outcome: "SUCCEEDED",
      startedMs: expectedMs,
    });
    const listed = ((await harness.request("GET", "/api/v1/schedules")).body as { schedules: ScheduleRecord[] }).schedules[0];
    expect(listed?.lastRun?.outcome).toBe("SUCCEEDED");
    expect(listed?.nextRunMs).toBe(240_000);
    const report = await harness.request("GET", `/api/v1/drills/runs/${runs[0]?.id}/report`);
    expect(report).toMatchObject({ status: 200, body: "<html>ok</html>" });
  });

  it("a running drill's report URL shows its progress (202 HTML), then the report once it ends", async () => {
    harness = await startHarness({ speed: 20 });
    const started = await harness.request("POST", "/api/v1/drills/dc-outage/runs", {});
    const id = (started.body as DrillRunRecord).id;
    const pending = await harness.request("GET", `/api/v1/drills/runs/${id}/report`);
    expect(pending.status).toBe(202);
    expect(String(pending.body)).toContain(`Drill dc-outage <code>${id}</code> is running`);
    expect(String(pending.body)).toContain('http-equiv="refresh"');
    await waitSimMs(harness, 11_000);
    expect(await harness.request("GET", `/api/v1/drills/runs/${id}/report`)).toMatchObject({ status: 200, body: "<html>ok</html>" });
    expect(await harness.request("GET", "/api/v1/drills/runs/r-999/report")).toMatchObject({
      status: 404,
      body: { error: "no drill run r-999" },
    });
  });

  it("a real fault during a drill interrupts it", async () => {
    harness = await startHarness({ speed: 20 });
    const started = await harness.request("POST", "/api/v1/drills/dc-outage/runs", {});
    expect(started.status).toBe(202);
    expect(
      (await harness.request("POST", "/api/v1/faults", { type: "partition", target: { regions: ["hangzhou", "shanghai"] } })).status,
    ).toBe(201);
    const run = (await harness.request("GET", `/api/v1/drills/runs/${(started.body as DrillRunRecord).id}`)).body as DrillRunRecord;
    expect(run).toMatchObject({ state: "done", outcome: "INTERRUPTED" });
    expect(run.reasons.join(" ")).toContain("real fault");
  });

  it("schedules, runs and the audit log survive a controller restart on the same data directory", async () => {
    const dataDirectory = tempDataDirectory();
    harness = await startHarness({ dataDirectory });
    expect(
      (await harness.request("POST", "/api/v1/schedules", { drill: "dc-outage", cron: "0 3 * * 2", blockedWindows: ["08:00-20:00"] }))
        .status,
    ).toBe(201);
    expect((await harness.request("POST", "/api/v1/regions/shenzhen/evacuate", { reason: "before restart" })).status).toBe(200);
    const auditBefore = ((await harness.request("GET", "/api/v1/audit")).body as { entries: AuditEntry[] }).entries;
    await harness.close();
    harness = await startHarness({ dataDirectory });
    const schedules = ((await harness.request("GET", "/api/v1/schedules")).body as { schedules: ScheduleRecord[] }).schedules;
    expect(schedules).toHaveLength(1);
    expect(schedules[0]).toMatchObject({ id: "s-1", cron: "0 3 * * 2", blockedWindows: ["08:00-20:00"], enabled: true });
    expect(schedules[0]?.nextRunMs).toBe(nextFireMs("0 3 * * 2", 0));
    const auditAfter = ((await harness.request("GET", "/api/v1/audit")).body as { entries: AuditEntry[] }).entries;
    expect(auditAfter.map((entry) => entry.id)).toEqual(auditBefore.map((entry) => entry.id));
    expect(auditAfter.some((entry) => entry.kind === "action" && entry.action === "evacuate" && entry.reason === "before restart")).toBe(
      true,
    );
    const second = await harness.request("POST", "/api/v1/schedules", { drill: "dc-outage", cron: "0 4 * * 2" });
    expect((second.body as ScheduleRecord).id).toBe("s-2");
  });
});
