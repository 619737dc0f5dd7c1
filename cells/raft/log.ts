// The node's view of the replicated log: the stable part (persisted) followed by the unstable
// part (accepted, not yet persisted), plus the commit and apply cursors. The Raft rules about the
// log itself live here: log matching on append, conflict search, up-to-date comparison, and
// the safety checks that committed entries never change and commit never moves backwards.

import { entryDataBytes } from "./codec.js";
import { invariant } from "./errors.js";
import { StableLog } from "./stable.js";
import { Unstable } from "./unstable.js";
import type { Entry, LogIndex, Snapshot, Term } from "./types.js";
import { INDEX_ZERO, TERM_ZERO, logIndex } from "./types.js";

/** Approximate wire size of an entry: its encoded payload (encoded once, cached) plus a fixed header. */
export function entrySizeBytes(entry: Entry): number {
  return 24 + entryDataBytes(entry).length;
}

/**
 * Invariant (etcd's raftLog): firstIndex() - 1 <= applied <= committed <= lastIndex(), and
 * committed never decreases. Entries up to `committed` never change. commitTo and appliedTo assert
 * it at every move.
 */
export class RaftLog {
  readonly stable = new StableLog();
  readonly unstable: Unstable;
  /** Highest index known to be stored on a quorum. Invariant: applied <= committed <= lastIndex(). */
  committed: LogIndex = INDEX_ZERO;
  /** Highest index handed to the state machine. Invariant: firstIndex() - 1 <= applied <= committed. */
  applied: LogIndex = INDEX_ZERO;

  constructor(snapshot: Snapshot | null, entries: readonly Entry[]) {
    if (snapshot !== null) this.stable.applySnapshot(snapshot);
    this.stable.append(entries);
    this.unstable = new Unstable(logIndex(this.stable.lastIndex() + 1));
    this.committed = this.stable.snapshotIndex;
    this.applied = this.stable.snapshotIndex;
  }

  firstIndex(): LogIndex {
    return this.unstable.maybeFirstIndex() ?? this.stable.firstIndex();
  }

  lastIndex(): LogIndex {
    return this.unstable.maybeLastIndex() ?? this.stable.lastIndex();
  }

  /** The term of `index`, or null if it is compacted away or beyond the last index. */
  term(index: LogIndex): Term | null {
    const dummyIndex = this.firstIndex() - 1;
    if (index < dummyIndex || index > this.lastIndex()) return null;
    const unstableTerm = this.unstable.maybeTerm(index);
    if (unstableTerm !== null) return unstableTerm;
    return this.stable.term(index);
  }

  lastTerm(): Term {
    const lastTerm = this.term(this.lastIndex());
    invariant(lastTerm !== null, "last entry has no term");
    return lastTerm;
  }

  matchTerm(index: LogIndex, entryTerm: Term): boolean {
    return this.term(index) === entryTerm;
  }

