// Wires a controller onto a VirtualWorld: one gateway process per region (host gw/<region> in
// the region's first datacenter), the routing table from the placement and current leaders, the
// chaos FaultManager, the drill service, the SQLite store, and the steady workload through the
// gateways.
import { FaultManager } from "../../chaos/fault-manager.js";
import type { WorldConfig } from "../../sim/world/config.js";
/** ~4 minutes of history at the default 2,000 ops/s (two ops each): memory stays flat. */
export const HISTORY_RETAIN_OPS_MAX = 1_000_000;

import { createVirtualWorld, type VirtualWorld } from "../../sim/virtual/world.js";
import { faultServiceOf } from "../chaos-adapters.js";
import { ChaosDrillService } from "./drill-service.js";
import type { Controller, ControllerOptions } from "../controller.js";
import { controllerWithGateways } from "./wiring.js";
import { defaultConsistencyOptions, OnlineConsistency } from "./consistency.js";
import { Gateway, type RequestSink } from "../gateway.js";
import { RoutingTable } from "../routing.js";
import { ControllerStore } from "../store/store.js";
import { TrafficStats } from "../traffic-stats.js";
import type { AdmissionOptions } from "../admission.js";

export const GATEWAY_HOST_PREFIX = "gw/";
/** Newest audit entries a drill report looks through for its own window. */
export const drillReportAuditEntriesMax = 500;
/** How often users' entry points re-check which gateways can reach the cells (simulated). */
export const gatewayHealthPeriodUs = 100_000;

/** Per cell per gateway: well above the steady load (~330 ops/s per cell), below a cell's limit. */
export const defaultAdmission: AdmissionOptions = { ratePerSecond: 3_000, burstRequestsMax: 300, queueRequestsMax: 500, queueWaitUsMax: 200_000 };

export interface SetupOptions {
  readonly seed: number;
  readonly config?: WorldConfig;
  readonly dataDirectory: string;
  readonly wallTimeIso: () => string;
  readonly controller?: Partial<ControllerOptions>;
  readonly admission?: AdmissionOptions;
  readonly opsPerSecond?: number;
  /** Simulated time to let the cells elect their first leaders before serving. */
  readonly warmupUs?: number;
}

export interface ControllerSetup {
  readonly virtual: VirtualWorld;
  readonly controller: Controller;
  readonly routing: RoutingTable;
  readonly gateways: ReadonlyMap<string, Gateway>;
  readonly store: ControllerStore;
  readonly faults: FaultManager;
  readonly consistency: OnlineConsistency;
  /** The sink the workload uses: a user enters at the gateway of their cell's routed region. */
  readonly sink: RequestSink;
  close(): void;
}

