// The shapes of the virtual runtime's controller setup, apart from the code that builds it
// (controller-setup.ts), so that a rehearsal (rehearsal.ts), which builds a throwaway copy through
// an injected setup function, and the setup, which serves rehearsals, do not import each other.
import type { FaultManager } from "../../chaos/fault-manager.js";
import type { ScaleOutConfig, WorldConfig } from "../../domain/config.js";
import type { Controller, ControllerOptions } from "../../controller/controller.js";
import type { OnlineConsistency } from "../../controller/consistency.js";
import type { Gateway, RequestSink } from "../../controller/gateway.js";
import type { RoutingTable } from "../../controller/routing.js";
import type { ControllerStore } from "../../controller/store/store.js";
import type { MemoryStore } from "../../controller/store/memory-store.js";
import type { AdmissionOptions } from "../../controller/admission.js";
import type { VirtualRuntime } from "./runtime.js";
import type { DrillCheckRunner } from "../drill-spool.js";
import type { WorkloadOptions } from "../../sim/workload/workload.js";
import type { HistoryRetention } from "../../sim/workload/recorder.js";
import type { ControlPlane } from "../../controller/control/plane.js";
import type { ControlGate } from "../../controller/control/gate.js";
import type { FaultLeaseKeeper, LeaseOptions } from "../../controller/control/leases.js";
import type { ControlPlaneOptions, VirtualControlPlane } from "./control-plane.js";
import type { MoveRecoveryWatcher } from "../../controller/elastic-journal.js";
import type { ControllerResidence } from "../../controller/control/residence.js";

export interface RunningWorldBounds {
  /** null: the whole history is kept (a finite run checked whole at its end, as a standalone drill). */
  readonly historyRetention: HistoryRetention | null;
  readonly idempotencyWindowEntries: number;
  readonly ledgerEventsRetainedMax: number;
  readonly chainCheckpointsRetainedMax: number;
  readonly appliedEventsMax: number;
  readonly raftSnapshotEntries: number;
}

export interface SetupOptions {
  readonly seed: number;
  readonly config?: WorldConfig;
  /** Where the SQLite store lives; null: an in-memory store (a rehearsal's throwaway copy). */
  readonly dataDirectory: string | null;
  readonly wallTimeIso: () => string;
  readonly controller?: Partial<ControllerOptions>;
  readonly admission?: AdmissionOptions;
  /** Each gateway's limit over all cells (ops/s); absent: the per-cell admission budgets only. */
  readonly gatewayOpsPerSecondMax?: number;
  readonly opsPerSecond?: number;
  /** Workload settings on top of the config's (a drill's profile; no deposits, so each cell's money is constant). */
  readonly workload?: Partial<WorkloadOptions>;
  /** The control group's placement and commit timeout (default: 2 + 2 + 1 replicas over the first three regions). */
  readonly controlPlane?: ControlPlaneOptions;
  /** Dead-man fault leases held by the control group (default controller/control/leases.ts defaultLeaseOptions). */
  readonly leases?: LeaseOptions;
  /** Simulated time to let the cells elect their first leaders before serving. */
  readonly warmupUs?: number;
  /** Smaller bounds make a test reach them in seconds of simulated time. */
  readonly bounds?: Partial<RunningWorldBounds>;
  /**
   * How a drill's checks yield between steps so the API answers meanwhile (drill-runner.ts
   * deferCheckStep). Default: the next step after pending I/O (setImmediate); null: all at once,
   * inside the world's timer (a caller that runs the world without yielding to I/O).
   */
  readonly deferDrillCheckStep?: ((step: () => void) => void) | null;
  /**
   * Drills spool their windows under `directory` and a child process checks each
   * (runtime/drill-spool.ts; `ldc start`: <data dir>/drill-windows). Absent: windows are pinned
   * in memory and checked in this process, a step at a time.
   */
  readonly drillSpool?: {
    readonly directory: string;
    /** Runs a job's checks (default: a child process; a test injects a failure). */
    readonly check?: DrillCheckRunner;
  };
  /** Automatic scale-out (over the config's `scaleOut` section; `--scale-out` turns it on). */
  readonly scaleOut?: ScaleOutConfig;
}

export interface ControllerSetup {
  readonly virtual: VirtualRuntime;
  readonly controller: Controller;
  readonly routing: RoutingTable;
  readonly gateways: ReadonlyMap<string, Gateway>;
  readonly store: ControllerStore | MemoryStore;
  readonly faults: FaultManager;
  /** The options the world was built with (a rehearsal copies them). */
  readonly options: SetupOptions;
  readonly consistency: OnlineConsistency;
  /** The sink the workload uses: a user enters at the gateway of their cell's routed region. */
  readonly sink: RequestSink;
  /** The control group: its plane (endpoints, status), the gate every mutating call passes, its replica processes. */
  readonly control: {
    readonly plane: ControlPlane;
    readonly gate: ControlGate;
    readonly replicas: VirtualControlPlane;
    readonly leases: FaultLeaseKeeper;
    /** Resumes shard moves a previous controller left unfinished (controller/elastic-journal.ts). */
    readonly moves: MoveRecoveryWatcher | null;
    /** Where the controller's decision loop runs: the control leader's host. */
    readonly residence: ControllerResidence;
  };
  close(): void;
}
