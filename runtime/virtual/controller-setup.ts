// `ldc start` on the virtual runtime: the shared controller wiring (runtime/controller-wiring.ts)
// with gateway processes on simulated hosts (gw/<region> in the region's first datacenter), their
// GSLB-style health, the chaos drill service over the running world and the online consistency
// checker.
import fs from "node:fs";
import path from "node:path";
import { defaultWorldConfig } from "../../domain/config.js";
/** Newest audit entries a drill report looks through for its own window. */
export const drillReportAuditEntriesMax = 500;
import { createVirtualRuntime } from "./runtime.js";
import { ChaosDrillService } from "./drill-service.js";
import { wireControl, wireController } from "../controller-wiring.js";
import type { ControlGate } from "../../controller/control/gate.js";
import type { ControllerResidence } from "../../controller/control/residence.js";
import type { TimerHandle } from "../../ground/ports.js";
import { defaultConsistencyOptions, OnlineConsistency } from "../../controller/consistency.js";
import { Gateway } from "../../controller/gateway.js";
import { ControllerStore } from "../../controller/store/store.js";
import { MemoryStore } from "../../controller/store/memory-store.js";
import { PredictionLedger, rehearse } from "./rehearsal.js";
import type { ControllerSetup, RunningWorldBounds, SetupOptions } from "./controller-setup-types.js";
export type { ControllerSetup, RunningWorldBounds, SetupOptions };
import type { AdmissionOptions } from "../../controller/admission.js";
import { spawnControlPlane } from "./control-plane.js";
import { gatedDrillController } from "../../controller/control/drill-controller.js";
import { controlMoveJournal, controlScaleOutJournal, MoveRecoveryWatcher } from "../../controller/elastic-journal.js";
import { scaleOutOptionsOf, scaleOutOptionsOfDrill, ScaleOutPolicy, type ScaleOutOptions } from "../../controller/scale-out.js";
import type { DrillScaleOut } from "../../chaos/drill/format.js";
import { ACTION_TIMEOUT_US } from "../../chaos/drill/execution.js";
import { RUNNING_WORLD_CHECK_STEP_BUDGET_MS } from "../drill-runner.js";

// Memory bounds of the running world (docs/operator.md "Memory bounds"). `ldc start` runs for days;
// everything that grows with operations has a named limit here, sized for the default load
// (2,000 ops/s, ~270 ledger events/s per cell) and the built-in drills (<= 100 s with lead and settle).
/**
 * How long the running world's history keeps ops (two per operation; ~60,000 ops at the default
 * load, as op objects ~200 bytes each). What reads back in it is a time window: a drill's lead
 * (DRILL_HISTORY_LEAD_US, 5 s, then pinned) and a rehearsal's measured outcome of an action
 * (REHEARSAL_BASELINE_US before it starts + the action, up to ~6 s when a leader must first catch
 * up (catchUpWaitUsMax 5 s) + REHEARSAL_OBSERVE_US after it: ~13 s); the online checks read ops as
 * they come (test/runtime/virtual/history-window.test.ts holds the sizes together; an action whose
 * window is no longer held is reported unmeasured, not measured on what is left). It was an op
 * count (100,000, dropping half at a time): 50,000-100,000 ops at the default load, and only ~4 s
 * just after a drop at the Double 11 peak.
 */
export const HISTORY_RETAIN_US = 15_000_000;
/** At most this many history ops (past it the oldest quarter goes): >= 112,500 ops, ~9 s at the Double 11 peak (3x). */
export const HISTORY_RETAIN_OPS_MAX = 150_000;
/** While a drill runs its window is kept past the retention up to this (~250 s at the default load). */
export const HISTORY_PINNED_OPS_MAX = 1_000_000;
/**
 * Operation ids each replica's ledger remembers (idempotency.ts, window mode). Clients retry only
 * within their 5 s request deadline, so this is safe up to ~3,300 writes/s per cell, above a
 * gateway's admission rate per cell (defaultAdmission below: 3,000/s). The window is most of each
 * replica's latest snapshot (as JSON, ~45 bytes an id: ~0.7 MB a snapshot, held once as its file's
 * bytes) and so of its WAL (compaction starts once the WAL outgrows the snapshot): with the id
 * columns (~28 bytes an id; the received table likewise) the largest item of the bound (~70 MB over 30 replicas, docs/BENCHMARKS.md).
 */
