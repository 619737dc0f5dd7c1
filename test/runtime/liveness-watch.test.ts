// The liveness watch follows elastic cells: a cell removed after the heal (a consolidation) is not
// reported as never live, and a cell added after it is not judged (its admission is elastic's
// readiness); the cells present at the heal still are.
import { describe, expect, it } from "vitest";
import type { CellPlacement, Placement } from "../../cells/placement.js";
import { LivenessWatch, type WatchedCells } from "../../runtime/liveness-watch.js";

const cellOf = (index: number): CellPlacement => ({
  cell: `cell-${index}`,
  index,
  replicas: [{ replica: `c${index}-r1`, region: "east" }] as unknown as CellPlacement["replicas"],
  preferredLeaderRegion: "east",
  shards: [index],
});

function world(cells: CellPlacement[], leading: Set<string>): WatchedCells & { cells: CellPlacement[]; nowUs(): number; at: number } {
  const state = {
    cells,
    at: 0,
    get placement(): Placement {
      return { cells: state.cells } as unknown as Placement;
    },
    commitOf: () => 5,
    leaderStatus: (host: string) => (leading.has(host) ? { commit: 6, lastIndex: 6 } : null),
    routedRegion: () => "east",
    nowUs: () => state.at,
  };
  return state;
}

describe("LivenessWatch with cells added and removed after the heal", () => {
  it("drops a removed cell, ignores an added one, and still judges the cells present at the heal", () => {
    const leading = new Set(["c1-r1"]);
    const watched = world([cellOf(1), cellOf(2)], leading);
    const watch = new LivenessWatch(watched, 5_000_000);
    watched.at = 100;
    watch.sample();
    expect(watch.settled()).toBe(false); // cell-2 has no leader yet
    // cell-2 is consolidated away and cell-3 is added (a split) before cell-2 ever led again.
    watched.cells = [cellOf(1), cellOf(3)];
    watched.at = 200;
    watch.sample();
    expect(watch.settled()).toBe(true);
    expect(Object.keys(watch.observations().cells)).toEqual(["cell-1"]);
    expect(watch.observations().cells["cell-1"]).toMatchObject({ committedAtUs: 100, routedAtUs: 100, leader: "c1-r1" });
  });

  it("a cell present at the heal that never leads again stays unsettled", () => {
    const watched = world([cellOf(1), cellOf(2)], new Set(["c1-r1"]));
    const watch = new LivenessWatch(watched, 5_000_000);
    watched.cells = [cellOf(1), cellOf(2), cellOf(3)];
    watch.sample();
    expect(watch.settled()).toBe(false);
    expect(watch.observations().cells["cell-2"]).toMatchObject({ committedAtUs: null, routedAtUs: null });
  });
});
