// A drill in the live runtime: the same Drill, FaultManager and DrillExecution as the virtual
// runner (chaos/drill/runner.ts), on a LiveWorld and real time: warm up until every cell has a
// leader, start the workload, run the steps, final heal, drain, let restarted replicas catch
// up, fetch the ledgers over the admin channel and judge the history with the same checkers.
import { FaultManager } from "../../chaos/fault-manager.js";
import { DrillExecution } from "../../chaos/drill/execution.js";
import type { Drill } from "../../chaos/drill/format.js";
import type { DrillResult } from "../../chaos/drill/result.js";
import { buildDrillResult } from "../../chaos/drill/runner.js";
import { checkRun, type CheckerName, type RunVerdicts } from "../virtual/check.js";
import type { WorldConfig } from "../world/config.js";
import { LiveWorld } from "./world.js";
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
}

export interface LiveDrillOutput {
  readonly result: DrillResult;
  readonly verdicts: RunVerdicts;
  readonly execution: DrillExecution;
  readonly history: ReturnType<LiveWorld["recorder"]["history"]>;
  /** Fault operations that failed or were approximated in the live runtime. */
  readonly liveNotes: { readonly errors: readonly string[]; readonly ignored: readonly string[]; readonly unexpectedExits: readonly string[] };
}

export const LIVE_DRILL_WARMUP_MS_MAX = 30_000;
export const LIVE_DRILL_DRAIN_MS_MAX = 30_000;
export const LIVE_DRILL_CATCH_UP_MS = 5_000;
export const LIVE_DRILL_SETTLE_MS = 2_000;

function checkersToRun(drill: Drill): CheckerName[] {
  const wanted = new Set<string>([...drill.expect.checkers, "durability", "availability"]);
  return (["linearizable", "bank", "durability", "replica-agreement", "availability"] as const).filter((name) => wanted.has(name));
}

export async function runLiveDrill(original: Drill, options: LiveDrillOptions): Promise<LiveDrillOutput> {
  const drill = scaleDrill(original, options.timeScale ?? 1);
  const progress = options.progress ?? (() => undefined);
  const workload = drill.workload;
  const live = await LiveWorld.start({
    seed: options.seed,
    ...(options.config ? { config: options.config } : {}),
    ...(options.cellCount !== undefined ? { cellCount: options.cellCount } : {}),
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
    workload: { profile: workload.profile, opsPerSecond: workload.opsPerSecond, ...(workload.readFraction !== undefined ? { readFraction: workload.readFraction } : {}), depositFraction: 0 },
  });
  try {
    progress(`live world up: ${live.processes.size} replica processes, ${live.mesh?.names().length ?? 0} proxies`);
    if (!(await live.awaitLeaders(options.warmupMsMax ?? LIVE_DRILL_WARMUP_MS_MAX))) throw new Error("not every cell elected a leader during the warm-up");
    // The boot of every process is the busiest moment of a run: let it pass before users arrive.
    await live.sleep(LIVE_DRILL_SETTLE_MS);
    const faults = new FaultManager(live.cluster);
    // A breached stop condition ends the drill early (ABORTED): the wait below ends with it.
    let endedEarly: () => void = () => undefined;
    const execution = new DrillExecution(drill, live.cluster, faults, null, `drill:${drill.name}`, () => endedEarly(), { world: { recorder: live.recorder, cluster: live.cluster } });
    live.startWorkload();
    await new Promise<void>((resolve) => {
      endedEarly = resolve;
      execution.start(resolve);
    });
    progress(`drill ${drill.name} ran ${drill.durationUs / 1e6} s; healing and draining`);
    faults.healAll();
    await live.faults.settled();
    await live.drain(options.drainMsMax ?? LIVE_DRILL_DRAIN_MS_MAX);
    await live.sleep(options.catchUpMs ?? LIVE_DRILL_CATCH_UP_MS);
    await live.pollStatuses();
    await live.collectFinalState();
    const verdicts = checkRun(live, { faultWindows: execution.windows, checkers: checkersToRun(drill), linearizableTimeoutMs: options.linearizableTimeoutMs ?? 20_000 });
    const result = buildDrillResult(drill, options.seed, live, execution, verdicts);
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