export const IDEMPOTENCY_WINDOW_ENTRIES = 16_384;
/**
 * Chain checkpoints each replica's ledger keeps (one per 1,024 events: ~1,200 an hour per replica
 * at the default load, each ~100 bytes in memory and again in every snapshot). 128 to 256 cover
 * the last ~6-13 minutes of a cell's events at the default load: a replica that lags further than
 * that (and past the events kept in memory) is not compared until it catches up. At 1,024 (to
 * 2,048) they were still filling 100 minutes into a soak (the first half dropped at 1.7 hours), a
 * slope of their own in the server's memory and snapshot files (issue 15); at 128 they reach
 * their saw-tooth in ~13 minutes (test/runtime/virtual/bound-fill-times.test.ts).
 */
export const CHAIN_CHECKPOINTS_RETAINED_MAX = 128;
/** Recent events each replica's ledger keeps in memory (between this and twice this); older ones live on in balances and checkpoints. */
export const LEDGER_EVENTS_RETAINED_MAX = 2_048;
/**
 * Events per cell in the harness's applied-event log between drills (>= half kept: ~30 s at the
 * default load, ~10 s at 3x, above a drill's 5 s lead). A drill pins its window with the history's
 * pin (up to 8x this: ~8 minutes at the default load), so the steady-state bound need not hold one.
 */
export const APPLIED_EVENTS_MAX = 16_384;
/**
 * Applied entries between a replica's snapshots (raft.snapshotEntries; the world config's default
 * is 10,000). Entries and their cached encodings live until every replica of the cell compacted
 * past them, and they share 64 KiB codec slabs with every other replica's: the longer the cycle,
 * the more slabs are pinned (~250 MB at 10,000). A snapshot here costs O(idempotency window).
 */
export const RAFT_SNAPSHOT_ENTRIES = 2_048;

export const runningWorldBounds: RunningWorldBounds = {
  historyRetention: { durationUs: HISTORY_RETAIN_US, opsMax: HISTORY_RETAIN_OPS_MAX, pinnedOpsMax: HISTORY_PINNED_OPS_MAX },
  idempotencyWindowEntries: IDEMPOTENCY_WINDOW_ENTRIES,
  ledgerEventsRetainedMax: LEDGER_EVENTS_RETAINED_MAX,
  chainCheckpointsRetainedMax: CHAIN_CHECKPOINTS_RETAINED_MAX,
  appliedEventsMax: APPLIED_EVENTS_MAX,
  raftSnapshotEntries: RAFT_SNAPSHOT_ENTRIES,
};

export const GATEWAY_HOST_PREFIX = "gw/";
/** How often users' entry points re-check which gateways can reach the cells (simulated). */
export const gatewayHealthPeriodUs = 100_000;

/** Per cell per gateway: well above the steady load (~330 ops/s per cell), below a cell's limit. */
export const defaultAdmission: AdmissionOptions = {
  ratePerSecond: 3_000,
  burstRequestsMax: 300,
  queueRequestsMax: 500,
  queueWaitUsMax: 200_000,
};

/** The next step after the I/O already waiting (the API's requests) has been served. */
function deferAfterIo(step: () => void): void {
  setImmediate(step);
}

