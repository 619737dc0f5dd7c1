// Log replication: batching, figure 7 repair, figure 8 commit rule, the new-leader barrier.
import { describe, expect, it } from "vitest";
import { RaftNode } from "../../../cells/raft/raft.js";
import type { Entry } from "../../../cells/raft/types.js";
import { logIndex, nodeId, term } from "../../../cells/raft/types.js";
import { createRandom } from "../../../ground/random.js";
import { Network } from "./fixtures/network.js";

const entriesOfTerms = (terms: number[]): Entry[] =>
  terms.map((t, i) => ({ term: term(t), index: logIndex(i + 1), kind: "normal" as const, data: `${i + 1}@${t}` }));

describe("raft replication", () => {
  it("replicates proposals and every node applies the same sequence", () => {
    const net = new Network(3);
    net.elect("n1");
    for (let i = 0; i < 5; i++) expect(net.propose("n1", { requestId: `r${i}` }).code).toBe("OK");
    net.deliverAll();
    const all = [0, 1, 2, 3, 4].map((i) => ({ requestId: `r${i}` }));
    expect(net.member("n1").applied).toEqual(all);
    // Followers hold the entries but learn the commit index lazily, with the next append or
    // heartbeat: a commit advance alone sends no message.
    for (const id of ["n2", "n3"]) expect(net.member(id).applied).toEqual([]);
    net.tick("n1"); // heartbeatTicks = 1
    net.deliverAll();
    for (const id of net.ids) expect(net.member(id).applied).toEqual(all);
  });

  it("batches everything proposed since the last Ready into one append per follower", () => {
    const net = new Network(3);
    net.elect("n1");
    const leader = net.node("n1");
    for (let i = 0; i < 10; i++) leader.propose(i);
    const ready = leader.ready();
    const appends = ready.messages.filter((message) => message.type === "append");
    expect(appends).toHaveLength(2);
    for (const append of appends) expect(append.type === "append" && append.entries.length).toBe(10);
    leader.advance(ready);
  });

  it("a follower gets NOT_LEADER with a hint; a new leader drops writes until it applied its predecessors' entries", () => {
    const net = new Network(3);
    net.elect("n1");
    expect(net.propose("n2", "x")).toEqual({ code: "NOT_LEADER", leaderHint: "n1" });
    net.crash("n1");
    const newLeader = (): string | undefined => ["n2", "n3"].find((id) => net.node(id).status().role === "leader");
    for (let round = 0; round < 100 && newLeader() === undefined; round++) {
      net.tick("n2");
      net.tick("n3");
      while (net.queue.length > 0 && newLeader() === undefined) net.deliverOne();
    }
    const leader = newLeader() as string;
    expect(leader).toBeDefined();
    // Elected, but its no-op is not committed yet.
    expect(net.node(leader).propose("y")).toMatchObject({ code: "DROPPED" });
    net.deliverAll();
    expect(net.propose(leader, "y").code).toBe("OK");
  });

  it("figure 7: a new leader brings followers with missing, extra and conflicting entries in line", () => {
    const logs: Record<string, number[]> = {
      n1: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6],
      n2: [1, 1, 1, 4, 4, 5, 5, 6, 6],
      n3: [1, 1, 1, 4],
      n4: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
      n5: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
      n6: [1, 1, 1, 4, 4, 4, 4],
      n7: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
    };
    const net = new Network(7);
    for (const id of net.ids) {
      const member = net.member(id);
      member.durable = {
        hardState: { term: term(7), vote: null, commit: logIndex(1) },
        snapshot: null,
        entries: entriesOfTerms(logs[id] as number[]),
      };
      net.restart(id);
      member.applied = [];
    }
    net.elect("n1");
    expect(net.node("n1").status().term).toBe(8);
    net.tickAll(3);
    const expected = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 8];
    for (const id of net.ids) {
      const node = net.node(id);
      const entries = node.entries(logIndex(1), logIndex(node.status().lastIndex + 1)) ?? [];
      expect(
        entries.map((entry) => entry.term),
        id,
      ).toEqual(expected);
      expect(node.status().commit).toBe(11);
    }
  });

  it("figure 8: a leader never commits an older-term entry by counting replicas", () => {
    const net = new Network(5, { batchEntriesMax: 1 });
    const logs: Record<string, number[]> = { n1: [1, 2], n2: [1, 2], n3: [1], n4: [1], n5: [1] };
    for (const id of net.ids) {
      net.member(id).durable = {
        hardState: { term: term(2), vote: null, commit: logIndex(1) },
        snapshot: null,
        entries: entriesOfTerms(logs[id] as number[]),
      };
      net.restart(id);
    }
    net.cut("n1", "n4");
    net.cut("n1", "n5");
    net.node("n1").campaign();
    net.process(nodeId("n1"));
    let sawIndexTwoOnMajority = false;
    while (net.queue.length > 0) {
      net.deliverOne();
      const n1 = net.node("n1").status();
      // Entry 2 (term 2) may sit on 3 of 5 nodes, yet commit jumps from 1 straight to 3.
      expect(n1.commit).not.toBe(2);
      if (net.node("n3").termOf(logIndex(2)) === 2 && n1.commit === 1) sawIndexTwoOnMajority = true;
    }
    expect(sawIndexTwoOnMajority).toBe(true);
    expect(net.node("n1").status()).toMatchObject({ role: "leader", term: 3, commit: 3 });
  });

  it("rejects a hard state whose commit is beyond the log (recovered state is checked)", () => {
    expect(
      () =>
        new RaftNode(
          { id: nodeId("a"), voters: [nodeId("a")] },
          { random: createRandom(1) },
          { hardState: { term: term(1), vote: null, commit: logIndex(5) }, entries: [] },
        ),
    ).toThrow(/commit 5 beyond last index 0/);
  });
});