  /** §5.4.1: a candidate's log is at least as up to date as ours. */
  isUpToDate(lastIndex: LogIndex, lastTerm: Term): boolean {
    const ourLastTerm = this.lastTerm();
    return lastTerm > ourLastTerm || (lastTerm === ourLastTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Follower append: if our entry at `prevIndex` has `prevTerm`, append `entries` (truncating a
   * conflicting suffix), advance commit to min(leaderCommit, last new index) and return that
   * last new index; otherwise return null.
   */
  maybeAppend(prevIndex: LogIndex, prevTerm: Term, leaderCommit: LogIndex, entries: readonly Entry[]): LogIndex | null {
    if (!this.matchTerm(prevIndex, prevTerm)) return null;
    const lastNewIndex = logIndex(prevIndex + entries.length);
    const conflictIndex = this.findConflict(entries);
    if (conflictIndex !== INDEX_ZERO) {
      invariant(conflictIndex > this.committed, () => `entry ${conflictIndex} conflicts with committed entry (commit ${this.committed})`);
      const offset = prevIndex + 1;
      this.append(entries.slice(conflictIndex - offset));
    }
    const lastEntry = entries[entries.length - 1];
    if (lastEntry !== undefined) {
      invariant(this.matchTerm(lastEntry.index, lastEntry.term), "log matching violated after append");
    }
    this.commitTo(logIndex(Math.min(leaderCommit, lastNewIndex)));
    return lastNewIndex;
  }

  append(entries: readonly Entry[]): LogIndex {
    const first = entries[0];
    if (first === undefined) return this.lastIndex();
    invariant(first.index - 1 >= this.committed, () => `append at ${first.index} would overwrite committed ${this.committed}`);
    invariant(first.index <= this.lastIndex() + 1, () => `append at ${first.index} leaves a gap after ${this.lastIndex()}`);
    this.unstable.truncateAndAppend(entries);
    return this.lastIndex();
  }

  /** Index of the first entry that is new or conflicts with ours, or 0 if all are present. */
  findConflict(entries: readonly Entry[]): LogIndex {
    for (const entry of entries) {
      if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    }
    return INDEX_ZERO;
  }

  /**
   * The largest index <= `index` whose term is <= `entryTerm` (fast backtracking: one round trip
   * per term instead of one per entry).
   */
  findConflictByTerm(index: LogIndex, entryTerm: Term): LogIndex {
    let candidate = Math.min(index, this.lastIndex());
    for (; candidate >= this.firstIndex() - 1; candidate--) {
      const candidateTerm = this.term(logIndex(candidate));
      if (candidateTerm === null || candidateTerm <= entryTerm) break;
    }
    return logIndex(Math.max(candidate, 0));
  }

  commitTo(index: LogIndex): void {
    if (index <= this.committed) return; // never decrease
    invariant(index <= this.lastIndex(), () => `commit ${index} beyond last index ${this.lastIndex()}`);
    this.committed = index;
  }

  /** Leader commit: only an entry of the current term can be committed by counting (figure 8). */
  maybeCommit(index: LogIndex, currentTerm: Term): boolean {
    if (index > this.committed && this.term(index) === currentTerm) {
      this.commitTo(index);
      return true;
    }
    return false;
  }

  appliedTo(index: LogIndex): void {
    if (index === INDEX_ZERO) return;
    invariant(index <= this.committed && index >= this.applied, () => `applied ${index} outside [${this.applied}, ${this.committed}]`);
    this.applied = index;
  }

  /** Entries in [low, high), at least one (if any), at most `entriesMax` and about `bytesMax`. */
  slice(low: LogIndex, high: LogIndex, entriesMax: number, bytesMax: number): Entry[] | null {
    if (low < this.firstIndex()) return null; // compacted: the caller sends a snapshot
    invariant(high <= this.lastIndex() + 1, () => `slice high ${high} beyond last ${this.lastIndex()}`);
    if (low >= high) return [];
    const cappedHigh = logIndex(Math.min(high, low + entriesMax));
    let entries: Entry[] = [];
    const unstableOffset = this.unstable.offset;
    if (low < unstableOffset) entries = this.stable.slice(low, logIndex(Math.min(cappedHigh, unstableOffset)));
    if (cappedHigh > unstableOffset) {
      const from = Math.max(low, unstableOffset) - unstableOffset;
      entries = entries.concat(this.unstable.entries.slice(from, cappedHigh - unstableOffset));
    }
    let bytes = 0;
    for (let i = 0; i < entries.length; i++) {
      bytes += entrySizeBytes(entries[i] as Entry);
      if (bytes > bytesMax && i > 0) return entries.slice(0, i);
    }
    return entries;
  }

  /** Committed entries not yet applied, at most `entriesMax`. */
  nextCommittedEntries(entriesMax: number): Entry[] {
    const low = logIndex(Math.max(this.applied + 1, this.firstIndex()));
    if (this.committed < low) return [];
    return this.slice(low, logIndex(this.committed + 1), entriesMax, Number.POSITIVE_INFINITY) ?? [];
  }

  hasNextCommittedEntries(): boolean {
    return this.committed >= Math.max(this.applied + 1, this.firstIndex());
  }

  latestSnapshot(): Snapshot | null {
    return this.unstable.snapshot ?? this.stable.snapshot;
  }

  /** Follower: replaces the log with a snapshot from the leader. */
  restore(snapshot: Snapshot): void {
    invariant(snapshot.metadata.index > this.committed, "restore of a snapshot behind commit");
    this.committed = snapshot.metadata.index;
    this.unstable.restore(snapshot);
  }

  /** The caller persisted a Ready: move its snapshot and entries to the stable part. */
  stableTo(snapshot: Snapshot | null, entries: readonly Entry[]): void {
    if (snapshot !== null) {
      this.stable.applySnapshot(snapshot);
      this.unstable.stableSnapshotTo(snapshot.metadata.index);
      if (this.applied < snapshot.metadata.index) this.applied = snapshot.metadata.index;
    }
    const last = entries[entries.length - 1];
    if (last !== undefined) {
      this.stable.append(entries);
      this.unstable.stableTo(last.index, last.term);
    }
  }

  compact(snapshot: Snapshot): void {
    invariant(snapshot.metadata.index <= this.applied, "compaction beyond applied");
    this.stable.compact(snapshot);
  }

  lastTermOrZero(): Term {
    return this.term(this.lastIndex()) ?? TERM_ZERO;
  }
}
