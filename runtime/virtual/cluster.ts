// The Cluster (domain/cluster.ts) of the virtual runtime, on the shared core (runtime/cluster-core.ts):
// replicas observed straight from the CellNodes and the simulated network; a transfer asked of the
// leader's node by a method call.

import type { Placement } from "../../cells/placement.js";
import { topologyInfo, type ControlPlaneView, type ElasticPort, type TopologyInfo } from "../../domain/cluster.js";
import type { Clock, Random } from "../../ground/ports.js";
import type { ReplicaObservation } from "../cell-view.js";
import { ClusterCore, transferRefusal, type TransferAnswer } from "../cluster-core.js";
import type { CellNode } from "../../cells/cell/node.js";
import type { World } from "../../sim/world/world.js";
import type { VirtualFaults } from "./faults.js";

export { LAGGING_ENTRIES_MIN } from "../cell-view.js";
const TRANSFER_POLL_US = 5_000;

/** What the cluster reads of the runtime it belongs to (VirtualRuntime). */
export interface VirtualClusterHost {
  readonly world: World;
  readonly regions: readonly { readonly name: string; readonly datacenters: readonly string[] }[];
  readonly seed: number;
  readonly clock: Clock;
  readonly placement: Placement;
  node(host: string): CellNode | undefined;
}

export class VirtualCluster extends ClusterCore {
  readonly runtime = "virtual" as const;
  readonly topology: TopologyInfo;
  readonly random: Random;
  /** Set by the runtime once it is built (it adds cells and carries move steps). */
  elastic?: ElasticPort;
  /** Set by the controller setup once the control group runs in this world. */
  controlPlane: ControlPlaneView | undefined = undefined;

  constructor(
    private readonly virtual: VirtualClusterHost,
    readonly faults: VirtualFaults,
  ) {
    super(TRANSFER_POLL_US);
    const world = virtual.world;
    this.random = world.random.fork("controller");
    this.topology = topologyInfo(virtual.regions, world.topology);
  }

  get seed(): number {
    return this.virtual.seed;
  }

  get clock(): Clock {
    return this.virtual.clock;
  }

  protected placement(): Placement {
    return this.virtual.placement;
  }

  protected observe(replica: string): ReplicaObservation {
    const status = this.virtual.node(replica)?.replica.status();
    const processState = this.virtual.world.state(replica);
    return {
      // No node object: the process is gone, whatever the world's record says.
      processState: status === undefined ? "down" : processState,
      ...(status !== undefined && {
        status: {
          role: status.role,
          term: (status.term as number | undefined) ?? 0,
          lastIndex: (status.lastIndex as number | undefined) ?? 0,
          commit: (status.commit as number | undefined) ?? 0,
          applied: (status.applied as number | undefined) ?? 0,
          running: status.phase === "running",
          corrupted: status.corrupted,
          repairing: status.phase === "repairing",
          failed: status.failed,
        },
      }),
      diskFaulted: this.faults.diskFaulted(replica),
    };
  }

  protected linkUp(source: string, target: string): boolean {
    return !this.virtual.world.network.isBlocked(source, target);
  }

  protected askTransfer(leader: string, target: string, answer: TransferAnswer): void {
    const result = this.virtual.node(leader)?.replica.transferLeadership(target);
    if (result !== undefined && result.code !== "OK")
      answer(transferRefusal(leader, result.code, "reason" in result ? String(result.reason) : undefined));
    else answer(null);
  }
}
