// The controller wiring both runtimes share (`ldc start`, virtual or live): the routing table
// from the placement and the current leaders, the traffic stats, one gateway per region, the
// chaos FaultManager, the controller with every leader move reaching each gateway's leader cache,
// and the sink users enter by. A runtime supplies only what differs by physics: how a gateway is
// built (a process on a simulated host, or CellClients over TCP), whether a region's gateway is
// usable now, and its drill service and consistency view (docs/architecture.md, "The two runtimes").
import type { Placement } from "../cells/placement.js";
import { FaultManager } from "../chaos/fault-manager.js";
import { faultServiceOf } from "../controller/chaos-adapters.js";
import {
  Controller,
  defaultControllerOptions,
  type ConsistencySnapshot,
  type ControllerDependencies,
  type ControllerOptions,
} from "../controller/controller.js";
import type { Gateway } from "../controller/gateway.js";
import type { MoveJournal } from "../controller/elastic.js";
import type { DrillService } from "../controller/ports.js";
import { RoutingTable } from "../controller/routing.js";
import type { AuditLog, HaltStore, ScheduleStore } from "../controller/ports.js";
import { TrafficStats } from "../controller/traffic-stats.js";
import type { CellSight, Cluster, RegionInfo } from "../domain/cluster.js";
import type { RequestSink } from "../domain/requests.js";
import type { Clock } from "../ground/ports.js";
import { ControlGate } from "../controller/control/gate.js";
import { controlRoutingOf } from "../controller/control/routing.js";
import { defaultLeaseOptions, FaultLeaseKeeper, type LeaseOptions } from "../controller/control/leases.js";
import { ControllerResidence } from "../controller/control/residence.js";
import type { ControlPlane } from "../controller/control/plane.js";

/** What a runtime's gateway builder gets: the shared routing, stats and replica lists. */
export interface GatewayParts {
  readonly routing: RoutingTable;
  readonly stats: TrafficStats;
  readonly cellsReplicas: ReadonlyMap<string, readonly string[]>;
  /** Another region's gateway, when users may enter there now (a drained gateway redirects to it). */
  readonly peer: (region: string) => Gateway | undefined;
  /** Makes `gateway` the region's gateway (again, when a restarted gateway process builds a new one). */
  readonly register: (gateway: Gateway) => void;
}

export interface ControllerWiringOptions {
  readonly cluster: Cluster;
  readonly placement: Placement;
  readonly store: AuditLog & ScheduleStore & HaltStore;
  readonly controller?: Partial<ControllerOptions>;
  /** The cells as the controller sees them and how it moves leaders (runtime/virtual: the control leader's probes and requests); absent: the Cluster. */
  readonly sight?: CellSight;
  /** False while the controller's decision loop has no host (runtime/virtual: no control leader with a quorum). */
  readonly hosted?: () => boolean;
  gateway(region: RegionInfo, parts: GatewayParts): void;
  /** Users may enter at this region's gateway now (up, and reaching the cells). */
  usable(region: string): boolean;
  /** Called once the gateways exist and the FaultManager is made, before anything else sees it. */
  onFaultManager?(faults: FaultManager): void;
  drills(faults: FaultManager, controller: () => Controller | null): DrillService;
  consistency(): ConsistencySnapshot;
  /** Where shard moves are recorded (the control plane's log), when the runtime has one. */
  readonly moveJournal?: MoveJournal;
}

export interface ControllerWiring {
  readonly controller: Controller;
  readonly routing: RoutingTable;
  readonly gateways: ReadonlyMap<string, Gateway>;
  readonly faults: FaultManager;
  /** The sink the workload uses: a user enters at the gateway of their cell's routed region. */
  readonly sink: RequestSink;
}

