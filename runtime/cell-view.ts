// One derivation of a cell's view (leader, replica states, quorum) for both runtimes. Each
// runtime only says what it observed per replica: the process state its supervisor knows, the
// replica's last trustworthy status, whether a disk fault is on it, and which links are cut.
import type { CellPlacement } from "../cells/placement.js";
import type { ReplicaProbeStatus } from "../cells/cell/protocol.js";
import type { CellView, LeaderInfo, ReplicaState, ReplicaView } from "../domain/cluster.js";
import type { ProbeAnswer } from "../controller/control/prober.js";

/** A follower this many entries behind the leader is shown as lagging. */
export const LAGGING_ENTRIES_MIN = 200;

export interface ReplicaObservation {
  /** "unreachable": the observer (the controller's probes) got no answer; nothing else is known of it. */
  readonly processState: "running" | "paused" | "down" | "starting" | "unreachable";
  /** The replica's own report, when there is one to believe (none: crashed, or stale in live). */
  readonly status?: Omit<ReplicaProbeStatus, "activePeers" | "repairing"> & {
    /** Repairing a damaged log from its peers: follows, but neither votes nor counts (cells/replica.ts). */
    readonly repairing?: boolean;
  };
  readonly diskFaulted: boolean;
}

export function cellViewOf(
  placement: CellPlacement,
  observe: (replica: string) => ReplicaObservation,
  reachable: (a: string, b: string) => boolean,
): CellView {
  const entries = placement.replicas.map((replica) => ({ replica, ...observe(replica.replica) }));
  // The leader is the running replica that claims leadership at the highest term.
  let leader: (typeof entries)[number] | undefined;
  for (const entry of entries) {
    if (entry.status?.role !== "leader" || !entry.status.running || entry.processState !== "running") continue;
    if (leader === undefined || entry.status.term > (leader.status?.term ?? 0)) leader = entry;
  }
  const leaderLast = leader?.status?.lastIndex;
  const linked = (a: string, b: string): boolean => a === b || (reachable(a, b) && reachable(b, a));
  const upIds = entries
    .filter((entry) => entry.processState === "running" && entry.status?.running === true)
    .map((entry) => entry.replica.replica);
  const majority = Math.floor(placement.replicas.length / 2) + 1;
  const quorumAvailable = upIds.some((a) => upIds.filter((b) => linked(a, b)).length >= majority);
  const replicas: ReplicaView[] = entries.map(({ replica, processState, status, diskFaulted }) => {
    const peers = placement.replicas.filter((peer) => peer.replica !== replica.replica);
    const cutPeers = peers.filter((peer) => !linked(replica.replica, peer.replica));
    const cutFrom = cutPeers.map((peer) => peer.replica);
    const cutFromRegions = [...new Set(cutPeers.map((peer) => peer.region))].sort();
    const running = processState === "running" && status?.running === true;
    const inMajority = running && 1 + upIds.filter((peer) => peer !== replica.replica && linked(replica.replica, peer)).length >= majority;
    const lag = status === undefined || leaderLast === undefined ? -1 : Math.max(0, leaderLast - status.lastIndex);
    let state: ReplicaState = "up";
    if (processState === "unreachable") state = "unreachable";
    else if (processState === "down") state = "crashed";
    else if (processState === "paused") state = "paused";
    else if (status?.corrupted === true) state = "corrupted";
    else if (status?.repairing === true) state = "repairing";
    else if (diskFaulted || status?.failed === true) state = "disk-faulted";
    // Cut from peers matters only when it leaves the replica on a minority side: a hangzhou
    // replica cut from shanghai that still reaches its quorum (hz + hz + sz) is up.
    else if (cutFrom.length > 0 && !inMajority) state = "partitioned";
    else if (lag >= LAGGING_ENTRIES_MIN) state = "lagging";
    return {
      id: replica.replica,
      cell: placement.cell,
      datacenter: replica.datacenter,
      region: replica.region,
      role: processState === "unreachable" ? "unknown" : status === undefined || processState === "down" ? "down" : roleName(status.role),
      state,
      term: status?.term ?? 0,
      commitIndex: status?.commit ?? 0,
      appliedIndex: status?.applied ?? 0,
      lag,
      cutFrom,
      cutFromRegions,
      inMajority,
    };
  });
  const leaderInfo: LeaderInfo | null = leader
    ? { replica: leader.replica.replica, datacenter: leader.replica.datacenter, region: leader.replica.region }
    : null;
  return {
    id: placement.cell,
    preferredRegion: placement.preferredLeaderRegion,
    shards: placement.shards,
    replicas,
    leader: leaderInfo,
    term: Math.max(0, ...replicas.map((replica) => replica.term)),
    commitIndex: Math.max(0, ...replicas.map((replica) => replica.commitIndex)),
    quorumAvailable,
  };
}

function roleName(role: string | null): ReplicaView["role"] {
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

/**
 * The cells as a control leader's probes see them (controller/control/prober.ts), in either runtime:
 * a replica without a fresh answer is `unreachable` (down, or cut off from the prober: the controller
 * cannot tell which), one that answered shows its own status. The only evidence of the links inside a
 * cell is its leader's own account of whom it hears from (`activePeers`).
 */
export function observedCellsOf(
  cells: readonly CellPlacement[],
  /** The prober's fresh answer of a replica (undefined: none, or no prober sees at all). */
  answer: (replica: string) => ProbeAnswer | undefined,
): CellView[] {
  return cells.map((cell) => observedCellOf(cell, answer));
}

/** One cell as the probes see it (see observedCellsOf). */
export function observedCellOf(cell: CellPlacement, answer: (replica: string) => ProbeAnswer | undefined): CellView {
  const answers = new Map(cell.replicas.map((replica) => [replica.replica, answer(replica.replica)]));
  // The leader's own account of whom it hears from is the only evidence of links inside a cell
  // (the latest term's, when a deposed leader's last answer is still fresh).
  let leader: CellPlacement["replicas"][number] | undefined;
  for (const replica of cell.replicas) {
    const status = answers.get(replica.replica)?.status;
    if (status?.activePeers == null) continue;
    if (leader === undefined || status.term > (answers.get(leader.replica)?.status.term ?? 0)) leader = replica;
  }
  const active = new Set(leader === undefined ? [] : (answers.get(leader.replica)?.status.activePeers ?? []));
  return cellViewOf(
    cell,
    (replica): ReplicaObservation => {
      const seen = answers.get(replica);
      if (seen === undefined) return { processState: "unreachable", diskFaulted: false };
      return { processState: "running", status: seen.status, diskFaulted: seen.status.failed };
    },
    (a, b) => leader === undefined || (a !== leader.replica && b !== leader.replica) || active.has(a === leader.replica ? b : a),
  );
}
