// The live control group (runtime/live/control-plane.ts): five control replica OS processes (2 + 2
// + 1 over the regions) in a Raft group of their own, links through Toxiproxy, WALs on disk. The
// API of `ldc start --runtime live` goes through them: a mutating call is committed (with its audit
// entry) before it is answered; after the control leader's process is SIGKILLed a new leader is
// elected, the next call commits and every audit entry acknowledged before the kill is still in
// the log; with three of five control processes down a mutating call answers 503 control-quorum
// and nothing is applied.
import { describe, expect, it } from "vitest";
import type { ControlPlaneStatus } from "../../../controller/control/plane.js";
import { useControlWorld } from "./fixtures/control-world.js";

const world = useControlWorld(3);
/** Whether the controller's decision loop has a host, once it is `wanted` or `timeoutMs` passed. */
async function residenceHosted(wanted: boolean, timeoutMs: number): Promise<boolean | undefined> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const hosted = world.setup.control?.residence.hosted;
    if (hosted === wanted || performance.now() > deadline) return hosted;
    await world.setup.live.sleep(50);
  }
}
const controlStatus = async (): Promise<ControlPlaneStatus> =>
  (await world.call("GET", "/api/v1/control-plane")).body as unknown as ControlPlaneStatus;

describe("the live control group", () => {
  it("runs five control replica processes, 2 + 2 + 1, and GET /api/v1/control-plane reports their Raft state", async () => {
    const status = await world.untilAllUp(30_000);
    const served = await controlStatus();
    expect(served).toMatchObject({ enabled: true, quorum: true, leader: status.leader });
    expect(served.term).toBeGreaterThan(0);
    expect(served.replicas.map((replica) => replica.region)).toEqual(["hangzhou", "hangzhou", "shanghai", "shanghai", "shenzhen"]);
    expect(served.replicas.filter((replica) => replica.state === "leader").map((replica) => replica.id)).toEqual([served.leader]);
    for (const replica of served.replicas) expect(typeof replica.matchIndex).toBe("number");
    const pids = served.replicas.map((replica) => world.setup.live.processes.get(replica.id)?.pid);
    expect(new Set(pids).size).toBe(5);
    for (const pid of pids) expect(pid).toBeGreaterThan(0);
    expect(pids).not.toContain(process.pid);
  });

  it("commits a mutating call with its audit entry before answering; after SIGKILL of the control leader a new leader commits the next and keeps every acknowledged entry", async () => {
    const evacuated = await world.call("POST", "/api/v1/regions/shenzhen/evacuate", { reason: "live control test" });
    expect(evacuated.status, JSON.stringify(evacuated.body)).toBe(200);
    const restored = await world.call("POST", "/api/v1/regions/shenzhen/restore", { reason: "live control test" });
    expect(restored.status, JSON.stringify(restored.body)).toBe(200);
    const acknowledged = [...world.actionAuditIds("evacuate"), ...world.actionAuditIds("restore")];
    expect(acknowledged).toHaveLength(2);
    const before = await world.leaderState();
    for (const id of acknowledged) expect(before.auditIds).toContain(id);
    expect(before.routingVersion).toBe(restored.body.routingVersion);

    const oldStatus = await world.until((current) => current.quorum, 10_000);
    const oldLeader = oldStatus.leader as string;
    const killed = world.setup.live.processes.get(oldLeader);
    expect(killed?.pid).toBeGreaterThan(0);
    await killed?.kill(); // SIGKILL
    const next = await world.until((current) => current.quorum && current.leader !== null && current.leader !== oldLeader, 20_000);
    expect(next.term).toBeGreaterThan(oldStatus.term);
    expect(next.replicas.find((replica) => replica.id === oldLeader)?.state).toBe("down");

    // Pressed again with the same key if the loaded machine costs the new leader its quorum meanwhile: applied once (below).
    const again = await world.commit(
      "POST",
      "/api/v1/regions/shenzhen/evacuate",
      { reason: "after the control leader died" },
      "after-kill",
      20_000,
    );
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    const after = await world.leaderState();
    for (const id of acknowledged) expect(after.auditIds).toContain(id);
    const newIds = world.actionAuditIds("evacuate").filter((id) => !acknowledged.includes(id));
    expect(newIds).toHaveLength(1);
    expect(after.auditIds).toContain(newIds[0]);
    expect(after.drained).toEqual(["shenzhen"]);
  });

  it("with three of five control processes down a mutating call answers 503 control-quorum and nothing is applied", async () => {
    const status = await world.until((current) => current.quorum, 10_000);
    const running = status.replicas.filter((replica) => replica.state !== "down").map((replica) => replica.id);
    const down = status.replicas.length - running.length;
    // The leader among them, until three of five are down.
    const victims = [status.leader as string, ...running.filter((id) => id !== status.leader)].slice(0, 3 - down);
    await Promise.all(victims.map((id) => world.setup.live.processes.get(id)?.kill()));
    await world.until((current) => current.replicas.filter((replica) => replica.state === "down").length === 3, 5_000);
    const routingBefore = world.setup.controller.routing();
    const restoresBefore = world.actionAuditIds("restore").length;
    const refused = await world.call("POST", "/api/v1/regions/shenzhen/restore", { reason: "no quorum" });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ rule: "control-quorum" });
    expect(world.setup.controller.routing().version).toBe(routingBefore.version);
    expect(world.setup.controller.routing().drained).toEqual(["shenzhen"]);
    expect(world.actionAuditIds("restore")).toHaveLength(restoresBefore);
    expect((await controlStatus()).quorum).toBe(false);
    // The decision loop has no host without a quorum (controller/control/residence.ts): it waits.
    expect(await residenceHosted(false, 2_000)).toBe(false);
  });

  it("restarted control processes rejoin: quorum returns, the refused call commits on retry, every replica holds every acknowledged entry", async () => {
    const down = world.setup.live.control?.placements
      .map((placement) => placement.id)
      .filter((id) => world.setup.live.processes.get(id)?.state === "down");
    expect(down).toHaveLength(3);
    await Promise.all((down ?? []).map((id) => world.setup.live.processes.get(id)?.start()));
    await world.untilAllUp(20_000);
    expect(await residenceHosted(true, 2_000)).toBe(true);
    const restored = await world.commit("POST", "/api/v1/regions/shenzhen/restore", { reason: "quorum is back" }, "quorum-back", 20_000);
    expect(restored.status, JSON.stringify(restored.body)).toBe(200);
    const acknowledged = [...world.actionAuditIds("evacuate"), ...world.actionAuditIds("restore")];
    expect(acknowledged).toHaveLength(4);
    // Every replica, the three restarted from their WAL and snapshot among them, catches up to the same log.
    const deadline = performance.now() + 10_000;
    for (const placement of world.setup.live.control?.placements ?? []) {
      for (;;) {
        const state = await world.setup.control?.group.state(placement.id);
        if (acknowledged.every((id) => state?.auditIds.includes(id))) break;
        if (performance.now() > deadline)
          throw new Error(`${placement.id} lacks acknowledged audit entries: ${JSON.stringify(state?.auditIds)}`);
        await world.setup.live.sleep(100);
      }
    }
  });
});
