// A leader's view of one follower (etcd's tracker.Progress). `probe`: we do not know where the
// follower's log matches, send one append at a time. `replicate`: it matches up to `match`,
// stream appends optimistically (bounded by `inflightAppendsMax`). `snapshot`: it is behind
// our first index; wait until the snapshot is acknowledged (or retry after a timeout).

import { invariant } from "./errors.js";
import type { LogIndex } from "./types.js";
import { INDEX_ZERO, logIndex } from "./types.js";

export type ProgressState = "probe" | "replicate" | "snapshot";

/** Last indexes of appends sent but not yet acknowledged, oldest first, at most `capacity`. */
export class Inflights {
  private readonly lastIndexes: LogIndex[] = [];

  constructor(readonly capacity: number) {
    invariant(capacity >= 1, "inflights capacity must be >= 1");
  }

  get count(): number {
    return this.lastIndexes.length;
  }

  full(): boolean {
    return this.lastIndexes.length >= this.capacity;
  }

  add(lastIndex: LogIndex): void {
    invariant(!this.full(), "inflights overflow");
    const previous = this.lastIndexes[this.lastIndexes.length - 1];
    invariant(previous === undefined || lastIndex > previous, "inflights must grow");
    this.lastIndexes.push(lastIndex);
  }

  /** Frees every append acknowledged by a response matching up to `index`. */
  freeLE(index: LogIndex): void {
    let freed = 0;
    while (freed < this.lastIndexes.length && (this.lastIndexes[freed] as LogIndex) <= index) freed++;
    this.lastIndexes.splice(0, freed);
  }

  freeFirstOne(): void {
    this.lastIndexes.shift();
  }

  reset(): void {
    this.lastIndexes.length = 0;
  }
}

export class Progress {
  match: LogIndex = INDEX_ZERO;
  next: LogIndex;
  state: ProgressState = "probe";
  /** Probe state: an append is out, wait for its response or a heartbeat response. */
  probeSent = false;
  pendingSnapshot: LogIndex = INDEX_ZERO;
  snapshotElapsedTicks = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /**
   * The follower said it is repairing (it lost part of its log to corruption): `match` was reset
   * to what it holds now, and it counts toward no commit, read or check-quorum until it is done.
   */
  repairing = false;
  readonly inflights: Inflights;

  constructor(next: LogIndex, inflightAppendsMax: number) {
    this.next = next;
    this.inflights = new Inflights(inflightAppendsMax);
  }

  private resetState(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = INDEX_ZERO;
    this.snapshotElapsedTicks = 0;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === "snapshot") {
      const pendingSnapshot = this.pendingSnapshot;
      this.resetState("probe");
      this.next = logIndex(Math.max(this.match + 1, pendingSnapshot + 1));
    } else {
      this.resetState("probe");
      this.next = logIndex(this.match + 1);
    }
  }

  becomeReplicate(): void {
    this.resetState("replicate");
    this.next = logIndex(this.match + 1);
  }

  becomeSnapshot(snapshotIndex: LogIndex): void {
    this.resetState("snapshot");
    this.pendingSnapshot = snapshotIndex;
  }

  /** A success response matching up to `index`; false if it is stale. */
  maybeUpdate(index: LogIndex): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = logIndex(Math.max(this.next, index + 1));
    return updated;
  }

  /** Pipelining: assume an append up to `lastIndex` will succeed. */
  optimisticUpdate(lastIndex: LogIndex): void {
    this.next = logIndex(lastIndex + 1);
  }

  /**
   * A rejection of the append after `rejected`, with the follower's hint of where its log might
   * match. Returns false if the rejection is stale (for an append we already moved past).
   */
  maybeDecrTo(rejected: LogIndex, matchHint: LogIndex): boolean {
    if (this.state === "replicate") {
      if (rejected <= this.match) return false;
      this.next = logIndex(this.match + 1);
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = logIndex(Math.max(Math.min(rejected, matchHint + 1), this.match + 1));
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case "probe":
        return this.probeSent;
      case "replicate":
        return this.inflights.full();
      case "snapshot":
        return true;
    }
  }
}
