// The lease keeper's adoption after a control leader change (controller/control/leases.ts) over a fake
// plane: a term rise seen while the new leader's state cannot be read yet (the live runtime fetches it
// over an admin round trip) is adopted once it can be, not forgotten.
import { describe, expect, it } from "vitest";
import { FaultLeaseKeeper, defaultLeaseOptions } from "../../../controller/control/leases.js";
import { ControlStateMachine, type ControlCommand } from "../../../controller/control/state-machine.js";
import type { ControlPlane } from "../../../controller/control/plane.js";
import type { FaultManager } from "../../../chaos/fault-manager.js";

describe("FaultLeaseKeeper adoption", () => {
  it("keeps a term rise pending until the new leader's state is readable, then records its orphaned fault healed", () => {
    const machine = new ControlStateMachine();
    machine.apply({
      index: 1,
      term: 1,
      data: {
        kind: "fault",
        requestId: "f-old",
        fault: { id: "f-7", type: "partition", origin: "api", state: "active", leaseUntilMs: 9_000, term: 1 },
      },
    });
    const world = { term: 1, readable: true };
    const committed: ControlCommand[] = [];
    let requests = 0;
    const plane = {
      status: () => ({ term: world.term, leader: "ctl/a", quorum: true }),
      leaderState: () => (world.readable ? machine : null),
      nextRequestId: (prefix: string) => `${prefix}-${++requests}`,
      commit: (command: ControlCommand) => void committed.push(command),
    } as unknown as ControlPlane;
    // No fault is active here: f-7's injector is gone, so adoption must record it healed.
    const faults = { active: () => [], originOf: () => undefined, on: () => () => {} } as unknown as FaultManager;
    const keeper = new FaultLeaseKeeper(defaultLeaseOptions, {
      clock: { nowUs: () => 1_000_000, setTimer: () => ({}) as never, cancelTimer: () => {} },
      plane,
      faults,
    });
    keeper.step(); // first look: term 1
    world.term = 2;
    world.readable = false;
    keeper.step(); // the rise is seen, the state is not readable yet
    expect(keeper.stats.adoptions).toBe(0);
    expect(committed).toEqual([]);
    keeper.step();
    expect(keeper.stats.adoptions).toBe(0);
    world.readable = true;
    keeper.step();
    expect(keeper.stats.adoptions).toBe(1);
    expect(committed).toEqual([
      expect.objectContaining({ kind: "fault", fault: expect.objectContaining({ id: "f-7", state: "healed", term: 2 }) }),
    ]);
    keeper.step(); // adopted once, not again
    expect(keeper.stats.adoptions).toBe(1);
    expect(committed).toHaveLength(1);
  });
});
