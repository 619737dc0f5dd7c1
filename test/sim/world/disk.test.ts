import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DiskError } from "../../../ground/ports.js";
import { createRandom } from "../../../ground/random.js";
import { Scheduler } from "../../../sim/kernel/scheduler.js";
import { defaultWorldConfig, type DiskConfig } from "../../../domain/config.js";
import { SimDisk } from "../../../sim/world/disk.js";

function makeDisk(seed: number, overrides: Partial<DiskConfig> = {}) {
  const scheduler = new Scheduler();
  const disk = new SimDisk(
    { ...defaultWorldConfig().disk, ...overrides },
    {
      random: createRandom(seed).fork("disk/test"),
      timers: { setTimer: (delayUs, callback) => scheduler.after(delayUs, callback) as never },
    },
  );
  return { scheduler, disk };
}

const bytes = (...values: number[]) => Uint8Array.from(values);

function isPrefix(prefix: Uint8Array, of: Uint8Array): boolean {
  return prefix.length <= of.length && prefix.every((value, index) => value === of[index]);
}

describe("simulated disk", () => {
  it("after a crash holds exactly the synced prefix, plus at most a strict prefix of the next unsynced write (property)", () => {
    const operation = fc.oneof(
      fc.record({ kind: fc.constant("append" as const), data: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
      fc.record({ kind: fc.constant("fsync" as const) }),
      fc.record({ kind: fc.constant("appendAndSync" as const), data: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
      fc.record({ kind: fc.constant("wait" as const), us: fc.integer({ min: 0, max: 600 }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.array(operation, { maxLength: 30 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (seed, operations, tornWriteProbability) => {
          const { scheduler, disk } = makeDisk(seed, { tornWriteProbability });
          // Model: what the caller wrote, and what it was told is durable.
          const written: Uint8Array[] = [];
          let acknowledgedChunks = 0;
          for (const op of operations) {
            if (op.kind === "append") {
              written.push(op.data);
              disk.append("wal", op.data, (error) => expect(error).toBeNull());
            } else if (op.kind === "appendAndSync") {
              written.push(op.data);
              const upTo = written.length;
              disk.appendAndSync("wal", op.data, (error) => {
                expect(error).toBeNull();
                acknowledgedChunks = Math.max(acknowledgedChunks, upTo);
              });
            } else if (op.kind === "fsync") {
              const upTo = written.length;
              disk.fsync("wal", (error) => {
                if (error === null) acknowledgedChunks = Math.max(acknowledgedChunks, upTo);
                else expect(error.code).toBe("ENOENT");
              });
            } else {
              scheduler.runUntil(scheduler.nowUs + op.us);
            }
          }
          disk.crash();
          const after = disk.peek("wal") ?? new Uint8Array(0);
          const joined = (chunks: Uint8Array[]) => Uint8Array.from(chunks.flatMap((chunk) => [...chunk]));
          const acknowledged = joined(written.slice(0, acknowledgedChunks));
          // Never less than acknowledged; at most one more (completed but unacknowledged) fsync's worth.
          expect(isPrefix(acknowledged, after)).toBe(true);
          expect(isPrefix(after, joined(written))).toBe(true);
          const durable = disk.durableBytes("wal") ?? new Uint8Array(0);
          expect(after.length).toBe(durable.length);
          // Pending (unfired) fsyncs never count: the crash came first. Anything beyond the
          // acknowledged prefix must be a strict prefix of the single next write.
          const tail = after.length - acknowledged.length;
          if (tail > 0) expect(tail).toBeLessThan((written[acknowledgedChunks] as Uint8Array).length);
        },
      ),
      { seed: 11, numRuns: 200 },
    );
  });

  it("tears the next unsynced write into a strict prefix when the model says so", () => {
    const { scheduler, disk } = makeDisk(1, { tornWriteProbability: 1 });
    disk.append("wal", bytes(1, 2, 3), () => {});
    disk.fsync("wal", () => {});
    scheduler.runUntil(10_000);
    disk.append("wal", bytes(4, 5, 6, 7, 8), () => {});
    disk.append("wal", bytes(9, 9), () => {});
    disk.crash();
    const after = disk.peek("wal") as Uint8Array;
    expect(after.length).toBeGreaterThan(3);
    expect(after.length).toBeLessThan(8);
    expect([...after]).toEqual([1, 2, 3, 4, 5, 6, 7, 8].slice(0, after.length));
    expect(disk.counts.tornWrites).toBe(1);
  });

  it("surfaces EIO from fsync (next N and by probability) and leaves the data unsynced", () => {
    const { scheduler, disk } = makeDisk(2, { tornWriteProbability: 0 });
    const errors: Array<DiskError | null> = [];
    disk.append("wal", bytes(1), () => {});
    disk.failNextFsyncs(2);
    disk.fsync("wal", (error) => errors.push(error));
    disk.fsync("wal", (error) => errors.push(error));
    disk.fsync("wal", (error) => errors.push(error));
    scheduler.runUntil(10_000);
    expect(errors.map((error) => error?.code ?? null)).toEqual(["EIO", "EIO", null]);

    const flaky = makeDisk(3, { fsyncErrorProbability: 1 });
    flaky.disk.append("wal", bytes(1), () => {});
    let code: string | null = "none";
    flaky.disk.fsync("wal", (error) => (code = error?.code ?? null));
    flaky.scheduler.runUntil(10_000);
    expect(code).toBe("EIO");
    flaky.disk.crash();
    expect(flaky.disk.peek("wal")).toBeNull();
  });

  it("fails an append past capacity with ENOSPC, writing nothing", () => {
    const { scheduler, disk } = makeDisk(4, { capacityBytes: 10 });
    const codes: Array<string | null> = [];
    disk.append("a", new Uint8Array(6), (error) => codes.push(error?.code ?? null));
    disk.append("b", new Uint8Array(5), (error) => codes.push(error?.code ?? null));
    disk.append("b", new Uint8Array(4), (error) => codes.push(error?.code ?? null));
    scheduler.runUntil(1_000);
    expect(codes).toEqual([null, "ENOSPC", null]);
    expect(disk.peek("b")?.length).toBe(4);
    expect(disk.bytesUsed).toBe(10);
  });

  it("appendAndSync completes once, after both latencies, with append's and fsync's faults", () => {
    const { scheduler, disk } = makeDisk(7, { appendLatencyUs: 5, fsyncLatencyUs: 250, capacityBytes: 10, tornWriteProbability: 0 });
    const done: Array<[string | null, number]> = [];
    disk.appendAndSync("wal", bytes(1, 2), (error) => done.push([error?.code ?? null, scheduler.nowUs]));
    disk.failNextFsyncs(1);
    disk.appendAndSync("wal", bytes(3), (error) => done.push([error?.code ?? null, scheduler.nowUs]));
    disk.appendAndSync("wal", new Uint8Array(20), (error) => done.push([error?.code ?? null, scheduler.nowUs]));
    scheduler.runUntil(10_000);
    expect(done).toEqual(
      [
        [null, 255],
        ["ENOSPC", 5],
        ["EIO", 255],
      ].sort((a, b) => (a[1] as number) - (b[1] as number)),
    );
    expect(disk.counts.fsyncs).toBe(2);
    // The EIO left byte 3 unsynced: a crash keeps only the first, acknowledged write.
    disk.crash();
    expect([...(disk.peek("wal") as Uint8Array)]).toEqual([1, 2]);
  });

  it("makes fsync slow with the latency multiplier", () => {
    const { scheduler, disk } = makeDisk(5, { slowFsyncProbability: 1, slowFsyncMultiplier: 20, fsyncLatencyUs: 250 });
    disk.append("wal", bytes(1), () => {});
    let doneAtUs = -1;
    disk.fsync("wal", () => (doneAtUs = scheduler.nowUs));
    scheduler.runUntil(100_000);
    expect(doneAtUs).toBe(5_000);
  });

  it("flips exactly one bit of synced data on corruption", () => {
    const { scheduler, disk } = makeDisk(6);
    const original = Uint8Array.from({ length: 64 }, (_, index) => index);
    disk.append("wal", original, () => {});
    disk.fsync("wal", () => {});
    scheduler.runUntil(1_000);
    const report = disk.corrupt("wal", createRandom(9));
    expect(report).not.toBeNull();
    disk.crash();
    const after = disk.peek("wal") as Uint8Array;
    let flippedBits = 0;
    after.forEach((value, index) => {
      let diff = value ^ (original[index] as number);
      while (diff !== 0) {
        flippedBits += diff & 1;
        diff >>= 1;
      }
    });
    expect(flippedBits).toBe(1);
    expect(after[report?.offset ?? -1]).toBe((original[report?.offset ?? -1] as number) ^ (1 << (report?.bit ?? 0)));
  });

  it("makes truncate and rename durable only after fsync", () => {
    const { scheduler, disk } = makeDisk(7, { tornWriteProbability: 0 });
    disk.append("snap.tmp", bytes(7, 7, 7), () => {});
    disk.fsync("snap.tmp", () => {});
    disk.append("wal", bytes(1, 2, 3, 4), () => {});
    disk.fsync("wal", () => {});
    scheduler.runUntil(1_000);
    disk.truncate("wal", 1, () => {});
    disk.rename("snap.tmp", "snap", () => {});
    scheduler.runUntil(2_000);
    expect(disk.list()).toEqual(["snap", "wal"]);
    disk.crash();
    expect(disk.list()).toEqual(["snap.tmp", "wal"]);
    expect([...(disk.peek("wal") as Uint8Array)]).toEqual([1, 2, 3, 4]);

    disk.truncate("wal", 1, () => {});
    disk.rename("snap.tmp", "snap", () => {});
    disk.fsync("wal", () => {});
    disk.fsync("snap", () => {});
    scheduler.runUntil(3_000);
    disk.crash();
    expect(disk.list()).toEqual(["snap", "wal"]);
    expect([...(disk.peek("wal") as Uint8Array)]).toEqual([1]);
    expect([...(disk.peek("snap") as Uint8Array)]).toEqual([7, 7, 7]);
  });
});

describe("simulated disk memory (issue 15)", () => {
  it("keeps a small append in its own memory, not as a view of the caller's larger buffer", () => {
    const { scheduler, disk } = makeDisk(1);
    // As the codec hands them out: a few bytes carved from a 64 KiB slab shared with everything else.
    const slab = new Uint8Array(64 * 1024);
    const small = slab.subarray(64, 64 + 5);
    small.set([1, 2, 3, 4, 5]);
    const large = new Uint8Array(64 * 1024).subarray(8, 8 + 6_000).fill(7);
    disk.appendAndSync("wal", small, () => {});
    disk.appendAndSync("wal", large, () => {});
    scheduler.runUntil(1_000_000);
    // Were the chunks the caller's views, a later change of the slabs would show in the file.
    slab.fill(9);
    large.fill(9);
    const durable = disk.durableBytes("wal") as Uint8Array;
    expect(Array.from(durable.subarray(0, 5))).toEqual([1, 2, 3, 4, 5]);
    expect(durable.subarray(5).every((value) => value === 7)).toBe(true);
    expect(durable.length).toBe(6_005);
  });
});
