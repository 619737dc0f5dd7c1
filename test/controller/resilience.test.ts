// The resilience score per drill and schedule: passed, failed (a checker violation is a failure
// whatever the RTO), aborted, not run; through GET /api/v1/resilience and /metrics.
import { afterEach, describe, expect, it } from "vitest";
import { resilienceOf, verdictOf } from "../../controller/resilience.js";
import type { DrillRunRecord } from "../../domain/records.js";
import { startHarness, type Harness } from "./harness.js";

function run(
  id: number,
  outcome: DrillRunRecord["outcome"],
  options: { startedMs?: number; checkers?: Record<string, unknown>; schedule?: string; drill?: string } = {},
): DrillRunRecord {
  return {
    id: `r-${id}`,
    seq: id,
    startedAt: "",
    endedAt: null,
    drill: options.drill ?? "dc-outage",
    seed: 1,
    state: "done",
    progressPct: 100,
    outcome,
    rtoMs: {},
    lostAckedTransfers: 0,
    checkers: options.checkers ?? { bank: { valid: true } },
    startedMs: options.startedMs ?? 10_000,
    endedMs: 20_000,
    reasons: [],
    schedule: options.schedule ?? null,
  };
}

describe("the resilience score", () => {
  it("a checker violation is a failure whatever the outcome; INTERRUPTED did not run", () => {
    expect(verdictOf(run(1, "SUCCEEDED"))).toBe("passed");
    expect(verdictOf(run(2, "SUCCEEDED", { checkers: { bank: { valid: true }, linearizable: { valid: false } } }))).toBe("failed");
    expect(verdictOf(run(3, "ABORTED", { checkers: { durability: { valid: false } } }))).toBe("failed");
    expect(verdictOf(run(4, "SUCCEEDED", { checkers: { linearizable: { valid: "unknown" } } }))).toBe("failed");
    expect(verdictOf(run(5, "ABORTED"))).toBe("aborted");
    expect(verdictOf(run(6, "INTERRUPTED"))).toBe("notRun");
    expect(verdictOf({ ...run(7, null), state: "running" })).toBeNull();
  });

  it("counts per drill and per schedule inside the window only, skipped slots as not run", () => {
    const runs = [
      run(1, "SUCCEEDED", { schedule: "s-1" }),
      run(2, "FAILED", { schedule: "s-1" }),
      run(3, "ABORTED"),
      run(4, "SUCCEEDED", { startedMs: 0 }),
      run(5, "SUCCEEDED", { drill: "region-outage" }),
    ];
    const result = resilienceOf({
      runs,
      drills: ["dc-outage", "region-outage", "rolling-restart"],
      schedules: [{ id: "s-1", drill: "dc-outage" }],
      skipsMs: new Map([["s-1", [4_000, 50_000]]]),
      nowMs: 60_000,
      windowMs: 55_000,
    });
    expect(result.drills).toEqual([
      { drill: "dc-outage", passed: 1, failed: 1, aborted: 1, notRun: 1, score: 0.3333 },
      { drill: "region-outage", passed: 1, failed: 0, aborted: 0, notRun: 0, score: 1 },
      { drill: "rolling-restart", passed: 0, failed: 0, aborted: 0, notRun: 0, score: null },
    ]);
    expect(result.schedules).toEqual([{ schedule: "s-1", drill: "dc-outage", passed: 1, failed: 1, aborted: 0, notRun: 1, score: 0.5 }]);
  });
});

let harness: Harness;
afterEach(async () => {
  await harness?.close();
});

describe("resilience over the API", () => {
  it("passed, aborted and not-run runs show in GET /api/v1/resilience and /metrics", async () => {
    harness = await startHarness({ speed: 50 });
    const wait = async (id: string): Promise<void> => {
      while (harness.controller.drillRun(id)?.state !== "done") await new Promise((resolve) => setTimeout(resolve, 5));
    };
    const first = (await harness.request("POST", "/api/v1/drills/dc-outage/runs", {})).body as DrillRunRecord;
    await wait(first.id);
    const second = (await harness.request("POST", "/api/v1/drills/dc-outage/runs", {})).body as DrillRunRecord;
    expect((await harness.request("POST", `/api/v1/drills/runs/${second.id}/abort`, { reason: "test" })).status).toBe(200);
    const third = (await harness.request("POST", "/api/v1/drills/dc-outage/runs", {})).body as DrillRunRecord;
    await harness.request("POST", "/api/v1/faults", { type: "partition", target: { regions: ["hangzhou", "shanghai"] } });
    await wait(third.id);
    const resilience = (await harness.request("GET", "/api/v1/resilience")).body as { windowMs: number; drills: unknown[] };
    expect(resilience.windowMs).toBe(7 * 86_400_000);
    expect(resilience.drills).toEqual([{ drill: "dc-outage", passed: 1, failed: 0, aborted: 1, notRun: 1, score: 0.5 }]);
    expect((await harness.request("GET", "/api/v1/resilience?windowMs=-5")).status).toBe(400);
    const metrics = await fetch(`${harness.url}/metrics`).then((response) => response.text());
    expect(metrics).toContain('ldc_resilience_score{drill="dc-outage"} 0.5');
    expect(metrics).toContain('ldc_resilience_runs{drill="dc-outage",result="aborted"} 1');
    expect(metrics).toContain('ldc_resilience_runs{drill="dc-outage",result="not-run"} 1');
  });
});
