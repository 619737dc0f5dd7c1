// Records every client operation as a Jepsen history (harness/history.ts): an `invoke` when the
// client sends, then `ok` (took effect), `fail` (did not) or `info` (unknown: timed out). A process
// is one logical client thread: at most one operation in flight; after an `info` its id is
// retired and the client continues under a fresh one, as in Jepsen.

import type { Op, OpType } from "../../harness/history.js";
import type { Json } from "../../harness/json.js";

export class HistoryRecorder {
  private readonly ops: Op[] = [];
  private readonly idle: number[] = [];
  private nextProcess = 0;
  private openCount = 0;

  constructor(private readonly opsMax = 5_000_000) {}

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

  private push(process: number | string, type: OpType, f: string, value: Json, time: number): void {
    if (this.ops.length >= this.opsMax) throw new Error(`history: more than opsMax=${this.opsMax} operations`);
    this.ops.push({ process, type, f, value, time, index: this.ops.length });
  }
}
