// The narrow interfaces through which protocol code (cells/, and the decision logic of
// controller/ and chaos/) reaches the outside world. The virtual runtime implements them with
// the simulator (sim/world), the live runtime with real timers, sockets and files (runtime/live).
// Everything is callback-based, never Promise-based: the simulator delivers events
// synchronously from its scheduler, and a microtask queue would run outside virtual time.

import type { Random } from "./random.js";

export type { Random };

/** Opaque handle of a pending timer. */
export interface TimerHandle {
  readonly __timer: unique symbol;
}

export interface Clock {
  /** Monotonic time in integer microseconds since the runtime started. */
  nowUs(): number;
  /** Runs `callback` once after `delayUs` microseconds. */
  setTimer(delayUs: number, callback: () => void): TimerHandle;
  cancelTimer(handle: TimerHandle): void;
  /**
   * Runs `callback` soon, after I/O that is already waiting (live: setImmediate), so long work
   * can be cut into steps without starving sockets; without it, a timer of 0 µs (virtual time).
   */
  defer?(callback: () => void): void;
}

/** A message endpoint of one process. Messages are plain serializable data. */
export interface Transport<Message = unknown> {
  readonly self: string;
  /** Best-effort, unordered, may be lost or duplicated by the network. */
  send(target: string, message: Message, sizeBytes?: number): void;
  /** Installs the single receive handler (replaces any previous one). */
  onMessage(handler: (source: string, message: Message) => void): void;
}

export type DiskErrorCode = "EIO" | "ENOSPC" | "ENOENT" | "ECRASHED";

export interface DiskError {
  readonly code: DiskErrorCode;
  readonly message: string;
}

export type DiskCallback = (error: DiskError | null) => void;

/**
 * A host's disk as a flat namespace of append-only files. Writes land in a volatile cache until
 * `fsync`; a crash keeps only what was synced (the last unsynced write may be torn).
 */
export interface Disk {
  /**
   * Appends bytes to `file` (creating it). Not durable until `fsync(file)` succeeds. The disk
   * takes ownership of `bytes`: the caller must not change them afterwards (a real write may
   * still be in flight; the simulated disk keeps them as the file's content).
   */
  append(file: string, bytes: Uint8Array, callback: DiskCallback): void;
  /**
   * `append` followed by `fsync` of the same file as one operation: `callback(null)` means the
   * bytes (and everything written before them) are durable. Lets a WAL pay one completion per
   * record batch instead of two.
   */
  appendAndSync(file: string, bytes: Uint8Array, callback: DiskCallback): void;
  /** Makes every earlier append/truncate/rename of `file` durable. */
  fsync(file: string, callback: DiskCallback): void;
  /** Reads the whole current content of `file` (synced or not, as the OS page cache would). */
  read(file: string, callback: (error: DiskError | null, bytes: Uint8Array | null) => void): void;
  /** Truncates `file` to `length` bytes (durable after fsync). */
  truncate(file: string, length: number, callback: DiskCallback): void;
  /** Atomically replaces `target` by `source` (durable after fsync of `target`). */
  rename(source: string, target: string, callback: DiskCallback): void;
  remove(file: string, callback: DiskCallback): void;
  list(): string[];
}

export type LogLevel = "debug" | "info" | "warn" | "error";

/** Structured event log; implementations decide where it goes (trace, pino, nowhere). */
export interface Log {
  event(level: LogLevel, name: string, fields?: Record<string, unknown>): void;
}

export const silentLog: Log = { event() {} };
