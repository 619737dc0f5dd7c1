// The durable Raft log of one replica over the injected Disk: a WAL file of checksummed records
// (hard state, entries, snapshot marks) and a snapshot file. Operations run one at a time in
// submission order, each ending with an fsync, because the replica acknowledges, votes and
// sends only after its Ready is durable.
//
// Compaction writes the snapshot (temp file, fsync, rename, fsync) and then rewrites the WAL
// the same way with only what follows the snapshot, so disk use stays bounded by
// (snapshot + entries since it). A crash between the two steps leaves a newer snapshot with an
// older WAL, which replay handles (entries covered by the snapshot are skipped).

import type { Disk, DiskError, Log } from "../../ground/ports.js";
import { silentLog } from "../../ground/ports.js";
import { SerialQueue, type SerialOperation } from "../../ground/serial-queue.js";
import { assert, assertContiguous } from "../../ground/assert.js";
import { CodecError, decodeFrame, decodeJson, encodeFrame, encodeFrameOfParts, FRAME_HEADER_BYTES, utf8Bytes } from "../raft/codec.js";
import type { Entry, HardState, Snapshot } from "../raft/types.js";
import { logIndex, nodeId, term } from "../raft/types.js";
import { RECORD_SNAPSHOT_FILE, encodeRecords, type Damage, type WalRecord } from "./records.js";
import { EncodedJson, jsonObjectText, jsonOf } from "../encoded-json.js";
import { replayWal, type RecoveredState, type ReplayResult } from "./recovery.js";

export interface RaftStorageOptions {
  /** File names on the Disk; distinct per replica if replicas share a disk. */
  readonly walFile: string;
  readonly snapshotFile: string;
  /** Bound on queued storage operations; the replica never has more than a few in flight. */
  readonly operationsQueuedMax?: number;
  /**
   * BUG INJECTION (cells/bugs.ts "wal-torn-tail-kept"), harness tests only: recovery leaves a
   * torn tail in place, so the next records are appended after the garbage.
   */
  readonly keepTornTail?: boolean;
}

export type StorageFailure =
  | { readonly code: "IO_ERROR"; readonly operation: string; readonly cause: DiskError }
  | { readonly code: "CORRUPTED"; readonly reason: string };

export type LoadResult = { readonly code: "OK"; readonly state: RecoveredState; readonly tornBytes: number } | StorageFailure;

const OPERATIONS_QUEUED_MAX_DEFAULT = 64;

/** The same bytes as encodeJson(snapshot), reusing the data's JSON when it was built piecewise. */
export function encodeSnapshotFile(snapshot: Snapshot): Uint8Array {
  return snapshotFile(snapshot).bytes;
}

/**
 * The snapshot file's bytes, and the snapshot to hold in memory once they are written: when the
 * data is JSON text (EncodedJson), the same snapshot with its text as a view of the file's bytes
 * (the disk keeps those bytes: Disk contract), so the replica holds one copy, not two; `snapshot`
 * itself otherwise. The payload is jsonObjectText({ metadata }, [["data", text]]).
 */
export function snapshotFile(snapshot: Snapshot): { readonly bytes: Uint8Array; readonly held: Snapshot } {
  const data = snapshot.data;
  if (!(data instanceof EncodedJson)) {
    const bytes = encodeFrame(RECORD_SNAPSHOT_FILE, utf8Bytes(jsonObjectText({ metadata: snapshot.metadata }, [["data", jsonOf(data)]])));
    return { bytes, held: snapshot };
  }
  const head = utf8Bytes(`${JSON.stringify({ metadata: snapshot.metadata }).slice(0, -1)},"data":`);
  const text = data.utf8Bytes();
  const bytes = encodeFrameOfParts(RECORD_SNAPSHOT_FILE, [head, text, CLOSING_BRACE]);
  // A small file is carved from a shared slab (codec.ts): a view of it would keep the slab alive.
  if (bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength) return { bytes, held: snapshot };
  const start = FRAME_HEADER_BYTES + head.length;
  return { bytes, held: { metadata: snapshot.metadata, data: EncodedJson.ofUtf8(bytes.subarray(start, start + text.length)) } };
}

