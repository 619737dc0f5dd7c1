// The online monitor must see what it exists to see: a replica whose applied history differs
// from its peers', even after it already vouched for earlier points of that cell.
import { describe, expect, it } from "vitest";
import { defaultWorldConfig } from "../../../domain/config.js";
import { VirtualRuntime } from "../../../runtime/virtual/runtime.js";
import { InvariantMonitor, LEADER_TERMS_KEPT_MAX } from "../../../runtime/virtual/invariants.js";

describe("online invariant monitor", () => {
  it("reports a replica whose event hashes diverge from the cell's, and nothing before that", () => {
    const virtual = new VirtualRuntime({ seed: 5, config: defaultWorldConfig() });
    expect(virtual.settleLeaders(3_000_000)).toBe(true);
    virtual.startWorkload();
    virtual.runFor(1_000_000);
    expect(virtual.invariants.violations).toEqual([]);
    expect(virtual.invariants.checks).toBeGreaterThan(10);

    // Tamper with one follower's view of its chain from now on: later canonical points disagree.
    const victim = virtual.placement.cells[0]?.replicas[4]?.replica as string;
    const ledger = virtual.node(victim)?.stateMachine.ledger;
    expect(ledger).toBeDefined();
    if (ledger === undefined) return;
    const honest = ledger.hashAt.bind(ledger);
    const tamperedFrom = ledger.eventCount;
    ledger.hashAt = (eventIndex: number) => (eventIndex >= tamperedFrom ? "f".repeat(64) : honest(eventIndex));
    virtual.runFor(1_000_000);
    expect(
      virtual.invariants.violations.some((violation) => violation.includes("state machine safety") && violation.includes(victim)),
    ).toBe(true);
  });

  it("remembers a bounded number of terms per cell over endless elections, and still catches two leaders in a recent term", () => {
    // A stand-in world: one cell, two replicas, a new term elected at every check.
    let term = 0;
    let second: { role: string; term: number } = { role: "follower", term: 0 };
    const ledger = { eventCount: 0, headHash: "", hashAt: () => undefined };
    const world = {
      placement: { cells: [{ cell: "cell-1", replicas: [{ replica: "a" }, { replica: "b" }] }] },
      node: (host: string) => ({ replica: host === "a" ? { role: "leader", term } : second, stateMachine: { ledger } }),
      nowUs: () => 0,
    };
    const monitor = new InvariantMonitor(world as never, { failFast: false, seed: 1 });
    for (term = 1; term <= 10 * LEADER_TERMS_KEPT_MAX; term++) monitor.check();
    expect(monitor.termsRemembered("cell-1")).toBeLessThanOrEqual(LEADER_TERMS_KEPT_MAX);
    expect(monitor.violations).toEqual([]);
    term = 10 * LEADER_TERMS_KEPT_MAX;
    second = { role: "leader", term };
    monitor.check();
    expect(monitor.violations.some((violation) => violation.includes("two leaders in term"))).toBe(true);
  });

  it("reports a replica that found its storage damaged on a disk nobody corrupted, once, with its reason", () => {
    const ledger = { eventCount: 0, headHash: "", hashAt: () => undefined };
    let corrupted = false;
    const replicaOf = (host: string) => ({
      role: "follower",
      term: 1,
      damageFound: null,
      get corrupted() {
        return host === "b" && corrupted;
      },
      status: () => ({ corrupted: host === "b" && corrupted, reason: "WAL record 3 checksum mismatch" }),
    });
    const corruptionsOf = new Map([["b", 0]]);
    // One node object per host, as the runtime has (the monitor remembers which nodes it reported).
    const nodes = new Map(["a", "b"].map((host) => [host, { replica: replicaOf(host), stateMachine: { ledger } }]));
    const world = {
      placement: { cells: [{ cell: "cell-1", replicas: [{ replica: "a" }, { replica: "b" }] }] },
      node: (host: string) => nodes.get(host),
      nowUs: () => 0,
      diskCorruptions: (host: string) => corruptionsOf.get(host) ?? 0,
    };
    const monitor = new InvariantMonitor(world as never, { failFast: false, seed: 1 });
    monitor.check();
    expect(monitor.violations).toEqual([]);
    corrupted = true;
    monitor.check();
    monitor.check();
    const reported = monitor.violations.filter((violation) => violation.startsWith("storage integrity"));
    expect(reported).toHaveLength(1);
    expect(reported[0]).toContain(
      "storage integrity: b found its storage damaged (WAL record 3 checksum mismatch) but its disk was never corrupted",
    );
  });

  it("does not report damage on a disk the nemesis corrupted", () => {
    const ledger = { eventCount: 0, headHash: "", hashAt: () => undefined };
    const replica = {
      role: "follower",
      term: 1,
      corrupted: true,
      damageFound: null,
      status: () => ({ corrupted: true, reason: "damaged" }),
    };
    const world = {
      placement: { cells: [{ cell: "cell-1", replicas: [{ replica: "a" }] }] },
      node: () => ({ replica, stateMachine: { ledger } }),
      nowUs: () => 0,
      diskCorruptions: () => 1,
    };
    const monitor = new InvariantMonitor(world as never, { failFast: false, seed: 1 });
    monitor.check();
    expect(monitor.violations).toEqual([]);
  });
});
