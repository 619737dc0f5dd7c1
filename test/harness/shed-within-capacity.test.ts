// "No request is shed that fits the added capacity" (the double-11-scale-out drill's verdict):
// requests failed OVERLOADED in a 1 s bin after a scale-out's cut over, while the split cell and
// the added one were offered at most their total budget, make the verdict fail; sheds in bins
// over that budget are counted apart; the window closes at the added cell's consolidation.
import { describe, expect, it } from "vitest";
import type { Op } from "../../harness/history.js";
import { checkShedWithinCapacity } from "../../harness/checkers/shed-within-capacity.js";
import { scaleOutShedding } from "../../runtime/drill-digest.js";

let index = 0;
function ops(cell: string, count: number, fromUs: number, spanUs: number, shed = 0): Op[] {
  const result: Op[] = [];
  for (let i = 0; i < count; i++) {
    const time = fromUs + Math.floor((i * spanUs) / count);
    result.push({ process: i, type: "invoke", f: "transfer", value: { cell }, time, index: index++ });
    const failed = i < shed;
    result.push({
      process: i,
      type: failed ? "fail" : "ok",
      f: "transfer",
      value: failed ? { cell, error: "OVERLOADED" } : { cell, outcome: "posted" },
      time: time + 10,
      index: index++,
    });
  }
  return result;
}

describe("shedding within the added capacity", () => {
  it("fails when a request is shed while the affected cells' offered load fits their total budget", () => {
    // 2 cells x 100 ops/s budget; 150 ops/s offered in the first second (fits), 3 of them shed.
    const history = [...ops("cell-1", 90, 0, 1_000_000, 3), ...ops("cell-7", 60, 0, 1_000_000)];
    const verdict = checkShedWithinCapacity(history, [{ cells: ["cell-1", "cell-7"], fromUs: 0, toUs: 1_000_000 }], 100);
    expect(verdict).toMatchObject({ valid: false, bins: 1, binsWithinCapacity: 1, shedWithinCapacity: 3, shedOverCapacity: 0 });
    expect(verdict.first).toMatchObject({ cells: ["cell-1", "cell-7"], offeredOpsPerSecond: 150, shed: 3 });
  });

  it("does not count sheds while the offered load is over the total budget, nor other cells' sheds, nor errors other than OVERLOADED", () => {
    const history = [
      ...ops("cell-1", 250, 0, 1_000_000, 20), // 250 > 200: over capacity
      ...ops("cell-2", 10, 0, 1_000_000, 5), // not affected
      ...ops("cell-1", 50, 1_000_000, 1_000_000),
    ];
    history.push({
      process: 99,
      type: "info",
      f: "transfer",
      value: { cell: "cell-1", error: "TIMEOUT" },
      time: 1_500_000,
      index: index++,
    });
    const verdict = checkShedWithinCapacity(history, [{ cells: ["cell-1", "cell-7"], fromUs: 0, toUs: 2_000_000 }], 100);
    expect(verdict).toMatchObject({ valid: true, bins: 2, binsWithinCapacity: 1, shedWithinCapacity: 0, shedOverCapacity: 20 });
  });

  it("takes its windows from the drill's scale-out steps: from the cut over to the added cell's consolidation", () => {
    const startUs = 5_000_000;
    const steps = [
      { atMs: 1_000, field: "scale-out.scale-out", detail: "cell-1: cell-7 took 8..15 (cut-over, 33 ms)" },
      { atMs: 3_000, field: "scale-out.consolidate", detail: "cell-7: shards back to cell-1, cell-7 removed" },
      { atMs: 3_500, field: "scale-out.scale-out", detail: "cell-2: refused: cell-2 has no leader" },
    ];
    // Shed within capacity before the cut over and after the consolidation: outside every window.
    const outside = [...ops("cell-1", 50, startUs, 1_000_000, 5), ...ops("cell-1", 50, startUs + 3_000_000, 1_000_000, 5)];
    expect(scaleOutShedding(100, steps, startUs, outside)).toMatchObject({ valid: true, windows: 1, bins: 2, shedWithinCapacity: 0 });
    const inside = [...outside, ...ops("cell-7", 40, startUs + 2_000_000, 1_000_000, 2)];
    expect(scaleOutShedding(100, steps, startUs, inside)).toMatchObject({ valid: false, shedWithinCapacity: 2 });
  });
});
