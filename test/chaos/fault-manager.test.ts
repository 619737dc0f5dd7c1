import { describe, expect, it } from "vitest";
import { FaultManager, type FaultEvent } from "../../chaos/fault-manager.js";
import { fakeCluster } from "../domain/fake-cluster.js";

function setup(seed = 1) {
  const cluster = fakeCluster(seed);
  const manager = new FaultManager(cluster);
  const events: FaultEvent[] = [];
  manager.on((event) => events.push(event));
  return { cluster, manager, events };
}

describe("FaultManager", () => {
  it("heals a partition with a 5 s lease on its own, on the cluster's clock", () => {
    const { cluster, manager, events } = setup();
    const injected = manager.inject({ type: "partition", target: { region: "hangzhou" }, leaseMs: 5000 });
    if (!injected.ok) throw new Error(injected.error);
    expect(injected.value).toMatchObject({ type: "partition", startedMs: 0, leaseMs: 5000, expiresMs: 5000, remainingMs: 5000 });
    expect(injected.value.affects.links).toEqual([
      ["hangzhou", "shanghai"],
      ["hangzhou", "shenzhen"],
    ]);
    expect(cluster.port.live.size).toBe(1);
    cluster.scheduler.runUntil(4_999_999);
    expect(manager.active()).toHaveLength(1);
    expect(manager.active()[0]?.remainingMs).toBeCloseTo(0.001, 6);
    cluster.scheduler.runUntil(5_000_000);
    expect(manager.active()).toHaveLength(0);
    expect(cluster.port.live.size).toBe(0);
    expect(events.map((event) => `${event.kind}:${event.reason ?? ""}@${event.atUs}`)).toEqual(["injected:@0", "expired:lease@5000000"]);
  });

  it("a duration ends the fault too, and an explicit heal cancels the timer", () => {
    const { cluster, manager, events } = setup();
    const first = manager.inject({ type: "kill", target: { hosts: ["cell-1/hz-a"] }, duration: "2s" });
    const second = manager.inject({ type: "pause", target: { hosts: ["cell-2/sh-b"] }, lease: "10s" });
    if (!first.ok || !second.ok) throw new Error("inject failed");
    expect(cluster.port.down.has("cell-1/hz-a")).toBe(true);
    expect(cluster.port.paused.has("cell-2/sh-b")).toBe(true);
    expect(manager.heal(second.value.id)).toEqual({ ok: true, value: null });
    expect(cluster.port.paused.has("cell-2/sh-b")).toBe(false);
    expect(manager.heal(second.value.id)).toMatchObject({ ok: false, code: "NOT_FOUND" });
    cluster.scheduler.runUntil(20_000_000);
    expect(cluster.port.down.size).toBe(0);
    expect(events.map((event) => `${event.kind}:${event.fault.id}:${event.reason ?? ""}`)).toEqual([
      "injected:f-1:",
      "injected:f-2:",
      "healed:f-2:explicit",
      "expired:f-1:duration",
    ]);
  });

  it("restarts only the processes it crashed", () => {
    const { cluster, manager } = setup();
    cluster.port.crash("cell-1/hz-a"); // down before the outage: not the outage's to restart
    const before = cluster.port.calls.length;
    const outage = manager.inject({ type: "region-outage", region: "hangzhou", duration: "30s" });
    if (!outage.ok) throw new Error(outage.error);
    expect(outage.value.affects.hosts).toEqual(["hangzhou"]);
    const crashed = cluster.port.calls
      .slice(before)
      .filter((call) => call.startsWith("crash "))
      .map((call) => call.slice(6));
    expect(crashed).not.toContain("cell-1/hz-a");
    expect(crashed).toContain("client/hangzhou");
    expect(crashed).toHaveLength(6 * 2 - 1 + 1);
    const healedFrom = cluster.port.calls.length;
    manager.healAll();
    expect(cluster.port.down.size).toBe(0);
    expect(
      cluster.port.calls
        .slice(healedFrom)
        .filter((call) => call.startsWith("restart "))
        .map((call) => call.slice(8)),
    ).not.toContain("cell-1/hz-a");
    expect(cluster.port.calls.at(-1)).toBe("healAll");
  });

  it("rolling-restart takes a cell's replicas down one at a time, leader last, then ends itself", () => {
    const { cluster, manager, events } = setup();
    const injected = manager.inject({ type: "rolling-restart", cell: "cell-4", params: { intervalMs: 1000, downMs: 400 } });
    if (!injected.ok) throw new Error(injected.error);
    let downMax = 0;
    for (let us = 0; us <= 6_000_000; us += 100_000) {
      cluster.scheduler.runUntil(us);
      downMax = Math.max(downMax, cluster.port.down.size);
    }
    expect(downMax).toBe(1);
    const crashes = cluster.port.calls.filter((call) => call.startsWith("crash ")).map((call) => call.slice(6));
    expect(crashes).toHaveLength(5);
    expect(crashes.at(-1)).toBe("cell-4/sh-a");
    expect(events.at(-1)).toMatchObject({ kind: "expired", reason: "completed" });
    expect(manager.active()).toHaveLength(0);
  });

  it("answers bad specs with the field, and NO_LEADER with 409", () => {
    const { cluster, manager } = setup();
    expect(manager.inject({ type: "meteor" })).toMatchObject({ ok: false, code: "INVALID", field: "type" });
    expect(manager.inject({ type: "kill", target: { cell: "cell-9" } })).toMatchObject({
      ok: false,
      code: "INVALID",
      field: "target.cells",
    });
    cluster.leaders.set("cell-1", null);
    expect(manager.inject({ type: "kill", target: { cell: "cell-1", select: "leader" } })).toMatchObject({ ok: false, code: "CONFLICT" });
    expect(manager.active()).toHaveLength(0);
  });

  it("bounds the number of active faults", () => {
    const cluster = fakeCluster();
    const manager = new FaultManager(cluster, { activeFaultsMax: 2 });
    expect(manager.inject({ type: "clock", driftPpm: 100 }).ok).toBe(true);
    expect(manager.inject({ type: "clock" }).ok).toBe(true);
    expect(manager.inject({ type: "clock" })).toMatchObject({ ok: false, code: "CONFLICT" });
  });

  it("cuts each cell into a majorities ring: every replica still hears a majority", () => {
    const { cluster, manager } = setup(5);
    const injected = manager.inject({ type: "partition", target: { cell: "cell-3" }, shape: "majorities-ring" });
    if (!injected.ok) throw new Error(injected.error);
    const cuts = [...cluster.port.live.values()].map(
      (text) => JSON.parse(text.slice("partition ".length)) as { kind: string; from: string[]; to: string[] },
    );
    expect(cuts).toHaveLength(5);
    for (const cut of cuts) {
      expect(cut.kind).toBe("one-way");
      expect(cut.to).toHaveLength(1);
      expect(cut.from).toHaveLength(2); // hears itself and two others: 3 of 5
    }
  });
});

