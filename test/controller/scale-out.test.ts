import { describe, expect, it } from "vitest";
import { ScaleOutPolicy, defaultScaleOutOptions } from "../../controller/scale-out.js";
import type { ElasticCells, MoveRecord } from "../../controller/elastic.js";
import type { Clock } from "../../ground/ports.js";

/** A clock the test moves by hand, and an ElasticCells stand-in that records what it was asked. */
function harness(loads: Map<string, number>) {
  let nowUs = 0;
  const timers: { atUs: number; callback: () => void }[] = [];
  const clock: Clock = {
    nowUs: () => nowUs,
    setTimer: (delayUs, callback) => {
      const timer = { atUs: nowUs + delayUs, callback };
      timers.push(timer);
      return timer as never;
    },
    cancelTimer: () => {},
  };
  const advance = (us: number): void => {
    const until = nowUs + us;
    for (;;) {
      timers.sort((a, b) => a.atUs - b.atUs);
      const next = timers[0];
      if (next === undefined || next.atUs > until) break;
      timers.shift();
      nowUs = next.atUs;
      next.callback();
    }
    nowUs = until;
  };
  const cells = new Map<string, number[]>([
    ["cell-1", [0, 1, 2, 3]],
    ["cell-2", [4, 5, 6, 7]],
  ]);
  const asked: string[] = [];
  const elastic = {
    splitCell: (request: { cell: string }, callback: (result: unknown) => void) => {
      asked.push(`split ${request.cell}`);
      const shards = cells.get(request.cell) as number[];
      const upper = shards.splice(2);
      cells.set("cell-3", upper);
      const move = { first: upper[0], last: upper[upper.length - 1], state: "cut-over", durationMs: 20 } as MoveRecord;
      callback({ ok: true, value: { cell: "cell-3", move } });
    },
    moveShards: (request: { shards: string; to: string }, callback: (result: unknown) => void) => {
      asked.push(`move ${request.shards} -> ${request.to}`);
      (cells.get(request.to) as number[]).push(...(cells.get("cell-3") as number[]));
      cells.set("cell-3", []);
      callback({ ok: true, value: { state: "cut-over" } });
    },
    removeCell: (request: { cell: string }) => {
      asked.push(`remove ${request.cell}`);
      cells.delete(request.cell);
      return { ok: true, value: { routingVersion: 9 } };
    },
  } as unknown as ElasticCells;
  const policy = new ScaleOutPolicy(
    { ...defaultScaleOutOptions, budgetOpsPerSecond: 100 },
    {
      clock,
      elastic,
      cells: () => [...cells].map(([id, shards]) => ({ id, shards })),
      opsPerSecond: (cell) => loads.get(cell) ?? 0,
    },
  );
  return { policy, advance, asked, cells };
}

describe("automatic scale-out", () => {
  it("splits a cell only after its load stayed above the line for the sustain period, and gives the shards back once the added cell stays cold", () => {
    const loads = new Map([
      ["cell-1", 95],
      ["cell-2", 40],
    ]);
    const { policy, advance, asked, cells } = harness(loads);
    policy.start();
    advance(2_500_000);
    expect(asked).toEqual([]); // hot for 2.5 s of the 3 s required
    advance(1_000_000);
    expect(asked).toEqual(["split cell-1"]);
    expect(cells.get("cell-3")).toEqual([2, 3]);
    loads.set("cell-1", 50);
    loads.set("cell-3", 10);
    advance(19_000_000);
    expect(asked).toEqual(["split cell-1"]); // cold for less than 20 s
    advance(2_000_000);
    expect(asked).toEqual(["split cell-1", "move 2..3 -> cell-1", "remove cell-3"]);
    expect(cells.get("cell-1")).toEqual([0, 1, 2, 3]);
    expect(policy.actions.map((action) => action.kind)).toEqual(["scale-out", "consolidate"]);
  });

  it("never consolidates into a cell the merged load would push over the line again (no flapping)", () => {
    const loads = new Map([
      ["cell-1", 95],
      ["cell-2", 40],
    ]);
    const { policy, advance, asked } = harness(loads);
    policy.start();
    advance(3_500_000);
    expect(asked).toEqual(["split cell-1"]);
    loads.set("cell-1", 70);
    loads.set("cell-3", 25); // cold (< 30), but 70 + 25 > 80
    advance(60_000_000);
    expect(asked).toEqual(["split cell-1"]);
    loads.set("cell-1", 50);
    advance(1_000_000);
    expect(asked).toEqual(["split cell-1", "move 2..3 -> cell-1", "remove cell-3"]);
  });

  it("a load that dips below the line restarts the sustain clock; a cell it did not add is never consolidated", () => {
    const loads = new Map([["cell-1", 95]]);
    const { policy, advance, asked } = harness(loads);
    policy.start();
    advance(2_000_000);
    loads.set("cell-1", 10);
    advance(500_000);
    loads.set("cell-1", 95);
    advance(2_500_000);
    expect(asked).toEqual([]);
    loads.set("cell-1", 0);
    loads.set("cell-2", 0);
    advance(60_000_000);
    expect(asked).toEqual([]);
  });
});
