// Reading a WAL back after a restart, protocol-aware (Alagappan et al., "Protocol-Aware Recovery
// for Consensus-Based Storage", FAST 2018). Two kinds of damage, told apart by where they are:
// - A LAST record cut short (its frame runs past the end of the file) with nothing valid after it
//   is a torn write: the crash hit while it was being appended, it was never fsynced, so it was
//   never acknowledged. Cut it off and go on.
// - A damaged record FOLLOWED BY valid records, a whole last record that fails its checksum, or a
//   WAL that contradicts its snapshot file is corruption of records that were durable and may
//   have been acknowledged or committed. The
//   replica cannot trust what it lost, but it need not give up: it keeps the intact prefix of its
//   log, records what the surviving records still tell (`Damage`), and must be repaired from its
//   peers before it votes or counts for commits again (cells/raft/raft.ts `repair`).

import { CodecError, FRAME_HEADER_BYTES, decodeFrame } from "../raft/codec.js";
import type { Entry, HardState, LogIndex, Snapshot } from "../raft/types.js";
import { EMPTY_HARD_STATE, INDEX_ZERO, logIndex } from "../raft/types.js";
import { decodeRecord, type Damage } from "./records.js";

export interface RecoveredState {
  readonly hardState: HardState;
  readonly snapshot: Snapshot | null;
  readonly entries: readonly Entry[];
  /** Set while this replica is being repaired: damage found now, or at a recovery not yet repaired. */
  readonly repair?: Damage | null;
}

export type ReplayResult =
  | {
      readonly code: "OK";
      readonly state: RecoveredState;
      readonly validBytes: number;
      readonly tornBytes: number;
      readonly records: number;
    }
  /** `state` is what can be trusted: the log cut before the damage, commit clamped to it. */
  | { readonly code: "DAMAGED"; readonly state: RecoveredState; readonly damage: Damage };

/** The offset of the first valid frame after `offset`, or null: then the damage is the tail. */
function validFrameAfter(bytes: Uint8Array, offset: number): number | null {
  for (let candidate = offset + 1; candidate + FRAME_HEADER_BYTES <= bytes.length; candidate++) {
    try {
      const frame = decodeFrame(bytes, candidate);
      decodeRecord(frame.type, frame.payload);
      return candidate;
    } catch {
      // not a frame boundary
    }
  }
  return null;
}

export function replayWal(bytes: Uint8Array, snapshot: Snapshot | null): ReplayResult {
  const snapshotIndex = snapshot?.metadata.index ?? 0;
  let hardState: HardState = EMPTY_HARD_STATE;
  let firstIndex: LogIndex = logIndex(snapshotIndex + 1);
  let entries: Entry[] = [];
  let markIndex: LogIndex = INDEX_ZERO;
  let offset = 0;
  let records = 0;
  /** The first damage found; records after it only inform `known*`, they do not rebuild the log. */
  let damage: string | null = null;
  let knownCommit = 0;
  let knownLastIndex = 0;
  /**
   * The commit of the last hard state before the damage: the entries up to it in the prefix are
   * the committed ones. A later commit may cover entries that a damaged record had overwritten.
   */
  let trustedCommit = 0;
  let repair: Damage | null = null;
  while (offset < bytes.length) {
    let frameEnd: number;
    try {
      const frame = decodeFrame(bytes, offset);
      const record = decodeRecord(frame.type, frame.payload);
      frameEnd = frame.end;
      switch (record.kind) {
        case "hardState":
          // Terms and votes only grow, so the last hard state record is the newest even past a damage.
          hardState = record.hardState;
          knownCommit = Math.max(knownCommit, record.hardState.commit);
          if (damage === null) trustedCommit = record.hardState.commit;
          break;
        case "snapshotMark":
          knownLastIndex = Math.max(knownLastIndex, record.index);
          if (damage !== null) break;
          markIndex = record.index;
          if (record.index >= firstIndex) {
            entries = entries.filter((entry) => entry.index > record.index);
            firstIndex = logIndex(record.index + 1);
            if (entries[0] !== undefined && entries[0].index !== firstIndex) entries = [];
          }
          break;
        case "entries": {
          const last = record.entries[record.entries.length - 1];
          if (last !== undefined) knownLastIndex = Math.max(knownLastIndex, last.index);
          if (damage !== null) break;
          const kept = record.entries.filter((entry) => entry.index >= firstIndex);
          const first = kept[0];
          if (first === undefined) break;
          const lastIndex = firstIndex + entries.length - 1;
          if (first.index > lastIndex + 1) {
            damage = `WAL entries jump from ${lastIndex} to ${first.index} at byte ${offset}`;
            break;
          }
          entries = entries.slice(0, first.index - firstIndex).concat(kept);
          break;
        }
        case "repairMark":
          repair = mergeDamage(repair, record.damage);
          break;
        case "repairDone":
          repair = null;
          break;
      }
    } catch (error) {
      if (!(error instanceof CodecError)) throw error;
      // Even a frame that looks cut short (its length field flipped) is damage, not a torn
      // write, when a valid record follows: a torn write is always the end of the file. And a
      // last frame that is whole but fails its checksum was written in full and fsynced (a torn
      // write leaves a prefix, a frame cut short): it may have been acknowledged, so it is
      // damage too. Repairing a record that was in fact never acknowledged costs a catch-up;
      // cutting one that was would silently unacknowledge it.
      const laterFrame = validFrameAfter(bytes, offset);
      if (laterFrame === null) {
        if (damage !== null) break;
        if (error.code !== "TORN") {
          damage = `last WAL record at byte ${offset} is whole but damaged (${error.code}): it may have been acknowledged`;
          break;
        }
        return finish(
          hardState,
          snapshot,
          entries,
          markIndex,
          repair,
          { knownCommit, knownLastIndex, trustedCommit },
          {
            validBytes: offset,
            tornBytes: bytes.length - offset,
            records,
          },
        );
      }
      damage ??= `WAL record at byte ${offset} is damaged (${error.code}) but a valid record follows at byte ${laterFrame}`;
      offset = laterFrame;
      continue;
    }
    offset = frameEnd;
    records++;
  }
  if (damage !== null) return damaged(damage, hardState, snapshot, entries, repair, { knownCommit, knownLastIndex, trustedCommit });
  return finish(
    hardState,
    snapshot,
    entries,
    markIndex,
    repair,
    { knownCommit, knownLastIndex, trustedCommit },
    {
      validBytes: offset,
      tornBytes: 0,
      records,
    },
  );
}

