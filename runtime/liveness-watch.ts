// Watches the cells after the last heal for the liveness checker (harness/checkers/liveness.ts):
// the first time each cell had a leader that committed again, and the first time after that the
// users' routing pointed at that leader's region. The runtime samples it: the virtual one on its
// monitor tick (no timers of its own, so watching does not change a run's trace), the live one on
// each status poll (what its supervisor knows of the replicas then).

import type { CellLivenessObservation, LivenessObservations } from "../harness/checkers/liveness.js";
import type { Placement } from "../cells/placement.js";

/** What the watch reads of the runtime (VirtualRuntime, LiveRuntime). */
export interface WatchedCells {
  readonly placement: Placement;
  /** The replica's commit index now (0 when not known). */
  commitOf(host: string): number;
  /** Its commit and last index when it runs as its cell's leader; null otherwise. */
  leaderStatus(host: string): { readonly commit: number; readonly lastIndex: number } | null;
  /** The region the users of `cell` are sent to now. */
  routedRegion(cell: string): string | null;
  nowUs(): number;
}

interface CellWatch {
  readonly commitAtHeal: number;
  committedAtUs: number | null;
  routedAtUs: number | null;
  leader: string | null;
}

export class LivenessWatch {
  readonly healedAtUs: number;
  private readonly cells = new Map<string, CellWatch>();

  constructor(
    private readonly watched: WatchedCells,
    readonly boundUs: number,
  ) {
    this.healedAtUs = watched.nowUs();
    for (const cell of watched.placement.cells) {
      let commitAtHeal = 0;
      for (const replica of cell.replicas) commitAtHeal = Math.max(commitAtHeal, watched.commitOf(replica.replica));
      this.cells.set(cell.cell, { commitAtHeal, committedAtUs: null, routedAtUs: null, leader: null });
    }
  }

  /**
   * A cell has committed again once a running leader's commit index passed the highest commit
   * index any replica had at the heal, or it has nothing left uncommitted (an idle cell).
   */
  sample(): void {
    const nowUs = this.watched.nowUs();
    // Elastic cells (controller/elastic.ts): a cell added after the heal is not judged here (it
    // becomes routable only once its leader is elected: elastic's own readiness), and a cell
    // removed after it (a consolidation; ids are never reused) leaves the watch.
    if (this.cells.size > 0) {
      const placed = new Set(this.watched.placement.cells.map((cell) => cell.cell));
      for (const cell of this.cells.keys()) if (!placed.has(cell)) this.cells.delete(cell);
    }
    for (const cell of this.watched.placement.cells) {
      const watch = this.cells.get(cell.cell);
      if (watch === undefined || watch.routedAtUs !== null) continue;
      for (const replica of cell.replicas) {
        const status = this.watched.leaderStatus(replica.replica);
        if (status === null) continue;
        if (watch.committedAtUs === null) {
          const commit = status.commit;
          if (commit > watch.commitAtHeal || commit === status.lastIndex) {
            watch.committedAtUs = nowUs;
            watch.leader = replica.replica;
          }
        }
        if (watch.committedAtUs !== null && this.watched.routedRegion(cell.cell) === replica.region) {
          watch.routedAtUs = nowUs;
          watch.leader = replica.replica;
        }
        break;
      }
    }
  }

  /** Every cell committed and routed (nothing left to wait for). */
  settled(): boolean {
    for (const watch of this.cells.values()) if (watch.routedAtUs === null) return false;
    return true;
  }

  observations(): LivenessObservations {
    const cells: Record<string, CellLivenessObservation> = {};
    for (const [cell, watch] of this.cells)
      cells[cell] = { committedAtUs: watch.committedAtUs, routedAtUs: watch.routedAtUs, leader: watch.leader };
    return { healedAtUs: this.healedAtUs, boundUs: this.boundUs, cells };
  }
}
