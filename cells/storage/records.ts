// WAL record kinds and their payloads. Every record is one checksummed frame (cells/raft/codec.ts).
// An `entries` record also truncates: on replay, entries from its first index replace whatever
// the log held from that index on (a follower overwriting a conflicting suffix).

import {
  allocBytes,
  CodecError,
  decodeEntries,
  decodeJson,
  encodeJson,
  entriesPayloadBytes,
  frameBytes,
  viewOf,
  writeEntriesFrame,
  writeFrame,
} from "../raft/codec.js";
import type { Entry, HardState, LogIndex, Term } from "../raft/types.js";
import { logIndex, nodeId, term } from "../raft/types.js";

export const RECORD_HARD_STATE = 1;
export const RECORD_ENTRIES = 2;
/** The log now starts after a snapshot: entries up to `index` are dropped on replay. */
export const RECORD_SNAPSHOT_MARK = 3;
/** Snapshot files hold one frame of this type. */
export const RECORD_SNAPSHOT_FILE = 0x10;

export type WalRecord =
  | { readonly kind: "hardState"; readonly hardState: HardState }
  | { readonly kind: "entries"; readonly entries: readonly Entry[] }
  | { readonly kind: "snapshotMark"; readonly index: LogIndex; readonly term: Term };

export function encodeRecord(record: WalRecord): Uint8Array {
  return encodeRecords([record]);
}

/** `records` as consecutive frames in one allocation: what one WAL append writes. */
export function encodeRecords(records: readonly WalRecord[]): Uint8Array {
  // Sizes first (the JSON payloads are encoded once, here), then every frame in place.
  const jsonPayloads: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(records.length);
  let size = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as WalRecord;
    if (record.kind === "entries") {
      size += frameBytes(entriesPayloadBytes(record.entries));
      continue;
    }
    const payload = encodeJson(record.kind === "hardState" ? record.hardState : { index: record.index, term: record.term });
    jsonPayloads[i] = payload;
    size += frameBytes(payload.length);
  }
  const bytes = allocBytes(size);
  const view = viewOf(bytes);
  let offset = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as WalRecord;
    offset =
      record.kind === "entries"
        ? writeEntriesFrame(bytes, view, offset, RECORD_ENTRIES, record.entries)
        : writeFrame(
            bytes,
            view,
            offset,
            record.kind === "hardState" ? RECORD_HARD_STATE : RECORD_SNAPSHOT_MARK,
            jsonPayloads[i] as Uint8Array,
          );
  }
  return bytes;
}

const isCount = (value: unknown): value is number => typeof value === "number" && Number.isSafeInteger(value) && value >= 0;

export function decodeRecord(type: number, payload: Uint8Array): WalRecord {
  switch (type) {
    case RECORD_HARD_STATE: {
      const value = decodeJson(payload) as { term?: unknown; vote?: unknown; commit?: unknown } | null;
      if (value === null || !isCount(value.term) || !isCount(value.commit) || !(value.vote === null || typeof value.vote === "string")) {
        throw new CodecError("MALFORMED", "hard state record has a bad shape");
      }
      return {
        kind: "hardState",
        hardState: { term: term(value.term), vote: value.vote === null ? null : nodeId(value.vote), commit: logIndex(value.commit) },
      };
    }
    case RECORD_ENTRIES:
      return { kind: "entries", entries: decodeEntries(payload) };
    case RECORD_SNAPSHOT_MARK: {
      const value = decodeJson(payload) as { index?: unknown; term?: unknown } | null;
      if (value === null || !isCount(value.index) || !isCount(value.term))
        throw new CodecError("MALFORMED", "snapshot mark has a bad shape");
      return { kind: "snapshotMark", index: logIndex(value.index), term: term(value.term) };
    }
    default:
      throw new CodecError("MALFORMED", `unknown WAL record type ${type}`);
  }
}
