// The WAL over the simulated disk: round trips, torn tails, corruption (repair marks), compaction.
import { describe, expect, it } from "vitest";
import type { Entry, HardState, Snapshot } from "../../../cells/raft/types.js";
import { logIndex, nodeId, term } from "../../../cells/raft/types.js";
import { encodeRecord } from "../../../cells/storage/records.js";
import { RaftStorage, type LoadResult, type StorageFailure } from "../../../cells/storage/storage.js";
import { Scheduler } from "../../../sim/kernel/scheduler.js";
import { AssertionError } from "../../../ground/assert.js";
import { makeSimDisk, rewriteFile, runUntil } from "../fixtures/sim-disk.js";

const FILES = { walFile: "n1.wal", snapshotFile: "n1.snap" };
const entry = (index: number, entryTerm = 1): Entry => ({
  index: logIndex(index),
  term: term(entryTerm),
  kind: "normal",
  data: { requestId: `r${index}` },
});
const hard = (commit: number, hardTerm = 1): HardState => ({ term: term(hardTerm), vote: nodeId("n1"), commit: logIndex(commit) });

function setup(overrides = {}) {
  const scheduler = new Scheduler();
  const disk = makeSimDisk(scheduler, 1, overrides);
  const storage = () => new RaftStorage(FILES, disk);
  const save = (
    target: RaftStorage,
    hardState: HardState | null,
    entries: Entry[],
    snapshot: Snapshot | null = null,
  ): StorageFailure | null => {
    let result: StorageFailure | null | undefined;
    target.save(hardState, entries, snapshot, (failure) => (result = failure));
    runUntil(scheduler, () => result !== undefined);
    return result as StorageFailure | null;
  };
  const load = (target: RaftStorage): LoadResult => {
    let result: LoadResult | undefined;
    target.load((loaded) => (result = loaded));
    runUntil(scheduler, () => result !== undefined);
    return result as LoadResult;
  };
  return { scheduler, disk, storage, save, load };
}