const CLOSING_BRACE = new Uint8Array([0x7d]);

export function decodeSnapshotFile(bytes: Uint8Array): Snapshot {
  const frame = decodeFrame(bytes, 0);
  if (frame.type !== RECORD_SNAPSHOT_FILE || frame.end !== bytes.length)
    throw new CodecError("MALFORMED", "snapshot file is not exactly one snapshot frame");
  const value = decodeJson(frame.payload) as { metadata?: { index?: unknown; term?: unknown; voters?: unknown }; data?: unknown } | null;
  const metadata = value?.metadata;
  if (
    metadata === undefined ||
    typeof metadata.index !== "number" ||
    typeof metadata.term !== "number" ||
    !Array.isArray(metadata.voters)
  ) {
    throw new CodecError("MALFORMED", "snapshot file has a bad shape");
  }
  return {
    metadata: { index: logIndex(metadata.index), term: term(metadata.term), voters: (metadata.voters as string[]).map(nodeId) },
    data: value?.data ?? null,
  };
}

export class RaftStorage {
  private readonly queue: SerialQueue;
  private failure: StorageFailure | null = null;
  /** The damage being repaired (durable as a repair mark in the WAL), or null. */
  private repair: Damage | null = null;
  /** Bytes in the WAL now, for status and for tests of bounded disk use. */
  walBytes = 0;
  /** Size of the snapshot file last written or loaded (0: none). */
  snapshotBytes = 0;
  /** The snapshot written by prepareSnapshot, waiting for compact() to rename it into place. */
  private prepared: { readonly index: number; readonly bytes: number } | null = null;
  private readonly prepareQueue = new SerialQueue("RaftStorage.prepareSnapshot", 16);

  constructor(
    private readonly options: RaftStorageOptions,
    private readonly disk: Disk,
    private readonly log: Log = silentLog,
  ) {
    this.queue = new SerialQueue("RaftStorage", options.operationsQueuedMax ?? OPERATIONS_QUEUED_MAX_DEFAULT);
  }

  /**
   * Reads the snapshot and WAL and cuts a torn tail. Damage that is not a torn tail (a bad record
   * followed by good ones, a snapshot file that fails its checksum) does not stop the replica: the
   * WAL is rewritten to what can be trusted plus a repair mark (`state.repair`), so the replica
   * starts repairing from its peers (protocol-aware recovery, cells/storage/recovery.ts).
   */
  load(callback: (result: LoadResult) => void): void {
    this.enqueue((done) => {
      const finish = (result: LoadResult): void => {
        done();
        callback(result);
      };
      this.disk.read(this.options.snapshotFile, (snapshotError, snapshotBytes) => {
        if (snapshotError !== null && snapshotError.code !== "ENOENT")
          return finish(this.fail({ code: "IO_ERROR", operation: "read snapshot", cause: snapshotError }));
        let snapshot: Snapshot | null = null;
        let snapshotDamage: string | null = null;
        if (snapshotBytes !== null && snapshotError === null) {
          this.snapshotBytes = snapshotBytes.length;
          try {
            snapshot = decodeSnapshotFile(snapshotBytes);
          } catch (error) {
            // Replayed without it: a WAL that needs it turns that into damage from index 1 on.
            snapshotDamage = `snapshot file: ${(error as Error).message}`;
            this.snapshotBytes = 0;
          }
        }
        this.disk.read(this.options.walFile, (walError, walBytes) => {
          if (walError !== null && walError.code !== "ENOENT")
            return finish(this.fail({ code: "IO_ERROR", operation: "read WAL", cause: walError }));
          const bytes = walError === null && walBytes !== null ? walBytes : new Uint8Array(0);
          const replay = replayWal(bytes, snapshot);
          if (replay.code === "DAMAGED") return this.salvage(replay, snapshotDamage, finish);
          if (snapshotDamage !== null) {
            // Only the snapshot file is bad and the WAL does not refer to it: the WAL holds the whole log.
            this.log.event("warn", "storage.snapshot.unusedDamaged", { file: this.options.snapshotFile, reason: snapshotDamage });
            return this.removeDamagedSnapshot(finish, () => this.loaded(replay, finish));
          }
          this.loaded(replay, finish);
        });
      });
    });
  }

