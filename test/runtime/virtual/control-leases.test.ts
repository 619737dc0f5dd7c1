// Dead-man fault leases (controller/control/leases.ts) in the real virtual world: a fault injected
// through the controller lives while the control group keeps renewing it, is adopted by a new
// control leader, and is healed by itself once the control group has no quorum for a lease window.
import { describe, expect, it } from "vitest";
import { setupController, type ControllerSetup } from "../../../runtime/virtual/controller-setup.js";
import { defaultLeaseOptions } from "../../../controller/control/leases.js";

function world(seed: number): ControllerSetup {
  // Drill checks run at once (no event-loop turns between steps): this test drives virtual time by hand.
  return setupController({
    seed,
    dataDirectory: null,
    wallTimeIso: () => "2026-01-01T00:00:00.000Z",
    opsPerSecond: 50,
    deferDrillCheckStep: null,
  });
}

function injectLatency(setup: ControllerSetup): string {
  const result = setup.controller.injectFault({ type: "latency", target: { cells: ["cell-1"] }, delayMs: 5, duration: "60s" }, "test");
  if (!result.ok) throw new Error(result.error);
  return result.value.id;
}

const active = (setup: ControllerSetup, id: string): boolean => setup.faults.active().some((fault) => fault.id === id);

describe("dead-man fault leases", () => {
  it("a renewed fault outlives many lease windows; a new control leader adopts it", () => {
    const setup = world(21);
    const id = injectLatency(setup);
    setup.virtual.runFor(4 * defaultLeaseOptions.leaseWindowUs);
    expect(active(setup, id)).toBe(true);
    const leaseBefore = setup.control.leases.leaseOf(id) as number;
    expect(leaseBefore).toBeGreaterThan(setup.virtual.nowUs());
    // The control leader's process dies: the others elect a new one, which renews the fault.
    const leader = setup.control.plane.status().leader as string;
    setup.virtual.world.crash(leader);
    setup.virtual.runFor(2 * defaultLeaseOptions.leaseWindowUs);
    const status = setup.control.plane.status();
    expect(status.leader).not.toBe(leader);
    expect(setup.control.leases.stats.adoptions).toBeGreaterThanOrEqual(1);
    expect(active(setup, id)).toBe(true);
    expect(
      setup.control.plane
        .leaderState()
        ?.faults()
        .find((fault) => fault.id === id)?.state,
    ).toBe("active");
    setup.close();
  });

  it("without a control quorum the fault is healed within a lease window plus a renewal period", () => {
    const setup = world(22);
    const id = injectLatency(setup);
    setup.virtual.runFor(1_000_000);
    const placements = setup.control.replicas.placements;
    for (const placement of placements.slice(0, 3)) setup.virtual.world.crash(placement.id);
    const cutUs = setup.virtual.nowUs();
    setup.virtual.runFor(defaultLeaseOptions.leaseWindowUs + 2 * defaultLeaseOptions.renewPeriodUs);
    expect(active(setup, id)).toBe(false);
    expect(setup.control.leases.stats.deadManHeals).toBe(1);
    const healed = setup.store.query({ kind: "fault", limit: 20 }).find((entry) => entry.target === id && entry.action !== "inject");
    expect(healed?.actor).toBe("control-lease");
    expect(healed?.atMs ?? 0).toBeGreaterThan(cutUs / 1000);
    setup.close();
  });

  it("a running drill whose control plane loses its quorum ends INTERRUPTED with its faults healed", () => {
    const setup = world(23);
    const started = setup.controller.runDrill("dc-outage", { actor: "test" });
    expect(started.ok).toBe(true);
    const id = started.ok ? started.value.id : "";
    // The drill injects its outage at 10 s; then three control replicas die (no quorum).
    setup.virtual.runFor(11_000_000);
    expect(setup.faults.active()).toHaveLength(1);
    for (const placement of setup.control.replicas.placements.slice(0, 3)) {
      if (setup.virtual.world.isUp(placement.id)) setup.virtual.world.crash(placement.id);
    }
    setup.virtual.runFor(defaultLeaseOptions.leaseWindowUs + 2 * defaultLeaseOptions.renewPeriodUs);
    expect(setup.faults.active()).toHaveLength(0);
    setup.virtual.runFor(10_000_000);
    const run = setup.controller.drillRun(id);
    expect(run?.state).toBe("done");
    expect(run?.outcome).toBe("INTERRUPTED");
    expect(run?.reasons.join(" ")).toContain("control lease");
    setup.close();
  });
});
