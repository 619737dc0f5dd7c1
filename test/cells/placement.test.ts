import { describe, expect, it } from "vitest";
import { electionOrder, groupDatacenters, planPlacement, PlacementError, type TopologyInput } from "../../cells/placement.js";

const DEFAULT_TOPOLOGY: TopologyInput = {
  regions: [
    { name: "hangzhou", datacenters: ["hz-a", "hz-b"] },
    { name: "shanghai", datacenters: ["sh-a", "sh-b"] },
    { name: "shenzhen", datacenters: ["sz-a"] },
  ],
};

function placementError(action: () => unknown): PlacementError {
  try {
    action();
  } catch (error) {
    if (error instanceof PlacementError) return error;
    throw error;
  }
  throw new Error("expected a PlacementError");
}

describe("placement of the default world", () => {
  const placement = planPlacement(DEFAULT_TOPOLOGY);

  it("gives six cells of five replicas, one per datacenter, 2 + 2 + 1 over three regions", () => {
    expect(placement.cells.map((cell) => cell.cell)).toEqual(["cell-1", "cell-2", "cell-3", "cell-4", "cell-5", "cell-6"]);
    expect(placement.replicas()).toHaveLength(30);
    expect(new Set(placement.replicas().map((replica) => replica.replica)).size).toBe(30);
    for (const cell of placement.cells) {
      expect(cell.replicas.map((replica) => replica.datacenter)).toEqual(["hz-a", "hz-b", "sh-a", "sh-b", "sz-a"]);
      const perRegion = cell.replicas.reduce<Record<string, number>>(
        (counts, replica) => ({ ...counts, [replica.region]: (counts[replica.region] ?? 0) + 1 }),
        {},
      );
      expect(perRegion).toEqual({ hangzhou: 2, shanghai: 2, shenzhen: 1 });
    }
    expect(placement.cells[0].replicas[0]).toEqual({ cell: "cell-1", replica: "cell-1/hz-a", datacenter: "hz-a", region: "hangzhou" });
  });

  it("survives the loss of any one region or any two replicas: a quorum of 3 always remains", () => {
    for (const cell of placement.cells) {
      for (const region of ["hangzhou", "shanghai", "shenzhen"]) {
        expect(cell.replicas.filter((replica) => replica.region !== region).length).toBeGreaterThanOrEqual(3);
      }
    }
  });

  it("prefers hangzhou for cells 1-3 and shanghai for 4-6, never shenzhen", () => {
    expect(placement.cells.map((cell) => cell.preferredLeaderRegion)).toEqual([
      "hangzhou",
      "hangzhou",
      "hangzhou",
      "shanghai",
      "shanghai",
      "shanghai",
    ]);
  });

  it("orders each cell's survivors for priority elections: its preferred region, then the other pair, then the single", () => {
    const cell = (id: string) => placement.cells.find((candidate) => candidate.cell === id)!;
    expect(electionOrder(cell("cell-1"))).toEqual(["cell-1/hz-a", "cell-1/hz-b", "cell-1/sh-a", "cell-1/sh-b", "cell-1/sz-a"]);
    expect(electionOrder(cell("cell-4"))).toEqual(["cell-4/sh-a", "cell-4/sh-b", "cell-4/hz-a", "cell-4/hz-b", "cell-4/sz-a"]);
  });

  it("assigns every one of the 100 shards to exactly one cell, evenly, in contiguous ranges", () => {
    const owned = placement.cells.flatMap((cell) => cell.shards);
    expect(owned.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const sizes = placement.cells.map((cell) => cell.shards.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    for (const cell of placement.cells) {
      cell.shards.forEach((shard, i) => expect(shard).toBe(cell.shards[0] + i));
      for (const shard of cell.shards) expect(placement.cellOfShard(shard)).toBe(cell.cell);
    }
  });

  it("maps users to accounts and back, and accounts to the cell owning their shard", () => {
    expect(placement.accountOfUser(1234)).toBe("acct-34-12");
    expect(placement.userOfAccount("acct-34-12")).toBe(1234);
    expect(placement.shardOfUser(1234)).toBe(34);
    expect(placement.cellOfAccount("acct-34-12")).toBe(placement.cellOfShard(34));
    expect(placement.cellOfUser(1234)).toBe(placement.cellOfShard(34));
    for (const bad of ["acct-100-1", "acct-07-1", "user-3", "acct-3"]) expect(placement.cellOfAccount(bad)).toBeUndefined();
    const accounts = placement.accountsOfCell("cell-1", 3);
    expect(accounts).toHaveLength(placement.cells[0].shards.length * 3);
    for (const account of accounts) expect(placement.cellOfAccount(account)).toBe("cell-1");
    expect(placementError(() => placement.accountOfUser(-1)).field).toBe("uid");
  });

  it("accepts the world config's flat topology", () => {
    const flat = groupDatacenters({
      regions: [{ name: "hangzhou" }, { name: "shanghai" }, { name: "shenzhen" }],
      datacenters: [
        { name: "hz-a", region: "hangzhou" },
        { name: "sh-a", region: "shanghai" },
        { name: "hz-b", region: "hangzhou" },
        { name: "sh-b", region: "shanghai" },
        { name: "sz-a", region: "shenzhen" },
      ],
    });
    expect(flat).toEqual(DEFAULT_TOPOLOGY);
    expect(placementError(() => groupDatacenters({ regions: [{ name: "x" }], datacenters: [{ name: "d", region: "y" }] })).field).toBe(
      "topology.datacenters[0].region",
    );
  });
});

describe("placement validation", () => {
  it("rejects a topology that cannot survive a region loss, naming the field", () => {
    const twoRegions = {
      regions: [
        { name: "a", datacenters: ["a1", "a2", "a3"] },
        { name: "b", datacenters: ["b1", "b2"] },
      ],
    };
    const error = placementError(() => planPlacement(twoRegions));
    expect(error.code).toBe("INVALID_TOPOLOGY");
    expect(error.field).toBe("topology.regions");
    expect(error.message).toMatch(/at most 2 per region/);
    const tooFew = {
      regions: [
        { name: "a", datacenters: ["a1"] },
        { name: "b", datacenters: ["b1"] },
        { name: "c", datacenters: ["c1", "c2"] },
      ],
    };
    expect(placementError(() => planPlacement(tooFew)).code).toBe("INVALID_TOPOLOGY");
    const duplicate = {
      regions: [
        { name: "a", datacenters: ["x"] },
        { name: "b", datacenters: ["x"] },
      ],
    };
    expect(placementError(() => planPlacement(duplicate)).field).toBe("topology.regions[1].datacenters[0]");
  });

  it("spreads a larger topology 2 + 2 + 1 and rotates datacenters across cells", () => {
    const big = { regions: ["r1", "r2", "r3"].map((name) => ({ name, datacenters: [`${name}-a`, `${name}-b`, `${name}-c`] })) };
    const placement = planPlacement(big, { cellCount: 3, shardCount: 9 });
    for (const cell of placement.cells) {
      const counts = new Map<string, number>();
      for (const replica of cell.replicas) counts.set(replica.region, (counts.get(replica.region) ?? 0) + 1);
      expect([...counts.values()].sort()).toEqual([1, 2, 2]);
    }
    const used = new Set(placement.replicas().map((replica) => replica.datacenter));
    expect(used.size).toBe(9);
  });

  it("rejects bad options and a preferred leader outside the cell's largest regions", () => {
    expect(placementError(() => planPlacement(DEFAULT_TOPOLOGY, { replicasPerCell: 4 })).field).toBe("cells.replicasPerCell");
    expect(placementError(() => planPlacement(DEFAULT_TOPOLOGY, { cellCount: 0 })).field).toBe("cells.count");
    expect(placementError(() => planPlacement(DEFAULT_TOPOLOGY, { cellCount: 6, shardCount: 5 })).field).toBe("cells.shards");
    expect(placementError(() => planPlacement(DEFAULT_TOPOLOGY, { preferredLeaderRegions: { "cell-1": "shenzhen" } })).field).toBe(
      "cells.preferredLeaderRegions.cell-1",
    );
    expect(placementError(() => planPlacement(DEFAULT_TOPOLOGY, { preferredLeaderRegions: { "cell-9": "hangzhou" } })).field).toBe(
      "cells.preferredLeaderRegions.cell-9",
    );
    const swapped = planPlacement(DEFAULT_TOPOLOGY, { preferredLeaderRegions: { "cell-1": "shanghai" } });
    expect(swapped.cells.map((cell) => cell.preferredLeaderRegion)).toEqual([
      "shanghai",
      "hangzhou",
      "hangzhou",
      "shanghai",
      "shanghai",
      "shanghai",
    ]);
  });
});
