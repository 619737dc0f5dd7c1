// The Cluster (domain/cluster.ts) of the virtual runtime: views of cells and replicas computed from
// the live CellNodes and the simulated network, and leadership transfer.

import { topologyInfo, type ActionResult, type CellView, type Cluster, type LeaderInfo, type TopologyInfo } from "../../domain/cluster.js";
import { cellViewOf } from "../cell-view.js";
import type { Clock, Random } from "../../ground/ports.js";
import type { VirtualWorld } from "./world.js";
import type { VirtualFaults } from "./faults.js";

export { LAGGING_ENTRIES_MIN } from "../cell-view.js";
const TRANSFER_POLL_US = 5_000;

export class VirtualCluster implements Cluster {
  readonly runtime = "virtual" as const;
  readonly topology: TopologyInfo;
  readonly random: Random;

  constructor(
    private readonly virtual: VirtualWorld,
    readonly faults: VirtualFaults,
  ) {
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

  cells(): readonly CellView[] {
    return this.virtual.placement.cells.map((cell) => this.view(cell.cell) as CellView);
  }

  cell(id: string): CellView | undefined {
    return this.view(id);
  }

  private view(id: string): CellView | undefined {
    const placement = this.virtual.placement.cells.find((cell) => cell.cell === id);
    if (placement === undefined) return undefined;
    const world = this.virtual.world;
    return cellViewOf(
      placement,
      (replica) => {
        const status = this.virtual.node(replica)?.replica.status();
        const processState = world.state(replica);
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
              failed: status.failed,
            },
          }),
          diskFaulted: this.faults.diskFaulted(replica),
        };
      },
      (a, b) => !world.network.isBlocked(a, b),
    );
  }

  transferLeadership(cell: string, targetReplica: string, timeoutUs: number, callback: (result: ActionResult) => void): void {
    const view = this.view(cell);
    if (view === undefined) {
      callback({ ok: false, error: { code: "NO_SUCH_CELL", message: `no cell ${cell}` } });
      return;
    }
    const target = view.replicas.find((replica) => replica.id === targetReplica);
    if (target === undefined) {
      callback({ ok: false, error: { code: "NO_SUCH_REPLICA", message: `${targetReplica} is not a replica of ${cell}` } });
      return;
    }
    const leaderInfo = (): LeaderInfo => ({ replica: target.id, datacenter: target.datacenter, region: target.region });
    if (view.leader?.replica === targetReplica) {
      callback({ ok: true, leader: leaderInfo() });
      return;
    }
    if (view.leader === null) {
      callback({ ok: false, error: { code: "NO_LEADER", message: `${cell} has no leader to hand over from` } });
      return;
    }
    if (target.role === "down" || target.state === "crashed" || target.state === "paused") {
      callback({ ok: false, error: { code: "TARGET_DOWN", message: `${targetReplica} is ${target.state}` } });
      return;
    }
    const leaderNode = this.virtual.node(view.leader.replica);
    const result = leaderNode?.replica.transferLeadership(targetReplica);
    if (result !== undefined && result.code !== "OK") {
      const code = result.code === "TARGET_BEHIND" ? "TARGET_BEHIND" : "TIMEOUT";
      callback({ ok: false, error: { code, message: `${view.leader.replica} refused the transfer: ${result.code}${"reason" in result ? ` (${String(result.reason)})` : ""}` } });
      return;
    }
    const deadlineUs = this.clock.nowUs() + timeoutUs;
    const poll = (): void => {
      const now = this.view(cell);
      if (now?.leader?.replica === targetReplica) {
        callback({ ok: true, leader: leaderInfo() });
        return;
      }
      if (this.clock.nowUs() >= deadlineUs) {
        callback({ ok: false, error: { code: "TIMEOUT", message: `${targetReplica} did not become leader of ${cell} within ${Math.round(timeoutUs / 1000)} ms` } });
        return;
      }
      this.clock.setTimer(TRANSFER_POLL_US, poll);
    };
    this.clock.setTimer(TRANSFER_POLL_US, poll);
  }
}
