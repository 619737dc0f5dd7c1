// What a correct observer says about a region and its datacenters, from the cells' replica views:
// a datacenter is down when none of its replicas runs; a region is down when all its datacenters
// are; a running region whose replicas are all on minority sides is partitioned; `cutFrom` names
// the regions it cannot exchange a single message with. Pure: the health monitor calls it. From
// the controller's probes (controller/control/prober.ts) a replica may be "unreachable": a
// datacenter or region none of whose replicas is known to run, and some of them unreachable, is
// "unreachable" (down, or cut off from the control leader: the observer cannot tell), not "down".
import type { CellView, RegionInfo, ReplicaView } from "../domain/cluster.js";

export type DatacenterState = "up" | "down" | "unreachable";
export type RegionState = "up" | "partitioned" | "down" | "unreachable";

export interface DatacenterStatus {
  readonly name: string;
  readonly state: DatacenterState;
  readonly replicas: number;
  readonly replicasRunning: number;
}

export interface RegionStatus {
  readonly state: RegionState;
  /** Some datacenter of it is known to run (false when "down" or "unreachable"). */
  readonly up: boolean;
  readonly datacenterStatus: readonly DatacenterStatus[];
  /** Regions no replica here can exchange messages with (every replica pair between the two is cut). */
  readonly cutFrom: readonly string[];
  /** Running replicas here on a side where their cell can form a quorum, and those that are not. */
  readonly replicasInMajority: number;
  readonly replicasPartitioned: number;
}

/** A replica whose process is known to run (it may still be cut off or lagging). */
export function isRunning(replica: ReplicaView): boolean {
  return replica.state !== "crashed" && replica.state !== "paused" && replica.state !== "unreachable";
}

export function regionStatus(region: RegionInfo, views: readonly CellView[]): RegionStatus {
  const here = views.flatMap((cell) => cell.replicas).filter((replica) => replica.region === region.name);
  const datacenterStatus = region.datacenters.map((name): DatacenterStatus => {
    const replicas = here.filter((replica) => replica.datacenter === name);
    const replicasRunning = replicas.filter(isRunning).length;
    // A datacenter holding no replica gives no evidence of being down.
    const state: DatacenterState =
      replicas.length === 0 || replicasRunning > 0
        ? "up"
        : replicas.some((replica) => replica.state === "unreachable")
          ? "unreachable"
          : "down";
    return { name, state, replicas: replicas.length, replicasRunning };
  });
  const withReplicas = datacenterStatus.filter((status) => status.replicas > 0);
  const up = withReplicas.length === 0 || withReplicas.some((status) => status.state === "up");
  const unreachable = !up && withReplicas.some((status) => status.state === "unreachable");
  const running = here.filter(isRunning);
  const replicasInMajority = running.filter((replica) => replica.inMajority).length;
  const replicasPartitioned = running.filter((replica) => replica.state === "partitioned").length;
  const state: RegionState = unreachable
    ? "unreachable"
    : !up
      ? "down"
      : running.length > 0 && replicasInMajority === 0 && replicasPartitioned > 0
        ? "partitioned"
        : "up";
  return { state, up, datacenterStatus, cutFrom: regionsCutFrom(region.name, views), replicasInMajority, replicasPartitioned };
}

/** Regions whose every replica pair (same cell) with `region` is cut by the network. */
function regionsCutFrom(region: string, views: readonly CellView[]): string[] {
  const pairs = new Map<string, { total: number; cut: number }>();
  for (const cell of views) {
    for (const replica of cell.replicas) {
      if (replica.region !== region) continue;
      for (const peer of cell.replicas) {
        if (peer.region === region) continue;
        const count = pairs.get(peer.region) ?? { total: 0, cut: 0 };
        count.total++;
        if (replica.cutFrom.includes(peer.id)) count.cut++;
        pairs.set(peer.region, count);
      }
    }
  }
  return [...pairs.entries()]
    .filter(([, count]) => count.total > 0 && count.cut === count.total)
    .map(([name]) => name)
    .sort();
}
