// Leadership transfer (MsgTransferLeader/MsgTimeoutNow) and ReadIndex linearizable reads.
import { describe, expect, it } from "vitest";
import { nodeId } from "../../../cells/raft/types.js";
import { Network } from "./fixtures/network.js";

describe("leadership transfer", () => {
  it("hands leadership to a caught-up follower in the next term", () => {
    const net = new Network(3);
    net.elect("n1");
    net.propose("n1", "a");
    net.deliverAll();
    expect(net.node("n1").transferLeadership(nodeId("n2"))).toEqual({ code: "OK" });
    net.process(nodeId("n1"));
    net.deliverAll();
    expect(net.leader()).toBe("n2");
    expect(net.node("n2").status().term).toBe(2);
    expect(net.node("n1").status()).toMatchObject({ role: "follower", leader: "n2" });
  });

  it("catches a lagging target up first, then transfers", () => {
    const net = new Network(3);
    net.elect("n1");
    net.cut("n1", "n3");
    for (let i = 0; i < 5; i++) net.propose("n1", i);
    net.deliverAll();
    net.heal();
    expect(net.node("n1").transferLeadership(nodeId("n3")).code).toBe("OK");
    net.process(nodeId("n1"));
    net.deliverAll();
    net.tickAll(2);
    expect(net.leader()).toBe("n3");
    expect(net.member("n3").applied).toEqual([0, 1, 2, 3, 4]);
  });

  it("drops proposals during a transfer and aborts after an election timeout if the target never catches up", () => {
    const net = new Network(3);
    net.elect("n1");
    net.isolate("n3");
    net.propose("n1", "a");
    net.deliverAll();
    expect(net.node("n1").transferLeadership(nodeId("n3")).code).toBe("OK");
    expect(net.propose("n1", "b")).toMatchObject({ code: "DROPPED" });
    net.tick("n1", 10);
    net.deliverAll();
    expect(net.node("n1").status()).toMatchObject({ role: "leader", transferee: null, term: 1 });
    expect(net.propose("n1", "b").code).toBe("OK");
  });

  it("refuses a target that is too far behind, a non-voter, or a call on a follower", () => {
    const net = new Network(3, { transferLagEntriesMax: 5 });
    net.elect("n1");
    net.isolate("n3");
    for (let i = 0; i < 6; i++) net.propose("n1", i);
    net.deliverAll();
    expect(net.node("n1").transferLeadership(nodeId("n3"))).toMatchObject({ code: "TARGET_BEHIND" });
    expect(net.node("n1").transferLeadership(nodeId("n9"))).toMatchObject({ code: "BAD_TARGET" });
    expect(net.node("n2").transferLeadership(nodeId("n3"))).toEqual({ code: "NOT_LEADER", leaderHint: "n1" });
  });
});

describe("ReadIndex", () => {
  it("the leader answers only after a quorum acknowledged a heartbeat round", () => {
    const net = new Network(3);
    net.elect("n1");
    net.propose("n1", "a");
    net.deliverAll();
    expect(net.node("n1").readIndex("r1")).toEqual({ code: "OK" });
    net.process(nodeId("n1"));
    expect(net.member("n1").readStates).toEqual([]); // heartbeats sent, none acknowledged yet
    net.deliverAll();
    expect(net.member("n1").readStates).toEqual([{ index: 2, context: "r1" }]);
  });

  it("reads that arrive while a round is out wait for the next round: one round per round trip", () => {
    const net = new Network(3);
    net.elect("n1");
    net.propose("n1", "a");
    net.deliverAll();
    const heartbeatsQueued = () => net.queue.filter((message) => message.type === "heartbeat").length;
    net.node("n1").readIndex("r1");
    net.process(nodeId("n1"));
    expect(heartbeatsQueued()).toBe(2); // round 1 (context r1) to n2 and n3
    net.node("n1").readIndex("r2");
    net.node("n1").readIndex("r3");
    net.process(nodeId("n1"));
    expect(heartbeatsQueued()).toBe(2); // r2 and r3 wait: round 1 is still out
    net.deliverAll(); // round 1 acks release r1 and start round 2 (context r3), whose acks release r2 and r3
    expect(net.member("n1").readStates.map((read) => read.context)).toEqual(["r1", "r2", "r3"]);
    expect(net.queue).toEqual([]);
  });

  it("a lost read round is retried by the next periodic heartbeat", () => {
    const net = new Network(3);
    net.elect("n1");
    net.propose("n1", "a");
    net.deliverAll();
    net.node("n1").readIndex("r1");
    net.process(nodeId("n1"));
    net.queue = net.queue.filter((message) => message.type !== "heartbeat"); // round 1 lost
    net.deliverAll();
    expect(net.member("n1").readStates).toEqual([]);
    net.tick("n1"); // heartbeatTicks = 1: the periodic heartbeat carries the pending context
    net.deliverAll();
    expect(net.member("n1").readStates.map((read) => read.context)).toEqual(["r1"]);
  });

  it("a follower forwards the read to the leader and answers once it applied the read index", () => {
    const net = new Network(3);
    net.elect("n1");
    net.propose("n1", "a");
    net.deliverAll();
    expect(net.node("n2").readIndex("f1").code).toBe("OK");
    net.process(nodeId("n2"));
    net.deliverAll();
    expect(net.member("n2").readStates).toEqual([{ index: 2, context: "f1" }]);
    expect(net.member("n2").applied).toEqual(["a"]);
  });

  it("a stale leader cut off from the quorum never serves a read", () => {
    const net = new Network(3);
    net.elect("n1");
    net.isolate("n1");
    expect(net.node("n1").readIndex("stale").code).toBe("OK"); // n1 still believes it leads
    net.process(nodeId("n1"));
    net.tickAll(40); // n2 or n3 takes over and writes; n1's check-quorum fires
    const newLeader = net.leader();
    expect(newLeader === "n2" || newLeader === "n3").toBe(true);
    expect(net.propose(newLeader as string, "new").code).toBe("OK");
    net.deliverAll();
    expect(net.member("n1").readStates).toEqual([]);
    expect(net.node("n1").status().role).not.toBe("leader");
  });

  it("a follower without a known leader refuses with NOT_LEADER", () => {
    const net = new Network(3);
    expect(net.node("n2").readIndex("x")).toEqual({ code: "NOT_LEADER", leaderHint: null });
  });
});
