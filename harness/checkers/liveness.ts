// Liveness after the faults (as TigerBeetle's VOPR liveness mode): once every fault has healed,
// each cell must commit again and the routing must point at its leader within a stated bound.
// The runtime observes the cells (runtime/virtual/liveness.ts) and hands the first times each
// condition held; this judges them. A cell that never got there is a violation too: a safety
// checker passes a cluster that stopped, this one does not.

/** The bound `ldc sim --check` holds cells to: 5 s of simulated time after the last heal. */
export const LIVENESS_BOUND_US_DEFAULT = 5_000_000;

export interface CellLivenessObservation {
  /** First time at or after the heal when the cell had a leader that committed (null: never seen). */
  readonly committedAtUs: number | null;
  /** First time at or after that when the routing sent the cell's users to its leader's region (null: never). */
  readonly routedAtUs: number | null;
  /** The leader then (for the report). */
  readonly leader: string | null;
}

export interface LivenessObservations {
  readonly healedAtUs: number;
  readonly boundUs: number;
  readonly cells: Readonly<Record<string, CellLivenessObservation>>;
}

export interface CellLiveness {
  readonly committedAfterMs: number | null;
  readonly routedAfterMs: number | null;
  readonly leader: string | null;
  readonly valid: boolean;
}

export interface LivenessVerdict {
  readonly valid: boolean;
  readonly boundMs: number;
  readonly healedAtMs: number;
  readonly cells: Record<string, CellLiveness>;
  /** Cells that missed the bound, with what they missed. */
  readonly stuck: string[];
}

export function checkLiveness(observations: LivenessObservations): LivenessVerdict {
  const cells: Record<string, CellLiveness> = {};
  const stuck: string[] = [];
  const afterMs = (atUs: number | null): number | null => (atUs === null ? null : Math.round((atUs - observations.healedAtUs) / 1000));
  for (const [cell, seen] of Object.entries(observations.cells)) {
    const deadlineUs = observations.healedAtUs + observations.boundUs;
    const committed = seen.committedAtUs !== null && seen.committedAtUs <= deadlineUs;
    const routed = seen.routedAtUs !== null && seen.routedAtUs <= deadlineUs;
    if (!committed) stuck.push(`${cell}: no commit within ${observations.boundUs / 1000} ms of the heal`);
    else if (!routed) stuck.push(`${cell}: routing did not reach leader ${seen.leader ?? "?"} within ${observations.boundUs / 1000} ms`);
    cells[cell] = {
      committedAfterMs: afterMs(seen.committedAtUs),
      routedAfterMs: afterMs(seen.routedAtUs),
      leader: seen.leader,
      valid: committed && routed,
    };
  }
  return {
    valid: stuck.length === 0,
    boundMs: observations.boundUs / 1000,
    healedAtMs: Math.round(observations.healedAtUs / 1000),
    cells,
    stuck,
  };
}
