// A host's simulated disk. Files are lists of immutable chunks (one per append), so fsync makes
// the current content durable by sharing the chunk list instead of copying bytes: the durable
// view of a file is (chunk list, chunk count, length), and appends only ever push past the
// durable count. Truncate and rename build new lists, so the old durable view stays intact.
//
// Durability model:
// - append/truncate/rename change the page cache at once (reads see them) and become durable
//   with a successful fsync of the file (for rename: of the target). An fsync makes durable the
//   content as it was when fsync was CALLED, at the moment it COMPLETES; a crash in between
//   loses it.
// - remove is durable at once (pessimistic: the data is gone either way).
// - crash: every file reverts to its durable content. The first append after the durable
//   content, if any and if nothing truncated/renamed the file since, survives as a random strict
//   prefix with probability tornWriteProbability: a torn write the caller must detect with its
//   own checksums.
// - fsync EIO leaves the data unsynced (the caller must treat it as fatal, as after Linux's
//   "fsyncgate": a retry is not a guarantee).
// - corrupt() flips one bit of a durable byte; it is reported only through the caller's checksums.
import type { Clock, Disk, DiskCallback, DiskError, DiskErrorCode } from "../../ground/ports.js";
import type { Random } from "../../ground/random.js";
import type { DiskConfig } from "../../domain/config.js";

/**
 * A file's chunks (one per append) as parallel arrays of (buffer, offset, length), not a
 * Uint8Array view each: a replica's WAL holds thousands of small appends, and a view is ~90 bytes
 * of heap where this is 12 (a running world's 50 disks held ~113,000 views, ~10 MB: issue 15,
 * docs/BENCHMARKS.md session 11). A view is made only to read a chunk. Two chunks are the same
 * chunk when their (buffer, offset, length) are: every append's bytes are a region of their own.
 */
class Chunks {
  constructor(
    private readonly buffers: ArrayBufferLike[] = [],
    private readonly offsets: number[] = [],
    private readonly lengths: number[] = [],
  ) {}

  get count(): number {
    return this.lengths.length;
  }

  push(bytes: Uint8Array): void {
    this.buffers.push(bytes.buffer);
    this.offsets.push(bytes.byteOffset);
    this.lengths.push(bytes.length);
  }

  /** Chunk `index` (a fresh view of its bytes), or undefined past the end. */
  at(index: number): Uint8Array | undefined {
    if (index >= this.lengths.length) return undefined;
    return new Uint8Array(this.buffers[index] as ArrayBufferLike, this.offsets[index], this.lengths[index]);
  }

  lengthAt(index: number): number {
    return this.lengths[index] as number;
  }

  /** Replaces chunk `index` with `bytes`. */
  set(index: number, bytes: Uint8Array): void {
    this.buffers[index] = bytes.buffer;
    this.offsets[index] = bytes.byteOffset;
    this.lengths[index] = bytes.length;
  }

  /** Whether chunk `index` here is `chunk` (the same bytes, not a copy of them). */
  holds(index: number, chunk: Uint8Array): boolean {
    return this.buffers[index] === chunk.buffer && this.offsets[index] === chunk.byteOffset && this.lengths[index] === chunk.length;
  }

  /** The first `count` chunks (all by default) in a list of their own, sharing the bytes. */
  slice(count: number = this.lengths.length): Chunks {
    return new Chunks(this.buffers.slice(0, count), this.offsets.slice(0, count), this.lengths.slice(0, count));
  }

  /** The bytes of the first `count` chunks, which hold `length` bytes, in one fresh array. */
  concat(count: number, length: number): Uint8Array {
    if (count === 1 && this.lengths[0] === length) return (this.at(0) as Uint8Array).slice();
    const out = new Uint8Array(length);
    let offset = 0;
    for (let index = 0; index < count; index++) {
      out.set(this.at(index) as Uint8Array, offset);
      offset += this.lengths[index] as number;
    }
    return out;
  }
}

interface FileContent {
  chunks: Chunks;
  length: number;
}

interface DurableContent {
  readonly chunks: Chunks;
  readonly count: number;
  readonly length: number;
}

export interface DiskCounts {
  appends: number;
  fsyncs: number;
  fsyncErrors: number;
  enospc: number;
  tornWrites: number;
  corruptions: number;
  crashes: number;
}

