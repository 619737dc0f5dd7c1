// The Runtime: one running cluster of cells with its users, whichever way it runs. Two
// implementations: VirtualRuntime (runtime/virtual: the deterministic simulator) and LiveRuntime
// (runtime/live: OS processes, files, TCP through Toxiproxy). Drills (runtime/drill-runner.ts) and
// the checkers (harness/run-check.ts) run against this, never against a concrete runtime.
//
// Every duration and time here is in microseconds of the runtime's own clock. A method may answer
// at once (the virtual runtime runs its events synchronously) or later (live waits real time):
// callers await either (Awaitable).
import type { Cluster } from "../domain/cluster.js";
import type { CheckableRun } from "../harness/run-check.js";
import type { Op } from "../harness/history.js";
import type { LivenessObservations } from "../harness/checkers/liveness.js";

/** A liveness watch started at the final heal (runtime/virtual/liveness.ts). */
export interface LivenessWatchHandle {
  readonly healedAtUs: number;
  readonly boundUs: number;
  /** Every cell committed again and is routed to its leader: nothing left to wait for. */
  settled(): boolean;
  observations(): LivenessObservations;
}

export type Awaitable<T> = T | Promise<T>;

export interface Runtime extends CheckableRun {
  readonly seed: number;
  /** What the controller and chaos see and act on. */
  readonly cluster: Cluster;
  /** `firstIndex`: global index of history()[0] (a bounded history drops its oldest ops; stop conditions read it incrementally). */
  readonly recorder: CheckableRun["recorder"] & {
    readonly inflight: number;
    readonly firstIndex: number;
    /** Keep the ops from `fromUs` on past the history's retention bound (a drill's window); null releases it. `ops: false`: only the applied-event logs. */
    pin(fromUs: number | null, options?: { readonly ops?: boolean }): void;
    /** Every op as it is recorded (one listener; null removes it): a drill spooling its window. */
    tapOps(listener: ((op: Op) => void) | null): void;
    /** The ops held that were recorded at or after `timeUs` (a copy). */
    heldFrom(timeUs: number): Op[];
    /** Whether every op at or after `timeUs` is still held. */
    holdsSince(timeUs: number): boolean;
    /** `since(timeUs)` as of now, copied `sliceOps` ops per step (sim/workload/recorder.ts). */
    sinceSteps(timeUs: number, sliceOps: number): Generator<void, Op[], void>;
  };
  nowUs(): number;
  /**
   * Elects the first leaders, then hands each cell's leadership to its preferred region (the
   * placement an operator sets up before traffic), within `maxUs`. True when every cell ends led
   * from its preferred region.
   */
  settleLeaders(maxUs: number): Awaitable<boolean>;
  startWorkload(): void;
  /** Time passes until `atUs`: the virtual runtime delivers its events up to then, live waits. */
  runUntil(atUs: number): Awaitable<void>;
  /** Stops the arrivals and lets in-flight requests finish, for at most `maxUs`. */
  drain(maxUs: number): Awaitable<void>;
  /**
   * Starts watching liveness from now (call right after the final heal): when each cell commits again
   * and its users are routed to its leader, judged by harness/checkers/liveness.ts. Absent: this
   * runtime cannot watch it (the live runtime), and a drill's report says liveness was not judged.
   */
  watchLiveness?(boundUs: number): LivenessWatchHandle;
  /** Brings in everything the checkers read (live: fresh statuses and every replica's ledger). */
  collectFinalState(): Awaitable<void>;
  summary(): { readonly simulatedMs: number; readonly traceHash: string };
}
