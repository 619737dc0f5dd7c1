// The controller's health view comes from its control leader's probes over the simulated network
// (controller/control/prober.ts, runtime/virtual/control-plane.ts observedCells), not from the
// god's-eye Cluster: a partition between the control leader's region and a cell makes that cell
// unreachable to the controller (not down: it says "unreachable"), while the Cluster (the truth
// the checkers use) still sees it up; a region outage is seen through the probes too.
import { describe, expect, it } from "vitest";
import { setupController, type ControllerSetup } from "../../../runtime/virtual/controller-setup.js";

function world(seed: number): ControllerSetup {
  return setupController({ seed, dataDirectory: null, wallTimeIso: () => "2026-01-01T00:00:00.000Z", opsPerSecond: 50 });
}

const believed = (setup: ControllerSetup, cell: string) => setup.controller.cells().find((view) => view.id === cell);
const truth = (setup: ControllerSetup, cell: string) => setup.virtual.cluster.cell(cell);

describe("the controller sees the cells through its control leader's probes", () => {
  it("healthy: every replica answered, and the believed leaders are the real ones", () => {
    const setup = world(31);
    setup.virtual.runFor(500_000);
    const eyes = setup.control.replicas.eyes();
    expect(eyes).toBe(setup.control.plane.leader());
    expect(setup.control.replicas.prober(eyes as string)?.counts.answered ?? 0).toBeGreaterThan(0);
    for (const cell of setup.controller.cells()) {
      expect(cell.replicas.every((replica) => replica.state !== "unreachable")).toBe(true);
      expect(cell.leader?.replica).toBe(truth(setup, cell.id)?.leader?.replica);
    }
    setup.close();
  });

  it("a partition between the control leader's region and a cell's replicas: unreachable to the controller, up in truth; seen again after the heal", () => {
    const setup = world(32);
    setup.virtual.runFor(500_000);
    const leaderRegion = setup.control.plane.leaderRegion() as string;
    const controlHere = setup.control.replicas.placements.filter((placement) => placement.region === leaderRegion).map((p) => p.id);
    const cell = setup.virtual.placement.cells[0]!;
    const replicas = cell.replicas.map((replica) => replica.replica);
    const handle = setup.virtual.cluster.faults.partition({ kind: "groups", groups: [controlHere, replicas] });
    setup.virtual.runFor(1_000_000);
    // The control group itself is untouched: same leader, still in that region.
    expect(setup.control.plane.leaderRegion()).toBe(leaderRegion);
    const seen = believed(setup, cell.cell)!;
    expect(seen.replicas.map((replica) => replica.state)).toEqual(replicas.map(() => "unreachable"));
    expect(seen.replicas.every((replica) => replica.role === "unknown")).toBe(true);
    expect(seen.leader).toBeNull();
    expect(seen.replicasUnprobed).toBe(replicas.length);
    // The truth: the cell is fine.
    const real = truth(setup, cell.cell)!;
    expect(real.leader).not.toBeNull();
    expect(real.quorumAvailable).toBe(true);
    expect(real.replicas.some((replica) => replica.state === "unreachable")).toBe(false);
    // Other cells are still seen.
    const other = setup.virtual.placement.cells[1]!;
    expect(believed(setup, other.cell)?.leader?.replica).toBe(truth(setup, other.cell)?.leader?.replica);
    setup.virtual.cluster.faults.heal(handle);
    setup.virtual.runFor(1_000_000);
    expect(believed(setup, cell.cell)?.leader?.replica).toBe(truth(setup, cell.cell)?.leader?.replica);
    expect(believed(setup, cell.cell)?.replicas.every((replica) => replica.state !== "unreachable")).toBe(true);
    setup.close();
  });

  it("a region outage is seen through the probes: its replicas unreachable, the region unreachable (not down), leaders moved", () => {
    const setup = world(33);
    setup.virtual.runFor(500_000);
    const leaderRegion = setup.control.plane.leaderRegion() as string;
    // The region that loses power is one the control leader is not in, so the controller keeps its eyes.
    const dark = setup.virtual.regions.map((region) => region.name).find((region) => region !== leaderRegion) as string;
    const injected = setup.faults.inject({ type: "region-outage", target: { regions: [dark] }, duration: "30s" }, { origin: "test" });
    expect(injected.ok).toBe(true);
    setup.virtual.runFor(3_000_000);
    expect(setup.control.plane.leaderRegion()).toBe(leaderRegion);
    const cells = setup.controller.cells();
    for (const cell of cells) {
      for (const replica of cell.replicas.filter((view) => view.region === dark)) expect(replica.state).toBe("unreachable");
      expect(cell.leader?.region).not.toBe(dark);
      expect(cell.leader?.replica).toBe(truth(setup, cell.id)?.leader?.replica);
    }
    const region = setup.controller.regions().find((view) => view.name === dark);
    expect(region?.state).toBe("unreachable");
    // The truth panel (Cluster) says what it is: crashed.
    const realDark = setup.virtual.cluster.cells().flatMap((cell) => cell.replicas.filter((replica) => replica.region === dark));
    expect(realDark.every((replica) => replica.state === "crashed")).toBe(true);
    setup.close();
  });

  it("the control leader's region goes dark: the new control leader's probes become the controller's eyes", () => {
    const setup = world(34);
    setup.virtual.runFor(500_000);
    const leaderRegion = setup.control.plane.leaderRegion() as string;
    const injected = setup.faults.inject(
      { type: "region-outage", target: { regions: [leaderRegion] }, duration: "30s" },
      { origin: "test" },
    );
    expect(injected.ok).toBe(true);
    setup.virtual.runFor(4_000_000);
    const eyes = setup.control.replicas.eyes();
    expect(eyes).not.toBeNull();
    expect(setup.control.replicas.placements.find((placement) => placement.id === eyes)?.region).not.toBe(leaderRegion);
    const region = setup.controller.regions().find((view) => view.name === leaderRegion);
    expect(region?.state).toBe("unreachable");
    for (const cell of setup.controller.cells()) expect(cell.leader?.replica).toBe(truth(setup, cell.id)?.leader?.replica);
    setup.close();
  });
});
