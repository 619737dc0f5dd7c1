// The Cluster (sim/cluster.ts) of the virtual runtime: views of cells and replicas computed from
// the live CellNodes and the simulated network, and leadership transfer.

import { topologyInfo, type ActionResult, type CellView, type Cluster, type LeaderInfo, type ReplicaState, type ReplicaView, type TopologyInfo } from "../cluster.js";
import type { Clock, Random } from "../kernel/ports.js";
import type { VirtualWorld } from "./world.js";
import type { VirtualFaults } from "./faults.js";

/** A follower this many entries behind the leader is shown as lagging. */
export const LAGGING_ENTRIES_MIN = 200;
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
    const statuses = placement.replicas.map((replica) => ({ replica, status: this.virtual.node(replica.replica)?.replica.status() }));
    // The leader is the up replica that claims leadership at the highest term.
    let leader: (typeof statuses)[number] | undefined;
    for (const entry of statuses) {
      if (entry.status?.role !== "leader" || world.state(entry.replica.replica) !== "running") continue;
      if (leader === undefined || (entry.status.term as number) > (leader.status?.term as number)) leader = entry;
    }
    const leaderLast = leader?.status?.lastIndex as number | undefined;
    const reachable = (a: string, b: string): boolean => a === b || (!world.network.isBlocked(a, b) && !world.network.isBlocked(b, a));
    const upIds = statuses.filter((entry) => world.state(entry.replica.replica) === "running" && entry.status !== undefined && !entry.status.corrupted).map((entry) => entry.replica.replica);
    const majority = Math.floor(placement.replicas.length / 2) + 1;
    const quorumAvailable = upIds.some((a) => upIds.filter((b) => reachable(a, b)).length >= majority);
    const replicas: ReplicaView[] = statuses.map(({ replica, status }) => {
      const processState = world.state(replica.replica);
      const peers = placement.replicas.filter((peer) => peer.replica !== replica.replica);
      const cutFrom = peers.filter((peer) => !reachable(replica.replica, peer.replica)).length;
      const lag = status === undefined || leaderLast === undefined ? -1 : Math.max(0, leaderLast - (status.lastIndex as number));
      let state: ReplicaState = "up";
      if (processState === "down" || status === undefined) state = "crashed";
      else if (processState === "paused") state = "paused";
      else if (status.corrupted) state = "corrupted";
      else if (this.faults.diskFaulted(replica.replica) || status.failed) state = "disk-faulted";
      else if (cutFrom * 2 >= peers.length) state = "partitioned";
      else if (lag >= LAGGING_ENTRIES_MIN) state = "lagging";
      return {
        id: replica.replica,
        cell: id,
        datacenter: replica.datacenter,
        region: replica.region,
        role: status === undefined || processState === "down" ? "down" : roleName(status.role ?? "follower"),
        state,
        term: (status?.term as number | undefined) ?? 0,
        commitIndex: (status?.commit as number | undefined) ?? 0,
        appliedIndex: (status?.applied as number | undefined) ?? 0,
        lag,
      };
    });
    const leaderInfo: LeaderInfo | null = leader ? { replica: leader.replica.replica, datacenter: leader.replica.datacenter, region: leader.replica.region } : null;
    return {
      id,
      preferredRegion: placement.preferredLeaderRegion,
      shards: placement.shards,
      replicas,
      leader: leaderInfo,
      term: Math.max(0, ...replicas.map((replica) => replica.term)),
      commitIndex: Math.max(0, ...replicas.map((replica) => replica.commitIndex)),
      quorumAvailable,
    };
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

function roleName(role: string): ReplicaView["role"] {
  switch (role) {
    case "leader":
      return "leader";
    case "candidate":
      return "candidate";
    case "preCandidate":
      return "precandidate";
    default:
      return "follower";
  }
}
