// A repairing node (protocol-aware recovery after a corrupted WAL): it follows without voting,
// counts toward no commit, read or quorum, is caught up only once it holds what the leader had
// committed in the leader's own term, and names the loss when no peer holds a committed entry.
import { describe, expect, it } from "vitest";
import { COMMITTED_ENTRY_LOST, RaftNode } from "../../../cells/raft/raft.js";
import { logIndex, nodeId, term } from "../../../cells/raft/types.js";
import { createRandom } from "../../../ground/random.js";
import { Network } from "./fixtures/network.js";

function committedCluster(count: number, proposals: number): Network {
  const net = new Network(count);
  net.elect("n1");
  for (let i = 0; i < proposals; i++) expect(net.propose("n1", `p${i}`).code).toBe("OK");
  net.deliverAll();
  net.tick("n1");
  net.deliverAll();
  return net;
}

describe("raft repair", () => {
  it("a repairing follower never campaigns and grants no vote, even to an up-to-date candidate", () => {
    const net = committedCluster(3, 3);
    net.crash("n1");
    net.restartRepairing("n2", 2);
    expect(net.node("n2").repairing).toBe(true);
    net.tick("n2", 100);
    net.deliverAll();
    expect(net.node("n2").status().role).toBe("follower");
    expect(net.queue.filter((message) => message.from === "n2" && message.type === "vote")).toEqual([]);
    // n3 campaigns: n2 refuses, and n3 alone is no majority of three.
    net.campaign("n3");
    expect(net.node("n3").status().role).not.toBe("leader");
    expect(net.leader()).toBeNull();
  });

  it("the leader counts a repairing follower toward no commit until it is repaired", () => {
    const net = committedCluster(3, 3);
    net.restartRepairing("n2", 2, { voteLost: true });
    expect(net.node("n2").status().vote).toBeNull();
    net.crash("n3");
    // n2 answers the leader as repairing: its old match is void and its acks do not commit.
    net.tick("n1");
    net.deliverAll();
    expect(net.node("n1").status().progress?.["n2"]).toMatchObject({ match: 4 });
    const commitBefore = net.node("n1").status().commit;
    expect(net.propose("n1", "while-repairing").code).toBe("OK");
    net.deliverAll();
    net.tick("n1", 3);
    net.deliverAll();
    expect(net.node("n1").status().commit).toBe(commitBefore);
    // It holds the leader's commit of the leader's own term: caught up; once that is durable (the
    // replica's job) it counts again and the entry commits with it.
    expect(net.node("n2").repairCaughtUp()).toBe(true);
    net.node("n2").finishRepair();
    // Whatever vote of this term the damage erased, it now counts as cast for the leader it follows.
    expect(net.node("n2").status().vote).toBe("n1");
    net.tick("n1", 2);
    net.deliverAll();
    expect(net.node("n1").status().commit).toBe(commitBefore + 1);
    net.tick("n1");
    net.deliverAll();
    expect(net.member("n2").applied).toEqual(net.member("n1").applied);
    expect(net.member("n1").applied).toEqual(["p0", "p1", "p2", "while-repairing"]);
  });

  it("a leader refuses to transfer leadership to a repairing follower", () => {
    const net = committedCluster(3, 1);
    net.restartRepairing("n2", 1);
    net.tick("n1");
    net.deliverAll();
    const result = net.node("n1").transferLeadership(net.node("n2").id);
    // Caught up already (nothing new was committed), but until finishRepair it is still repairing.
    expect(result).toMatchObject({ code: "TARGET_BEHIND", reason: expect.stringMatching(/repairing/) });
  });

  it(`names the loss (${COMMITTED_ENTRY_LOST}) when every peer answers that it lacks a committed entry`, () => {
    const net = committedCluster(3, 3);
    for (const id of ["n1", "n2", "n3"]) net.crash(id);
    // Every copy of entry 2 on; entries up to 4 were known committed.
    for (const id of ["n1", "n2", "n3"]) net.restartRepairing(id, 2, { commit: 4 });
    net.tickAll(25);
    for (const id of ["n1", "n2", "n3"]) {
      expect(net.node(id).repairLost()).toMatch(new RegExp(`^${COMMITTED_ENTRY_LOST}: entry 2 was committed \\(commit 4\\)`));
    }
    expect(net.leader()).toBeNull();
  });

  it("does not name a loss while some peer still holds the entry, nor when a quorum of voters is left", () => {
    const net = committedCluster(3, 3);
    net.crash("n1");
    net.restartRepairing("n2", 2, { commit: 1 }); // entry 2 not known committed
    net.tickAll(25);
    // n3 holds entry 2, so the probe finds it; n1 is down (no answer) anyway.
    expect(net.node("n2").repairLost()).toBeNull();
  });

  it("a restart in the middle of a repair keeps repairing, past the entries it already fetched", () => {
    const entries = [1, 2, 3].map((index) => ({ index: logIndex(index), term: term(1), kind: "normal" as const, data: index }));
    const node = new RaftNode(
      { id: nodeId("n2"), voters: ["n1", "n2", "n3"].map(nodeId) },
      { random: createRandom(1) },
      {
        hardState: { term: term(1), vote: null, commit: logIndex(1) },
        entries,
        // The mark says entries from 2 on were lost; 2 and 3 came back from a leader before the crash.
        repair: { lostFromIndex: logIndex(2), knownCommit: logIndex(3), knownLastIndex: logIndex(3) },
      },
    );
    expect(node.repairing).toBe(true);
    expect(node.status()).toMatchObject({ lastIndex: 3, role: "follower" });
  });
});
