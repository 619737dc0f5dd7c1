// Elections: pre-vote, check-quorum and leader stickiness, as a reader would narrate them.
import { describe, expect, it } from "vitest";
import { nodeId } from "../../../cells/raft/types.js";
import { Network } from "./fixtures/network.js";

describe("raft elections", () => {
  it("a campaigning node wins a pre-vote, then the real vote, and everyone follows it", () => {
    const net = new Network(3);
    net.elect("n1");
    for (const id of net.ids) expect(net.node(id).status()).toMatchObject({ term: 1, leader: "n1" });
    // The no-op of term 1 is committed and applied everywhere.
    for (const id of net.ids) expect(net.node(id).status().applied).toBe(1);
  });

  it("elects a leader from ticks alone, with at most one leader per term", () => {
    const net = new Network(5, {}, 7);
    net.tickAll(40);
    expect(net.leader()).not.toBeNull();
    expect(net.leaders.size).toBeGreaterThan(0);
  });

  it("a candidate with a stale log is refused (§5.4.1)", () => {
    const net = new Network(3);
    net.elect("n1");
    net.isolate("n3");
    expect(net.propose("n1", { requestId: "a" }).code).toBe("OK");
    net.deliverAll();
    net.heal();
    net.crash("n1");
    // n3 lacks entry 2: n2 refuses its pre-vote, so n3 cannot even raise the term.
    net.campaign("n3");
    expect(net.node("n3").status().role).not.toBe("leader");
    net.campaign("n2");
    expect(net.node("n2").status().role).toBe("leader");
  });

  it("pre-vote: a partitioned node that rejoins does not depose a healthy leader", () => {
    const net = new Network(3);
    net.elect("n1");
    net.isolate("n3");
    net.tick("n3", 100); // many election timeouts alone
    expect(net.node("n3").status().term).toBe(1); // pre-votes failed: term never moved
    net.heal();
    net.tickAll(30);
    expect(net.leader()).toBe("n1");
    expect(net.node("n1").status().term).toBe(1);
    expect(net.node("n3").status().leader).toBe("n1");
  });

  it("check-quorum: followers that hear from a leader ignore a higher-term vote request", () => {
    const net = new Network(3, { preVote: false });
    net.elect("n1");
    net.isolate("n3");
    net.tick("n3", 25); // n3 campaigns alone and raises its term
    const n3Term = net.node("n3").status().term;
    expect(n3Term).toBeGreaterThan(1);
    net.heal();
    net.node("n3").campaign();
    net.process(net.node("n3").id);
    net.deliverAll();
    // n2 is in its leader lease and ignored n3's vote request, so n3 never won.
    expect(net.node("n2").status().vote).not.toBe("n3");
    expect(net.node("n3").status().role).not.toBe("leader");
  });

  it("check-quorum: an isolated leader steps down within two election timeouts", () => {
    const net = new Network(3);
    net.elect("n1");
    net.isolate("n1");
    // The first check may still count acks from before the partition; the second cannot.
    net.tick("n1", 20);
    expect(net.node("n1").status().role).toBe("follower");
    net.tickAll(40);
    const leader = net.leader();
    expect(leader === "n2" || leader === "n3").toBe(true);
  });

  it("priority elections: with the leader gone, the survivors stand in electionOrder, never in the same slice", () => {
    // n1 leads; n2..n5 survive. electionOrder puts n4 first among them, then n2, n5, n3.
    const order = ["n1", "n4", "n2", "n5", "n3"];
    for (let seed = 1; seed <= 20; seed++) {
      const net = new Network(5, { electionTicks: 10, heartbeatTicks: 1, electionOrder: order.map((id) => id as never) }, seed);
      net.elect("n1");
      net.crash("n1");
      let ticks = 0;
      while (net.leader() === null || net.leader() === "n1") {
        net.tickAll(1);
        if (++ticks > 40) throw new Error(`seed ${seed}: no leader after 40 ticks`);
      }
      expect(net.leader(), `seed ${seed}`).toBe("n4");
      // One election, no split: the new leader's term is the old one plus one.
      expect(net.node("n4").status().term, `seed ${seed}`).toBe(2);
    }
  });

  it("rejects an electionOrder that is not a permutation of the voters, naming the field", () => {
    expect(() => new Network(3, { electionOrder: ["n1", "n2"] as never })).toThrow(/electionOrder/);
  });

  it("priority elections: backing a higher-ranked candidate's pre-vote holds a survivor's own campaign back, even when rounds are slow", () => {
    const order = ["n1", "n2", "n3", "n4", "n5"];
    const net = new Network(5, { electionTicks: 10, heartbeatTicks: 1, electionOrder: order.map((id) => id as never) }, 3);
    net.elect("n1");
    net.crash("n1");
    net.crash("n2"); // three survivors: a candidate needs all of them
    const survivors = ["n3", "n4", "n5"];
    const preVotesFrom = (id: string) => net.queue.filter((message) => message.type === "preVote" && message.from === id);
    for (let tick = 0; tick < 40 && preVotesFrom("n3").length === 0; tick++) for (const id of survivors) net.tick(id);
    expect(preVotesFrom("n3")).toHaveLength(4);
    // A slow round: n4 and n5 see n3's pre-vote, but n3 hears nothing back for a while.
    for (const message of preVotesFrom("n3")) {
      net.queue = net.queue.filter((queued) => queued !== message);
      if (message.to === "n4" || message.to === "n5") net.deliver(message);
    }
    net.tick("n4", 10); // well past n4's own slice of the timeout range
    net.tick("n5", 10);
    expect(preVotesFrom("n4")).toEqual([]);
    expect(preVotesFrom("n5")).toEqual([]);
    net.deliverAll();
    expect(net.leader()).toBe("n3");
    expect(net.node("n3").status().term).toBe(2);
  });

  it("priority elections: a lower-ranked survivor already pre-campaigning steps back when it backs a higher-ranked one", () => {
    const order = ["n1", "n2", "n3", "n4", "n5"];
    const net = new Network(5, { electionTicks: 10, heartbeatTicks: 1, electionOrder: order.map((id) => id as never) }, 5);
    net.elect("n1");
    net.crash("n1");
    net.crash("n2");
    for (const id of ["n3", "n4", "n5"]) net.tick(id, 10); // leases expired, no timeout reached yet
    net.queue = [];
    // n5 starts first (its timer ran early, say), then n3; n3's request reaches n5 before n5's round ends.
    net.node("n5").campaign();
    net.process(nodeId("n5"));
    net.node("n3").campaign();
    net.process(nodeId("n3"));
    const n3ToN5 = net.queue.find((message) => message.type === "preVote" && message.from === "n3" && message.to === "n5");
    expect(n3ToN5).toBeDefined();
    net.queue = net.queue.filter((message) => message !== n3ToN5);
    net.deliver(n3ToN5 as never);
    expect(net.node("n5").status().role).toBe("follower");
    net.deliverAll();
    expect(net.leader()).toBe("n3");
    expect(net.node("n3").status().term).toBe(2);
  });
});