export interface CorruptionReport {
  file: string;
  offset: number;
  bit: number;
}

export class SimDiskError extends Error implements DiskError {
  constructor(
    readonly code: DiskErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Size of a disk's arena for small appends, and the largest append copied into it (`SimDisk.own`). */
const DISK_ARENA_BYTES = 32 * 1024;
const DISK_ARENA_CARVED_BYTES_MAX = 4 * 1024;

/** Timer used for completion callbacks; the world swaps it per process incarnation. */
export type DiskTimers = Pick<Clock, "setTimer">;

export class SimDisk implements Disk {
  private options: DiskConfig;
  private readonly random: Random;
  private timers: DiskTimers;
  private readonly files = new Map<string, FileContent>();
  private readonly durable = new Map<string, DurableContent>();
  /** Per file, the call order of the fsync whose view is durable: an fsync that completes after a later-issued one (slow, or queued behind an append) must not roll the durable view back. */
  private readonly durableFsyncSeq = new Map<string, number>();
  private fsyncSeq = 0;
  /** target -> source of a rename not yet made durable by an fsync of target. */
  private readonly pendingRenames = new Map<string, string>();
  private usedBytes = 0;
  private failFsyncsRemaining = 0;
  /** This disk's arena for small appends (see `own`), and the offset of its free part. */
  private arena: ArrayBuffer | null = null;
  private arenaOffset = 0;
  readonly counts: DiskCounts = { appends: 0, fsyncs: 0, fsyncErrors: 0, enospc: 0, tornWrites: 0, corruptions: 0, crashes: 0 };

  constructor(options: DiskConfig, dependencies: { random: Random; timers: DiskTimers }) {
    this.options = { ...options };
    this.random = dependencies.random;
    this.timers = dependencies.timers;
  }

  get config(): Readonly<DiskConfig> {
    return this.options;
  }

  configure(options: DiskConfig): void {
    this.options = { ...options };
  }

  /** Routes completion callbacks through `timers` (a new process incarnation's clock). */
  attachTimers(timers: DiskTimers): void {
    this.timers = timers;
  }

  /** The next `count` fsyncs fail with EIO. */
  failNextFsyncs(count: number): void {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`failNextFsyncs: expected a non-negative integer, got ${count}`);
    this.failFsyncsRemaining = count;
  }

  get bytesUsed(): number {
    return this.usedBytes;
  }

  append(file: string, bytes: Uint8Array, callback: DiskCallback): void {
    this.complete(this.options.appendLatencyUs, callback, this.appendNow(file, bytes));
  }

  fsync(file: string, callback: DiskCallback): void {
    this.syncAfter(file, 0, callback);
  }

  /** `append` then `fsync` as one operation (one completion, after both latencies). */
  appendAndSync(file: string, bytes: Uint8Array, callback: DiskCallback): void {
    const failure = this.appendNow(file, bytes);
    if (failure !== null) return this.complete(this.options.appendLatencyUs, callback, failure);
    this.syncAfter(file, this.options.appendLatencyUs, callback);
  }

  /** The page-cache effect of an append, at once; the error it completes with, if any. */
  private appendNow(file: string, bytes: Uint8Array): DiskError | null {
    if (this.usedBytes + bytes.length > this.options.capacityBytes) {
      this.counts.enospc++;
      return error(
        "ENOSPC",
        `append ${file}: ${bytes.length} bytes exceed capacity ${this.options.capacityBytes} (used ${this.usedBytes})`,
      );
    }
    let content = this.files.get(file);
    if (content === undefined) {
      content = { chunks: new Chunks(), length: 0 };
      this.files.set(file, content);
    }
    // The disk takes ownership of `bytes` (Disk contract: the caller never changes them after).
    content.chunks.push(this.own(bytes));
    content.length += bytes.length;
    this.usedBytes += bytes.length;
    this.counts.appends++;
    return null;
  }

  /**
   * The chunk to keep for an append of `bytes`. Callers encode into views of a process-wide slab
   * (cells/raft/codec.ts), shared with messages and everything else encoded at the time: keeping
   * such a view would keep its whole 64 KiB slab alive for as long as the file holds the chunk
   * (until the WAL segment is compacted away), most of it dead bytes. A small chunk is copied into
   * this disk's own arena instead, which holds only this disk's chunks (freed in file order as
   * segments are removed); a large one that is a view of a bigger buffer gets a buffer of its own.
   * Copying changes no content, so the simulation is the same either way.
   */
  private own(bytes: Uint8Array): Uint8Array {
    if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes;
    if (bytes.length > DISK_ARENA_CARVED_BYTES_MAX) return bytes.slice();
    if (this.arena === null || this.arenaOffset + bytes.length > DISK_ARENA_BYTES) {
      this.arena = new ArrayBuffer(DISK_ARENA_BYTES);
      this.arenaOffset = 0;
    }
    const chunk = new Uint8Array(this.arena, this.arenaOffset, bytes.length);
    chunk.set(bytes);
    this.arenaOffset += bytes.length;
    return chunk;
  }

  /** An fsync issued now that completes `delayUs` plus its own latency later. */
  private syncAfter(file: string, delayUs: number, callback: DiskCallback): void {
    this.counts.fsyncs++;
    const content = this.files.get(file);
    const slow = this.random.chance(this.options.slowFsyncProbability);
    const latencyUs = delayUs + this.options.fsyncLatencyUs * (slow ? this.options.slowFsyncMultiplier : 1);
    if (content === undefined) {
      this.complete(latencyUs, callback, error("ENOENT", `fsync ${file}: no such file`));
      return;
    }
    const failing = this.failFsyncsRemaining > 0 || this.random.chance(this.options.fsyncErrorProbability);
    if (failing) {
      if (this.failFsyncsRemaining > 0) this.failFsyncsRemaining--;
      this.counts.fsyncErrors++;
      this.complete(latencyUs, callback, error("EIO", `fsync ${file}: I/O error`));
      return;
    }
    const snapshot: DurableContent = { chunks: content.chunks, count: content.chunks.count, length: content.length };
    const renamedFrom = this.pendingRenames.get(file);
    const seq = ++this.fsyncSeq;
    this.timers.setTimer(latencyUs, () => {
      if ((this.durableFsyncSeq.get(file) ?? 0) > seq) return callback(null);
      this.durableFsyncSeq.set(file, seq);
      this.durable.set(file, snapshot);
      if (renamedFrom !== undefined && this.pendingRenames.get(file) === renamedFrom) {
        this.pendingRenames.delete(file);
        if (!this.files.has(renamedFrom)) this.durable.delete(renamedFrom);
      }
      callback(null);
    });
  }

  read(file: string, callback: (error: DiskError | null, bytes: Uint8Array | null) => void): void {
    const content = this.files.get(file);
    const latencyUs = this.options.readLatencyUs;
    if (content === undefined) {
      this.timers.setTimer(latencyUs, () => callback(error("ENOENT", `read ${file}: no such file`), null));
      return;
    }
    const bytes = content.chunks.concat(content.chunks.count, content.length);
    this.timers.setTimer(latencyUs, () => callback(null, bytes));
  }

  truncate(file: string, length: number, callback: DiskCallback): void {
    const content = this.files.get(file);
    if (content === undefined) {
      this.complete(this.options.appendLatencyUs, callback, error("ENOENT", `truncate ${file}: no such file`));
      return;
    }
    if (!Number.isInteger(length) || length < 0)
      throw new RangeError(`truncate ${file}: length must be a non-negative integer, got ${length}`);
    if (length < content.length) {
      // A fresh list, so a durable view sharing the old one keeps its chunks.
      const chunks = new Chunks();
      let kept = 0;
      for (let index = 0; index < content.chunks.count && kept < length; index++) {
        const chunk = content.chunks.at(index) as Uint8Array;
        const take = Math.min(chunk.length, length - kept);
        chunks.push(take === chunk.length ? chunk : chunk.subarray(0, take));
        kept += take;
      }
      this.usedBytes -= content.length - length;
      content.chunks = chunks;
      content.length = length;
    }
    this.complete(this.options.appendLatencyUs, callback, null);
  }

  rename(source: string, target: string, callback: DiskCallback): void {
    const content = this.files.get(source);
    if (content === undefined) {
      this.complete(this.options.appendLatencyUs, callback, error("ENOENT", `rename ${source}: no such file`));
      return;
    }
    const replaced = this.files.get(target);
    if (replaced !== undefined) this.usedBytes -= replaced.length;
    this.files.delete(source);
    // A new array: the durable view of `source` (if any) must not see later appends to `target`.
    this.files.set(target, { chunks: content.chunks.slice(), length: content.length });
    this.pendingRenames.set(target, source);
    this.complete(this.options.appendLatencyUs, callback, null);
  }

  remove(file: string, callback: DiskCallback): void {
    const content = this.files.get(file);
    if (content === undefined) {
      this.complete(this.options.appendLatencyUs, callback, error("ENOENT", `remove ${file}: no such file`));
      return;
    }
    this.usedBytes -= content.length;
    this.files.delete(file);
    this.durable.delete(file);
    this.pendingRenames.delete(file);
    this.complete(this.options.appendLatencyUs, callback, null);
  }

  list(): string[] {
    return [...this.files.keys()].sort();
  }

  /** Power loss: every file reverts to its durable content, maybe plus a torn append. */
  crash(): void {
    this.counts.crashes++;
    const before = this.files;
    const after = new Map<string, FileContent>();
    let used = 0;
    for (const [name, durable] of [...this.durable.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const chunks = durable.chunks.slice(durable.count);
      let length = durable.length;
      const current = before.get(name);
      const next = current !== undefined && current.chunks === durable.chunks ? current.chunks.at(durable.count) : undefined;
      if (next !== undefined && next.length >= 2 && this.random.chance(this.options.tornWriteProbability)) {
        const kept = this.random.intBetween(1, next.length - 1);
        chunks.push(next.slice(0, kept));
        length += kept;
        this.counts.tornWrites++;
      }
      after.set(name, { chunks, length });
      // What survived a crash is on the platter: durable, and the base for the next torn write.
      this.durable.set(name, { chunks, count: chunks.count, length });
      used += length;
    }
    this.files.clear();
    for (const [name, content] of after) this.files.set(name, content);
    this.pendingRenames.clear();
    this.usedBytes = used;
  }

  /**
   * Flips one random bit of a durable byte of `file` (or of a random file holding durable
   * data). Returns what was flipped, or null if no durable byte exists.
   */
  corrupt(file?: string, random: Random = this.random): CorruptionReport | null {
    const candidates = file !== undefined ? [file] : [...this.durable.keys()].sort();
    const eligible = candidates.filter((name) => (this.durable.get(name)?.length ?? 0) > 0);
    if (eligible.length === 0) return null;
    const name = random.pick(eligible);
    const durable = this.durable.get(name) as DurableContent;
    const offset = random.intBetween(0, durable.length - 1);
    const bit = random.intBetween(0, 7);
    let start = 0;
    for (let index = 0; index < durable.count; index++) {
      const chunkLength = durable.chunks.lengthAt(index);
      if (offset < start + chunkLength) {
        // Replace the chunk rather than mutate it: its bytes may be shared (subarrays, the caller's view).
        const chunk = durable.chunks.at(index) as Uint8Array;
        const flipped = chunk.slice();
        flipped[offset - start] = (flipped[offset - start] as number) ^ (1 << bit);
        const current = this.files.get(name);
        if (current !== undefined && current.chunks !== durable.chunks && current.chunks.holds(index, chunk))
          current.chunks.set(index, flipped);
        durable.chunks.set(index, flipped);
        break;
      }
      start += chunkLength;
    }
    this.counts.corruptions++;
    return { file: name, offset, bit };
  }

  /** Durable bytes of a file (what a crash now would keep, before any torn tail). For tests and checkers. */
  durableBytes(file: string): Uint8Array | null {
    const durable = this.durable.get(file);
    return durable === undefined ? null : durable.chunks.concat(durable.count, durable.length);
  }

  /** Current bytes of a file, synchronously (page cache view). For tests and checkers. */
  peek(file: string): Uint8Array | null {
    const content = this.files.get(file);
    return content === undefined ? null : content.chunks.concat(content.chunks.count, content.length);
  }

  private complete(latencyUs: number, callback: DiskCallback, failure: DiskError | null): void {
    this.timers.setTimer(latencyUs, () => callback(failure));
  }
}

function error(code: DiskErrorCode, message: string): DiskError {
  return new SimDiskError(code, message);
}