  /** A replay without damage: cut its torn tail, if any. */
  private loaded(replay: Extract<ReplayResult, { code: "OK" }>, finish: (result: LoadResult) => void): void {
    this.repair = replay.state.repair ?? null;
    this.walBytes = replay.validBytes;
    if (replay.tornBytes === 0) return finish({ code: "OK", state: replay.state, tornBytes: 0 });
    if (this.options.keepTornTail === true) {
      // The injected bug "wal-torn-tail-kept" (cells/bugs.ts): appends go after the garbage.
      this.walBytes += replay.tornBytes;
      return finish({ code: "OK", state: replay.state, tornBytes: replay.tornBytes });
    }
    this.log.event("warn", "storage.wal.tornTail", {
      file: this.options.walFile,
      validBytes: replay.validBytes,
      tornBytes: replay.tornBytes,
    });
    this.disk.truncate(this.options.walFile, replay.validBytes, (truncateError) => {
      if (truncateError !== null) return finish(this.fail({ code: "IO_ERROR", operation: "truncate torn tail", cause: truncateError }));
      this.disk.fsync(this.options.walFile, (syncError) => {
        if (syncError !== null) return finish(this.fail({ code: "IO_ERROR", operation: "fsync after truncate", cause: syncError }));
        finish({ code: "OK", state: replay.state, tornBytes: replay.tornBytes });
      });
    });
  }

  private removeDamagedSnapshot(fail: (result: LoadResult) => void, then: () => void): void {
    this.disk.remove(this.options.snapshotFile, (error) => {
      if (error !== null && error.code !== "ENOENT")
        return fail(this.fail({ code: "IO_ERROR", operation: "remove damaged snapshot", cause: error }));
      then();
    });
  }

  /**
   * Damage found at load: the WAL becomes, atomically, the trusted prefix with a repair mark
   * (so a crash during the repair still knows it is one), and a damaged snapshot file goes.
   */
  private salvage(
    replay: Extract<ReplayResult, { code: "DAMAGED" }>,
    snapshotDamage: string | null,
    callback: (result: LoadResult) => void,
  ): void {
    const { damage, state } = replay;
    const reason = snapshotDamage === null ? damage.reason : `${snapshotDamage}; ${damage.reason}`;
    const repair: Damage = { ...damage, reason };
    this.log.event("warn", "storage.damaged", { file: this.options.walFile, ...repair });
    const records: WalRecord[] = [];
    if (state.snapshot !== null)
      records.push({ kind: "snapshotMark", index: state.snapshot.metadata.index, term: state.snapshot.metadata.term });
    if (state.entries.length > 0) records.push({ kind: "entries", entries: state.entries });
    records.push({ kind: "hardState", hardState: state.hardState });
    records.push({ kind: "repairMark", damage: repair });
    const bytes = encodeRecords(records);
    // The WAL first: a crash before the bad snapshot file is gone finds the same damage again.
    this.writeFileAtomically(this.options.walFile, bytes, (failure) => {
      if (failure !== null) return callback(this.fail(failure));
      this.walBytes = bytes.length;
      this.repair = repair;
      const done = (): void => callback({ code: "OK", state: { ...state, repair }, tornBytes: 0 });
      if (snapshotDamage === null) done();
      else this.removeDamagedSnapshot(callback, done);
    });
  }

  /** The repair is over (the replica holds again all it may have acknowledged): durable before it votes. */
  markRepaired(callback: (failure: StorageFailure | null) => void): void {
    this.enqueue((done) => {
      this.appendAndSync(this.options.walFile, encodeRecords([{ kind: "repairDone" }]), "WAL", (failure) => {
        if (failure === null) this.repair = null;
        done();
        callback(failure === null ? null : this.fail(failure));
      });
    });
  }

