// `ldc start --runtime live`: the shared controller wiring (runtime/controller-wiring.ts) over a
// LiveRuntime instead of the simulator. Gateways are CellClients over TcpTransport that reach the
// replicas through their region's client proxies (so a region outage cuts its gateway too), time
// is real (no pacer), and closing stops the replica processes and removes the proxies.
import { OutageDrills } from "../../controller/chaos-adapters.js";
import type { Controller, ConsistencySnapshot, ControllerOptions } from "../../controller/controller.js";
import { Gateway, type RequestSink } from "../../controller/gateway.js";
import { ControllerStore } from "../../controller/store/store.js";
import type { WorldConfig } from "../../domain/config.js";
import { wireController } from "../controller-wiring.js";
import { defaultAdmission } from "../virtual/controller-setup.js";
import { LiveRuntime, LIVE_CLIENT_PREFIX, liveClientTimeouts } from "./runtime.js";
import { TcpTransport } from "./adapters/tcp-transport.js";
import { failFastTransport } from "./fail-fast.js";

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
  readonly live: LiveRuntime;
  readonly controller: Controller;
  readonly sink: RequestSink;
  close(): Promise<void>;
}

export async function setupLiveController(options: LiveSetupOptions): Promise<LiveControllerSetup> {
  const live = await LiveRuntime.start({
    seed: options.seed,
    config: options.config,
    ...(options.cellCount !== undefined ? { cellCount: options.cellCount } : {}),
  });
  options.progress?.(`live world up: ${live.processes.size} replica processes, ${live.mesh?.names().length ?? 0} proxies`);
  if (!(await live.awaitLeaders(30_000_000))) options.progress?.("not every cell has a leader yet; serving anyway");
  const cluster = live.cluster;
  const placement = live.placement;
  const transports: TcpTransport[] = [];
  const store = new ControllerStore(options.dataDirectory, options.wallTimeIso);
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
  const wiring = wireController({
    cluster,
    placement,
    store,
    ...(options.controller ? { controller: options.controller } : {}),
    gateway: (region, parts) => {
      // The gateway dials the same proxies as its region's client: the links of that region.
      const clientTransport = live.clientTransports.get(`${LIVE_CLIENT_PREFIX}${region.name}`);
      const peers = new Map<string, string>();
      for (const replica of placement.cells.flatMap((cell) => cell.replicas)) {
        const address = clientTransport?.addressOf(replica.replica);
        if (address !== undefined) peers.set(replica.replica, address);
      }
      const transport = new TcpTransport({ self: `gw/${region.name}`, peers, sendQueueFramesMax: 50_000 });
      transports.push(transport);
      parts.register(
        new Gateway(
          { region: region.name, admission: defaultAdmission, client: liveClientTimeouts, cells: parts.cellsReplicas },
          // Gateways fail fast on replicas known dead or cut, as they would on a refused connection.
          {
            clock: live.clock,
            random: live.random.fork(`gw/${region.name}`),
            transport: failFastTransport(transport, (target) => live.reachable(`${LIVE_CLIENT_PREFIX}${region.name}`, target)),
            routing: parts.routing,
            stats: parts.stats,
            peer: parts.peer,
          },
        ),
      );
    },
    // A region's gateway is usable while its client link (the region's proxies) is up.
    usable: (region) => live.faults.isUp(`${LIVE_CLIENT_PREFIX}${region}`),
    drills: (faults) => new OutageDrills({ cluster, faults, violations: () => live.invariantViolations() }),
    consistency,
  });
  const controller = wiring.controller;
  controller.start();
  return {
    live,
    controller,
    sink: wiring.sink,
    async close() {
      controller.stop();
      store.close();
      await Promise.all(transports.map((transport) => transport.close()));
      await live.close();
    },
  };
}
