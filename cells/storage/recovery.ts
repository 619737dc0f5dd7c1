// Reading a WAL back after a restart. A damaged LAST record is a torn write (the crash hit while
// it was being appended and it was never acknowledged): cut it off. A damaged record FOLLOWED BY
// valid records means acknowledged data is gone or altered: the replica must not trust its state.

import { CodecError, FRAME_HEADER_BYTES, decodeFrame } from "../raft/codec.js";
import type { Entry, HardState, LogIndex, Snapshot } from "../raft/types.js";
import { EMPTY_HARD_STATE, INDEX_ZERO, logIndex } from "../raft/types.js";
import { decodeRecord } from "./records.js";

export interface RecoveredState {
  readonly hardState: HardState;
  readonly snapshot: Snapshot | null;
  readonly entries: readonly Entry[];
}

export type ReplayResult =
  | {
      readonly code: "OK";
      readonly state: RecoveredState;
      readonly validBytes: number;
      readonly tornBytes: number;
      readonly records: number;
    }
  | { readonly code: "CORRUPTED"; readonly reason: string };

/** True if some valid frame starts anywhere after `offset`: the damage is not at the tail. */
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
  let hardState: HardState = EMPTY_HARD_STATE;
  let firstIndex: LogIndex = logIndex((snapshot?.metadata.index ?? 0) + 1);
  let entries: Entry[] = [];
  let markIndex: LogIndex = INDEX_ZERO;
  let offset = 0;
  let records = 0;
  while (offset < bytes.length) {
    let frameEnd: number;
    try {
      const frame = decodeFrame(bytes, offset);
      const record = decodeRecord(frame.type, frame.payload);
      frameEnd = frame.end;
      switch (record.kind) {
        case "hardState":
          hardState = record.hardState;
          break;
        case "snapshotMark":
          markIndex = record.index;
          if (record.index >= firstIndex) {
            entries = entries.filter((entry) => entry.index > record.index);
            firstIndex = logIndex(record.index + 1);
            if (entries[0] !== undefined && entries[0].index !== firstIndex) entries = [];
          }
          break;
        case "entries": {
          const kept = record.entries.filter((entry) => entry.index >= firstIndex);
          const first = kept[0];
          if (first === undefined) break;
          const lastIndex = firstIndex + entries.length - 1;
          if (first.index > lastIndex + 1)
            return { code: "CORRUPTED", reason: `WAL entries jump from ${lastIndex} to ${first.index} at byte ${offset}` };
          entries = entries.slice(0, first.index - firstIndex).concat(kept);
          break;
        }
      }
    } catch (error) {
      if (!(error instanceof CodecError)) throw error;
      const laterFrame = error.code === "TORN" ? null : validFrameAfter(bytes, offset);
      if (laterFrame !== null) {
        return {
          code: "CORRUPTED",
          reason: `WAL record at byte ${offset} is damaged (${error.code}) but a valid record follows at byte ${laterFrame}`,
        };
      }
      return finish(hardState, snapshot, entries, markIndex, { validBytes: offset, tornBytes: bytes.length - offset, records });
    }
    offset = frameEnd;
    records++;
  }
  return finish(hardState, snapshot, entries, markIndex, { validBytes: offset, tornBytes: 0, records });
}

/** Cross-checks the WAL against the snapshot file: losing either means losing acknowledged state. */
function finish(
  hardState: HardState,
  snapshot: Snapshot | null,
  entries: Entry[],
  markIndex: LogIndex,
  position: { validBytes: number; tornBytes: number; records: number },
): ReplayResult {
  const snapshotIndex = snapshot?.metadata.index ?? 0;
  if (markIndex > snapshotIndex) {
    return { code: "CORRUPTED", reason: `WAL says the log starts after ${markIndex} but the snapshot file covers only ${snapshotIndex}` };
  }
  const lastIndex = snapshotIndex + entries.length;
  if (hardState.commit > lastIndex) {
    return { code: "CORRUPTED", reason: `hard state commit ${hardState.commit} is beyond the recovered log (last index ${lastIndex})` };
  }
  return { code: "OK", state: { hardState, snapshot, entries }, ...position };
}
