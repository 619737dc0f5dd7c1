// The live runtime's Disk: real files in one data directory per replica. Appends go through an
// O_APPEND descriptor kept open per file (WAL appends that must be durable use a second one
// opened O_DSYNC: one write instead of write + fsync), `fsync` is fs.fsync (and, after a rename, an fsync of
// the directory so the new name is durable too). Operations run one at a time in submission
// order, as the simulated disk does, so a read never overtakes an earlier append.
//
// The fault layer is what the admin channel switches (DESIGN: disk faults are injected in the
// replica's storage layer): fsync EIO, ENOSPC on append, slow fsync, and corruption of a record
// that was already synced (a bit flip inside a checksummed WAL frame, never the last one, so
// recovery must call it corruption rather than a torn tail).

import { SerialQueue, type SerialOperation } from "../../../ground/serial-queue.js";
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import type { Disk, DiskCallback, DiskError, DiskErrorCode } from "../../../ground/ports.js";
import type { Random } from "../../../ground/random.js";
import { decodeFrame, FRAME_HEADER_BYTES } from "../../../cells/raft/codec.js";

export interface DiskFaultState {
  fsyncEio: boolean;
  enospc: boolean;
  /** fsync takes this many times its real duration (1 = no fault). */
  slowFsyncMultiplier: number;
}

export const healthyDiskFaults = (): DiskFaultState => ({ fsyncEio: false, enospc: false, slowFsyncMultiplier: 1 });

/** Bound on queued disk operations (the replica keeps at most a few in flight). */
export const DISK_OPERATIONS_QUEUED_MAX = 1_024;
/** A slow fsync is at least this slow, so the fault shows even on a fast SSD. */
const SLOW_FSYNC_US_MIN = 20_000;

export type CorruptionResult =
  { readonly ok: true; readonly file: string; readonly offset: number } | { readonly ok: false; readonly reason: string };

/** Writes all of `bytes` at the end of `fd` (O_APPEND), however many writes that takes. */
function writeAll(fd: number, bytes: Uint8Array, callback: (error: NodeJS.ErrnoException | null) => void): void {
  const writeFrom = (offset: number): void => {
    fs.write(fd, bytes, offset, bytes.length - offset, null, (error, written) => {
      if (error !== null) return callback(error);
      if (offset + written < bytes.length) return writeFrom(offset + written);
      callback(null);
    });
  };
  writeFrom(0);
}

function diskError(code: DiskErrorCode, message: string): DiskError {
  return { code, message };
}

function fromNode(error: NodeJS.ErrnoException, what: string): DiskError {
  const code: DiskErrorCode = error.code === "ENOENT" ? "ENOENT" : error.code === "ENOSPC" ? "ENOSPC" : "EIO";
  return diskError(code, `${what}: ${error.message}`);
}

export class FileDisk implements Disk {
  readonly faults: DiskFaultState = healthyDiskFaults();
  /** Open O_APPEND descriptors per file; the O_DSYNC ones serve appendAndSync (both append at the end). */
  private readonly bufferedDescriptors = new Map<string, number>();
  private readonly dsyncDescriptors = new Map<string, number>();
  private readonly queue = new SerialQueue("FileDisk", DISK_OPERATIONS_QUEUED_MAX);
  private directoryDirty = false;
  /**
   * Bytes appended to each file since its last fsync (the ops run one at a time, so this is
   * exact): what corruptSyncedRecord must not touch. Kept by counting, not by an fstat after
   * every fsync (a syscall and a thread-pool round trip per Ready, on the commit path).
   */
  private readonly unsyncedBytes = new Map<string, number>();

  constructor(readonly directory: string) {
    fs.mkdirSync(directory, { recursive: true });
  }

  /** File names are flat: a name with a path separator is encoded, never a way out of the directory. */
  pathOf(file: string): string {
    return path.join(this.directory, encodeURIComponent(file));
  }

