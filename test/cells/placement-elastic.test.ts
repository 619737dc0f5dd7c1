import { describe, expect, it } from "vitest";
import { PlacementError, planPlacement, type OwnershipChange } from "../../cells/placement.js";
import { RoutingTable } from "../../controller/routing.js";

const topology = {
  regions: [
    { name: "hangzhou", datacenters: ["hz-a", "hz-b"] },
    { name: "shanghai", datacenters: ["sh-a", "sh-b"] },
    { name: "shenzhen", datacenters: ["sz-a"] },
  ],
};

describe("elastic placement: the one shard -> cell map", () => {
  it("adds cell-7 placed 2 + 2 + 1 with no shards, preferring the big region with fewer preferring cells", () => {
    const placement = planPlacement(topology);
    const changes: OwnershipChange[] = [];
    placement.onChange((change) => changes.push(change));
    const cell = placement.addCell();
    expect(cell.cell).toBe("cell-7");
    expect(cell.shards).toEqual([]);
    expect(cell.replicas.map((replica) => replica.region)).toEqual(["hangzhou", "hangzhou", "shanghai", "shanghai", "shenzhen"]);
    expect(cell.preferredLeaderRegion).toBe("hangzhou"); // 3 cells prefer each: the first eligible
    expect(placement.addCell().preferredLeaderRegion).toBe("shanghai"); // now hangzhou has 4
    expect(changes.map((change) => [change.kind, change.cell, change.version])).toEqual([
      ["cell-added", "cell-7", 1],
      ["cell-added", "cell-8", 2],
    ]);
  });

  it("assigns a range: owner, both cells' shard lists and the version change together; an empty cell can be removed, a full one not", () => {
    const placement = planPlacement(topology);
    const routing = new RoutingTable(
      placement,
      Object.fromEntries(placement.cells.map((cell) => [cell.cell, "hangzhou"])),
      ["hangzhou"],
      0,
    );
    placement.addCell();
    placement.assignShards([0, 1, 2], "cell-7");
    expect(placement.cellOfShard(1)).toBe("cell-7");
    expect(routing.cellOfShard(1)).toBe("cell-7"); // the routing table reads the placement, never a copy
    expect(placement.cell("cell-7")?.shards).toEqual([0, 1, 2]);
    expect(placement.cell("cell-1")?.shards[0]).toBe(3);
    expect(placement.cellOfUser(100)).toBe("cell-7");
    expect(placement.ownershipVersion).toBe(2);
    expect(() => placement.removeCell("cell-7")).toThrow(PlacementError);
    placement.assignShards([0, 1, 2], "cell-1");
    expect(placement.cell("cell-1")?.shards.slice(0, 4)).toEqual([0, 1, 2, 3]);
    placement.removeCell("cell-7");
    expect(placement.cells.map((cell) => cell.cell)).not.toContain("cell-7");
    expect(() => placement.assignShards([5], "cell-7")).toThrow(PlacementError);
    // A removed cell's id is never given to a new cell (its hosts, disks and logs keep the name).
    expect(placement.addCell().cell).toBe("cell-8");
  });

  it("the routing table takes one version per cell added, per move and per cell removed", () => {
    const placement = planPlacement(topology);
    const routing = new RoutingTable(
      placement,
      Object.fromEntries(placement.cells.map((cell) => [cell.cell, "hangzhou"])),
      ["hangzhou", "shanghai"],
      0,
    );
    const start = routing.version;
    placement.addCell();
    routing.addCell("cell-7", "hangzhou", "added", 1);
    placement.assignShards([0], "cell-7");
    routing.shardsMoved("moved", 2);
    expect(routing.snapshot().shards["0"]).toBe("cell-7");
    expect(routing.version).toBe(start + 2);
    expect(() => routing.addCell("cell-7", "hangzhou", "again", 3)).toThrow();
    placement.assignShards([0], "cell-1");
    placement.removeCell("cell-7");
    routing.removeCell("cell-7", "removed", 4);
    expect(routing.cells()["cell-7"]).toBeUndefined();
    expect(routing.version).toBe(start + 3);
  });
});