export function setupController(options: SetupOptions): ControllerSetup {
  // The running world never ends: keep a bounded window of the history (drills check their own window).
  const bounds = { ...runningWorldBounds, ...options.bounds };
  const config = options.config ?? defaultWorldConfig();
  const virtual = createVirtualRuntime({
    seed: options.seed,
    ...(bounds.historyRetention !== null && { historyRetention: bounds.historyRetention }),
    appliedEventsMax: bounds.appliedEventsMax,
    ledger: {
      idempotencyWindowEntries: bounds.idempotencyWindowEntries,
      eventsRetainedMax: bounds.ledgerEventsRetainedMax,
      checkpointsRetainedMax: bounds.chainCheckpointsRetainedMax,
    },
    config: { ...config, raft: { ...config.raft, snapshotEntries: bounds.raftSnapshotEntries } },
    ...(options.opsPerSecond || options.workload
      ? { workload: { ...options.workload, ...(options.opsPerSecond ? { opsPerSecond: options.opsPerSecond } : {}) } }
      : {}),
  });
  // The control group lives in the world (docs/architecture.md "The control plane"): it elects its
  // leader during the warm-up like the cells.
  const controlPlane = spawnControlPlane(virtual, {
    // Each control replica's materialized SQLite store beside the controller's (in memory without a data directory).
    storeDirectory: options.dataDirectory === null ? null : path.join(options.dataDirectory, "control"),
    ...options.controlPlane,
  });
  virtual.cluster.controlPlane = controlPlane.plane;
  // Leaders start in their preferred regions (docs/cells.md), as an operator sets the world up before traffic,
  // and the warm-up lasts until the controller sees them: it decides on its control leader's probes.
  const warmupUs = options.warmupUs ?? 10_000_000;
  const warmupEndUs = virtual.nowUs() + warmupUs;
  virtual.settleLeaders(warmupUs);
  while (virtual.nowUs() < warmupEndUs && !controlPlane.sight.cells().every((cell) => cell.leader !== null && cell.quorumAvailable))
    virtual.runFor(10_000);
  const cluster = virtual.cluster;
  const placement = virtual.placement;
  const regionNames = cluster.topology.regions.map((region) => region.name);
  // GSLB-style health of each gateway: up, and reaching (both ways) a majority of all replicas.
  // A datacenter outage leaves its gateway process running but cut off; requests sent there
  // would only time out. Refreshed every `gatewayHealthPeriodUs` and on every fault change.
  const replicaHosts = placement.cells.flatMap((cell) => cell.replicas.map((replica) => replica.replica));
  const gatewayUsable = new Map<string, boolean>();
  const refreshGatewayHealth = (): void => {
    const network = virtual.world.network;
    for (const region of regionNames) {
      const host = `${GATEWAY_HOST_PREFIX}${region}`;
      const reached = virtual.world.isUp(host)
        ? replicaHosts.filter((replica) => !network.isBlocked(host, replica) && !network.isBlocked(replica, host)).length
        : 0;
      gatewayUsable.set(region, reached * 2 > replicaHosts.length);
    }
  };
  let gatewayHealthTimer: TimerHandle | null = null;
  // Windows a previous server left spooled (it stopped mid-drill): nothing will check them now.
  if (options.drillSpool !== undefined) {
    try {
      fs.rmSync(options.drillSpool.directory, { recursive: true, force: true });
    } catch {
      // Not removable (not a directory of ours): each drill then checks in memory (drill-runner.ts startDrill).
    }
  }
  const store =
    options.dataDirectory === null ? new MemoryStore(options.wallTimeIso) : new ControllerStore(options.dataDirectory, options.wallTimeIso);
  const admission = options.admission ?? defaultAdmission;
  const capacity = { cellOpsPerSecondMax: admission.ratePerSecond, gatewayOpsPerSecondMax: options.gatewayOpsPerSecondMax ?? null };
  const deferCheckStep = options.deferDrillCheckStep === undefined ? deferAfterIo : options.deferDrillCheckStep;
  let gateRef: ControlGate | null = null;
  let residenceRef: ControllerResidence | null = null;
  /** Late-bound: the scale-out policy is built after the drill service (below). */
  let applyDrillScaleOut: (section: DrillScaleOut) => () => void = () => () => {};
  const online = new OnlineConsistency(defaultConsistencyOptions, { source: virtual, clock: cluster.clock });
  const wiring = wireController({
    cluster,
    placement,
    store,
    controller: { capacity, ...options.controller },
    // The controller sees the cells through its control leader's probes, and moves their leaders by
    // requests from that host, over the simulated network.
    sight: controlPlane.sight,
    // ... and decides only while its loop has a host: the control leader (controller/control/residence.ts).
    hosted: () => residenceRef?.hosted ?? true,
    gateway: (region, parts) => {
      // One gateway process per region, on host gw/<region> in the region's first datacenter.
      const host = `${GATEWAY_HOST_PREFIX}${region.name}`;
      virtual.world.addHost(host, region.datacenters[0] as string);
      virtual.world.spawn(host, (context) => {
        parts.register(
          new Gateway(
            {
              region: region.name,
              admission,
              client: {
                attemptTimeoutUs: 250_000,
                requestTimeoutUs: 5_000_000,
                inflightRequestsMax: 50_000,
                retryBackoffUs: 20_000,
                ...(virtual.config.batching !== undefined && { batching: virtual.config.batching }),
              },
              cells: parts.cellsReplicas,
              ...(options.gatewayOpsPerSecondMax === undefined ? {} : { gatewayOpsPerSecondMax: options.gatewayOpsPerSecondMax }),
            },
            {
              clock: context.clock,
              random: context.random,
              transport: context.transport,
              routing: parts.routing,
              stats: parts.stats,
              peer: parts.peer,
            },
          ),
        );
        return {};
      });
    },
    usable: (region) => gatewayUsable.get(region) === true,
    onFaultManager: (faults) => {
      gatewayHealthTimer = cluster.clock.setTimer(gatewayHealthPeriodUs, function tick() {
        refreshGatewayHealth();
        gatewayHealthTimer = cluster.clock.setTimer(gatewayHealthPeriodUs, tick);
      });
      refreshGatewayHealth();
      faults.on(() => refreshGatewayHealth());
      online.start();
    },
    drills: (faults, controller) =>
      new ChaosDrillService({
        virtual,
        faults,
        // A drill's buttons go through the control plane's gate, as the API's do.
        controller: () => {
          const running = controller();
          if (running === null || gateRef === null) return running;
          return gatedDrillController(
            { gate: gateRef, clock: cluster.clock, act: (request, callback) => running.act(request, callback) },
            ACTION_TIMEOUT_US,
          );
        },
        lostAckedTransfers: () => online.snapshot().lostAckedTransfers,
        // For the drill report's timeline, and its bins aligned on the page's chart periods.
        routingHistory: () => controller()?.routing().history ?? [],
        auditEntries: () => store.query({ limit: drillReportAuditEntriesMax }),
        chartOriginUs: () => controller()?.health.periodOriginUs ?? 0,
        // A drill's checks over its window (~400,000 history ops at the default load) take seconds
        // of CPU: a step (a checker or a cell) at a time, /healthz and the API answer in between.
        ...(deferCheckStep === null ? {} : { deferCheckStep }),
        // The checkers yield every few thousand items; by default a turn runs them for ~20 ms.
        ...(deferCheckStep === deferAfterIo ? { checkStepBudgetMs: RUNNING_WORLD_CHECK_STEP_BUDGET_MS } : {}),
        applyScaleOut: (section) => applyDrillScaleOut(section),
        ...(options.drillSpool !== undefined && { spool: options.drillSpool }),
      }),
    consistency: () => online.snapshot(),
    moveJournal: controlMoveJournal(controlPlane.plane),
  });
  const controller = wiring.controller;
  const { gate, leases, residence } = wireControl({
    clock: cluster.clock,
    plane: controlPlane.plane,
    wiring,
    incarnation: (host) => controlPlane.incarnation(host),
    ...(options.leases !== undefined && { leases: options.leases }),
  });
  gateRef = gate;
  residenceRef = residence;
  controller.start();
  // Moves a previous controller left unfinished are resumed once the control group answers, and
  // the log is looked at again after every control leader change.
  const moves =
    controller.elastic === null
      ? null
      : new MoveRecoveryWatcher({ clock: cluster.clock, plane: controlPlane.plane, elastic: controller.elastic });
  moves?.start();
  // Automatic scale-out (off unless the world's scaleOut section or the caller enables it): its
  // actions go through the same ElasticCells as an operator's, audited with actor "scale-out".
  const scaleOutConfig = options.scaleOut ?? config.scaleOut;
  const startScaleOut = (settings: ScaleOutOptions): ScaleOutPolicy | null => {
    if (controller.elastic === null) return null;
    const policy = new ScaleOutPolicy(settings, {
      clock: cluster.clock,
      elastic: controller.elastic,
      cells: () => placement.cells.map((cell) => ({ id: cell.cell, shards: cell.shards })),
      opsPerSecond: (cell) => controller.load.opsPerSecond(cell),
      // The cells it added survive a controller restart in the control log.
      journal: controlScaleOutJournal(controlPlane.plane),
    });
    controller.bindScaleOut(policy);
    policy.start();
    return policy;
  };
  let drillScaleOut: ScaleOutPolicy | null = null;
  const scaleOut = scaleOutConfig?.enabled === true ? startScaleOut(scaleOutOptionsOf(scaleOutConfig, admission.ratePerSecond)) : null;
  // A drill's scaleOut section (double-11-scale-out) while it runs: the world's policy takes the
  // drill's budget, line and sustain and gets its own back after; a world without one runs a
  // policy for the drill, stopped after it (the cells it added stay, recorded in the control log).
  applyDrillScaleOut = (section) => {
    if (scaleOut !== null) {
      const own = scaleOut.settings;
      scaleOut.retune(scaleOutOptionsOfDrill(section, own));
      return () => scaleOut.retune(own);
    }
    drillScaleOut?.stop();
    const policy = startScaleOut(scaleOutOptionsOfDrill(section));
    drillScaleOut = policy;
    return () => {
      policy?.stop();
      if (drillScaleOut !== policy) return;
      drillScaleOut = null;
      controller.bindScaleOut(null);
    };
  };
  const built: ControllerSetup = {
    virtual,
    controller,
    routing: wiring.routing,
    gateways: wiring.gateways,
    store,
    faults: wiring.faults,
    consistency: online,
    sink: wiring.sink,
    options,
    control: { plane: controlPlane.plane, gate, replicas: controlPlane, leases, moves, residence },
    close() {
      scaleOut?.stop();
      drillScaleOut?.stop();
      moves?.stop();
      residence.stop();
      leases.stop();
      gate.stop();
      if (gatewayHealthTimer !== null) cluster.clock.cancelTimer(gatewayHealthTimer);
      online.stop();
      controller.stop();
      store.close();
      controlPlane.close();
    },
  };
  const predictions = new PredictionLedger(built, (entry) => controller.recordAudit(entry));
  controller.bindRehearsal(async (request) => {
    const answer = await rehearse(request, {
      source: built,
      setupCopy: setupController,
      yieldNow: () => new Promise((resolve) => setImmediate(resolve)),
      wallNowMs: () => performance.now(),
    });
    if (answer.ok) {
      predictions.remember(answer.value);
      const drill = answer.value.request.drill;
      if (drill !== undefined) {
        const { basedOn, outcome, errorRate, p99Ms } = answer.value;
        // The drill's own RTO figures (per cell its faults touched), not the whole-run window's.
        controller.rememberDrillPrediction(drill, {
          atMs: basedOn.atMs,
          outcome,
          rtoMs: answer.value.drill?.rtoMs ?? answer.value.rtoMs,
          lostAckedTransfers: answer.value.drill?.lostAckedTransfers ?? answer.value.lostAckedTransfers,
          errorRate,
          p99Ms,
        });
      }
    }
    return answer;
  });
  return built;
}
