// What a drill run in a controller world (the control group in the regions, the controller, its
// gate) does beside the shared runner (runtime/drill-runner.ts), in either runtime: its buttons are
// pressed through the control plane's gate (controller/control/drill-controller.ts), two operator
// calls go through the gate before the timeline so the audit RPO has acknowledged entries to check,
// and the result carries what it measured of the control plane: every audit id the control group
// acknowledged during the run must still be in the leader's log at the end. The virtual runtime
// (runtime/virtual/control-drill.ts) waits in simulated time, the live one (runtime/live/drill.ts)
// in real time; both build their figures and verdict here.
import type { Clock } from "../ground/ports.js";
import type { Drill } from "../chaos/drill/format.js";
import type { DrillController } from "../chaos/drill/execution.js";
import { ACTION_TIMEOUT_US } from "../chaos/drill/execution.js";
import type { ControlPlaneDrillFigures, DrillResult } from "../chaos/drill/result.js";
import type { Controller } from "../controller/controller.js";
import { gatedDrillController, type GatedPress } from "../controller/control/drill-controller.js";
import type { Admission, ControlGate } from "../controller/control/gate.js";
import type { ControlPlaneStatus } from "../controller/control/plane.js";

/** Operator calls the drill makes through the API before its timeline, so the audit RPO has acknowledged entries to check. */
export const CONTROL_DRILL_AUDIT_PROBES = ["halt", "release"] as const;

export type AuditProbe = (typeof CONTROL_DRILL_AUDIT_PROBES)[number];

/** One operator call through the gate (admit, run, record): the kill switch on, or off again. `done` once answered. */
export function pressAuditProbe(
  gate: ControlGate,
  controller: Pick<Controller, "halt" | "releaseHalt">,
  which: AuditProbe,
  done: () => void,
): void {
  gate.admit(
    { key: null, via: null, method: "POST", path: which === "halt" ? "/api/v1/halt" : "/api/v1/halt/release", actor: "drill:audit-probe" },
    (admission: Admission) => {
      if (admission.kind !== "go") return done();
      const reason = "audit probe before the drill's faults";
      const result = which === "halt" ? controller.halt(reason, "drill:audit-probe") : controller.releaseHalt(reason, "drill:audit-probe");
      gate.complete(admission, { status: result.ok ? 200 : 409, body: result.ok ? result.value : { error: result.error } }, () => done());
    },
  );
}

/** The drill's buttons through the gate, and the record of every press (for the figures). */
export function gatedPresses(
  gate: ControlGate,
  clock: Clock,
  controller: Pick<Controller, "act">,
): { readonly controller: DrillController; readonly presses: GatedPress[] } {
  const presses: GatedPress[] = [];
  return {
    controller: gatedDrillController(
      { gate, clock, act: (request, callback) => controller.act(request, callback), onPress: (press) => presses.push(press) },
      ACTION_TIMEOUT_US,
    ),
    presses,
  };
}

export interface ControlDrillObservations {
  readonly before: ControlPlaneStatus;
  readonly after: ControlPlaneStatus;
  readonly presses: readonly GatedPress[];
  /** The drill's start and its first fault's start (µs of the runtime's clock). */
  readonly startUs: number;
  readonly faultStartUs: number | null;
  /** Audit ids the control group acknowledged during the run (gate.acknowledgedAuditIds()). */
  readonly acknowledged: readonly number[];
  /** Whether the control leader's log holds this audit id at the end (false: no leader to ask). */
  readonly hasAudit: (id: number) => boolean;
  /** The routing version the control leader's state holds at the end (null: none or no leader). */
  readonly routingVersion: number | null;
}

/** The drill's result with the control plane's figures, FAILED when it lost an acknowledged audit entry, ended without a quorum or committed no evacuation it pressed. */
export function withControlPlaneFigures(drill: Drill, result: DrillResult, seen: ControlDrillObservations): DrillResult {
  const { before, after, presses, startUs, faultStartUs, acknowledged } = seen;
  const lost = acknowledged.filter((id) => !seen.hasAudit(id));
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
    routingVersionCommitted: seen.routingVersion,
    auditAcknowledged: acknowledged.length,
    auditLost: lost,
  };
  const extra: string[] = [];
  if (lost.length > 0)
    extra.push(`rpo: ${lost.length} acknowledged audit entries missing from the control log (ids ${lost.slice(0, 10).join(", ")})`);
  if (!after.quorum) extra.push("control plane: no quorum once the drill healed and settled");
  if (drill.steps.some((step) => step.kind === "action" && step.action.kind === "evacuate") && evacuation === undefined)
    extra.push("control plane: no evacuation was committed");
  return {
    ...result,
    outcome: result.outcome === "SUCCEEDED" && extra.length > 0 ? "FAILED" : result.outcome,
    reasons: [...result.reasons, ...extra],
    controlPlane: figures,
  };
}
