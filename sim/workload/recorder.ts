// Records every client operation as a Jepsen history (harness/history.ts): an `invoke` when the
// client sends, then `ok` (took effect), `fail` (did not) or `info` (unknown: timed out). A process
// is one logical client thread: at most one operation in flight; after an `info` its id is
// retired and the client continues under a fresh one, as in Jepsen.

import type { Op, OpType } from "../../harness/history.js";
import type { Json } from "../../ground/json.js";
import { smallIntegerIfExact } from "../../ground/small-integer.js";

/**
 * How much of its history a world that runs indefinitely (`ldc start`) keeps. Ops invoked at or
 * after a pin (`HistoryRecorder.pin`, a drill checking its window) are kept past both bounds until
 * the history holds `pinnedOpsMax`. Op indexes stay global.
 */
export interface HistoryRetention {
  /**
   * Ops older than this behind the newest op go (a chunk at a time): what is read back from a
   * running world's history is a time window (a drill's lead, a rehearsal's measured outcome).
   * Absent: only `opsMax` bounds the history.
   */
  readonly durationUs?: number;
  /** At most this many ops: past it the oldest quarter goes, however recent (a load so high that durationUs holds more). */
  readonly opsMax: number;
  /** How far a pinned window may grow the history (default 4 x opsMax). */
  readonly pinnedOpsMax?: number;
}

/** Ops older than the retention's duration are dropped once there are at least this many of them (amortises the copy). */
export const HISTORY_DROP_CHUNK_OPS = 4_096;

export class HistoryRecorder {
  private readonly ops: Op[] = [];
  private readonly idle: number[] = [];
  private nextProcess = 0;
  private openCount = 0;
  private dropped = 0;
  /** Time of the newest dropped op (-1: none dropped). */
  private droppedThroughUs = -1;
  /** Ops at or after this time are kept past the retention (a drill checking its window). */
  private pinnedFromUs: number | null = null;
  private readonly pinnedOpsMax: number;
  /** History length at which the next look for ops older than the retention's duration is due. */
  private nextAgeCheckLength = HISTORY_DROP_CHUNK_OPS;

  /**
   * Without `retention` the history is complete and `opsMax` is a hard limit (a run that ends and
   * is checked whole). `onPin` is told of every pin and release (the virtual runtime pins its
   * applied-event logs with the history).
   */
  constructor(
    private readonly opsMax = 5_000_000,
    private readonly retention?: HistoryRetention,
    private readonly onPin?: (fromUs: number | null) => void,
  ) {
    this.pinnedOpsMax = retention === undefined ? opsMax : (retention.pinnedOpsMax ?? retention.opsMax * 4);
  }

  /** Sees every op as it is recorded (a drill spooling its window to disk: runtime/drill-spool.ts); null: none. */
  private tap: ((op: Op) => void) | null = null;

  /**
   * Keeps the ops from `fromUs` on past the retention (up to pinnedOpsMax); null releases the pin.
   * `ops: false`: only what `onPin` keeps (the applied-event logs) is pinned; the ops go on being
   * dropped by the retention (their window is spooled through `tapOps`).
   */
  pin(fromUs: number | null, options: { readonly ops?: boolean } = {}): void {
    this.pinnedFromUs = options.ops === false ? null : fromUs;
    this.onPin?.(fromUs);
  }

  /** Calls `listener` with every op recorded from now on (one listener; null removes it). */
  tapOps(listener: ((op: Op) => void) | null): void {
    if (listener !== null && this.tap !== null) throw new Error("history: ops are already tapped");
    this.tap = listener;
  }

  /** The ops held that were recorded at or after `timeUs`, a copy (with tapOps: the window so far). */
  heldFrom(timeUs: number): Op[] {
    return this.ops.slice(this.countBefore(timeUs));
  }

  /** Whether every op at or after `timeUs` is still held (nothing that recent was dropped). */
  holdsSince(timeUs: number): boolean {
    return this.droppedThroughUs < timeUs;
  }

  /** Global index of history()[0] (0 unless old operations were dropped). */
  get firstIndex(): number {
    return this.dropped;
  }

  get length(): number {
    return this.ops.length;
  }
  /** Operations invoked and not yet completed. */
  get inflight(): number {
    return this.openCount;
  }

  history(): readonly Op[] {
    return this.ops;
  }

  /**
   * The operations invoked at or after `timeUs`, with their completions: a self-contained
   * history for checking a window of a long run (a drill in the running world).
   */
  since(timeUs: number): Op[] {
    const steps = this.sinceSteps(timeUs, Number.POSITIVE_INFINITY);
    for (;;) {
      const next = steps.next();
      if (next.done === true) return next.value;
    }
  }

