// Stop conditions (AWS FIS stop conditions, Chaos Mesh StatusCheck, Gremlin health checks): while
// a drill runs, health is measured over a sliding window and, the moment a limit is breached, the
// drill heals its faults and ends ABORTED with `stoppedBy`. A drill that hurts users more than the
// owner agreed to must stop by itself, not wait for its planned end.
//
// Measured from the history the workload records (every user operation with its outcome), read
// incrementally with a cursor, and from the cells' views (a cell without a reachable quorum and a
// leader is unavailable). Lost acknowledged transfers come from an online check when the runtime
// has one (the controller's; `null` otherwise, and then that condition cannot trip).
import type { Op } from "../../harness/history.js";
import type { CellView } from "../../domain/cluster.js";
import type { Clock, TimerHandle } from "../../ground/ports.js";

export const STOP_CONDITION_NAMES = ["errorRateMax", "p99MsMax", "lostAckedTransfersMax", "unavailableMsMax"] as const;
export type StopConditionName = (typeof STOP_CONDITION_NAMES)[number];

export interface StopConditions {
  readonly errorRateMax: number | null;
  readonly p99MsMax: number | null;
  readonly lostAckedTransfersMax: number | null;
  readonly unavailableMsMax: number | null;
  /** Width of the sliding window errorRateMax and p99MsMax are measured over. */
  readonly windowUs: number;
}

export interface StoppedBy {
  readonly condition: StopConditionName;
  /** The measured figure that breached the limit. */
  readonly value: number;
  readonly limit: number;
  /** Drill time (ms since the drill started) of the breach. */
  readonly atMs: number;
}

/** What the monitor reads of the world. */
export interface StopProbeWorld {
  readonly recorder: { history(): readonly Op[]; readonly firstIndex: number };
  readonly cluster: { readonly clock: Clock; cells(): readonly CellView[] };
  /** Acknowledged transfers missing from their cell, or null where nothing checks it online. */
  lostAckedTransfers?(): number | null;
}

export const STOP_WINDOW_US_DEFAULT = 5_000_000;
export const STOP_CHECK_PERIOD_US = 250_000;
/** Below this many completed operations in the window, errorRateMax and p99MsMax are not judged: one slow request is not a trend. */
export const STOP_WINDOW_OPS_MIN = 20;
/** Bound on the samples the window holds (at most this many completions are judged). */
export const STOP_WINDOW_SAMPLES_MAX = 200_000;
/** Bound on invocations waiting for their completion. */
export const STOP_OPEN_INVOKES_MAX = 200_000;
/** Bound on history operations read per check (the rest waits for the next one). */
export const STOP_HISTORY_OPS_PER_CHECK_MAX = 100_000;

interface Sample {
  readonly completedUs: number;
  readonly ok: boolean;
  readonly latencyUs: number;
}

/** Raw figures over the window ending now: what the conditions are judged against. */
export interface WindowFigures {
  readonly ops: number;
  readonly errorRate: number;
  readonly p99Ms: number | null;
  /** Longest current stretch any cell has had no reachable quorum or no leader. */
  readonly unavailableMs: number;
  readonly lostAckedTransfers: number | null;
}

export class StopMonitor {
  private cursor: number;
  private readonly invoked = new Map<Op["process"], number>();
  private readonly samples: Sample[] = [];
  private sampleHead = 0;
  private readonly unavailableSinceUs = new Map<string, number>();
  private timer: TimerHandle | null = null;
  private lostAtStart: number | null = null;
  stoppedBy: StoppedBy | null = null;

  constructor(
    private readonly conditions: StopConditions,
    private readonly world: StopProbeWorld,
    private readonly startedUs: number,
    private readonly onBreach: (stoppedBy: StoppedBy) => void,
  ) {
    const recorder = world.recorder;
    this.cursor = recorder.firstIndex + recorder.history().length;
  }

  start(): void {
    this.lostAtStart = this.world.lostAckedTransfers?.() ?? null;
    const clock = this.world.cluster.clock;
    const tick = (): void => {
      this.timer = null;
      if (this.check() !== null) return;
      this.timer = clock.setTimer(STOP_CHECK_PERIOD_US, tick);
    };
    this.timer = clock.setTimer(STOP_CHECK_PERIOD_US, tick);
  }

  stop(): void {
    if (this.timer !== null) this.world.cluster.clock.cancelTimer(this.timer);
    this.timer = null;
  }

