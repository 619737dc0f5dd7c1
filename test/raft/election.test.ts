// Elections: pre-vote, check-quorum and leader stickiness, as a reader would narrate them.
import { describe, expect, it } from "vitest";
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
});
