// A drill in the live runtime: a LiveRuntime started for it, then the same runner as the virtual
// runtime (runtime/drill-runner.ts) with real-time timings: warm up (leaders to their preferred
// regions), start the workload, run the steps, final heal, drain, let restarted replicas catch up,
// fetch the ledgers over the admin channel and judge the history with the same checkers.
import type { DrillExecution } from "../../chaos/drill/execution.js";
import type { Drill } from "../../chaos/drill/format.js";
import type { DrillResult } from "../../chaos/drill/result.js";
import { runDrillOn } from "../drill-runner.js";
import type { RunVerdicts } from "../../harness/run-check.js";
import type { WorldConfig } from "../../domain/config.js";
import { LiveRuntime } from "./runtime.js";
import { scaleDrill } from "./drill-scale.js";
import { writeDrillTimelineIfAsked } from "./timeline.js";

export interface LiveDrillOptions {
  readonly seed: number;
  readonly config?: WorldConfig;
  readonly cellCount?: number;
  /** Multiplies every time of the drill's timeline (0.5: a 90 s drill runs in 45 s). */
  readonly timeScale?: number;
  readonly warmupMsMax?: number;
  readonly drainMsMax?: number;
  /** After draining: time for restarted replicas to catch up before replicas are compared. */
  readonly catchUpMs?: number;
  readonly linearizableTimeoutMs?: number;
  readonly dataDir?: string;
  readonly progress?: (line: string) => void;
  /** Called every LIVE_DRILL_PROGRESS_MS while the drill's timeline runs (a progress line). */
  readonly onProgress?: (doneUs: number, totalUs: number) => void;
}

export const LIVE_DRILL_PROGRESS_MS = 500;

export interface LiveDrillOutput {
  readonly result: DrillResult;
  readonly verdicts: RunVerdicts;
  readonly execution: DrillExecution;
  readonly history: ReturnType<LiveRuntime["recorder"]["history"]>;
  /** Fault operations that failed or were approximated in the live runtime. */
  readonly liveNotes: {
    readonly errors: readonly string[];
    readonly ignored: readonly string[];
    readonly unexpectedExits: readonly string[];
  };
}

export const LIVE_DRILL_WARMUP_MS_MAX = 30_000;
export const LIVE_DRILL_DRAIN_MS_MAX = 30_000;
export const LIVE_DRILL_CATCH_UP_MS = 5_000;
export const LIVE_DRILL_SETTLE_MS = 2_000;

export async function runLiveDrill(original: Drill, options: LiveDrillOptions): Promise<LiveDrillOutput> {
  const drill = scaleDrill(original, options.timeScale ?? 1);
  const progress = options.progress ?? (() => undefined);
  const workload = drill.workload;
  const live = await LiveRuntime.start({
    seed: options.seed,
    ...(options.config ? { config: options.config } : {}),
    ...(options.cellCount !== undefined ? { cellCount: options.cellCount } : {}),
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
    workload: {
      profile: workload.profile,
      opsPerSecond: workload.opsPerSecond,
      ...(workload.readFraction !== undefined ? { readFraction: workload.readFraction } : {}),
      ...(workload.crossCellRatio !== undefined ? { crossCellRatio: workload.crossCellRatio } : {}),
      depositFraction: 0,
    },
  });
  try {
    progress(`live world up: ${live.processes.size} replica processes, ${live.mesh?.names().length ?? 0} proxies`);
    const output = await runDrillOn(live, drill, {
      timings: {
        warmupUsMax: (options.warmupMsMax ?? LIVE_DRILL_WARMUP_MS_MAX) * 1000,
        settleUs: LIVE_DRILL_SETTLE_MS * 1000,
        leadersRequired: true,
        drainUsMax: (options.drainMsMax ?? LIVE_DRILL_DRAIN_MS_MAX) * 1000,
        catchUpUs: (options.catchUpMs ?? LIVE_DRILL_CATCH_UP_MS) * 1000,
        progressSliceUs: LIVE_DRILL_PROGRESS_MS * 1000,
      },
      linearizableTimeoutMs: options.linearizableTimeoutMs ?? 20_000,
      onProgress: (doneUs, totalUs) => {
        options.onProgress?.(doneUs, totalUs);
        if (doneUs === totalUs) progress(`drill ${drill.name} ran ${drill.durationUs / 1e6} s; healing and draining`);
      },
    });
    const { result, verdicts, execution } = output;
    writeDrillTimelineIfAsked(live, execution.windows, { drill: drill.name, seed: options.seed, rtoMs: result.rtoMs });
    return {
      result,
      verdicts,
      execution,
      history: live.recorder.history(),
      liveNotes: { errors: [...live.faults.errors], ignored: [...live.faults.ignored], unexpectedExits: [...live.faults.unexpectedExits] },
    };
  } finally {
    await live.close();
  }
}