  /**
   * Makes a Ready durable: snapshot file first (if any), then one WAL append holding the
   * snapshot mark, the entries and the hard state, then fsync. `callback(null)` means durable.
   */
  save(
    hardState: HardState | null,
    entries: readonly Entry[],
    snapshot: Snapshot | null,
    callback: (failure: StorageFailure | null) => void,
  ): void {
    // The WAL is replayed in record order: entries out of order would recover a different log.
    assertContiguous(entries, "WAL append");
    // Unnamed callbacks and methods, no named closures: under tsx (esbuild keepNames) each named
    // closure pays a defineProperty per save, a measurable share of a simulated run (docs/BENCHMARKS.md).
    this.enqueue((done) => {
      if (snapshot === null) this.appendSaveRecords(hardState, entries, null, done, callback);
      else
        this.writeSnapshot(snapshot, (failure) =>
          failure === null
            ? this.appendSaveRecords(hardState, entries, snapshot, done, callback)
            : this.finishSave(failure, done, callback),
        );
    });
  }

  /** save's WAL records (the snapshot's mark, the entries, the hard state) in one append and fsync. */
  private appendSaveRecords(
    hardState: HardState | null,
    entries: readonly Entry[],
    snapshot: Snapshot | null,
    done: () => void,
    callback: (failure: StorageFailure | null) => void,
  ): void {
    const records: WalRecord[] = [];
    if (snapshot !== null) records.push({ kind: "snapshotMark", index: snapshot.metadata.index, term: snapshot.metadata.term });
    if (entries.length > 0) records.push({ kind: "entries", entries });
    if (hardState !== null) records.push({ kind: "hardState", hardState });
    if (records.length === 0) return this.finishSave(null, done, callback);
    const bytes = encodeRecords(records);
    this.appendAndSync(this.options.walFile, bytes, "WAL", (failure) => this.finishSave(failure, done, callback));
  }

  private finishSave(failure: StorageFailure | null, done: () => void, callback: (failure: StorageFailure | null) => void): void {
    done();
    callback(failure === null ? null : this.fail(failure));
  }

  /**
   * Phase one of a compaction, outside the queue so WAL appends go on meanwhile: the snapshot's
   * bytes into a file of its own, fsynced (a snapshot of megabytes takes tens of milliseconds to
   * write; the Ready loop need not wait for it). compact() of the same index then only renames
   * it into place. The replica compacts (holding its Ready loop) before it prepares another, so
   * the file is not rewritten under a pending rename; a crash leaves a stray file load() ignores.
   */
  prepareSnapshot(snapshot: Snapshot, callback: (failure: StorageFailure | null, held: Snapshot | null) => void): void {
    // Its own lane: a snapshot abandoned mid-write (the state was replaced by InstallSnapshot)
    // must not share the file with the next one.
    this.prepareQueue.enqueue((done) => {
      const file = snapshotFile(snapshot);
      this.prepared = null;
      this.writeTemp(`${this.options.snapshotFile}.prepared`, file.bytes, (failure) => {
        done();
        if (failure !== null) return callback(this.fail(failure), null);
        this.prepared = { index: snapshot.metadata.index, bytes: file.bytes.length };
        callback(null, file.held);
      });
    });
  }

