// `ldc start --runtime live` and `ldc drill run --runtime live`: the shared controller wiring
// (runtime/controller-wiring.ts) over a LiveRuntime instead of the simulator, with the live control
// group (runtime/live/control-plane.ts) in front of it. Gateways are CellClients over TcpTransport
// that reach the replicas through their region's client proxies (so a region outage cuts its gateway
// too), time is real (no pacer), and closing stops the replica processes and removes the proxies.
// `startLiveWorld` (the processes, the control group, their first leaders) is also what
// `ldc bench live` starts.
import { OutageDrills } from "../../controller/chaos-adapters.js";
import type { Controller, ConsistencySnapshot, ControllerOptions } from "../../controller/controller.js";
import { Gateway, type RequestSink } from "../../controller/gateway.js";
import { ControllerStore } from "../../controller/store/store.js";
import { MemoryStore } from "../../controller/store/memory-store.js";
import type { FaultManager } from "../../chaos/fault-manager.js";
import type { WorldConfig } from "../../domain/config.js";
import { wireControl, wireController } from "../controller-wiring.js";
import { defaultAdmission } from "../virtual/controller-setup.js";
import { LiveRuntime, LIVE_CLIENT_PREFIX, liveClientTimeouts, type LiveRuntimeOptions } from "./runtime.js";
import { TcpTransport } from "./adapters/tcp-transport.js";
import { failFastTransport } from "./fail-fast.js";
import type { ControlGate } from "../../controller/control/gate.js";
import type { FaultLeaseKeeper } from "../../controller/control/leases.js";
import type { ControllerResidence } from "../../controller/control/residence.js";
import type { ApiControl } from "../../controller/http/app.js";
import type { ControlPlane } from "../../controller/control/plane.js";
import type { LiveControlGroup, LiveControlOptions } from "./control-plane.js";

/** A live world as `ldc start`, `ldc drill run` and `ldc bench live` start it: processes, proxies, the control group. */
export interface LiveWorldOptions extends Omit<LiveRuntimeOptions, "controlPlane"> {
  readonly progress?: (line: string) => void;
  /** The control group (runtime/live/control-plane.ts); false: none, mutating calls are applied directly (default: 2 + 2 + 1). */
  readonly controlPlane?: LiveControlOptions | false;
  /** How long to wait for the cells' and the control group's first leaders (µs; default 30 s). */
  readonly warmupUsMax?: number;
}

export interface LiveSetupOptions extends LiveWorldOptions {
  readonly config: WorldConfig;
  /** The controller's own SQLite store (audit, schedules, halt); null: in memory (a drill). */
  readonly dataDirectory: string | null;
  readonly wallTimeIso: () => string;
  readonly controller?: Partial<ControllerOptions>;
}

/** The control group of `ldc start --runtime live` and what the HTTP edge serves of it. */
export interface LiveControlSetup {
  readonly group: LiveControlGroup;
  readonly plane: ControlPlane;
  readonly gate: ControlGate;
  readonly leases: FaultLeaseKeeper;
  /** Where the decision loop runs: the control leader with a quorum (controller/control/residence.ts). */
  readonly residence: ControllerResidence;
  /** For createApp's `control` option (controller/http/app.ts ApiControl). */
  readonly api: ApiControl;
}

export interface LiveControllerSetup {
  readonly live: LiveRuntime;
  readonly controller: Controller;
  readonly sink: RequestSink;
  /** The controller's fault manager: faults injected through it are recorded in the control group with their leases. */
  readonly faults: FaultManager;
  /** The control group; null when options.controlPlane was false. */
  readonly control: LiveControlSetup | null;
  close(): Promise<void>;
}

/**
 * Starts the live world with its control group (unless `controlPlane: false`) and waits (up to
 * `warmupUsMax`) for every cell's first leader and a control leader with a quorum; a world that
 * has not elected them by then is returned anyway (mutating calls answer 503 control-quorum until
 * it has; `progress` says so).
 */
export async function startLiveWorld(options: LiveWorldOptions): Promise<LiveRuntime> {
  const { progress, controlPlane, warmupUsMax, ...runtime } = options;
  const live = await LiveRuntime.start({ ...runtime, ...(controlPlane === false ? {} : { controlPlane: controlPlane ?? {} }) });
  progress?.(`live world up: ${live.processes.size} replica processes, ${live.mesh?.names().length ?? 0} proxies`);
  const warmupUs = warmupUsMax ?? 30_000_000;
  if (!(await live.awaitLeaders(warmupUs))) progress?.("not every cell has a leader yet; going on anyway");
  if (live.control !== null && !(await awaitControlLeader(live, warmupUs)))
    progress?.("the control group has no leader yet; mutating calls answer 503 control-quorum until it has");
  if (live.control !== null) live.cluster.controlPlane = live.control.plane;
  return live;
}

export async function setupLiveController(options: LiveSetupOptions): Promise<LiveControllerSetup> {
  const { dataDirectory, wallTimeIso, controller: controllerOptions, ...world } = options;
  const live = await startLiveWorld(world);
  const cluster = live.cluster;
  const placement = live.placement;
  const transports: TcpTransport[] = [];
  const store = dataDirectory === null ? new MemoryStore(wallTimeIso) : new ControllerStore(dataDirectory, wallTimeIso);
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
  let residenceRef: ControllerResidence | null = null;
  const group = live.control;
  const wiring = wireController({
    cluster,
    placement,
    store,
    // The controller sees the cells through the control leader's region's probes over Toxiproxy
    // (runtime/live/control-plane.ts observedCells), and decides only while its loop has a host.
    // Leadership moves still go through the supervisor's admin channel (not yet a message from the
    // control leader's process, as in the virtual runtime).
    ...(group !== null && {
      sight: {
        cells: () => group.observedCells(),
        cell: (id: string) => group.observedCells().find((cell) => cell.id === id),
        transferLeadership: (...args: Parameters<typeof cluster.transferLeadership>) => cluster.transferLeadership(...args),
      },
      hosted: () => residenceRef?.hosted ?? true,
    }),
    ...(controllerOptions ? { controller: controllerOptions } : {}),
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
  // As in the virtual runtime (runtime/virtual/controller-setup.ts): every mutating API call is
  // admitted and recorded through the control group's gate, background audit entries and routing
  // versions are shipped to it, fault leases are renewed by it, and the decision loop follows its leader.
  let control: LiveControlSetup | null = null;
  if (group !== null) {
    const plane = group.plane;
    const { gate, leases, residence } = wireControl({
      clock: live.clock,
      plane,
      wiring,
      incarnation: (host) => live.processes.get(host)?.incarnation ?? 0,
    });
    residenceRef = residence;
    control = {
      group,
      plane,
      gate,
      leases,
      residence,
      api: { gate, plane, regions: live.regions.map((region) => region.name), routingVersion: () => wiring.routing.version },
    };
  }
  controller.start();
  return {
    live,
    controller,
    sink: wiring.sink,
    faults: wiring.faults,
    control,
    async close() {
      control?.residence.stop();
      control?.leases.stop();
      control?.gate.stop();
      controller.stop();
      store.close();
      await Promise.all(transports.map((transport) => transport.close()));
      await live.close();
    },
  };
}

/** Waits until the control group has a leader in contact with a majority, or `maxUs`. */
export async function awaitControlLeader(live: LiveRuntime, maxUs: number): Promise<boolean> {
  const deadline = performance.now() + maxUs / 1000;
  for (;;) {
    await live.pollStatuses();
    if (live.control?.plane.status().quorum === true) return true;
    if (performance.now() >= deadline) return false;
    await live.sleep(50);
  }
}
