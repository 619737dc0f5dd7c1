// The live controller's eyes and where its decision loop runs (runtime/live/control-main.ts,
// control-plane.ts, controller/control/prober.ts, residence.ts): the cells as the controller sees
// them come from status probes the control leader's process sends over its own Toxiproxy links, so
// a cut between the control leader and one cell replica makes the replica `unreachable` to the
// controller while the truth (the supervisor's admin view) still has it up; healed, it is seen
// again. The decision loop lives with the control leader: after SIGKILL of the leader's process it
// moves to the new leader, and the controller then sees through the new leader's probes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CellView } from "../../../domain/cluster.js";
import { startControlWorld, type ControlWorld } from "./fixtures/control-world.js";

let world: ControlWorld;

beforeAll(async () => {
  world = await startControlWorld(7);
}, 90_000);

afterAll(async () => {
  await world?.close();
});

/** A replica's state in GET /api/v1/cells (the controller's view) or with ?view=truth. */
async function replicaState(replica: string, truth: boolean): Promise<string | undefined> {
  const answer = await world.call("GET", `/api/v1/cells${truth ? "?view=truth" : ""}`);
  const cells = answer.body.cells as CellView[];
  return cells.flatMap((cell) => cell.replicas).find((entry) => entry.id === replica)?.state;
}

/** Polls until `predicate` holds (throws after `timeoutMs`, naming what it last saw). */
async function eventually<T>(read: () => Promise<T>, predicate: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (predicate(value)) return value;
    if (performance.now() > deadline) throw new Error(`not met in ${timeoutMs} ms; last ${JSON.stringify(value)}`);
    await world.setup.live.sleep(100);
  }
}

describe("the live controller's probes and residence", () => {
  it("a Toxiproxy cut between the control leader and a cell replica is seen by the controller, not by the truth", async () => {
    const control = world.setup.control;
    if (control === null) throw new Error("no control group");
    const status = await world.until((current) => current.quorum && current.leader !== null, 30_000);
    const leader = status.leader as string;
    await eventually(
      async () => control.group.eyes,
      (eyes) => eyes === leader,
      5_000,
    );
    const cell = world.setup.live.placement.cells[0];
    const target = cell?.replicas.find((replica) => replica.region !== status.leaderRegion)?.replica as string;
    expect(target).toBeDefined();
    await eventually(
      () => replicaState(target, false),
      (state) => state !== "unreachable",
      10_000,
    );
    expect(control.group.probeCounts?.answered ?? 0).toBeGreaterThan(0);

    // Only the control leader's link to that replica: the region clients and gateways still reach it.
    const cut = world.setup.live.faults.partition({ kind: "one-way", from: [leader], to: [target] });
    await eventually(
      () => replicaState(target, false),
      (state) => state === "unreachable",
      10_000,
    );
    expect(await replicaState(target, true)).not.toBe("unreachable");
    expect(world.setup.live.processes.get(target)?.state).toBe("running");

    world.setup.live.faults.heal(cut);
    await eventually(
      () => replicaState(target, false),
      (state) => state !== undefined && state !== "unreachable",
      10_000,
    );
  }, 60_000);

  it("the decision loop runs with the control leader and moves to the next one after SIGKILL of its process", async () => {
    const control = world.setup.control;
    if (control === null) throw new Error("no control group");
    const status = await world.until((current) => current.quorum, 30_000);
    const leader = status.leader as string;
    await eventually(
      async () => control.residence.host,
      (host) => host === leader,
      5_000,
    );
    expect(control.residence.hosted).toBe(true);
    const handovers = control.residence.handovers().length;

    await world.setup.live.processes.get(leader)?.kill();
    const next = await world.until((current) => current.quorum && current.leader !== null && current.leader !== leader, 20_000);
    const host = await eventually(
      async () => control.residence.host,
      (current) => current !== null && current !== leader,
      5_000,
    );
    expect(host).toBe(next.leader);
    const moves = control.residence.handovers();
    expect(moves.length).toBeGreaterThan(handovers);
    expect(moves.at(-1)).toMatchObject({ from: leader, to: next.leader });
    await eventually(
      async () => control.group.eyes,
      (eyes) => eyes === next.leader,
      5_000,
    );
    // The new leader probes the cells: the controller sees the cell's replicas again.
    const cell = world.setup.live.placement.cells[0];
    await eventually(
      () => Promise.all((cell?.replicas ?? []).map((replica) => replicaState(replica.replica, false))),
      (states) => states.every((state) => state !== undefined && state !== "unreachable"),
      10_000,
    );
    await world.setup.live.processes.get(leader)?.start();
  }, 60_000);
});
