// The persisted part of the log as the node sees it (etcd's MemoryStorage): a compaction point
// (the last snapshot's index and term) and the entries after it. The replica fills it from the
// WAL on restart and the node moves entries here from Unstable once the caller has persisted them.

import { invariant } from "./errors.js";
import type { Entry, LogIndex, Snapshot, Term } from "./types.js";
import { INDEX_ZERO, TERM_ZERO, logIndex } from "./types.js";

export class StableLog {
  snapshotIndex: LogIndex = INDEX_ZERO;
  snapshotTerm: Term = TERM_ZERO;
  /** The latest snapshot (with data): what a leader sends to a follower behind its first index. */
  snapshot: Snapshot | null = null;
  private entries: Entry[] = [];

  firstIndex(): LogIndex {
    return logIndex(this.snapshotIndex + 1);
  }

  lastIndex(): LogIndex {
    return logIndex(this.snapshotIndex + this.entries.length);
  }

  term(index: LogIndex): Term | null {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    if (index < this.snapshotIndex) return null;
    const entry = this.entries[index - this.snapshotIndex - 1];
    return entry === undefined ? null : entry.term;
  }

  /** Entries in [low, high); the caller checks bounds. */
  slice(low: LogIndex, high: LogIndex): Entry[] {
    invariant(low > this.snapshotIndex && high <= this.lastIndex() + 1, () => `stable slice [${low}, ${high}) out of range`);
    return this.entries.slice(low - this.snapshotIndex - 1, high - this.snapshotIndex - 1);
  }

  /** Appends, replacing any suffix that conflicts (the caller persisted the same truncation). */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    invariant(first.index <= this.lastIndex() + 1, () => `stable append leaves a gap: ${first.index} after ${this.lastIndex()}`);
    if (first.index <= this.snapshotIndex) {
      // Entries already covered by the snapshot are dropped; the rest must follow it.
      entries = entries.filter((entry) => entry.index > this.snapshotIndex);
      if (entries.length === 0) return;
    }
    const keep = (entries[0] as Entry).index - this.snapshotIndex - 1;
    // In place: copying the whole stable log on every append made each Ready O(log length).
    // Callers only ever get slices of this array, never the array itself.
    if (keep < this.entries.length) this.entries.length = keep;
    for (const entry of entries) this.entries.push(entry);
  }

  applySnapshot(snapshot: Snapshot): void {
    this.snapshotIndex = snapshot.metadata.index;
    this.snapshotTerm = snapshot.metadata.term;
    this.snapshot = snapshot;
    this.entries = [];
  }

  /** Drops entries up to and including `snapshot.metadata.index`, which must be in the log. */
  compact(snapshot: Snapshot): void {
    const index = snapshot.metadata.index;
    invariant(
      index > this.snapshotIndex && index <= this.lastIndex(),
      () => `compact ${index} outside (${this.snapshotIndex}, ${this.lastIndex()}]`,
    );
    invariant(this.term(index) === snapshot.metadata.term, "compaction snapshot term does not match the log");
    this.entries = this.entries.slice(index - this.snapshotIndex);
    this.snapshotIndex = index;
    this.snapshotTerm = snapshot.metadata.term;
    this.snapshot = snapshot;
  }
}