  /** Reads what happened since the last check and judges every condition; the first breach wins. */
  check(): StoppedBy | null {
    if (this.stoppedBy !== null) return this.stoppedBy;
    const figures = this.figures();
    const nowUs = this.world.cluster.clock.nowUs();
    const { conditions } = this;
    const judged = figures.ops >= STOP_WINDOW_OPS_MIN;
    const breaches: [StopConditionName, number, number | null][] = [
      [
        "lostAckedTransfersMax",
        figures.lostAckedTransfers ?? 0,
        figures.lostAckedTransfers === null ? null : conditions.lostAckedTransfersMax,
      ],
      ["unavailableMsMax", figures.unavailableMs, conditions.unavailableMsMax],
      ["errorRateMax", figures.errorRate, judged ? conditions.errorRateMax : null],
      ["p99MsMax", figures.p99Ms ?? 0, judged && figures.p99Ms !== null ? conditions.p99MsMax : null],
    ];
    for (const [condition, value, limit] of breaches) {
      if (limit === null || value <= limit) continue;
      this.stoppedBy = { condition, value, limit, atMs: Math.round((nowUs - this.startedUs) / 1000) };
      this.stop();
      this.onBreach(this.stoppedBy);
      return this.stoppedBy;
    }
    return null;
  }

  figures(): WindowFigures {
    const nowUs = this.world.cluster.clock.nowUs();
    this.read();
    const fromUs = nowUs - this.conditions.windowUs;
    while (this.sampleHead < this.samples.length && (this.samples[this.sampleHead] as Sample).completedUs < fromUs) this.sampleHead++;
    if (this.sampleHead > 4096 && this.sampleHead * 2 > this.samples.length) {
      this.samples.splice(0, this.sampleHead);
      this.sampleHead = 0;
    }
    let errors = 0;
    const latencies: number[] = [];
    for (let index = this.sampleHead; index < this.samples.length; index++) {
      const sample = this.samples[index] as Sample;
      if (sample.ok) latencies.push(sample.latencyUs);
      else errors++;
    }
    const ops = this.samples.length - this.sampleHead;
    latencies.sort((a, b) => a - b);
    const p99Us =
      latencies.length === 0 ? null : (latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * 0.99) - 1)] as number);
    let unavailableMs = 0;
    for (const cell of this.world.cluster.cells()) {
      const down = !cell.quorumAvailable || cell.leader === null;
      if (!down) {
        this.unavailableSinceUs.delete(cell.id);
        continue;
      }
      const sinceUs = this.unavailableSinceUs.get(cell.id) ?? nowUs;
      this.unavailableSinceUs.set(cell.id, sinceUs);
      unavailableMs = Math.max(unavailableMs, (nowUs - sinceUs) / 1000);
    }
    const lostNow = this.world.lostAckedTransfers?.() ?? null;
    return {
      ops,
      errorRate: ops === 0 ? 0 : Math.round((errors / ops) * 10_000) / 10_000,
      p99Ms: p99Us === null ? null : Math.round(p99Us) / 1000,
      unavailableMs,
      lostAckedTransfers: lostNow === null ? null : lostNow - (this.lostAtStart ?? 0),
    };
  }

  private read(): void {
    const recorder = this.world.recorder;
    const history = recorder.history();
    // Old operations may have been dropped (a bounded history): skip what is gone.
    let position = Math.max(0, this.cursor - recorder.firstIndex);
    const end = Math.min(history.length, position + STOP_HISTORY_OPS_PER_CHECK_MAX);
    for (; position < end; position++) {
      const op = history[position] as Op;
      if (op.f === "open" || op.process === "nemesis") continue;
      if (op.type === "invoke") {
        if (this.invoked.size < STOP_OPEN_INVOKES_MAX) this.invoked.set(op.process, op.time ?? 0);
        continue;
      }
      const invokedUs = this.invoked.get(op.process);
      if (invokedUs === undefined) continue;
      this.invoked.delete(op.process);
      if (this.samples.length - this.sampleHead >= STOP_WINDOW_SAMPLES_MAX) continue;
      this.samples.push({ completedUs: op.time ?? 0, ok: op.type === "ok", latencyUs: (op.time ?? 0) - invokedUs });
    }
    this.cursor = recorder.firstIndex + position;
  }
}

/** "p99MsMax 312 ms > 1 ms at 4250 ms": one line for the reasons and the report. */
export function describeStop(stoppedBy: StoppedBy): string {
  const unit = stoppedBy.condition === "errorRateMax" ? "" : stoppedBy.condition === "lostAckedTransfersMax" ? " transfers" : " ms";
  return `stopped by ${stoppedBy.condition}: measured ${stoppedBy.value}${unit} > ${stoppedBy.limit}${unit} at ${stoppedBy.atMs} ms of drill time; faults healed at once`;
}