  /**
   * After the state machine snapshotted: persist `snapshot` (rename the prepared file into place,
   * or write it now), then rewrite the WAL to hold only `hardState` and the entries after it.
   */
  compact(
    snapshot: Snapshot,
    hardState: HardState,
    entriesAfter: readonly Entry[],
    callback: (failure: StorageFailure | null) => void,
  ): void {
    this.enqueue((done) => {
      const finish = (failure: StorageFailure | null): void => {
        done();
        callback(failure === null ? null : this.fail(failure));
      };
      const prepared = this.prepared;
      this.prepared = null;
      const persistSnapshot = (then: (failure: StorageFailure | null) => void): void => {
        if (prepared === null || prepared.index !== snapshot.metadata.index) return this.writeSnapshot(snapshot, then);
        this.installTemp(`${this.options.snapshotFile}.prepared`, this.options.snapshotFile, (failure) => {
          if (failure === null) this.snapshotBytes = prepared.bytes;
          then(failure);
        });
      };
      persistSnapshot((failure) => {
        if (failure !== null) return finish(failure);
        const records: WalRecord[] = [{ kind: "snapshotMark", index: snapshot.metadata.index, term: snapshot.metadata.term }];
        const kept = entriesAfter.filter((entry) => entry.index > snapshot.metadata.index);
        // The rewritten WAL must continue right after the snapshot: a gap would lose entries at the next recovery.
        assert(
          kept.length === 0 || (kept[0] as Entry).index === snapshot.metadata.index + 1,
          () => `compaction at ${snapshot.metadata.index} keeps entries from ${(kept[0] as Entry).index}`,
        );
        assertContiguous(kept, "WAL after compaction");
        if (kept.length > 0) records.push({ kind: "entries", entries: kept });
        records.push({ kind: "hardState", hardState });
        // A rewritten WAL must not forget an unfinished repair.
        if (this.repair !== null) records.push({ kind: "repairMark", damage: this.repair });
        const bytes = encodeRecords(records);
        this.writeFileAtomically(this.options.walFile, bytes, (walFailure) => {
          if (walFailure === null) this.walBytes = bytes.length;
          finish(walFailure);
        });
      });
    });
  }

  get failed(): StorageFailure | null {
    return this.failure;
  }

  /** The snapshot file, replaced atomically; its size feeds the compaction rule (replica.ts). */
  private writeSnapshot(snapshot: Snapshot, callback: (failure: StorageFailure | null) => void): void {
    const file = encodeSnapshotFile(snapshot);
    this.writeFileAtomically(this.options.snapshotFile, file, (failure) => {
      if (failure === null) this.snapshotBytes = file.length;
      callback(failure);
    });
  }

  private appendAndSync(file: string, bytes: Uint8Array, what: string, callback: (failure: StorageFailure | null) => void): void {
    this.disk.appendAndSync(file, bytes, (error) => {
      // One operation: the error's code (ENOSPC, EIO, ...) says which half failed.
      if (error !== null) return callback({ code: "IO_ERROR", operation: `append+fsync ${what}`, cause: error });
      if (file === this.options.walFile) this.walBytes += bytes.length;
      callback(null);
    });
  }

  /** temp file, fsync, rename over the target, fsync the target. */
  private writeFileAtomically(file: string, bytes: Uint8Array, callback: (failure: StorageFailure | null) => void): void {
    const temp = `${file}.tmp`;
    this.writeTemp(temp, bytes, (failure) => (failure === null ? this.installTemp(temp, file, callback) : callback(failure)));
  }

  /** `bytes` as the whole of `temp`, fsynced. */
  private writeTemp(temp: string, bytes: Uint8Array, callback: (failure: StorageFailure | null) => void): void {
    this.disk.remove(temp, (removeError) => {
      if (removeError !== null && removeError.code !== "ENOENT")
        return callback({ code: "IO_ERROR", operation: `remove ${temp}`, cause: removeError });
      this.disk.append(temp, bytes, (appendError) => {
        if (appendError !== null) return callback({ code: "IO_ERROR", operation: `write ${temp}`, cause: appendError });
        this.disk.fsync(temp, (syncError) => {
          if (syncError !== null) return callback({ code: "IO_ERROR", operation: `fsync ${temp}`, cause: syncError });
          callback(null);
        });
      });
    });
  }

  /** Renames the durable `temp` over `file`, then fsyncs it. */
  private installTemp(temp: string, file: string, callback: (failure: StorageFailure | null) => void): void {
    this.disk.rename(temp, file, (renameError) => {
      if (renameError !== null) return callback({ code: "IO_ERROR", operation: `rename ${temp}`, cause: renameError });
      this.disk.fsync(file, (targetError) => {
        if (targetError !== null) return callback({ code: "IO_ERROR", operation: `fsync ${file}`, cause: targetError });
        callback(null);
      });
    });
  }

  private fail(failure: StorageFailure): StorageFailure {
    this.failure ??= failure;
    this.log.event("error", "storage.failed", { ...failure, file: this.options.walFile });
    return failure;
  }

  private enqueue(operation: SerialOperation): void {
    this.queue.enqueue(operation);
  }
}
