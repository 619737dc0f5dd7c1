// A drill in the live runtime: a live controller world started for it as `ldc start --runtime live`
// starts one (runtime/live/controller-setup.ts: the replica processes, the control group's five
// processes, the controller with its gate and fault leases), then the same runner as the virtual
// runtime (runtime/drill-runner.ts) with real-time timings: warm up (leaders to their preferred
// regions), start the workload, run the steps, final heal, drain, let restarted replicas catch up,
// fetch the ledgers over the admin channel and judge the history with the same checkers.
//
// Through the control group, as in the virtual runtime's controller drills (runtime/control-drill.ts):
// the drill's faults are injected through the controller's fault manager (each recorded in the
// control log with its lease, renewed by the control leader), its buttons are pressed through the
// gate, the controller's routing versions and audit entries are shipped to the log, and the result
// carries the control plane's figures (audit RPO included). Users go straight to their cell's
// leader region (the runtime's direct sink), as before the control group: the drill measures the
// cells, not the gateways.
import type { DrillExecution } from "../../chaos/drill/execution.js";
import type { Drill } from "../../chaos/drill/format.js";
import type { DrillResult } from "../../chaos/drill/result.js";
import { runDrillOn } from "../drill-runner.js";
import type { RunVerdicts } from "../../harness/run-check.js";
import { defaultWorldConfig, type WorldConfig } from "../../domain/config.js";
import type { LiveRuntime } from "./runtime.js";
import { scaleDrill } from "./drill-scale.js";
import { writeDrillTimelineIfAsked } from "./timeline.js";
import { setupLiveController, type LiveControllerSetup } from "./controller-setup.js";
import type { LiveControlOptions } from "./control-plane.js";
import { CONTROL_DRILL_AUDIT_PROBES, gatedPresses, pressAuditProbe, withControlPlaneFigures } from "../control-drill.js";
import type { ControlPlaneStatus } from "../../controller/control/plane.js";
import type { GatedPress } from "../../controller/control/drill-controller.js";
import type { LiveControlState } from "./control-status.js";

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
  /** The control group (default 2 + 2 + 1); false: none, the drill's buttons go straight to the controller. */
  readonly controlPlane?: LiveControlOptions | false;
}

export const LIVE_DRILL_PROGRESS_MS = 500;
/** After the final heal: how long the controller's last audit entries have to reach the control log before the RPO is judged. */
export const LIVE_DRILL_SHIP_MS_MAX = 5_000;

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
  /** What the control leader's state machine held once the drill was judged (null: no control group, or no leader answered). */
  readonly controlState: LiveControlState | null;
}

export const LIVE_DRILL_WARMUP_MS_MAX = 30_000;
export const LIVE_DRILL_DRAIN_MS_MAX = 30_000;
export const LIVE_DRILL_CATCH_UP_MS = 5_000;
export const LIVE_DRILL_SETTLE_MS = 2_000;

