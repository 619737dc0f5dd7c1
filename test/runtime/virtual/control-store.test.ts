// Each control replica keeps a local materialized SQLite store (controller/store/control-store.ts)
// that is not the source of truth: wiped, and its process restarted (its state machine rebuilt from
// its WAL and snapshot), it is written again to the same audit, routing, fault and drill rows as
// before the wipe and as the leader's own store.
import { describe, expect, it } from "vitest";
import { setupController } from "../../../runtime/virtual/controller-setup.js";

describe("control replicas' materialized stores", () => {
  it("a follower's wiped store is rebuilt from its log to the same rows as before and as the leader's", () => {
    const setup = setupController({ seed: 41, dataDirectory: null, wallTimeIso: () => "2026-01-01T00:00:00.000Z", opsPerSecond: 50 });
    const { controller, control } = setup;
    // Rows of every kind: an audited action that changes routing, a fault injected and healed.
    let answered = false;
    controller.act({ kind: "evacuate", target: "hangzhou", reason: "store test", force: false, actor: "test" }, () => (answered = true));
    while (!answered) setup.virtual.runFor(50_000);
    const fault = controller.injectFault({ type: "latency", target: { cells: ["cell-1"] }, delayMs: 5, duration: "60s" }, "test");
    if (!fault.ok) throw new Error(fault.error);
    setup.virtual.runFor(1_000_000);
    expect(controller.healFault(fault.value.id, "test").ok).toBe(true);
    setup.virtual.runFor(2_000_000);
    const leader = control.plane.leader() as string;
    const follower = control.replicas.placements.map((placement) => placement.id).find((id) => id !== leader) as string;
    const before = control.replicas.store(follower)?.rows();
    expect(before?.audit.length ?? 0).toBeGreaterThan(0);
    expect(before?.routing?.drained).toEqual(["hangzhou"]);
    expect(before?.faults.find((record) => record.id === fault.value.id)?.state).toBe("healed");
    expect(before).toEqual(control.replicas.store(leader)?.rows());
    // The file is lost and the process restarts: the state machine comes back from the log, then the store.
    setup.virtual.world.crash(follower);
    control.replicas.store(follower)?.wipe();
    expect(control.replicas.store(follower)?.rows().audit).toEqual([]);
    setup.virtual.world.restart(follower);
    setup.virtual.runFor(2_000_000);
    const rebuilt = control.replicas.store(follower)?.rows();
    const leaderRows = control.replicas.store(control.plane.leader() as string)?.rows();
    expect(rebuilt).toEqual(leaderRows);
    // Nothing was committed meanwhile except what the shipper and leases may add: the rows of before are all there.
    expect(rebuilt?.audit.slice(0, before?.audit.length)).toEqual(before?.audit);
    expect(rebuilt?.routing).toEqual(before?.routing);
    expect(rebuilt?.faults).toEqual(before?.faults);
    setup.close();
  });
});
