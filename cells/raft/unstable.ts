// Entries and a snapshot the node has accepted but the caller has not yet persisted. They leave
// through Ready.entries / Ready.snapshot and move to the stable part on advance(). `offset` is
// the index of entries[0]; a truncation can move it backwards below what is already stable.

import { invariant } from "./errors.js";
import type { Entry, LogIndex, Snapshot, Term } from "./types.js";
import { logIndex } from "./types.js";

export class Unstable {
  snapshot: Snapshot | null = null;
  entries: Entry[] = [];

  constructor(public offset: LogIndex) {}

  maybeFirstIndex(): LogIndex | null {
    return this.snapshot === null ? null : logIndex(this.snapshot.metadata.index + 1);
  }

  maybeLastIndex(): LogIndex | null {
    if (this.entries.length > 0) return logIndex(this.offset + this.entries.length - 1);
    return this.snapshot === null ? null : this.snapshot.metadata.index;
  }

  maybeTerm(index: LogIndex): Term | null {
    if (index < this.offset) {
      if (this.snapshot !== null && this.snapshot.metadata.index === index) return this.snapshot.metadata.term;
      return null;
    }
    const entry = this.entries[index - this.offset];
    return entry === undefined ? null : entry.term;
  }

  /** Entries up to `index` were persisted. Ignored if a truncation replaced that entry meanwhile. */
  stableTo(index: LogIndex, entryTerm: Term): void {
    if (index < this.offset) return;
    const entry = this.entries[index - this.offset];
    if (entry === undefined || entry.term !== entryTerm) return;
    this.entries = this.entries.slice(index + 1 - this.offset);
    this.offset = logIndex(index + 1);
  }

  stableSnapshotTo(index: LogIndex): void {
    if (this.snapshot !== null && this.snapshot.metadata.index === index) this.snapshot = null;
  }

  restore(snapshot: Snapshot): void {
    this.offset = logIndex(snapshot.metadata.index + 1);
    this.entries = [];
    this.snapshot = snapshot;
  }

  truncateAndAppend(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    const after = first.index;
    // Only the new entries and the seam need checking: what stays before them was contiguous
    // already, and `after` is where they go in every branch. (Checking the whole list per append, with a copy
    // per append, was quadratic in the entries proposed while a Ready was being persisted: 6 % of
    // a live leader at 10,000 transfers/s.)
    invariant(
      after <= this.offset + this.entries.length && entries.every((entry, i) => entry.index === after + i),
      () => `unstable entries not contiguous: ${entries.length} from ${after} onto ${this.entries.length} from ${this.offset}`,
    );
    if (after === this.offset + this.entries.length) {
      // Appended in place: ready() and the log hand out copies, never this array.
      for (const entry of entries) this.entries.push(entry);
    } else if (after <= this.offset) {
      // Replaces everything unstable; the caller rewrites the stable suffix on the next persist.
      this.offset = after;
      this.entries = entries.slice();
    } else {
      this.entries = this.entries.slice(0, after - this.offset).concat(entries);
    }
  }
}
