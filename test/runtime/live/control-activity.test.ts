// The live control group's quorum from polled statuses (runtime/live/control-plane.ts
// ActivityWindow): Raft clears each peer's recentActive at every check-quorum round, so a status
// polled right after one shows no peer active although all answered a moment earlier. The window
// keeps what the same leader in the same term showed within 500 ms, and nothing older or of another.
import { describe, expect, it } from "vitest";
import { ActivityWindow, CONTROL_ACTIVE_WINDOW_MS } from "../../../runtime/live/control-plane.js";
import type { LiveControlStatus } from "../../../runtime/live/control-status.js";
import { ControlPlane } from "../../../controller/control/plane.js";
import { RealClock } from "../../../runtime/live/adapters/real-clock.js";

const PEERS = ["ctl/a-1", "ctl/a-2", "ctl/b-1", "ctl/b-2", "ctl/c-1"];

function leaderStatus(id: string, term: number, active: boolean): LiveControlStatus {
  const progress = Object.fromEntries(
    PEERS.map((peer) => [peer, { match: 7, next: 8, state: "replicate" as const, recentActive: peer === id ? true : active }]),
  );
  return {
    id,
    role: "leader",
    phase: "running",
    corrupted: false,
    failed: false,
    reason: null,
    walBytes: 0,
    snapshotBytes: 0,
    pendingSubmits: 0,
    pendingReads: 0,
    term,
    commit: 7,
    lastIndex: 7,
    progress,
    auditEntries: 0,
  } as unknown as LiveControlStatus;
}

function quorumOf(status: LiveControlStatus): boolean {
  const plane = new ControlPlane(["a"], {
    clock: new RealClock(),
    replicas: () =>
      PEERS.map((peer) => ({
        placement: { id: peer, region: "a", datacenter: "a" },
        status: peer === status.id ? status : ({ id: peer, role: "follower", term: status.term } as unknown as LiveControlStatus),
        stateMachine: null,
      })),
  });
  return plane.status().quorum;
}

describe("ActivityWindow", () => {
  it("a status sampled just after a check-quorum round still counts the peers the leader heard within the window", () => {
    const window = new ActivityWindow(CONTROL_ACTIVE_WINDOW_MS);
    window.note(leaderStatus("ctl/a-1", 3, true), 1_000);
    const justAfterRound = leaderStatus("ctl/a-1", 3, false);
    window.note(justAfterRound, 1_100);
    expect(quorumOf(justAfterRound)).toBe(false); // what one sample says
    expect(quorumOf(window.apply(justAfterRound, 1_100))).toBe(true);
    expect(quorumOf(window.apply(justAfterRound, 1_000 + CONTROL_ACTIVE_WINDOW_MS + 1))).toBe(false);
  });

  it("a new leader or a new term inherits nothing, and a dead peer is forgotten", () => {
    const window = new ActivityWindow(CONTROL_ACTIVE_WINDOW_MS);
    window.note(leaderStatus("ctl/a-1", 3, true), 1_000);
    expect(quorumOf(window.apply(leaderStatus("ctl/a-2", 3, false), 1_050))).toBe(false);
    expect(quorumOf(window.apply(leaderStatus("ctl/a-1", 4, false), 1_050))).toBe(false);
    for (const peer of ["ctl/a-2", "ctl/b-1", "ctl/b-2"]) window.forget(peer);
    expect(quorumOf(window.apply(leaderStatus("ctl/a-1", 3, false), 1_050))).toBe(false);
  });
});
