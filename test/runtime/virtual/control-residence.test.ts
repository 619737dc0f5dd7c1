// The controller's decision loop runs on the control leader's host (controller/control/residence.ts):
// killing the control leader mid-drill moves the loop to the new leader, which resumes the drill
// (its log has the run and its faults) or ends it INTERRUPTED with its faults healed; either way
// the drill is never left running, and the move is audited.
import { describe, expect, it } from "vitest";
import { setupController } from "../../../runtime/virtual/controller-setup.js";

describe("the controller's decision loop moves with the control leader", () => {
  it("the control leader dies mid-drill: the new leader resumes the drill or interrupts it with its faults healed, never left running", () => {
    const setup = setupController({
      seed: 51,
      dataDirectory: null,
      wallTimeIso: () => "2026-01-01T00:00:00.000Z",
      opsPerSecond: 50,
      deferDrillCheckStep: null,
    });
    const { controller, control } = setup;
    setup.virtual.runFor(500_000);
    const firstHost = control.residence.host;
    expect(firstHost).toBe(control.plane.leader());
    expect(control.residence.hosted).toBe(true);
    const started = controller.runDrill("dc-outage", { actor: "test" });
    if (!started.ok) throw new Error(started.error);
    const id = started.value.id;
    // The drill injects its outage at 10 s; then the control leader's process dies.
    setup.virtual.runFor(11_000_000);
    const drillFaults = setup.faults.active().filter((fault) => setup.faults.originOf(fault.id) === `drill:${id}`);
    expect(drillFaults.length).toBeGreaterThan(0);
    const leader = control.plane.leader() as string;
    setup.virtual.world.crash(leader);
    setup.virtual.runFor(3_000_000);
    const host = control.residence.host;
    expect(host).not.toBeNull();
    expect(host).not.toBe(leader);
    const handover = control.residence.handovers().find((move) => move.from === leader && move.to === host);
    expect(handover).toBeDefined();
    expect([...(handover?.resumed ?? []), ...(handover?.interrupted ?? [])]).toEqual([id]);
    const audited = setup.store.query({ kind: "drill", limit: 50 }).find((entry) => entry.actor === `control:${host}`);
    expect(audited?.action).toBe(handover?.resumed.includes(id) ? "resume" : "interrupt");
    if (handover?.resumed.includes(id)) {
      // Resumed: its faults live on under the new leader's leases, recorded active in its log.
      const state = control.plane.leaderState();
      for (const fault of drillFaults) {
        expect(setup.faults.active().some((active) => active.id === fault.id)).toBe(true);
        expect(state?.faults().find((record) => record.id === fault.id)?.state).toBe("active");
      }
      expect(controller.drillRun(id)?.state).toBe("running");
    } else {
      expect(controller.drillRun(id)?.outcome).toBe("INTERRUPTED");
      expect(setup.faults.active().filter((fault) => setup.faults.originOf(fault.id) === `drill:${id}`)).toEqual([]);
    }
    // Whatever happened, the run ends; and the log does not keep it running either.
    setup.virtual.runFor(60_000_000);
    const run = controller.drillRun(id);
    expect(run?.state).toBe("done");
    setup.virtual.runFor(1_000_000);
    expect(
      control.plane
        .leaderState()
        ?.drills()
        .find((record) => record.id === id)?.state,
    ).not.toBe("running");
    expect(setup.faults.active()).toEqual([]);
    setup.close();
  });

  it("without a control quorum the loop has no host: schedules are skipped (audited control-quorum), then it comes back", () => {
    const setup = setupController({ seed: 52, dataDirectory: null, wallTimeIso: () => "2026-01-01T00:00:00.000Z", opsPerSecond: 50 });
    const { controller, control } = setup;
    const created = controller.createSchedule({ drill: "dc-outage", cron: "* * * * * *" }, "test");
    if (!created.ok) throw new Error(created.error);
    setup.virtual.runFor(500_000);
    const crashed = control.replicas.placements.slice(0, 3).map((placement) => placement.id);
    for (const id of crashed) setup.virtual.world.crash(id);
    setup.virtual.runFor(3_000_000);
    expect(control.residence.hosted).toBe(false);
    expect(control.residence.host).toBeNull();
    const skips = setup.store
      .query({ kind: "schedule", limit: 50 })
      .filter((entry) => entry.action === "skip" && entry.rule === "control-quorum");
    expect(skips.length).toBeGreaterThan(0);
    expect(controller.drillRuns().filter((run) => run.schedule === created.value.id && run.state === "running")).toEqual([]);
    for (const id of crashed) setup.virtual.world.restart(id);
    setup.virtual.runFor(5_000_000);
    expect(control.residence.hosted).toBe(true);
    expect(control.residence.host).toBe(control.plane.leader());
    setup.close();
  });
});
