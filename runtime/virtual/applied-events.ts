// The cell's event log as the harness sees it: every event, in order, from whichever replica
// applied it first, with its chain hash. A replica's own ledger keeps only recent events and
// starts over from a snapshot after compaction or InstallSnapshot, so after enough restarts no
// replica holds the whole history the durability and linearizability checkers need; this does,
// and it compares every later replica's hash at the same index (state machine safety).
import type { LedgerEventBody } from "../../cells/ledger/events.js";
import type { WitnessLog } from "../../harness/checkers/ledger-witness.js";

export class AppliedEventLog {
  private readonly events: LedgerEventBody[] = [];
  private readonly hashes: string[] = [];
  private incompleteReason: string | null = null;

  constructor(
    readonly cell: string,
    /** Beyond this many events the log stops (memory bound for long runs) and reports incomplete. */
    private readonly eventsMax: number,
    private readonly onDivergence: (message: string) => void,
  ) {}

  observe(replica: string, eventIndex: number, event: LedgerEventBody, hash: string): void {
    if (eventIndex < this.events.length) {
      if (this.hashes[eventIndex] !== hash) {
        this.onDivergence(`state machine safety: ${this.cell} replica ${replica} applied event ${eventIndex} with hash ${hash.slice(0, 12)}, first applied with ${(this.hashes[eventIndex] ?? "").slice(0, 12)}`);
      }
      return;
    }
    if (this.incompleteReason !== null) return;
    if (eventIndex > this.events.length) {
      this.incompleteReason = `${replica} applied event ${eventIndex} of ${this.cell} before anyone applied event ${this.events.length}`;
      return;
    }
    if (eventIndex >= this.eventsMax) {
      this.incompleteReason = `${this.cell} has more than ${this.eventsMax} events (the harness's log bound)`;
      return;
    }
    this.events.push(event);
    this.hashes.push(hash);
  }

  /** The whole log if it was recorded from the first event without a gap. */
  log(): WitnessLog {
    if (this.incompleteReason !== null) return { complete: false, reason: this.incompleteReason };
    return { complete: true, events: this.events };
  }
}
