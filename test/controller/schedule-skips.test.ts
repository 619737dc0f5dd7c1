// A schedule's slot that fires without starting its drill (controller/schedules.ts): each reason
// is audited as a `skip` of the drill by `schedule:<id>` with its rule: the kill switch (halted,
// skipped), no control host (control-quorum, skipped), outside the allowed windows (no rule,
// skipped), and the runs refusing it (their rule, refused). A slot that starts its drill audits
// no skip.
import { describe, expect, it } from "vitest";
import { DrillScheduler } from "../../controller/schedules.js";
import type { DrillRuns } from "../../controller/drills.js";
import { MemoryStore } from "../../controller/store/memory-store.js";
import { ManualClock } from "../ground/manual-clock.js";

const MINUTE_US = 60_000_000;

function world(windows: { allowedWindows?: string[] } = {}) {
  const clock = new ManualClock();
  const store = new MemoryStore(() => "2026-01-01T00:00:00.000Z");
  const state = { paused: false, hosted: true, refusal: null as { error: string; rule: string } | null, started: 0 };
  const runs = {
    list: () => [],
    start: () => {
      if (state.refusal !== null) return { ok: false, code: "CONFLICT", ...state.refusal };
      state.started += 1;
      return { ok: true, value: {} };
    },
  } as unknown as DrillRuns;
  const scheduler = new DrillScheduler({
    clock,
    store,
    runs,
    audit: store,
    drillExists: () => true,
    paused: () => state.paused,
    hosted: () => state.hosted,
  });
  const created = scheduler.create({ drill: "dc-outage", cron: "* * * * *", ...windows }, "test");
  if (!created.ok) throw new Error(created.error);
  /** The audit entries of the next slot (one simulated minute on). */
  const nextSlot = () => {
    const before = store.query({ kind: "schedule", limit: 1000 }).length;
    clock.advance(MINUTE_US);
    return store
      .query({ kind: "schedule", limit: 1000 })
      .slice(0, -before || undefined)
      .filter((entry) => entry.action === "skip");
  };
  return { state, nextSlot, id: created.value.id };
}

describe("schedule slots that start no drill", () => {
  it("audits the kill switch, a missing control host and a refusal, each with its rule; a started drill audits no skip", () => {
    const { state, nextSlot, id } = world();
    const common = { actor: `schedule:${id}`, kind: "schedule", action: "skip", target: "dc-outage", overrodeRule: null };
    state.paused = true;
    expect(nextSlot()).toEqual([
      expect.objectContaining({ ...common, reason: "chaos is halted (kill switch)", outcome: "skipped", rule: "halted" }),
    ]);
    state.paused = false;
    state.hosted = false;
    expect(nextSlot()).toEqual([
      expect.objectContaining({
        ...common,
        reason: "the controller has no host: the control group has no leader with a quorum",
        outcome: "skipped",
        rule: "control-quorum",
      }),
    ]);
    state.hosted = true;
    state.refusal = { error: "a drill is already running", rule: "one-drill-at-a-time" };
    expect(nextSlot()).toEqual([
      expect.objectContaining({ ...common, reason: "a drill is already running", outcome: "refused", rule: "one-drill-at-a-time" }),
    ]);
    state.refusal = null;
    expect(nextSlot()).toEqual([]);
    expect(state.started).toBe(1);
  });

  it("audits a slot outside the allowed windows as skipped with no rule", () => {
    // Simulated time 0 is midnight UTC: the first slots are outside 12:00-13:00.
    const { state, nextSlot } = world({ allowedWindows: ["12:00-13:00"] });
    expect(nextSlot()).toEqual([
      expect.objectContaining({ reason: "outside the allowed windows or inside a blocked one", outcome: "skipped", rule: null }),
    ]);
    expect(state.started).toBe(0);
  });
});