  append(file: string, bytes: Uint8Array, callback: DiskCallback): void {
    this.enqueue((done) => {
      const finish = (error: DiskError | null): void => {
        done();
        callback(error);
      };
      if (this.faults.enospc) return finish(diskError("ENOSPC", `append ${file}: no space left on device (injected)`));
      this.descriptor(file, "buffered", (openError, fd) => {
        if (openError !== null) return finish(openError);
        writeAll(fd, bytes, (error) => {
          if (error !== null) return finish(fromNode(error, `append ${file}`));
          this.addUnsynced(file, bytes.length);
          finish(null);
        });
      });
    });
  }

  /**
   * One operation: a write through a descriptor opened O_DSYNC, durable when it returns (the
   * same guarantee as write + fdatasync, in one system call and one thread-pool round trip: ~30%
   * less CPU and latency per WAL append on this VM's disk). An injected fsync EIO still writes
   * the bytes (buffered) and then fails, as a real failed fsync would.
   */
  appendAndSync(file: string, bytes: Uint8Array, callback: DiskCallback): void {
    this.enqueue((done) => {
      const finish = (error: DiskError | null): void => {
        done();
        callback(error);
      };
      if (this.faults.enospc) return finish(diskError("ENOSPC", `append ${file}: no space left on device (injected)`));
      const eio = this.faults.fsyncEio;
      const startedMs = performance.now();
      this.descriptor(file, eio ? "buffered" : "dsync", (openError, fd) => {
        if (openError !== null) return finish(openError);
        writeAll(fd, bytes, (error) => {
          if (error !== null) return finish(fromNode(error, `append+sync ${file}`));
          if (eio) {
            this.addUnsynced(file, bytes.length);
            return finish(diskError("EIO", `fsync ${file}: input/output error (injected)`));
          }
          this.unsyncedBytes.delete(file);
          this.afterSync(startedMs, finish);
        });
      });
    });
  }

  fsync(file: string, callback: DiskCallback): void {
    this.enqueue((done) => {
      const finish = (error: DiskError | null): void => {
        done();
        callback(error);
      };
      if (this.faults.fsyncEio) return finish(diskError("EIO", `fsync ${file}: input/output error (injected)`));
      const startedMs = performance.now();
      this.descriptor(file, "buffered", (openError, fd) => {
        if (openError !== null) return finish(openError);
        fs.fsync(fd, (error) => {
          if (error !== null) return finish(fromNode(error, `fsync ${file}`));
          this.unsyncedBytes.delete(file);
          this.afterSync(startedMs, finish);
        });
      });
    });
  }

  private addUnsynced(file: string, bytes: number): void {
    this.unsyncedBytes.set(file, (this.unsyncedBytes.get(file) ?? 0) + bytes);
  }

  /** After a file's data is durable: its directory entry too (if it changed), then any slow-fsync fault. */
  private afterSync(startedMs: number, finish: (error: DiskError | null) => void): void {
    const afterDirectory = (): void => {
      const multiplier = this.faults.slowFsyncMultiplier;
      if (multiplier <= 1) return finish(null);
      const extraUs = Math.max(SLOW_FSYNC_US_MIN, (performance.now() - startedMs) * 1000 * (multiplier - 1));
      setTimeout(() => finish(null), extraUs / 1000);
    };
    if (!this.directoryDirty) return afterDirectory();
    this.directoryDirty = false;
    this.syncDirectory(afterDirectory);
  }

