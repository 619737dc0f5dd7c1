// The control plane inside the simulated world: five control replicas placed like a cell (2 + 2 + 1
// over the regions by default), each a ControlNode (controller/control/node.ts: a Raft replica of
// cells/replica.ts driving the control state machine) on its own simulated host with its own disk,
// and one API endpoint per region (host api/<region>, a ControlClient) through which the
// controller's commands reach them over the simulated network. The hosts are part of the world's
// placement, so a region outage powers them off like the cells' replicas, and a heal restarts them
// (a restarted replica recovers from its WAL and snapshot). Each replica's process also runs a
// CellProber (controller/control/prober.ts) that probes every cell replica while it leads: the
// controller's view of the cells (`observedCells`) is the control leader's probes, so a partition
// between the control leader and a cell is a partition for the controller too. Its leadership
// transfers are requests sent from the same host (`sight`, controller/control/transfer.ts).
import type { Clock, Transport } from "../../ground/ports.js";
import type { CellSight, CellView } from "../../domain/cluster.js";
import type { CellPlacement } from "../../cells/placement.js";
import {
  defaultNetworkTransferOptions,
  transferOverNetwork,
  type CellMessenger,
  type NetworkTransferOptions,
} from "../../controller/control/transfer.js";
import { CellProber, defaultProberOptions, type ProberOptions } from "../../controller/control/prober.js";
import { observedCellOf } from "../cell-view.js";
import { ControlReplicaStore } from "../../controller/store/control-store.js";
import path from "node:path";
import { ControlNode } from "../../controller/control/node.js";
import { ControlClient, defaultControlClientOptions } from "../../controller/control/client.js";
import { ControlPlane, type ControlReplicaPlacement } from "../../controller/control/plane.js";
import type { VirtualRuntime } from "./runtime.js";

export const CONTROL_HOST_PREFIX = "ctl/";
export const CONTROL_ENDPOINT_HOST_PREFIX = "api/";

export interface ControlPlaneOptions {
  /** Control replicas per region, in configuration order (default 2, 2, 1, then 0: five voters over three regions). */
  readonly replicasPerRegion?: readonly number[];
  /** How long a mutating call waits for a commit before 503 control-quorum (simulated µs). */
  readonly commitTimeoutUs?: number;
  /** The control replicas' health probes of the cells (default controller/control/prober.ts defaultProberOptions). */
  readonly prober?: ProberOptions;
  /** The controller's leadership-transfer requests (default controller/control/transfer.ts defaultNetworkTransferOptions). */
  readonly transfer?: NetworkTransferOptions;
  /** Where each replica's materialized SQLite store lives (<dir>/<replica>.sqlite); absent or null: in memory. */
  readonly storeDirectory?: string | null;
}

/** How often a control replica's process brings its SQLite store to its applied state (simulated µs). */
export const CONTROL_STORE_SYNC_US = 200_000;

export const defaultControlReplicasPerRegion: readonly number[] = [2, 2, 1];

/** Where the control replicas go: per region its count, spread over the region's datacenters. */
export function placeControlReplicas(
  regions: readonly { readonly name: string; readonly datacenters: readonly string[] }[],
  replicasPerRegion: readonly number[] = defaultControlReplicasPerRegion,
): ControlReplicaPlacement[] {
  const placements: ControlReplicaPlacement[] = [];
  regions.forEach((region, regionIndex) => {
    const count = replicasPerRegion[regionIndex] ?? 0;
    for (let slot = 0; slot < count; slot++) {
      const datacenter = region.datacenters[slot % region.datacenters.length] as string;
      placements.push({ id: `${CONTROL_HOST_PREFIX}${region.name}-${slot + 1}`, region: region.name, datacenter });
    }
  });
  if (placements.length < 3 || placements.length % 2 === 0)
    throw new RangeError(
      `control plane: expected an odd number (>= 3) of control replicas, got ${placements.length} (${replicasPerRegion.join("+")})`,
    );
  return placements;
}

