// `ldc start --runtime live`: the controller, its regional gateways, API, events and UI over a
// LiveWorld (sim/live) instead of the simulator. Same wiring as controller/runtime/setup.ts, but
// gateways are CellClients over TcpTransport that reach the replicas through their region's
// client proxies (so a region outage cuts its gateway too), time is real (no pacer), and
// closing stops the replica processes and removes the proxies.
import { FaultManager } from "../chaos/fault-manager.js";
import { faultServiceOf, OutageDrills } from "../controller/chaos-adapters.js";
import type { Controller, ConsistencySnapshot, ControllerOptions } from "../controller/controller.js";
import { controllerWithGateways } from "../controller/runtime/wiring.js";
import { Gateway, type RequestSink } from "../controller/gateway.js";
import { RoutingTable } from "../controller/routing.js";
import { ControllerStore } from "../controller/store/store.js";
import { TrafficStats } from "../controller/traffic-stats.js";
import { defaultAdmission } from "../controller/runtime/setup.js";
import type { WorldConfig } from "../sim/world/config.js";
import { LiveWorld, LIVE_CLIENT_PREFIX, liveClientTimeouts } from "../sim/live/world.js";
import { TcpTransport } from "../sim/live/adapters/tcp-transport.js";
import { failFastTransport } from "../sim/live/fail-fast.js";

export interface LiveSetupOptions {
  readonly seed: number;
  readonly config: WorldConfig;
  readonly dataDirectory: string;
  readonly wallTimeIso: () => string;
  readonly controller?: Partial<ControllerOptions>;
  readonly cellCount?: number;
  readonly progress?: (line: string) => void;
}

export interface LiveControllerSetup {
  readonly live: LiveWorld;
  readonly controller: Controller;
  readonly sink: RequestSink;
  close(): Promise<void>;
}

export async function setupLiveController(options: LiveSetupOptions): Promise<LiveControllerSetup> {
  const live = await LiveWorld.start({ seed: options.seed, config: options.config, ...(options.cellCount !== undefined ? { cellCount: options.cellCount } : {}) });
  options.progress?.(`live world up: ${live.processes.size} replica processes, ${live.mesh?.names().length ?? 0} proxies`);
  if (!(await live.awaitLeaders(30_000))) options.progress?.("not every cell has a leader yet; serving anyway");
  const cluster = live.cluster;
  const placement = live.placement;
  const shardToCell = Array.from({ length: placement.shardCount }, (_, shard) => placement.cellOfShard(shard));
  const initialCells: Record<string, string> = {};
  for (const cell of cluster.cells()) initialCells[cell.id] = cell.leader?.region ?? cell.preferredRegion;
  const routing = new RoutingTable(shardToCell, initialCells, cluster.topology.regions.map((region) => region.name), Math.floor(cluster.clock.nowUs() / 1000));
  const stats = new TrafficStats(cluster.random.fork("controller/stats"));
  const cellsReplicas = new Map<string, readonly string[]>(placement.cells.map((cell) => [cell.cell, cell.replicas.map((replica) => replica.replica)]));
  const gateways = new Map<string, Gateway>();
  const transports: TcpTransport[] = [];
  for (const region of live.regions) {
    // The gateway dials the same proxies as its region's client: the links of that region.
    const clientTransport = live.clientTransports.get(`${LIVE_CLIENT_PREFIX}${region.name}`);
    const peers = new Map<string, string>();
    for (const replica of placement.cells.flatMap((cell) => cell.replicas)) {
      const address = clientTransport?.addressOf(replica.replica);
      if (address !== undefined) peers.set(replica.replica, address);
    }
    const transport = new TcpTransport({ self: `gw/${region.name}`, peers, sendQueueFramesMax: 50_000 });
    transports.push(transport);
    gateways.set(
      region.name,
      new Gateway(
        { region: region.name, admission: defaultAdmission, client: liveClientTimeouts, cells: cellsReplicas },
        // Gateways fail fast on replicas known dead or cut, as they would on a refused connection.
        { clock: live.clock, random: live.random.fork(`gw/${region.name}`), transport: failFastTransport(transport, (target) => live.reachable(`${LIVE_CLIENT_PREFIX}${region.name}`, target)), routing, stats, peer: (name) => gateways.get(name) },
      ),
    );
  }
  const store = new ControllerStore(options.dataDirectory, options.wallTimeIso);
  const faults = new FaultManager(cluster, { nextFaultId: () => `f-${store.nextId("f")}` });
  const drills = new OutageDrills({ cluster, faults, violations: () => live.invariantViolations() });
  const consistency = (): ConsistencySnapshot => {
    const violations = live.invariantViolations();
    const byCell = (cell: string): boolean => !violations.some((violation) => violation.startsWith(`${cell}:`));
    const cells = cluster.cells().map((cell) => cell.id);
    return {
      atMs: Math.floor(cluster.clock.nowUs() / 1000),
      moneyConserved: Object.fromEntries(cells.map((cell) => [cell, byCell(cell)])),
      replicaAgreement: Object.fromEntries(cells.map((cell) => [cell, byCell(cell)])),
      // Not checked online in the live runtime (the history and the ledgers live in other
      // processes); drills check it at their end. Reported as unknown, never as 0.
      lostAckedTransfers: null,
      valid: violations.length === 0,
      violations: violations.slice(-20),
    };
  };
  const controller = controllerWithGateways(options.controller, { cluster, routing, stats, store, faults: faultServiceOf(faults), drills, consistency, }, gateways);
  controller.start();
  const sink: RequestSink = {
    submit(request, callback) {
      const region = routing.regionOfCell(routing.cellOfShard(request.shard));
      const gateway = live.faults.isUp(`${LIVE_CLIENT_PREFIX}${region}`) ? gateways.get(region) : undefined;
      if (gateway === undefined) callback({ ok: false, error: { code: "UNAVAILABLE", message: `no gateway up in ${region}` } });
      else gateway.submit(request, callback);
    },
  };
  return {
    live,
    controller,
    sink,
    async close() {
      controller.stop();
      store.close();
      await Promise.all(transports.map((transport) => transport.close()));
      await live.close();
    },
  };
}
