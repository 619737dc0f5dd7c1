// The online monitor must see what it exists to see: a replica whose applied history differs
// from its peers', even after it already vouched for earlier points of that cell.
import { describe, expect, it } from "vitest";
import { defaultWorldConfig } from "../../../domain/config.js";
import { VirtualRuntime } from "../../../runtime/virtual/runtime.js";

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
    expect(virtual.invariants.violations.some((violation) => violation.includes("state machine safety") && violation.includes(victim))).toBe(true);
  });
});
