// What a live control replica process answers on its admin channel (runtime/live/control-main.ts).
import type { ReplicaStatus } from "../../cells/replica.js";
import type { ControlDrillRun, ControlFault, ControlSnapshot } from "../../controller/control/state-machine.js";

/** `status`: the replica's Raft status (the leader's carries per-voter progress) and its audit count. */
export type LiveControlStatus = ReplicaStatus & { readonly auditEntries: number };

/** `control-state`: what the replica's control state machine holds. */
export interface LiveControlState {
  readonly appliedIndex: number;
  readonly routingVersion: number | null;
  readonly drained: readonly string[];
  readonly auditIds: readonly number[];
  readonly faults: readonly ControlFault[];
  readonly drills: readonly ControlDrillRun[];
  /** Asked with `snapshot: true`: the whole state, as ControlStateMachine.restore takes it (the supervisor's mirror of the leader). */
  readonly snapshot: ControlSnapshot | null;
}
