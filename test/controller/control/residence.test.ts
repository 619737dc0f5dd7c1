// Where the controller's decision loop runs (controller/control/residence.ts) over a fake control
// plane: it follows the control leader that has a quorum; no quorum, no host; a move to another
// host or a restarted process is a handover, at which a running drill is resumed only when the new
// leader's log has its run (seed and start), else interrupted; a return to the same process is not.
import { describe, expect, it } from "vitest";
import { ControllerResidence } from "../../../controller/control/residence.js";
import { ControlStateMachine, type ControlDrillRun } from "../../../controller/control/state-machine.js";
import type { ControlPlane, ControlPlaneStatus } from "../../../controller/control/plane.js";
import type { DrillRunRecord } from "../../../domain/records.js";
import type { AuditDraft } from "../../../controller/ports.js";

const run = { id: "r-1", drill: "dc-outage", seed: 7, startedMs: 1000, state: "running" } as unknown as DrillRunRecord;

function fixture() {
  const world = { leader: "ctl/a" as string | null, quorum: true, term: 1, incarnations: new Map<string, number>() };
  const machine = new ControlStateMachine();
  let index = 0;
  const record = (recorded: ControlDrillRun): void =>
    void machine.apply({ index: ++index, term: 1, data: { kind: "drill", requestId: `d-${index}`, run: recorded } });
  const plane = {
    status: () => ({ leader: world.leader, quorum: world.quorum, term: world.term }) as unknown as ControlPlaneStatus,
    leaderState: () => machine,
  } as unknown as ControlPlane;
  const interrupts: string[] = [];
  const audits: AuditDraft[] = [];
  const residence = new ControllerResidence({
    clock: { nowUs: () => 5_000_000, setTimer: () => ({}) as never, cancelTimer: () => {} },
    plane,
    incarnation: (host) => world.incarnations.get(host) ?? 1,
    drillRuns: () => [run],
    drillFaults: () => ["f-1"],
    interruptDrill: (reason) => interrupts.push(reason),
    audit: (entry) => audits.push(entry),
  });
  return { world, record, residence, interrupts, audits };
}

describe("ControllerResidence", () => {
  it("follows the leader with a quorum; without one the loop has no host", () => {
    const { world, residence } = fixture();
    residence.step();
    expect(residence.host).toBe("ctl/a");
    expect(residence.hosted).toBe(true);
    world.quorum = false;
    residence.step();
    expect(residence.hosted).toBe(false);
    expect(residence.host).toBeNull();
    // The same process leads again: no handover.
    world.quorum = true;
    residence.step();
    expect(residence.host).toBe("ctl/a");
    expect(residence.handovers()).toEqual([]);
  });

  it("a new leader whose log has the run (same seed and start) resumes it; audited", () => {
    const { world, record, residence, interrupts, audits } = fixture();
    residence.step();
    record({ id: "r-1", drill: "dc-outage", state: "running", actor: "api", atMs: 1500, seed: 7, startedMs: 1000 });
    world.leader = "ctl/b";
    world.term = 2;
    residence.step();
    expect(residence.handovers()).toMatchObject([{ from: "ctl/a", to: "ctl/b", term: 2, resumed: ["r-1"], interrupted: [] }]);
    expect(interrupts).toEqual([]);
    expect(audits).toMatchObject([{ actor: "control:ctl/b", action: "resume", outcome: "resumed" }]);
    expect(audits[0]?.reason).toContain("f-1");
  });

  it("a new leader whose log lacks the run, or has it ended, interrupts it", () => {
    const { world, record, residence, interrupts } = fixture();
    residence.step();
    world.leader = "ctl/b";
    residence.step();
    expect(interrupts).toHaveLength(1);
    expect(interrupts[0]).toContain("does not have run r-1");
    record({ id: "r-1", drill: "dc-outage", state: "failed", actor: "api", atMs: 1500, seed: 7, startedMs: 1000 });
    world.leader = "ctl/c";
    residence.step();
    expect(interrupts[1]).toContain("has run r-1 failed");
    expect(residence.handovers().map((move) => move.interrupted)).toEqual([["r-1"], ["r-1"]]);
  });

  it("the leader's process restarted (a new incarnation): a handover even on the same host", () => {
    const { world, residence, interrupts } = fixture();
    residence.step();
    world.incarnations.set("ctl/a", 2);
    residence.step();
    expect(residence.handovers()).toMatchObject([{ from: "ctl/a", to: "ctl/a" }]);
    expect(interrupts).toHaveLength(1);
  });
});