describe("FaultManager: who did it, and ids from outside", () => {
  it("events carry the actor: the injector (default the origin), the healer (default the origin), the lease", () => {
    const { cluster, manager, events } = setup();
    const byOperator = manager.inject(
      { type: "kill", target: { hosts: ["cell-1/hz-a"] }, leaseMs: 5000 },
      { origin: "api", actor: "api:10.0.0.1" },
    );
    const byDrill = manager.inject({ type: "pause", target: { hosts: ["cell-2/sh-b"] }, leaseMs: 1000 }, { origin: "drill:r-7" });
    const another = manager.inject({ type: "pause", target: { hosts: ["cell-3/sh-b"] }, leaseMs: 9000 }, { origin: "drill:r-7" });
    if (!byOperator.ok || !byDrill.ok || !another.ok) throw new Error("inject failed");
    manager.heal(byOperator.value.id, "api:10.0.0.2");
    manager.heal(another.value.id);
    cluster.scheduler.runUntil(1_000_000);
    expect(events.map((event) => `${event.kind} ${event.fault.id} by ${event.actor} (origin ${event.origin})`)).toEqual([
      "injected f-1 by api:10.0.0.1 (origin api)",
      "injected f-2 by drill:r-7 (origin drill:r-7)",
      "injected f-3 by drill:r-7 (origin drill:r-7)",
      "healed f-1 by api:10.0.0.2 (origin api)",
      "healed f-3 by drill:r-7 (origin drill:r-7)",
      "expired f-2 by lease (origin drill:r-7)",
    ]);
  });

  it("takes fault ids from nextFaultId (a persisted sequence) while target choices stay those of a fresh manager", () => {
    const plain = setup(3);
    const persisted = fakeCluster(3);
    let next = 41;
    const manager = new FaultManager(persisted, { nextFaultId: () => `f-${next++}` });
    const spec = { type: "kill", target: { select: "one" }, leaseMs: 5000 };
    const a = plain.manager.inject(spec);
    const b = manager.inject(spec);
    if (!a.ok || !b.ok) throw new Error("inject failed");
    expect(b.value.id).toBe("f-41");
    expect(a.value.id).toBe("f-1");
    expect(b.value.affects.hosts).toEqual(a.value.affects.hosts);
  });
});
