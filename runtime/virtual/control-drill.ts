// A drill that needs the controller (an evacuate or restore step, or a fault aimed at the control
// leader) runs in a controller world (controller-setup.ts: gateways, the control group in the
// regions, the controller) rather than a bare one: users enter through the gateways, the drill's
// buttons are pressed through the control plane's gate (controller/control/drill-controller.ts),
// and the result carries what it measured of the control plane, including the audit RPO: every
// audit id the control group acknowledged during the run must still be in its log at the end.
import type { Drill } from "../../chaos/drill/format.js";
import { CONTROL_DRILL_AUDIT_PROBES, gatedPresses, pressAuditProbe, withControlPlaneFigures, type AuditProbe } from "../control-drill.js";
import { DRILL_WARMUP_US, runDrillOn, VIRTUAL_DRILL_TIMINGS } from "../drill-runner.js";
import { setupController } from "./controller-setup.js";
import type { ControllerSetup } from "./controller-setup-types.js";
import type { DrillRunOutput, RunDrillOptions } from "./drill.js";

/** Does this drill need a controller world (its buttons, or the control leader as a target)? */
export function drillNeedsController(drill: Drill): boolean {
  return drill.steps.some(
    (step) =>
      // Elastic steps (add-cell, move-shards) need no controller: the drill's stand-in drives them.
      (step.kind === "action" &&
        step.action.kind !== "failover" &&
        step.action.kind !== "add-cell" &&
        step.action.kind !== "move-shards") ||
      (step.kind === "inject" && step.spec.target.select === "control-leader"),
  );
}

/** Runs the world until `done()` or `maxUs` of simulated time. */
function runWhile(setup: ControllerSetup, pending: () => boolean, maxUs: number): void {
  const deadlineUs = setup.virtual.nowUs() + maxUs;
  while (pending() && setup.virtual.nowUs() < deadlineUs) setup.virtual.runFor(10_000);
}

/** One operator call through the gate (runtime/control-drill.ts), run to its answer in simulated time. */
function probe(setup: ControllerSetup, which: AuditProbe): void {
  let finished = false;
  pressAuditProbe(setup.control.gate, setup.controller, which, () => {
    finished = true;
  });
  runWhile(setup, () => !finished, 5_000_000);
}

export async function runControllerDrill(drill: Drill, options: RunDrillOptions): Promise<DrillRunOutput> {
  const workload = drill.workload;
  const setup = setupController({
    seed: options.seed,
    ...(options.config ? { config: options.config } : {}),
    dataDirectory: null,
    // Nothing wall-clock dependent in a drill's result: the same seed gives the same bytes.
    wallTimeIso: () => "1970-01-01T00:00:00.000Z",
    opsPerSecond: workload.opsPerSecond,
    // No deposits or withdrawals: each cell's money is then constant and the bank checker exact.
    workload: {
      profile: workload.profile,
      ...(workload.readFraction !== undefined ? { readFraction: workload.readFraction } : {}),
      depositFraction: 0,
    },
    warmupUs: DRILL_WARMUP_US,
    // A finite run whose whole history is checked at its end (runDrillOn), not a window of a running world.
    bounds: { historyRetention: null },
  });
  const { plane, gate } = setup.control;
  const clock = setup.virtual.cluster.clock;
  const { controller, presses } = gatedPresses(gate, clock, setup.controller);
  let before = plane.status();
  try {
    const output = await runDrillOn(setup.virtual, drill, {
      timings: VIRTUAL_DRILL_TIMINGS,
      controller,
      faults: setup.faults,
      startWorkload: () => setup.virtual.startWorkload({ sink: setup.sink }),
      // Elastic steps beside the buttons go to the controller's own driver (its moves recorded in the control log).
      elastic: () => ({
        act: (request, callback) => setup.controller.act(request, callback),
        addCell: (reason, actor, callback) => setup.controller.addCell(reason, actor, callback),
        moveShards: (request, callback) => setup.controller.moveShards(request, callback),
      }),
      beforeTimeline: async () => {
        for (const which of CONTROL_DRILL_AUDIT_PROBES) probe(setup, which);
        before = plane.status();
      },
      ...(options.linearizableTimeoutMs !== undefined ? { linearizableTimeoutMs: options.linearizableTimeoutMs } : {}),
      ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
    });
    // Whatever the controller wrote last reaches the log before the audit is compared.
    gate.ship();
    runWhile(setup, () => gate.acknowledgedAuditIds().length === 0, 1_000_000);
    const state = plane.leaderState();
    const result = withControlPlaneFigures(drill, output.result, {
      before,
      after: plane.status(),
      presses,
      startUs: output.execution.startUs,
      faultStartUs: output.execution.windows[0]?.startUs ?? null,
      acknowledged: gate.acknowledgedAuditIds(),
      hasAudit: (id) => state !== null && state.hasAudit(id),
      routingVersion: state?.routing?.version ?? null,
    });
    return { ...output, result, virtual: setup.virtual };
  } finally {
    setup.close();
  }
}
