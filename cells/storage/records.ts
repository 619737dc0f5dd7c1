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
/**
 * Protocol-aware recovery (cells/storage/recovery.ts): this replica found damage it cannot cut
 * off as a torn tail and must be repaired from its peers before it votes or counts for commits
 * again. Durable so a crash during the repair does not make it forget (a later
 * RECORD_REPAIR_DONE ends it).
 */
export const RECORD_REPAIR_MARK = 4;
export const RECORD_REPAIR_DONE = 5;
/** Snapshot files hold one frame of this type. */
export const RECORD_SNAPSHOT_FILE = 0x10;

export type WalRecord =
  | { readonly kind: "hardState"; readonly hardState: HardState }
  | { readonly kind: "entries"; readonly entries: readonly Entry[] }
  | { readonly kind: "snapshotMark"; readonly index: LogIndex; readonly term: Term }
  | { readonly kind: "repairMark"; readonly damage: Damage }
  | { readonly kind: "repairDone" };

/** What a damaged WAL or snapshot cost this replica, as far as the surviving records tell. */
export interface Damage {
  /** The first index this replica can no longer vouch for (its log is cut before it). */
  readonly lostFromIndex: LogIndex;
  /** The highest commit index a surviving record shows: entries up to it were committed. */
  readonly knownCommit: LogIndex;
  /** The highest entry index a surviving record shows (what it may have acknowledged, at least). */
  readonly knownLastIndex: LogIndex;
  readonly reason: string;
}

function jsonPayloadOf(record: Exclude<WalRecord, { kind: "entries" }>): unknown {
  switch (record.kind) {
    case "hardState":
      return record.hardState;
    case "snapshotMark":
      return { index: record.index, term: record.term };
    case "repairMark":
      return record.damage;
    case "repairDone":
      return {};
  }
}

const RECORD_TYPES = {
  hardState: RECORD_HARD_STATE,
  snapshotMark: RECORD_SNAPSHOT_MARK,
  repairMark: RECORD_REPAIR_MARK,
  repairDone: RECORD_REPAIR_DONE,
};

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
    const payload = encodeJson(jsonPayloadOf(record));
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
        : writeFrame(bytes, view, offset, RECORD_TYPES[record.kind], jsonPayloads[i] as Uint8Array);
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
    case RECORD_REPAIR_MARK: {
      const value = decodeJson(payload) as {
        lostFromIndex?: unknown;
        knownCommit?: unknown;
        knownLastIndex?: unknown;
        reason?: unknown;
      } | null;
      if (
        value === null ||
        !isCount(value.lostFromIndex) ||
        !isCount(value.knownCommit) ||
        !isCount(value.knownLastIndex) ||
        typeof value.reason !== "string"
      )
        throw new CodecError("MALFORMED", "repair mark has a bad shape");
      return {
        kind: "repairMark",
        damage: {
          lostFromIndex: logIndex(value.lostFromIndex),
          knownCommit: logIndex(value.knownCommit),
          knownLastIndex: logIndex(value.knownLastIndex),
          reason: value.reason,
        },
      };
    }
    case RECORD_REPAIR_DONE:
      return { kind: "repairDone" };
    default:
      throw new CodecError("MALFORMED", `unknown WAL record type ${type}`);
  }
}
