// Online safety checks over the live cells, on every status poll (what the admin channel shows):
// - election safety: at most one leader per term in a cell, ever;
// - state machine safety: two replicas that report the same ledger event count report the same
//   head hash (a sampled form of the virtual monitor's check; the full chains are compared by the
//   replica-agreement checker at the end).

import type { LiveRuntimeState } from "./host.js";

const VIOLATIONS_MAX = 100;
/** Remembered (event count -> head hash) points per cell. */
const HEADS_REMEMBERED_MAX = 4_096;

export class LiveInvariants {
  readonly violations: string[] = [];
  private readonly leadersByTerm = new Map<string, Map<number, string>>();
  private readonly heads = new Map<string, Map<number, string>>();

  constructor(private readonly live: LiveRuntimeState) {}

  check(): void {
    for (const cell of this.live.placement.cells) {
      let terms = this.leadersByTerm.get(cell.cell);
      if (terms === undefined) this.leadersByTerm.set(cell.cell, (terms = new Map()));
      let heads = this.heads.get(cell.cell);
      if (heads === undefined) this.heads.set(cell.cell, (heads = new Map()));
      for (const replica of cell.replicas) {
        const status = this.live.statuses.get(replica.replica)?.status;
        if (status === undefined) continue;
        if (status.role === "leader") {
          const known = terms.get(status.term);
          if (known === undefined) terms.set(status.term, replica.replica);
          else if (known !== replica.replica)
            this.violate(`${cell.cell}: two leaders in term ${status.term}: ${known} and ${replica.replica}`);
        }
        if (status.eventCount > 0) {
          const hash = heads.get(status.eventCount);
          if (hash === undefined) {
            if (heads.size >= HEADS_REMEMBERED_MAX) heads.delete(heads.keys().next().value as number);
            heads.set(status.eventCount, status.headHash);
          } else if (hash !== status.headHash) {
            this.violate(
              `${cell.cell}: ${replica.replica} has head ${status.headHash} at event ${status.eventCount}, another replica had ${hash}`,
            );
          }
        }
      }
    }
  }

  private violate(message: string): void {
    if (this.violations.length < VIOLATIONS_MAX && !this.violations.includes(message)) this.violations.push(message);
  }
}