  read(file: string, callback: (error: DiskError | null, bytes: Uint8Array | null) => void): void {
    this.enqueue((done) => {
      fs.readFile(this.pathOf(file), (error, data) => {
        done();
        if (error !== null) callback(fromNode(error, `read ${file}`), null);
        else callback(null, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      });
    });
  }

  truncate(file: string, length: number, callback: DiskCallback): void {
    this.enqueue((done) => {
      fs.truncate(this.pathOf(file), length, (error) => {
        done();
        callback(error === null ? null : fromNode(error, `truncate ${file}`));
      });
    });
  }

  rename(source: string, target: string, callback: DiskCallback): void {
    this.enqueue((done) => {
      this.closeDescriptor(source);
      this.closeDescriptor(target);
      fs.rename(this.pathOf(source), this.pathOf(target), (error) => {
        if (error === null) {
          this.directoryDirty = true;
          const unsynced = this.unsyncedBytes.get(source);
          this.unsyncedBytes.delete(source);
          if (unsynced === undefined) this.unsyncedBytes.delete(target);
          else this.unsyncedBytes.set(target, unsynced);
        }
        done();
        callback(error === null ? null : fromNode(error, `rename ${source} -> ${target}`));
      });
    });
  }

  remove(file: string, callback: DiskCallback): void {
    this.enqueue((done) => {
      this.closeDescriptor(file);
      fs.unlink(this.pathOf(file), (error) => {
        if (error === null) {
          this.directoryDirty = true;
          this.unsyncedBytes.delete(file);
        }
        done();
        callback(error === null ? null : fromNode(error, `remove ${file}`));
      });
    });
  }

  list(): string[] {
    return fs
      .readdirSync(this.directory)
      .map((name) => decodeURIComponent(name))
      .sort();
  }

  /**
   * Flips one bit inside the payload of a synced, checksummed frame of `file` that is followed by
   * another frame, so the damage is provably not a torn tail. Done on the file, not in memory:
   * the running replica only notices when it next reads the file (after a restart).
   */
  corruptSyncedRecord(file: string, random: Random): CorruptionResult {
    const target = this.pathOf(file);
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(target);
    } catch (error) {
      return { ok: false, reason: `read ${file}: ${(error as Error).message}` };
    }
    const synced = Math.max(0, bytes.length - (this.unsyncedBytes.get(file) ?? 0));
    const view = new Uint8Array(bytes.buffer, bytes.byteOffset, synced);
    const frames: { start: number; end: number }[] = [];
    for (let offset = 0; offset < synced;) {
      try {
        const frame = decodeFrame(view, offset);
        frames.push({ start: offset, end: frame.end });
        offset = frame.end;
      } catch {
        break;
      }
    }
    const candidates = frames.slice(0, -1).filter((frame) => frame.end - frame.start > FRAME_HEADER_BYTES);
    if (candidates.length === 0) return { ok: false, reason: `${file} has fewer than two synced records` };
    const frame = random.pick(candidates);
    const offset = random.intBetween(frame.start + FRAME_HEADER_BYTES, frame.end - 1);
    const fd = fs.openSync(target, "r+");
    try {
      const byte = Buffer.alloc(1);
      fs.readSync(fd, byte, 0, 1, offset);
      byte[0] = (byte[0] as number) ^ (1 << random.intBetween(0, 7));
      fs.writeSync(fd, byte, 0, 1, offset);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    return { ok: true, file, offset };
  }

  close(): void {
    for (const file of new Set([...this.bufferedDescriptors.keys(), ...this.dsyncDescriptors.keys()])) this.closeDescriptor(file);
  }

  private descriptor(file: string, mode: "buffered" | "dsync", callback: (error: DiskError | null, fd: number) => void): void {
    const open = (mode === "dsync" ? this.dsyncDescriptors : this.bufferedDescriptors).get(file);
    if (open !== undefined) return callback(null, open);
    const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND | (mode === "dsync" ? fs.constants.O_DSYNC : 0);
    fs.open(this.pathOf(file), flags, 0o644, (error, fd) => {
      if (error !== null) return callback(fromNode(error, `open ${file}`), -1);
      (mode === "dsync" ? this.dsyncDescriptors : this.bufferedDescriptors).set(file, fd);
      this.directoryDirty = true;
      callback(null, fd);
    });
  }

  private closeDescriptor(file: string): void {
    for (const descriptors of [this.bufferedDescriptors, this.dsyncDescriptors]) {
      const fd = descriptors.get(file);
      if (fd === undefined) continue;
      descriptors.delete(file);
      fs.closeSync(fd);
    }
  }

  private syncDirectory(callback: () => void): void {
    fs.open(this.directory, "r", (error, fd) => {
      if (error !== null) return callback();
      fs.fsync(fd, () => fs.close(fd, () => callback()));
    });
  }

  private enqueue(operation: SerialOperation): void {
    this.queue.enqueue(operation);
  }
}
