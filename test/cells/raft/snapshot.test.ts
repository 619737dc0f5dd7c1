// Compaction and InstallSnapshot for a follower behind the leader's first index.
import { describe, expect, it } from "vitest";
import { Network } from "./fixtures/network.js";

describe("snapshots", () => {
  it("a far-behind follower is caught up with a snapshot, then with appends", () => {
    const net = new Network(3);
    net.elect("n1");
    net.isolate("n3");
    for (let i = 0; i < 20; i++) net.propose("n1", i);
    net.deliverAll();
    net.compact("n1");
    net.compact("n2");
    expect(net.node("n1").status().firstIndex).toBe(22);
    net.heal();
    net.tickAll(3);
    net.propose("n1", 20);
    net.deliverAll();
    net.tick("n1"); // followers learn the last commit with the next heartbeat
    net.deliverAll();
    const expected = Array.from({ length: 21 }, (_, i) => i);
    for (const id of net.ids) expect(net.member(id).applied, id).toEqual(expected);
    expect(net.node("n3").status().firstIndex).toBe(22); // n3's log starts at the snapshot
    expect(net.member("n3").durable.snapshot?.metadata.index).toBe(21);
  });

  it("a restarted node recovers from its snapshot plus the entries after it", () => {
    const net = new Network(3);
    net.elect("n1");
    for (let i = 0; i < 5; i++) net.propose("n1", i);
    net.deliverAll();
    net.compact("n2");
    net.propose("n1", 5);
    net.deliverAll();
    net.tickAll(1);
    net.crash("n2");
    net.restart("n2");
    net.tickAll(2);
    expect(net.member("n2").applied).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
