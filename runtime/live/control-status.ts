// What a live control replica process answers on its admin channel (runtime/live/control-main.ts).
import type { ReplicaStatus } from "../../cells/replica.js";
import type { ReplicaProbeStatus } from "../../cells/cell/protocol.js";
import { defaultProberOptions, type ProberOptions } from "../../controller/control/prober.js";
import type { ControlDrillRun, ControlFault, ControlSnapshot } from "../../controller/control/state-machine.js";
export type { ControlStoreRows } from "../../controller/store/control-store.js";

/**
 * Probes in real time (controller/control/prober.ts): as often as in the simulator, but an answer
 * counts as fresh for as long as the supervisor's own status of a replica does (1 s): on a loaded
 * machine an event loop late by a few hundred ms must not make every replica unreachable.
 */
export const liveProberOptions: ProberOptions = { ...defaultProberOptions, staleUs: 1_000_000 };

/** `probes`: the control replica's prober's fresh answers, each with its age when the reply was made. */
export interface LiveProbeAnswers {
  /** Whether this replica's prober probes now (it leads its group). */
  readonly probing: boolean;
  readonly answers: Readonly<Record<string, { readonly status: ReplicaProbeStatus; readonly ageUs: number }>>;
  readonly counts: { readonly sent: number; readonly answered: number };
}

/** Each control replica's local materialized SQLite store, in its data directory (controller/store/control-store.ts). */
export const CONTROL_STORE_FILE = "control.sqlite";
/** How often a control replica's process brings its store to its applied state (ms; the virtual runtime's CONTROL_STORE_SYNC_US). */
export const CONTROL_STORE_SYNC_MS = 200;

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
