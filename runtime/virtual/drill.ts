// A drill in the virtual runtime: a fresh VirtualRuntime from the seed, then the shared runner
// (runtime/drill-runner.ts). Deterministic: the same seed and commit give the same result bytes.
import type { Drill } from "../../chaos/drill/format.js";
import type { DrillController } from "../../chaos/drill/execution.js";
import type { WorldConfig } from "../../domain/config.js";
import { runDrillOn, VIRTUAL_DRILL_TIMINGS, type DrillOnOutput, type OnlineLostCount } from "../drill-runner.js";
import { VirtualRuntime } from "./runtime.js";
import type { LogSink } from "../../sim/world/world.js";
import { elasticStandIn } from "./elastic-stand-in.js";

export interface RunDrillOptions {
  readonly seed: number;
  readonly config?: WorldConfig;
  readonly controller?: DrillController;
  readonly linearizableTimeoutMs?: number;
  /** Called after each simulated second of the drill's timeline (a progress line; reads only). */
  readonly onProgress?: (doneUs: number, totalUs: number) => void;
  /** An online count of lost acknowledged transfers, for the lostAckedTransfersMax stop condition (the CLI passes the controller's). */
  readonly onlineLostCount?: (virtual: VirtualRuntime) => OnlineLostCount;
  /** The simulated processes' structured logs (tests follow a replica's repair here). */
  readonly worldLog?: LogSink;
}

export interface DrillRunOutput extends DrillOnOutput {
  readonly virtual: VirtualRuntime;
}

/** Runs the drill in a fresh runtime built from the seed, to the end (no real time passes). */
export async function runDrill(drill: Drill, options: RunDrillOptions): Promise<DrillRunOutput> {
  const workload = drill.workload;
  // No deposits or withdrawals: each cell's money is then constant and the bank checker exact.
  const virtual = new VirtualRuntime({
    seed: options.seed,
    ...(options.config ? { config: options.config } : {}),
    ...(options.worldLog !== undefined ? { worldLog: options.worldLog } : {}),
    workload: {
      profile: workload.profile,
      opsPerSecond: workload.opsPerSecond,
      ...(workload.readFraction !== undefined ? { readFraction: workload.readFraction } : {}),
      ...(workload.crossCellRatio !== undefined ? { crossCellRatio: workload.crossCellRatio } : {}),
      depositFraction: 0,
    },
  });
  const output = await runDrillOn(virtual, drill, {
    timings: VIRTUAL_DRILL_TIMINGS,
    ...(options.controller !== undefined ? { controller: options.controller } : {}),
    elastic: (_runtime, note) => elasticStandIn(virtual, drill.scaleOut, note),
    ...(options.linearizableTimeoutMs !== undefined ? { linearizableTimeoutMs: options.linearizableTimeoutMs } : {}),
    ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
    ...(options.onlineLostCount !== undefined
      ? { onlineLostCount: () => (options.onlineLostCount as (virtual: VirtualRuntime) => OnlineLostCount)(virtual) }
      : {}),
  });
  return { ...output, virtual };
}