/**
 * Priority elections (cells/raft/options.ts electionOrder): replicas of the regions holding two
 * stand first, so the leader's quorum is its region neighbour plus one remote ack (one commit is
 * one inter-region round trip), not two remote acks from the region holding one. Both runtimes.
 */
export function controlElectionOrder(placements: readonly ControlReplicaPlacement[]): string[] {
  const perRegion = (region: string): number => placements.filter((placement) => placement.region === region).length;
  return placements
    .map((placement, position) => ({ placement, position }))
    .sort((a, b) => perRegion(b.placement.region) - perRegion(a.placement.region) || a.position - b.position)
    .map(({ placement }) => placement.id);
}

export interface VirtualControlPlane {
  readonly plane: ControlPlane;
  readonly placements: readonly ControlReplicaPlacement[];
  node(id: string): ControlNode | undefined;
  /** The running prober of a control replica (undefined: its process is down). */
  prober(id: string): CellProber | undefined;
  /** The control replica whose probes the controller sees through now (the leader, else the last leader still up); null: none. */
  eyes(): string | null;
  /** The cells as the controller sees them: through `eyes()`'s probes; every replica unreachable when there are none. */
  observedCells(): CellView[];
  /** What the controller decides on and acts through: these views, and leadership transfers requested from `eyes()`'s host. */
  readonly sight: CellSight;
  /** A replica's local materialized store (it outlives the replica's process, as its disk does). */
  store(id: string): ControlReplicaStore | undefined;
  /** How many times a control replica's process has started (a restart is a new process). */
  incarnation(id: string): number;
  close(): void;
}

