// "No request is shed that fits the added capacity" (issue 18, the double-11-scale-out drill),
// made precise. After a scale-out's cut over, the affected cells are the cell that was split and
// the cell that took its shards; until that added cell is consolidated (or the window ends) their
// traffic is judged in fixed bins (1 s): a bin is WITHIN CAPACITY when the requests offered to the
// affected cells in it (invocations routed to them, per second) are at most their total admission
// budget (budget x number of affected cells). A request is SHED when it failed with OVERLOADED
// (refused by admission or a full queue: never attempted). The verdict's figure is the number of
// requests shed in within-capacity bins, and it must be 0; sheds in bins over capacity are counted
// apart (the added capacity did not fit them).
import type { Op } from "../history.js";

export const SHED_BIN_US_DEFAULT = 1_000_000;

export interface ShedWindow {
  /** The cells judged together: the split one and the one it gave shards to. */
  readonly cells: readonly string[];
  /** From the cut over (µs, the history's clock)... */
  readonly fromUs: number;
  /** ...to the consolidation or the end of the run (µs, exclusive). */
  readonly toUs: number;
}

export interface ShedVerdict {
  readonly valid: boolean;
  readonly windows: number;
  readonly bins: number;
  readonly binsWithinCapacity: number;
  readonly offered: number;
  readonly shedWithinCapacity: number;
  readonly shedOverCapacity: number;
  /** The first within-capacity bin that shed, for the reason line (null: none). */
  readonly first: {
    readonly atUs: number;
    readonly cells: readonly string[];
    readonly offeredOpsPerSecond: number;
    readonly shed: number;
  } | null;
}

function cellOf(op: Op): string | null {
  const cell = (op.value as { cell?: unknown } | null)?.cell;
  return typeof cell === "string" ? cell : null;
}

export function checkShedWithinCapacity(
  history: readonly Op[],
  windows: readonly ShedWindow[],
  budgetOpsPerSecond: number,
  binUs: number = SHED_BIN_US_DEFAULT,
): ShedVerdict {
  let bins = 0;
  let binsWithinCapacity = 0;
  let offered = 0;
  let shedWithinCapacity = 0;
  let shedOverCapacity = 0;
  let first: ShedVerdict["first"] = null;
  for (const window of windows) {
    const cells = new Set(window.cells);
    const binCount = Math.max(0, Math.ceil((window.toUs - window.fromUs) / binUs));
    const invoked = new Array<number>(binCount).fill(0);
    const shed = new Array<number>(binCount).fill(0);
    for (const op of history) {
      const time = op.time;
      if (time === undefined || time < window.fromUs || time >= window.toUs) continue;
      const cell = cellOf(op);
      if (cell === null || !cells.has(cell)) continue;
      const bin = Math.floor((time - window.fromUs) / binUs);
      if (op.type === "invoke") invoked[bin] = (invoked[bin] ?? 0) + 1;
      else if (op.type === "fail" && (op.value as { error?: unknown }).error === "OVERLOADED") shed[bin] = (shed[bin] ?? 0) + 1;
    }
    const capacity = budgetOpsPerSecond * cells.size;
    for (let bin = 0; bin < binCount; bin++) {
      // A last, partial bin is judged at its own length.
      const seconds = Math.min(binUs, window.toUs - window.fromUs - bin * binUs) / 1_000_000;
      const rate = (invoked[bin] ?? 0) / seconds;
      bins++;
      offered += invoked[bin] ?? 0;
      if (rate <= capacity) {
        binsWithinCapacity++;
        shedWithinCapacity += shed[bin] ?? 0;
        if (first === null && (shed[bin] ?? 0) > 0)
          first = { atUs: window.fromUs + bin * binUs, cells: [...cells], offeredOpsPerSecond: Math.round(rate), shed: shed[bin] ?? 0 };
      } else shedOverCapacity += shed[bin] ?? 0;
    }
  }
  return {
    valid: shedWithinCapacity === 0,
    windows: windows.length,
    bins,
    binsWithinCapacity,
    offered,
    shedWithinCapacity,
    shedOverCapacity,
    first,
  };
}