export function wireController(options: ControllerWiringOptions): ControllerWiring {
  const { cluster, placement } = options;
  const initialCells: Record<string, string> = {};
  for (const cell of cluster.cells()) initialCells[cell.id] = cell.leader?.region ?? cell.preferredRegion;
  const regionNames = cluster.topology.regions.map((region) => region.name);
  // The table reads shard ownership from the placement (the one map a move changes).
  const routing = new RoutingTable(placement, initialCells, regionNames, Math.floor(cluster.clock.nowUs() / 1000));
  const stats = new TrafficStats(cluster.random.fork("controller/stats"));
  const cellsReplicas = new Map<string, readonly string[]>(
    placement.cells.map((cell) => [cell.cell, cell.replicas.map((replica) => replica.replica)]),
  );
  // Gateways' clients share this map: a cell added later is reachable by every gateway at once.
  placement.onChange((change) => {
    if (change.kind === "cell-added") {
      const added = placement.cell(change.cell);
      if (added !== undefined)
        cellsReplicas.set(
          change.cell,
          added.replicas.map((replica) => replica.replica),
        );
    } else if (change.kind === "cell-removed") cellsReplicas.delete(change.cell);
  });
  const gateways = new Map<string, Gateway>();
  const usableGateway = (region: string): Gateway | undefined => (options.usable(region) ? gateways.get(region) : undefined);
  for (const region of cluster.topology.regions)
    options.gateway(region, {
      routing,
      stats,
      cellsReplicas,
      peer: usableGateway,
      register: (gateway) => gateways.set(region.name, gateway),
    });
  // Fault ids from the store's persisted sequence: a restarted controller never reuses f-1.
  const faults = new FaultManager(cluster, { nextFaultId: () => `f-${options.store.nextId("f")}` });
  options.onFaultManager?.(faults);
  let controllerBound: Controller | null = null;
  const drills = options.drills(faults, () => controllerBound);
  const controller = controllerWithGateways(
    options.controller,
    {
      cluster,
      ...(options.sight !== undefined && { sight: options.sight }),
      ...(options.hosted !== undefined && { hosted: options.hosted }),
      routing,
      stats,
      store: options.store,
      faults: faultServiceOf(faults),
      drills,
      consistency: () => options.consistency(),
      ...(options.moveJournal !== undefined && { moveJournal: options.moveJournal }),
    },
    gateways,
  );
  controllerBound = controller;
  const sink: RequestSink = {
    submit(request, callback) {
      // Users arrive where the routing table sends their cell (the region of its leader). A
      // gateway that cannot reach the cells (its datacenter lost power or is cut off) takes no
      // one: its users enter at the first usable, undrained gateway elsewhere, as GSLB would send them.
      const region = routing.regionOfCell(routing.cellOfShard(request.shard));
      let gateway = usableGateway(region);
      for (const other of regionNames) {
        if (gateway !== undefined) break;
        if (!routing.isDrained(other)) gateway = usableGateway(other);
      }
      if (gateway === undefined) {
        // The user saw an error: the page's figures count it (as the drill report's history does).
        stats.recordShed(routing.cellOfShard(request.shard), region);
        callback({ ok: false, error: { code: "UNAVAILABLE", message: `no usable gateway for ${region}` } });
      } else gateway.submit(request, callback);
    },
  };
  return { controller, routing, gateways, faults, sink };
}

/** The controller of a running cluster whose every leader move reaches each gateway's leader cache. */
export function controllerWithGateways(
  options: Partial<ControllerOptions> | undefined,
  dependencies: Omit<ControllerDependencies, "onLeader">,
  gateways: ReadonlyMap<string, Gateway>,
): Controller {
  return new Controller(
    { ...defaultControllerOptions, ...options },
    {
      ...dependencies,
      onLeader: (cell, leader) => {
        for (const gateway of gateways.values()) gateway.leaderHint(cell, leader?.replica ?? null);
      },
    },
  );
}

/** What puts a wired controller behind its control group (both runtimes' `ldc start` and controller drills). */
export interface ControlWiring {
  /** Every mutating call admitted and recorded through the group; background audit and routing shipped to it. */
  readonly gate: ControlGate;
  /** Dead-man fault leases renewed by the control leader, adopted after a leader change. */
  readonly leases: FaultLeaseKeeper;
  /** Where the decision loop runs: the control leader with a quorum (for ControllerWiringOptions.hosted). */
  readonly residence: ControllerResidence;
}

/**
 * Wires the gate, the lease keeper and the residence of the decision loop to a wired controller
 * over its control group's plane, and starts them (in this order: the virtual runtime's trace
 * depends on the order its timers are made). `incarnation`: how many times a control replica's
 * process has started (a restart is a new process, its memory gone).
 */
export function wireControl(options: {
  readonly clock: Clock;
  readonly plane: ControlPlane;
  readonly wiring: ControllerWiring;
  readonly incarnation: (host: string) => number;
  readonly leases?: LeaseOptions;
}): ControlWiring {
  const { clock, plane } = options;
  const { controller, routing, faults } = options.wiring;
  const gate = new ControlGate({ clock, plane, routing: () => controlRoutingOf(routing) });
  controller.subscribe((event) => {
    if (event.type === "audit") gate.noteAudit(event.entry);
  });
  gate.start();
  const leases = new FaultLeaseKeeper(options.leases ?? defaultLeaseOptions, {
    clock,
    plane,
    faults,
    drillRuns: () => controller.drillRuns(),
    interruptDrill: (reason) => void controller.runs.interruptRunning(reason),
  });
  leases.start();
  // The decision loop runs on the control leader's host and moves with it (resuming or interrupting running drills).
  const residence = new ControllerResidence({
    clock,
    plane,
    incarnation: options.incarnation,
    drillRuns: () => controller.drillRuns(),
    drillFaults: (runId) =>
      faults
        .active()
        .filter((fault) => faults.originOf(fault.id) === `drill:${runId}`)
        .map((fault) => fault.id),
    interruptDrill: (reason) => void controller.runs.interruptRunning(reason),
    audit: (entry) => controller.recordAudit(entry),
  });
  residence.start();
  return { gate, leases, residence };
}