/** Adds the control replicas and region endpoints to the running world and starts them. */
export function spawnControlPlane(virtual: VirtualRuntime, options: ControlPlaneOptions = {}): VirtualControlPlane {
  const world = virtual.world;
  const placements = placeControlReplicas(virtual.regions, options.replicasPerRegion);
  const voters = placements.map((placement) => placement.id);
  const order = controlElectionOrder(placements);
  const nodes = new Map<string, ControlNode>();
  const probers = new Map<string, CellProber>();
  const proberOptions = options.prober ?? defaultProberOptions;
  const stores = new Map<string, ControlReplicaStore>();
  const incarnations = new Map<string, number>();
  for (const placement of placements) {
    const file =
      options.storeDirectory === undefined || options.storeDirectory === null
        ? null
        : path.join(options.storeDirectory, `${placement.id.replace(CONTROL_HOST_PREFIX, "")}.sqlite`);
    const store = new ControlReplicaStore(file);
    // A file from an earlier world mirrors a log that no longer exists: this world's log rebuilds it.
    store.wipe();
    stores.set(placement.id, store);
  }
  const node = (id: string): ControlNode | undefined => (world.isUp(id) ? nodes.get(id) : undefined);
  const plane = new ControlPlane(
    virtual.regions.map((region) => region.name),
    {
      clock: virtual.clock,
      replicas: () =>
        placements.map((placement) => {
          const running = node(placement.id);
          return { placement, status: running?.status() ?? null, stateMachine: running?.stateMachine ?? null };
        }),
    },
    options.commitTimeoutUs,
  );
  for (const placement of placements) {
    world.addHost(placement.id, placement.datacenter);
    virtual.faults.addPlacement({ id: placement.id, datacenter: placement.datacenter, region: placement.region });
    world.spawn(placement.id, (context) => {
      incarnations.set(placement.id, (incarnations.get(placement.id) ?? 0) + 1);
      const clock: Clock = context.clock;
      // One wire, two users: probe answers go to the prober, everything else to the control replica.
      let nodeHandler: ((source: string, message: unknown) => void) | null = null;
      const nodeTransport: Transport = {
        self: context.transport.self,
        send: (target, message, sizeBytes) => context.transport.send(target, message, sizeBytes),
        onMessage: (handler) => {
          nodeHandler = handler;
        },
      };
      // eslint-disable-next-line prefer-const -- assigned once the node it asks about exists
      let control: ControlNode;
      const prober = new CellProber(proberOptions, {
        clock,
        transport: context.transport,
        targets: () => virtual.placement.cells.flatMap((cell) => cell.replicas.map((replica) => replica.replica)),
        active: () => control.status().role === "leader",
      });
      context.transport.onMessage((source, message) => {
        if (!prober.receive(message)) nodeHandler?.(source, message);
      });
      control = new ControlNode(
        placement.id,
        {
          id: placement.id,
          voters,
          raft: {
            ...virtual.config.raft,
            snapshotEntries: 1_024,
            ...(virtual.config.raft.priorityElections !== false && { electionOrder: order }),
          },
        },
        { clock, random: context.random, transport: nodeTransport, disk: context.disk, log: context.log },
      );
      nodes.set(placement.id, control);
      probers.set(placement.id, prober);
      prober.start();
      const store = stores.get(placement.id) as ControlReplicaStore;
      const sync = (): void => {
        syncTimer = clock.setTimer(CONTROL_STORE_SYNC_US, sync);
        store.sync(control.stateMachine);
      };
      let syncTimer = clock.setTimer(CONTROL_STORE_SYNC_US, sync);
      return {
        stop: () => {
          clock.cancelTimer(syncTimer);
          prober.stop();
          if (nodes.get(placement.id) === control) nodes.delete(placement.id);
          if (probers.get(placement.id) === prober) probers.delete(placement.id);
        },
      };
    });
  }
  for (const region of virtual.regions) {
    const host = `${CONTROL_ENDPOINT_HOST_PREFIX}${region.name}`;
    const datacenter = region.datacenters[0] as string;
    world.addHost(host, datacenter);
    virtual.faults.addPlacement({ id: host, datacenter, region: region.name });
    world.spawn(host, (context) => {
      const client = new ControlClient(
        { replicas: voters, ...defaultControlClientOptions },
        { clock: context.clock, transport: context.transport },
      );
      plane.setEndpoint({ region: region.name, client, up: () => world.state(host) === "running" });
      return { stop: () => client.abandonAll(`${host} stopped`) };
    });
  }
  const prober = (id: string): CellProber | undefined => (world.isUp(id) ? probers.get(id) : undefined);
  let lastEyes: string | null = null;
  const eyes = (): string | null => {
    const leader = plane.leader();
    if (leader !== null && prober(leader) !== undefined) lastEyes = leader;
    return lastEyes !== null && prober(lastEyes) !== undefined ? lastEyes : null;
  };
  const observedCell = (cell: CellPlacement, seeing: CellProber | undefined): CellView =>
    observedCellOf(cell, (replica) => seeing?.answer(replica));
  const seeing = (): CellProber | undefined => {
    const id = eyes();
    return id === null ? undefined : prober(id);
  };
  const observedCells = (): CellView[] => {
    const through = seeing();
    return virtual.placement.cells.map((cell) => observedCell(cell, through));
  };
  const view = (id: string): CellView | undefined => {
    const cell = virtual.placement.cell(id);
    return cell === undefined ? undefined : observedCell(cell, seeing());
  };
  // The controller's requests to the cells leave from the same host as the probes it sees through.
  const messenger: CellMessenger = {
    send: (replica, kind, payload, onAnswer) => {
      const through = seeing();
      if (through === undefined) return false;
      through.request(replica, kind, payload, onAnswer);
      return true;
    },
  };
  const sight: CellSight = {
    cells: observedCells,
    cell: view,
    transferLeadership: (cell, target, timeoutUs, callback) =>
      transferOverNetwork(
        { clock: virtual.clock, view, messenger },
        options.transfer ?? defaultNetworkTransferOptions,
        cell,
        target,
        timeoutUs,
        callback,
      ),
  };
  return {
    plane,
    placements,
    node,
    prober,
    eyes,
    observedCells,
    sight,
    store: (id) => stores.get(id),
    incarnation: (id) => incarnations.get(id) ?? 0,
    close: () => {
      for (const store of stores.values()) store.close();
    },
  };
}