  /**
   * `since(timeUs)` as of now, copied a slice of `sliceOps` ops per step (a drill's window is up
   * to a million ops: one copy was a single 300 ms turn of the event loop that serves the API).
   * Ops recorded after this call are not in it, whenever the steps run; those it covers must
   * still be held when a step reaches them (keep them pinned: `pin`), or it throws.
   */
  sinceSteps(timeUs: number, sliceOps: number): Generator<void, Op[], void> {
    // Times never decrease: ops before this index are before timeUs (neither invoked in the window nor its completions).
    const startIndex = this.dropped + this.countBefore(timeUs);
    const endIndex = this.dropped + this.ops.length;
    return this.copyWindow(timeUs, startIndex, endIndex, sliceOps);
  }

  private *copyWindow(timeUs: number, startIndex: number, endIndex: number, sliceOps: number): Generator<void, Op[], void> {
    const filter = new WindowFilter(timeUs);
    const out: Op[] = [];
    for (let index = startIndex; index < endIndex;) {
      if (index < this.dropped) throw new Error(`history: ops from index ${index} were dropped while their window was being copied`);
      const sliceEnd = Math.min(endIndex, index + sliceOps);
      for (; index < sliceEnd; index++) {
        const op = this.ops[index - this.dropped] as Op;
        if (filter.keeps(op)) out.push(op);
      }
      if (index < endIndex) yield;
    }
    return out;
  }

  /** Takes an idle process (or a fresh one) and records its invocation. */
  invoke(f: string, value: Json, timeUs: number): number {
    const process = this.idle.length > 0 ? (this.idle.pop() as number) : this.nextProcess++;
    this.push(process, "invoke", f, value, timeUs);
    this.openCount++;
    return process;
  }

  complete(process: number, type: Exclude<OpType, "invoke">, f: string, value: Json, timeUs: number): void {
    this.push(process, type, f, value, timeUs);
    this.openCount--;
    if (type !== "info") this.idle.push(process);
  }

  /** A nemesis or operator event in the history (process "nemesis", type info). */
  note(f: string, value: Json, timeUs: number): void {
    this.push("nemesis", "info", f, value, timeUs);
  }

  /** Ops recorded before `timeUs` (times never decrease: the clock is monotonic). */
  private countBefore(timeUs: number): number {
    let low = 0;
    let high = this.ops.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (((this.ops[middle] as Op).time ?? 0) < timeUs) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private push(process: number | string, type: OpType, f: string, value: Json, time: number): void {
    if (this.retention !== undefined) this.dropOld(this.retention, time);
    if (this.ops.length >= this.opsMax) throw new Error(`history: more than opsMax=${this.opsMax} operations`);
    // A time as a small integer: as a heap number it was boxed in every op (16 bytes each).
    const op: Op = { process, type, f, value, time: smallIntegerIfExact(time), index: this.dropped + this.ops.length };
    this.ops.push(op);
    this.tap?.(op);
  }

  /** Drops what the retention no longer keeps, before an op recorded at `nowUs` joins. */
  private dropOld(retention: HistoryRetention, nowUs: number): void {
    let drop = 0;
    if (this.ops.length >= retention.opsMax) drop = Math.ceil(this.ops.length / 4);
    else if (retention.durationUs !== undefined && this.ops.length >= this.nextAgeCheckLength) {
      const aged = this.countBefore(nowUs - retention.durationUs);
      if (aged >= HISTORY_DROP_CHUNK_OPS) drop = aged;
    } else return;
    if (this.pinnedFromUs !== null && this.ops.length < this.pinnedOpsMax) drop = Math.min(drop, this.countBefore(this.pinnedFromUs));
    if (drop > 0) {
      this.droppedThroughUs = Math.max(this.droppedThroughUs, this.ops[drop - 1]?.time ?? 0);
      this.ops.splice(0, drop);
      this.dropped += drop;
    }
    this.nextAgeCheckLength = this.ops.length + HISTORY_DROP_CHUNK_OPS;
  }
}

/**
 * The window of a history from `timeUs` (HistoryRecorder.since), fed op by op in history order:
 * the operations invoked at or after it with their completions, and the nemesis notes from then
 * on. A completion whose invocation came before is left out (its pair is not in the window).
 */
export class WindowFilter {
  private readonly open = new Set<number | string>();

  constructor(private readonly fromUs: number) {}

  keeps(op: Op): boolean {
    if (op.type === "invoke") {
      if ((op.time ?? 0) < this.fromUs) return false;
      this.open.add(op.process);
      return true;
    }
    if (op.process === "nemesis") return (op.time ?? 0) >= this.fromUs;
    return this.open.delete(op.process);
  }
}