/** Two damages not yet repaired: lost from the lower index, known up to the higher. */
export function mergeDamage(earlier: Damage | null, later: Damage): Damage {
  if (earlier === null) return later;
  return {
    lostFromIndex: logIndex(Math.min(earlier.lostFromIndex, later.lostFromIndex)),
    knownCommit: logIndex(Math.max(earlier.knownCommit, later.knownCommit)),
    knownLastIndex: logIndex(Math.max(earlier.knownLastIndex, later.knownLastIndex)),
    reason: later.reason === earlier.reason ? later.reason : `${later.reason}; earlier: ${earlier.reason}`,
  };
}

/** What can still be trusted after damage: the log up to `entries`, commit clamped to it. */
function damaged(
  reason: string,
  hardState: HardState,
  snapshot: Snapshot | null,
  entries: readonly Entry[],
  repair: Damage | null,
  known: { knownCommit: number; knownLastIndex: number; trustedCommit: number },
): ReplayResult {
  const lastIndex = (snapshot?.metadata.index ?? 0) + entries.length;
  const damage = mergeDamage(repair, {
    lostFromIndex: logIndex(lastIndex + 1),
    knownCommit: logIndex(Math.max(known.knownCommit, hardState.commit)),
    knownLastIndex: logIndex(Math.max(known.knownLastIndex, lastIndex)),
    reason,
  });
  const state: RecoveredState = {
    hardState: { ...hardState, commit: logIndex(Math.min(known.trustedCommit, lastIndex)) },
    snapshot,
    entries,
    repair: damage,
  };
  return { code: "DAMAGED", state, damage };
}

/** Cross-checks the WAL against the snapshot file: losing either means losing acknowledged state. */
function finish(
  hardState: HardState,
  snapshot: Snapshot | null,
  entries: Entry[],
  markIndex: LogIndex,
  repair: Damage | null,
  known: { knownCommit: number; knownLastIndex: number; trustedCommit: number },
  position: { validBytes: number; tornBytes: number; records: number },
): ReplayResult {
  const snapshotIndex = snapshot?.metadata.index ?? 0;
  if (markIndex > snapshotIndex) {
    // The entries follow a snapshot this replica no longer has: none of them can be used.
    return damaged(
      `WAL says the log starts after ${markIndex} but the snapshot file covers only ${snapshotIndex}`,
      hardState,
      snapshot,
      [],
      repair,
      known,
    );
  }
  const lastIndex = snapshotIndex + entries.length;
  if (hardState.commit > lastIndex) {
    return damaged(
      `hard state commit ${hardState.commit} is beyond the recovered log (last index ${lastIndex})`,
      hardState,
      snapshot,
      entries,
      repair,
      known,
    );
  }
  return { code: "OK", state: { hardState, snapshot, entries, repair }, ...position };
}
