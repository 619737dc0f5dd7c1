// A drill that needs the controller (an evacuate or restore step, or a fault aimed at the control
// leader) runs in a controller world (controller-setup.ts: gateways, the control group in the
// regions, the controller) rather than a bare one: users enter through the gateways, the drill's
// buttons are pressed through the control plane's gate (controller/control/drill-controller.ts),
// and the result carries what it measured of the control plane, including the audit RPO: every
// audit id the control group acknowledged during the run must still be in its log at the end.
import type { Drill } from "../../chaos/drill/format.js";
import { ACTION_TIMEOUT_US } from "../../chaos/drill/execution.js";
import type { ControlPlaneDrillFigures, DrillResult } from "../../chaos/drill/result.js";
import { gatedDrillController, type GatedPress } from "../../controller/control/drill-controller.js";
import type { Admission } from "../../controller/control/gate.js";
import { DRILL_WARMUP_US, runDrillOn, VIRTUAL_DRILL_TIMINGS } from "../drill-runner.js";
import { setupController } from "./controller-setup.js";
import type { ControllerSetup } from "./controller-setup-types.js";
import type { DrillRunOutput, RunDrillOptions } from "./drill.js";

/** Operator calls the drill makes through the API before its timeline, so the audit RPO has acknowledged entries to check. */
export const CONTROL_DRILL_AUDIT_PROBES = ["halt", "release"] as const;

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

/** One operator call through the gate (admit, run, record): the kill switch on, then off again. */
function probe(setup: ControllerSetup, which: (typeof CONTROL_DRILL_AUDIT_PROBES)[number]): void {
  const { gate } = setup.control;
  let finished = false;
  gate.admit(
    { key: null, via: null, method: "POST", path: which === "halt" ? "/api/v1/halt" : "/api/v1/halt/release", actor: "drill:audit-probe" },
    (admission: Admission) => {
      if (admission.kind !== "go") {
        finished = true;
        return;
      }
      const reason = "audit probe before the drill's faults";
      const result =
        which === "halt" ? setup.controller.halt(reason, "drill:audit-probe") : setup.controller.releaseHalt(reason, "drill:audit-probe");
      gate.complete(admission, { status: result.ok ? 200 : 409, body: result.ok ? result.value : { error: result.error } }, () => {
        finished = true;
      });
    },
  );
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
  });
  const { plane, gate } = setup.control;
  const clock = setup.virtual.cluster.clock;
  const presses: GatedPress[] = [];
  const controller = gatedDrillController(
    { gate, clock, act: (request, callback) => setup.controller.act(request, callback), onPress: (press) => presses.push(press) },
    ACTION_TIMEOUT_US,
  );
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
    const after = plane.status();
    const state = plane.leaderState();
    const acknowledged = gate.acknowledgedAuditIds();
    const lost = acknowledged.filter((id) => state === null || !state.hasAudit(id));
    const startUs = output.execution.startUs;
    const faultStartUs = output.execution.windows[0]?.startUs ?? null;
    const evacuation = presses.find((press) => press.request.kind === "evacuate" && press.outcome.ok && press.committedUs !== null);
    const figures: ControlPlaneDrillFigures = {
      leaderBefore: before.leader,
      leaderRegionBefore: before.leaderRegion,
      termBefore: before.term,
      leaderAfter: after.leader,
      termAfter: after.term,
      quorumAfter: after.quorum,
      actions: presses.map((press) => ({
        kind: press.request.kind,
        target: press.request.target,
        requestId: press.key,
        pressedMs: (press.pressedUs - startUs) / 1000,
        refusals: press.refusals,
        committedMs: press.committedUs === null ? null : (press.committedUs - startUs) / 1000,
        ok: press.outcome.ok,
      })),
      evacuationCommittedMsAfterFault:
        evacuation === undefined || faultStartUs === null ? null : ((evacuation.committedUs as number) - faultStartUs) / 1000,
      routingVersionCommitted: state?.routing?.version ?? null,
      auditAcknowledged: acknowledged.length,
      auditLost: lost,
    };
    const extra: string[] = [];
    if (lost.length > 0)
      extra.push(`rpo: ${lost.length} acknowledged audit entries missing from the control log (ids ${lost.slice(0, 10).join(", ")})`);
    if (!after.quorum) extra.push("control plane: no quorum once the drill healed and settled");
    if (drill.steps.some((step) => step.kind === "action" && step.action.kind === "evacuate") && evacuation === undefined)
      extra.push("control plane: no evacuation was committed");
    const result: DrillResult = {
      ...output.result,
      outcome: output.result.outcome === "SUCCEEDED" && extra.length > 0 ? "FAILED" : output.result.outcome,
      reasons: [...output.result.reasons, ...extra],
      controlPlane: figures,
    };
    return { ...output, result, virtual: setup.virtual };
  } finally {
    setup.close();
  }
}