export async function runLiveDrill(original: Drill, options: LiveDrillOptions): Promise<LiveDrillOutput> {
  const drill = scaleDrill(original, options.timeScale ?? 1);
  const progress = options.progress ?? (() => undefined);
  const workload = drill.workload;
  const warmupUsMax = (options.warmupMsMax ?? LIVE_DRILL_WARMUP_MS_MAX) * 1000;
  const setup = await setupLiveController({
    seed: options.seed,
    config: options.config ?? defaultWorldConfig(),
    ...(options.cellCount !== undefined ? { cellCount: options.cellCount } : {}),
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
    ...(options.controlPlane !== undefined ? { controlPlane: options.controlPlane } : {}),
    workload: {
      profile: workload.profile,
      opsPerSecond: workload.opsPerSecond,
      ...(workload.readFraction !== undefined ? { readFraction: workload.readFraction } : {}),
      ...(workload.crossCellRatio !== undefined ? { crossCellRatio: workload.crossCellRatio } : {}),
      depositFraction: 0,
    },
    // The controller's store only for this run: audit, schedules and halt in memory.
    dataDirectory: null,
    wallTimeIso: () => new Date().toISOString(),
    warmupUsMax,
    progress,
  });
  const live = setup.live;
  const control = setup.control;
  const gated = control === null ? null : gatedPresses(control.gate, live.clock, setup.controller);
  let before: ControlPlaneStatus | null = control?.plane.status() ?? null;
  try {
    const output = await runDrillOn(live, drill, {
      timings: {
        warmupUsMax,
        settleUs: LIVE_DRILL_SETTLE_MS * 1000,
        leadersRequired: true,
        drainUsMax: (options.drainMsMax ?? LIVE_DRILL_DRAIN_MS_MAX) * 1000,
        catchUpUs: (options.catchUpMs ?? LIVE_DRILL_CATCH_UP_MS) * 1000,
        progressSliceUs: LIVE_DRILL_PROGRESS_MS * 1000,
      },
      controller: gated?.controller ?? { act: (request, callback) => setup.controller.act(request, callback) },
      // The controller's fault manager: the lease keeper records every fault of the drill in the control log.
      faults: setup.faults,
      beforeTimeline: async () => {
        if (control === null) return;
        for (const which of CONTROL_DRILL_AUDIT_PROBES)
          await new Promise<void>((resolve) => pressAuditProbe(control.gate, setup.controller, which, resolve));
        before = control.plane.status();
      },
      linearizableTimeoutMs: options.linearizableTimeoutMs ?? 20_000,
      onProgress: (doneUs, totalUs) => {
        options.onProgress?.(doneUs, totalUs);
        if (doneUs === totalUs) progress(`drill ${drill.name} ran ${drill.durationUs / 1e6} s; healing and draining`);
      },
    });
    const { verdicts, execution } = output;
    const judged =
      gated === null || before === null
        ? { result: output.result, state: null }
        : await judgeControlPlane(setup, drill, output, before, gated.presses);
    const result = judged.result;
    writeDrillTimelineIfAsked(live, execution.windows, { drill: drill.name, seed: options.seed, rtoMs: result.rtoMs });
    return {
      result,
      verdicts,
      execution,
      history: live.recorder.history(),
      liveNotes: { errors: [...live.faults.errors], ignored: [...live.faults.ignored], unexpectedExits: [...live.faults.unexpectedExits] },
      controlState: judged.state,
    };
  } finally {
    await setup.close();
  }
}

/**
 * The control plane's figures and verdict (runtime/control-drill.ts): the controller's last audit
 * entries shipped to the log first, then the current control leader's state read over its admin
 * channel (not the supervisor's mirror, which may be seconds old).
 */
async function judgeControlPlane(
  setup: LiveControllerSetup,
  drill: Drill,
  output: { readonly result: DrillResult; readonly execution: DrillExecution },
  before: ControlPlaneStatus,
  presses: readonly GatedPress[],
): Promise<{ readonly result: DrillResult; readonly state: LiveControlState | null }> {
  const control = setup.control as NonNullable<LiveControllerSetup["control"]>;
  const { live } = setup;
  const deadline = performance.now() + LIVE_DRILL_SHIP_MS_MAX;
  control.gate.ship();
  while (control.gate.unshippedAuditEntries > 0 && performance.now() < deadline) {
    await live.sleep(50);
    control.gate.ship();
  }
  await live.pollStatuses();
  const after = control.plane.status();
  const state = after.leader === null ? null : await control.group.state(after.leader).catch(() => null);
  const audit = new Set(state?.auditIds ?? []);
  const result = withControlPlaneFigures(drill, output.result, {
    before,
    after,
    presses,
    startUs: output.execution.startUs,
    faultStartUs: output.execution.windows[0]?.startUs ?? null,
    acknowledged: control.gate.acknowledgedAuditIds(),
    hasAudit: (id) => audit.has(id),
    routingVersion: state?.routingVersion ?? null,
  });
  return { result, state };
}
