// The controller decides on what its control leader's probes see and acts by requests sent from the
// control leader's host (docs/architecture.md "The control plane"; runtime/virtual/control-plane.ts
// `sight`, controller/control/transfer.ts): a partition between the control leader's region and a
// cell is a partition for the safety rules, the link states and the leadership transfer, while the
// god's-eye Cluster (the truth the checkers use) still sees the cell healthy.
import { describe, expect, it } from "vitest";
import { setupController, type ControllerSetup } from "../../../runtime/virtual/controller-setup.js";
import type { ActionOutcome } from "../../../domain/records.js";
import type { ActionResult, FaultHandle } from "../../../domain/cluster.js";

function world(seed: number): ControllerSetup {
  return setupController({ seed, dataDirectory: null, wallTimeIso: () => "2026-01-01T00:00:00.000Z", opsPerSecond: 50 });
}

/** The control replicas of the control leader's region, cut (both ways) from `hosts`. */
function cutFromControlLeader(setup: ControllerSetup, hosts: readonly string[]): { handle: FaultHandle; leaderRegion: string } {
  const leaderRegion = setup.control.plane.leaderRegion() as string;
  const controlHere = setup.control.replicas.placements.filter((placement) => placement.region === leaderRegion).map((p) => p.id);
  const handle = setup.virtual.cluster.faults.partition({ kind: "groups", groups: [controlHere, hosts] });
  return { handle, leaderRegion };
}

describe("the controller's decisions read its probes and its transfers are messages", () => {
  it("a partition between the control leader's region and a cell: failover, readiness, the drill gate and shard moves see no quorum though the cell is healthy in truth", () => {
    const setup = world(41);
    setup.virtual.runFor(500_000);
    const cell = setup.virtual.placement.cells[0]!;
    const { handle, leaderRegion } = cutFromControlLeader(
      setup,
      cell.replicas.map((replica) => replica.replica),
    );
    setup.virtual.runFor(1_000_000);
    expect(setup.control.plane.leaderRegion()).toBe(leaderRegion);
    const real = setup.virtual.cluster.cell(cell.cell)!;
    expect(real.quorumAvailable).toBe(true);
    const to = real.replicas.find((replica) => replica.region !== real.leader?.region)!.region;
    let outcome: ActionOutcome | null = null;
    setup.controller.act({ kind: "failover", target: cell.cell, to, actor: "test" }, (answer) => (outcome = answer));
    setup.virtual.runFor(4_000_000);
    expect(outcome).toMatchObject({ ok: false, code: "CONFLICT", rule: "quorum-reachable" });
    // Nothing moved: the truth's leader is where it was.
    expect(setup.virtual.cluster.cell(cell.cell)?.leader?.replica).toBe(real.leader?.replica);
    // Readiness and the drill gate read the same view: no region's loss can be absorbed with a cell it cannot see.
    for (const region of setup.controller.readiness().regions) {
      expect(region.cellsWithoutQuorum).toContain(cell.cell);
      expect(region.canAbsorbLoss).toBe(false);
    }
    expect(setup.controller.runDrill("dc-outage", { actor: "test" })).toMatchObject({ ok: false, rule: "quorum-reachable" });
    // ... and the elastic cells' rule: no shard move out of a cell the controller cannot see.
    const shard = cell.shards[0] as number;
    const other = setup.virtual.placement.cells[1]!.cell;
    expect(setup.controller.elastic?.check(shard, shard, other)).toMatchObject({ ok: false, rule: "move-during-outage" });
    setup.virtual.cluster.faults.heal(handle);
    setup.close();
  });

  it("link states are what the probes see: a region cut off from the control leader is down ('unreachable') to it, up in truth", () => {
    const setup = world(42);
    setup.virtual.runFor(500_000);
    const leaderRegion = setup.control.plane.leaderRegion() as string;
    const other = setup.virtual.regions.map((region) => region.name).find((region) => region !== leaderRegion) as string;
    const hosts = setup.virtual.placement.cells.flatMap((cell) =>
      cell.replicas.filter((replica) => replica.region === other).map((replica) => replica.replica),
    );
    cutFromControlLeader(setup, hosts);
    setup.virtual.runFor(1_000_000);
    type Links = { links: { source: string; target: string; state: string; reason: string | null }[] };
    const link = (topology: unknown) =>
      (topology as Links).links.find(
        (entry) => [entry.source, entry.target].includes(leaderRegion) && [entry.source, entry.target].includes(other),
      );
    expect(link(setup.controller.topology())).toMatchObject({ state: "down", reason: `${other} unreachable` });
    expect(link(setup.controller.topology(true))).toMatchObject({ state: "up" });
    setup.close();
  });

  it("a leadership transfer asked while the control leader is cut from the cell times out (the truth's method call would have moved it); after the heal it moves", () => {
    const setup = world(43);
    setup.virtual.runFor(500_000);
    const cell = setup.virtual.placement.cells[0]!;
    const before = setup.virtual.cluster.cell(cell.cell)!;
    const target = before.replicas.find((replica) => replica.region !== before.leader?.region && replica.state === "up")!;
    // Cut now: the probes' last answers are still fresh, so the controller still believes the cell reachable.
    const { handle } = cutFromControlLeader(
      setup,
      cell.replicas.map((replica) => replica.replica),
    );
    expect(setup.controller.cells().find((view) => view.id === cell.cell)?.leader?.replica).toBe(before.leader?.replica);
    let result: ActionResult | null = null;
    setup.controller.actions.moveLeader(cell.cell, target.id, (answer) => (result = answer));
    setup.virtual.runFor(4_000_000);
    expect(result).toMatchObject({ ok: false, error: { code: "TIMEOUT" } });
    expect((result as unknown as { error: { message: string } }).error.message).toMatch(/did not reach .* leader from the control leader/);
    expect(setup.virtual.cluster.cell(cell.cell)?.leader?.replica).toBe(before.leader?.replica);
    setup.virtual.cluster.faults.heal(handle);
    setup.virtual.runFor(1_000_000);
    let again: ActionResult | null = null;
    setup.controller.actions.moveLeader(cell.cell, target.id, (answer) => (again = answer));
    setup.virtual.runFor(3_000_000);
    expect(again).toMatchObject({ ok: true, leader: { replica: target.id } });
    expect(setup.virtual.cluster.cell(cell.cell)?.leader?.replica).toBe(target.id);
    setup.close();
  });

  it("an operator failover with a healthy control group moves the leader by request, and the request went over the wire", () => {
    const setup = world(44);
    setup.virtual.runFor(500_000);
    const cell = setup.virtual.placement.cells[1]!;
    const before = setup.virtual.cluster.cell(cell.cell)!;
    const to = before.replicas.find((replica) => replica.region !== before.leader?.region)!.region;
    const eyes = setup.control.replicas.eyes() as string;
    const sentBefore = setup.control.replicas.prober(eyes)!.counts.requests;
    let outcome: ActionOutcome | null = null;
    setup.controller.act({ kind: "failover", target: cell.cell, to, actor: "test" }, (answer) => (outcome = answer));
    setup.virtual.runFor(3_000_000);
    expect(outcome).toMatchObject({ ok: true });
    expect(setup.virtual.cluster.cell(cell.cell)?.leader?.region).toBe(to);
    expect(setup.control.replicas.prober(eyes)!.counts.requests).toBeGreaterThan(sentBefore);
    setup.close();
  });
});