describe("RaftStorage", () => {
  it("refuses to append entries out of order (an always-on assertion, before anything is written)", () => {
    const { storage, save, load } = setup();
    const wal = storage();
    expect(save(wal, hard(0), [entry(1), entry(2)])).toBeNull();
    expect(() => wal.save(hard(0), [entry(3), entry(5)], null, () => undefined)).toThrow(AssertionError);
    expect(() => wal.save(hard(0), [entry(3), entry(5)], null, () => undefined)).toThrow(/WAL append: index 5 follows 3/);
    const loaded = load(storage());
    expect(loaded.code === "OK" && loaded.state.entries.map((e) => e.index)).toEqual([1, 2]);
  });

  it("recovers hard state and entries, later entries records replacing a conflicting suffix", () => {
    const { storage, save, load } = setup();
    const wal = storage();
    expect(save(wal, hard(0), [entry(1), entry(2), entry(3)])).toBeNull();
    expect(save(wal, hard(2, 2), [entry(3, 2), entry(4, 2)])).toBeNull(); // follower truncated at 3
    const loaded = load(storage());
    expect(loaded.code).toBe("OK");
    if (loaded.code !== "OK") return;
    expect(loaded.state.hardState).toEqual(hard(2, 2));
    expect(loaded.state.entries.map((e) => `${e.index}@${e.term}`)).toEqual(["1@1", "2@1", "3@2", "4@2"]);
  });

  it("cuts a torn last record and keeps everything before it", () => {
    const { scheduler, disk, storage, save, load } = setup({ tornWriteProbability: 1 });
    const wal = storage();
    save(wal, hard(1), [entry(1), entry(2)]);
    const syncedBytes = disk.peek(FILES.walFile)!.length;
    // An append that never got its fsync, then power loss: a strict prefix survives.
    let appended = false;
    disk.append(FILES.walFile, encodeRecord({ kind: "entries", entries: [entry(3), entry(4)] }), () => (appended = true));
    runUntil(scheduler, () => appended);
    disk.crash();
    expect(disk.counts.tornWrites).toBe(1);
    expect(disk.peek(FILES.walFile)!.length).toBeGreaterThan(syncedBytes);
    const loaded = load(storage());
    expect(loaded).toMatchObject({ code: "OK" });
    if (loaded.code !== "OK") return;
    expect(loaded.tornBytes).toBeGreaterThan(0);
    expect(loaded.state.entries.map((e) => e.index)).toEqual([1, 2]);
    // Never acknowledged (it was never fsynced): nothing to repair.
    expect(loaded.state.repair ?? null).toBeNull();
    expect(disk.peek(FILES.walFile)!.length).toBe(syncedBytes);
  });

  it("a damaged record followed by valid ones is corruption, not a torn tail: the trusted prefix and a durable repair mark", () => {
    const { scheduler, disk, storage, save, load } = setup();
    const wal = storage();
    save(wal, hard(1), [entry(1)]);
    const firstAppendBytes = disk.peek(FILES.walFile)!.length;
    save(wal, hard(2), [entry(2)]);
    save(wal, hard(3), [entry(3)]);
    const bytes = disk.peek(FILES.walFile)!.slice();
    bytes[firstAppendBytes + 20] = (bytes[firstAppendBytes + 20] as number) ^ 0x40; // inside entry 2's record
    rewriteFile(disk, scheduler, FILES.walFile, bytes);
    const loaded = load(storage());
    expect(loaded.code).toBe("OK");
    if (loaded.code !== "OK") return;
    // Entry 1 is intact; 2 is gone and 3 cannot be trusted (it followed the hole): lost from 2.
    expect(loaded.state.entries.map((e) => e.index)).toEqual([1]);
    expect(loaded.state.repair).toMatchObject({ lostFromIndex: 2, knownCommit: 3, knownLastIndex: 3 });
    expect(loaded.state.repair?.reason).toMatch(/valid record follows/);
    // The commit is the one recorded before the damage (entry 1), not the later 3.
    expect(loaded.state.hardState.commit).toBe(1);
    expect(loaded.tornBytes).toBe(0);
    // Durable: a crash during the repair still knows it is one, and the damage is gone from the file.
    const again = load(storage());
    expect(again.code === "OK" && again.state.repair).toMatchObject({ lostFromIndex: 2, knownCommit: 3 });
    expect(again.code === "OK" && again.state.entries.map((e) => e.index)).toEqual([1]);
  });

  it("the repair mark survives a compaction and ends with markRepaired", () => {
    const { scheduler, disk, storage, save, load } = setup();
    const wal = storage();
    save(wal, hard(1), [entry(1), entry(2)]);
    save(wal, hard(2), [entry(3)]);
    const bytes = disk.peek(FILES.walFile)!.slice();
    bytes[30] = (bytes[30] as number) ^ 0x01;
    rewriteFile(disk, scheduler, FILES.walFile, bytes);
    const repairing = storage();
    const loaded = load(repairing);
    expect(loaded.code === "OK" && loaded.state.repair).toMatchObject({ lostFromIndex: 1 });
    // Repaired from a peer: entries 1..3 again, then a compaction rewrites the WAL.
    expect(save(repairing, hard(3), [entry(1), entry(2), entry(3)])).toBeNull();
    const snapshot: Snapshot = { metadata: { index: logIndex(2), term: term(1), voters: [nodeId("n1")] }, data: { upTo: 2 } };
    let compacted: StorageFailure | null | undefined;
    repairing.compact(snapshot, hard(3), [entry(3)], (failure) => (compacted = failure));
    runUntil(scheduler, () => compacted !== undefined);
    expect(compacted).toBeNull();
    const afterCompaction = load(storage());
    expect(afterCompaction.code === "OK" && afterCompaction.state.repair).toMatchObject({ lostFromIndex: 1 });
    let marked: StorageFailure | null | undefined;
    repairing.markRepaired((failure) => (marked = failure));
    runUntil(scheduler, () => marked !== undefined);
    expect(marked).toBeNull();
    const done = load(storage());
    expect(done.code === "OK" && done.state.repair).toBeNull();
    expect(done.code === "OK" && done.state.entries.map((e) => e.index)).toEqual([3]);
  });

  it("a frame whose length field was flipped is damage when valid records follow, not a torn write", () => {
    const { scheduler, disk, storage, save, load } = setup();
    const wal = storage();
    save(wal, hard(1), [entry(1)]);
    save(wal, hard(2), [entry(2)]);
    const bytes = disk.peek(FILES.walFile)!.slice();
    bytes[1] = (bytes[1] as number) ^ 0x01; // the first frame now claims 64 KiB more than the file holds
    rewriteFile(disk, scheduler, FILES.walFile, bytes);
    const loaded = load(storage());
    expect(loaded.code === "OK" && loaded.state.repair).toMatchObject({ lostFromIndex: 1, knownCommit: 2 });
    expect(loaded.code === "OK" && loaded.tornBytes).toBe(0);
  });

  it("a damaged snapshot file the WAL starts after: repair from index 1, the bad file removed", () => {
    const { scheduler, disk, storage, save, load } = setup();
    const snapshot: Snapshot = { metadata: { index: logIndex(3), term: term(1), voters: [nodeId("n1")] }, data: { balance: 10 } };
    const wal = storage();
    save(wal, hard(3), [], snapshot);
    save(wal, hard(4), [entry(4)]);
    expect(load(storage()).code).toBe("OK");
    const bytes = disk.peek(FILES.snapshotFile)!.slice();
    bytes[bytes.length - 2] = (bytes[bytes.length - 2] as number) ^ 1;
    rewriteFile(disk, scheduler, FILES.snapshotFile, bytes);
    const loaded = load(storage());
    expect(loaded.code).toBe("OK");
    if (loaded.code !== "OK") return;
    expect(loaded.state.snapshot).toBeNull();
    expect(loaded.state.entries).toEqual([]);
    expect(loaded.state.hardState).toMatchObject({ term: 1, commit: 0 });
    expect(loaded.state.repair).toMatchObject({ lostFromIndex: 1, knownCommit: 4, knownLastIndex: 4 });
    expect(loaded.state.repair?.reason).toMatch(/^snapshot file: /);
    expect(disk.peek(FILES.snapshotFile)).toBeNull();
  });

  it("compaction rewrites the WAL so its size is bounded by what follows the snapshot", () => {
    const { scheduler, storage, save, load } = setup();
    const wal = storage();
    for (let i = 1; i <= 50; i++) save(wal, hard(i), [entry(i)]);
    const before = wal.walBytes;
    const snapshot: Snapshot = { metadata: { index: logIndex(48), term: term(1), voters: [nodeId("n1")] }, data: { upTo: 48 } };
    let done: StorageFailure | null | undefined;
    wal.compact(snapshot, hard(50), [entry(49), entry(50)], (failure) => (done = failure));
    runUntil(scheduler, () => done !== undefined);
    expect(done).toBeNull();
    expect(wal.walBytes).toBeLessThan(before / 10);
    const loaded = load(storage());
    expect(loaded.code).toBe("OK");
    if (loaded.code !== "OK") return;
    expect(loaded.state.snapshot?.data).toEqual({ upTo: 48 });
    expect(loaded.state.entries.map((e) => e.index)).toEqual([49, 50]);
  });

  it("a snapshot prepared while appends go on is renamed into place by compact; a stale one is not used", () => {
    const { scheduler, disk, storage, save, load } = setup();
    const wal = storage();
    for (let i = 1; i <= 20; i++) save(wal, hard(i), [entry(i)]);
    const snapshotAt = (index: number): Snapshot => ({
      metadata: { index: logIndex(index), term: term(1), voters: [nodeId("n1")] },
      data: { upTo: index },
    });
    let prepared: StorageFailure | null | undefined;
    wal.prepareSnapshot(snapshotAt(18), (failure) => (prepared = failure));
    // Appends are not held up behind the snapshot: one is saved while the file is written.
    expect(save(wal, hard(21), [entry(21)])).toBeNull();
    expect(prepared).toBeUndefined();
    runUntil(scheduler, () => prepared !== undefined);
    expect(prepared).toBeNull();
    expect(disk.peek(`${FILES.snapshotFile}.prepared`)).not.toBeNull();
    const compact = (snapshot: Snapshot, after: Entry[]): StorageFailure | null => {
      let done: StorageFailure | null | undefined;
      wal.compact(snapshot, hard(21), after, (failure) => (done = failure));
      runUntil(scheduler, () => done !== undefined);
      return done as StorageFailure | null;
    };
    expect(compact(snapshotAt(18), [entry(19), entry(20), entry(21)])).toBeNull();
    expect(disk.peek(`${FILES.snapshotFile}.prepared`)).toBeNull(); // renamed, not rewritten
    let loaded = load(storage());
    expect(loaded.code === "OK" && loaded.state.snapshot?.data).toEqual({ upTo: 18 });
    // A prepared file for another index is never renamed over the snapshot being compacted.
    let stale: StorageFailure | null | undefined;
    wal.prepareSnapshot(snapshotAt(19), (failure) => (stale = failure));
    runUntil(scheduler, () => stale !== undefined);
    expect(stale).toBeNull();
    expect(compact(snapshotAt(20), [entry(21)])).toBeNull();
    loaded = load(storage());
    expect(loaded.code === "OK" && loaded.state.snapshot?.data).toEqual({ upTo: 20 });
    expect(loaded.code === "OK" && loaded.state.entries.map((e) => e.index)).toEqual([21]);
  });

  it("a failing fsync is reported as IO_ERROR and sticks", () => {
    const { disk, storage, save } = setup();
    const wal = storage();
    disk.failNextFsyncs(1);
    expect(save(wal, hard(0), [entry(1)])).toMatchObject({ code: "IO_ERROR", cause: { code: "EIO" } });
    expect(wal.failed).toMatchObject({ code: "IO_ERROR" });
  });
});
