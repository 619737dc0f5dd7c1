// A drill in the live runtime: the same Drill, FaultManager and DrillExecution as the virtual
// runner (chaos/drill/runner.ts), on a LiveWorld and real time: warm up until every cell has a
// leader, start the workload, run the steps, final heal, drain, let restarted replicas catch
// up, fetch the ledgers over the admin channel and judge the history with the same checkers.
import type { AvailabilityVerdict } from "../../harness/checkers/availability.js";
import { FaultManager } from "../../chaos/fault-manager.js";
import { DrillExecution } from "../../chaos/drill/execution.js";
import type { Drill } from "../../chaos/drill/format.js";
import { failureReasons, latencyPhases, summariseCheckers, type DrillOutcome, type DrillResult } from "../../chaos/drill/result.js";
import { checkRun, type CheckerName, type RunVerdicts } from "../virtual/check.js";
import type { WorldConfig } from "../world/config.js";
import { LiveWorld } from "./world.js";
import { scaleDrill } from "./drill-scale.js";

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
    const execution = new DrillExecution(drill, live.cluster, faults, null, `drill:${drill.name}`);
    live.startWorkload();
    await new Promise<void>((resolve) => execution.start(resolve));
    progress(`drill ${drill.name} ran ${drill.durationUs / 1e6} s; healing and draining`);
    faults.healAll();
    await live.faults.settled();
    await live.drain(options.drainMsMax ?? LIVE_DRILL_DRAIN_MS_MAX);
    await live.sleep(options.catchUpMs ?? LIVE_DRILL_CATCH_UP_MS);
    await live.pollStatuses();
    await live.collectFinalState();
    const verdicts = checkRun(live, { faultWindows: execution.windows, checkers: checkersToRun(drill), linearizableTimeoutMs: options.linearizableTimeoutMs ?? 20_000 });
    return {
      result: buildResult(drill, options.seed, live, execution, verdicts),
      verdicts,
      execution,
      history: live.recorder.history(),
      liveNotes: { errors: [...live.faults.errors], ignored: [...live.faults.ignored], unexpectedExits: [...live.faults.unexpectedExits] },
    };
  } finally {
    await live.close();
  }
}

function buildResult(drill: Drill, seed: number, live: LiveWorld, execution: DrillExecution, verdicts: RunVerdicts): DrillResult {
  const history = live.recorder.history();
  const touched = new Set(execution.windows.flatMap((window) => window.cells ?? []));
  const rtoMs: Record<string, number | null> = {};
  for (const [cell, rto] of Object.entries(verdicts.rtoMs)) if (touched.has(cell)) rtoMs[cell] = rto;
  const availability: Record<string, { duringErrorRate: number; duringOps: number }> = {};
  const availabilityVerdict = verdicts.checkers.availability as unknown as AvailabilityVerdict | undefined;
  for (const window of availabilityVerdict?.windows ?? []) {
    for (const cell of window.cells) {
      const previous = availability[cell.cell];
      if (previous === undefined || cell.during.errorRate > previous.duringErrorRate) availability[cell.cell] = { duringErrorRate: Math.round(cell.during.errorRate * 10_000) / 10_000, duringOps: cell.during.ops };
    }
  }
  const latency = latencyPhases(history, execution.windows, execution.startUs);
  const checkers = summariseCheckers(verdicts, live.invariantViolations());
  const steps = execution.steps;
  const reasons = execution.interruption === null ? failureReasons(drill, { rtoMs, lostAckedTransfers: verdicts.lostAckedTransfers, latency, checkers, steps }) : [execution.interruption];
  const outcome: DrillOutcome = execution.interruption !== null ? "INTERRUPTED" : reasons.length === 0 ? "SUCCEEDED" : "FAILED";
  const summary = live.summary();
  return {
    drill: drill.name,
    seed,
    outcome,
    rtoMs,
    lostAckedTransfers: verdicts.lostAckedTransfers,
    availability,
    latency,
    checkers,
    faults: execution.windows.map((window) => ({ id: window.id, type: window.kind, startMs: (window.startUs - execution.startUs) / 1000, endMs: (window.endUs - execution.startUs) / 1000, cells: window.cells ?? [] })),
    steps,
    replicasNotUp: live.cluster
      .cells()
      .flatMap((cell) => cell.replicas)
      .filter((replica) => replica.state !== "up" && replica.state !== "lagging")
      .map((replica) => ({ replica: replica.id, state: replica.state })),
    operations: history.length,
    simulatedMs: summary.simulatedMs,
    traceHash: summary.traceHash,
    reasons,
  };
}