export function setupController(options: SetupOptions): ControllerSetup {
  // The running world never ends: keep a bounded window of the history (drills check their own window).
  const virtual = createVirtualWorld({ seed: options.seed, historyRetainOpsMax: HISTORY_RETAIN_OPS_MAX, ...(options.config ? { config: options.config } : {}), ...(options.opsPerSecond ? { workload: { opsPerSecond: options.opsPerSecond } } : {}) });
  // Leaders start in their preferred regions (DESIGN.md), as an operator sets the world up before traffic.
  virtual.settleLeaders(options.warmupUs ?? 10_000_000);
  const cluster = virtual.cluster;
  const placement = virtual.placement;
  const shardToCell = Array.from({ length: placement.shardCount }, (_, shard) => placement.cellOfShard(shard));
  const initialCells: Record<string, string> = {};
  for (const cell of cluster.cells()) initialCells[cell.id] = cell.leader?.region ?? cell.preferredRegion;
  const regionNames = cluster.topology.regions.map((region) => region.name);
  const routing = new RoutingTable(shardToCell, initialCells, regionNames, Math.floor(cluster.clock.nowUs() / 1000));
  const stats = new TrafficStats(cluster.random.fork("controller/stats"));
  const cellsReplicas = new Map<string, readonly string[]>(placement.cells.map((cell) => [cell.cell, cell.replicas.map((replica) => replica.replica)]));
  const gateways = new Map<string, Gateway>();
  for (const region of virtual.regions) {
    const host = `${GATEWAY_HOST_PREFIX}${region.name}`;
    virtual.world.addHost(host, region.datacenters[0] as string);
    virtual.world.spawn(host, (context) => {
      gateways.set(region.name, new Gateway(
        {
          region: region.name,
          admission: options.admission ?? defaultAdmission,
          client: { attemptTimeoutUs: 250_000, requestTimeoutUs: 5_000_000, inflightRequestsMax: 50_000, retryBackoffUs: 20_000 },
          cells: cellsReplicas,
        },
        { clock: context.clock, random: context.random, transport: context.transport, routing, stats, peer: (name) => liveGateway(name) },
      ));
      return {};
    });
  }
  // GSLB-style health of each gateway: up, and reaching (both ways) a majority of all replicas.
  // A datacenter outage leaves its gateway process running but cut off; requests sent there
  // would only time out. Refreshed every `gatewayHealthPeriodUs` and on every fault change.
  const replicaHosts = placement.cells.flatMap((cell) => cell.replicas.map((replica) => replica.replica));
  const gatewayUsable = new Map<string, boolean>();
  const refreshGatewayHealth = (): void => {
    const network = virtual.world.network;
    for (const region of regionNames) {
      const host = `${GATEWAY_HOST_PREFIX}${region}`;
      const reached = virtual.world.isUp(host) ? replicaHosts.filter((replica) => !network.isBlocked(host, replica) && !network.isBlocked(replica, host)).length : 0;
      gatewayUsable.set(region, reached * 2 > replicaHosts.length);
    }
  };
  let gatewayHealthTimer = cluster.clock.setTimer(gatewayHealthPeriodUs, function tick() {
    refreshGatewayHealth();
    gatewayHealthTimer = cluster.clock.setTimer(gatewayHealthPeriodUs, tick);
  });
  function liveGateway(region: string): Gateway | undefined {
    return gatewayUsable.get(region) === true ? gateways.get(region) : undefined;
  }
  const store = new ControllerStore(options.dataDirectory, options.wallTimeIso);
  // Fault ids from the store's persisted sequence: a restarted controller never reuses f-1.
  const faults = new FaultManager(cluster, { nextFaultId: () => `f-${store.nextId("f")}` });
  refreshGatewayHealth();
  faults.on(() => refreshGatewayHealth());
  let controllerBound: Controller | null = null;
  const drills = new ChaosDrillService({ virtual, faults, controller: () => controllerBound, routingHistory: () => routing.snapshot().history, auditEntries: () => store.query({ limit: drillReportAuditEntriesMax }), chartOriginUs: () => controllerBound?.health.periodOriginUs ?? 0 });
  const online = new OnlineConsistency(defaultConsistencyOptions, { world: virtual, clock: cluster.clock });
  online.start();
  const controller = controllerWithGateways(options.controller, { cluster, routing, stats, store, faults: faultServiceOf(faults), drills, consistency: () => online.snapshot(), }, gateways);
  controllerBound = controller;
  controller.start();
  const sink: RequestSink = {
    submit(request, callback) {
      // Users arrive where the routing table sends their cell (DESIGN.md: the region of its leader).
      // A gateway that cannot reach the cells (its datacenter lost power or is cut off) takes no
      // one: its users enter at the first usable, undrained gateway elsewhere, as GSLB would send them.
      const region = routing.regionOfCell(routing.cellOfShard(request.shard));
      let gateway = liveGateway(region);
      for (const other of regionNames) {
        if (gateway !== undefined) break;
        if (!routing.isDrained(other)) gateway = liveGateway(other);
      }
      if (gateway === undefined) {
        // The user saw an error: the page's figures count it (as the drill report's history does).
        stats.recordShed(routing.cellOfShard(request.shard), region);
        callback({ ok: false, error: { code: "OVERLOADED", message: `no live gateway for ${region}` } });
      } else gateway.submit(request, callback);
    },
  };
  return {
    virtual,
    controller,
    routing,
    gateways,
    store,
    faults,
    consistency: online,
    sink,
    close() {
      cluster.clock.cancelTimer(gatewayHealthTimer);
      online.stop();
      controller.stop();
      store.close();
    },
  };
}
