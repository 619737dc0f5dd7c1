// The one cluster interface. The controller, chaos, harness and UI drive a world only through
// this, whichever runtime is behind it: the virtual runtime (runtime/virtual: the deterministic
// simulator) or the live runtime (runtime/live: OS processes, files, TCP through Toxiproxy).
//
// Everything is callback-based and runs on the cluster's own Clock, so decision logic that uses
// it stays deterministic in the virtual runtime.

import type { Clock, Random } from "../ground/ports.js";
import type { ShardMoveCommand } from "../cells/ledger/shard-move.js";
import type { LedgerOutcome } from "../cells/ledger/outcome.js";

export type RuntimeKind = "virtual" | "live";

export interface RegionInfo {
  readonly name: string;
  readonly datacenters: readonly string[];
}

export interface TopologyInfo {
  readonly regions: readonly RegionInfo[];
  /** Round-trip time in ms between two regions (same region: between its datacenters). */
  rttMs(regionA: string, regionB: string): number;
  regionOfDatacenter(datacenter: string): string;
}

/** "unknown": the controller's probes get no answer from it (runtime/virtual: the control leader's view). */
export type ReplicaRole = "leader" | "follower" | "candidate" | "precandidate" | "down" | "unknown";

/**
 * What an operator sees of a replica; `state` is the worst thing that is true of it.
 * "partitioned": running, cut from some peers (`cutFrom`), and on a minority side. A replica cut
 * from some peers but still on a majority side is "up" (or "lagging") with a non-empty `cutFrom`.
 * "unreachable": only in a view built from the controller's probes (controller/control/prober.ts):
 * no fresh answer reached the control leader; the replica may be down or cut off from it.
 */
export type ReplicaState =
  "up" | "lagging" | "crashed" | "paused" | "partitioned" | "disk-faulted" | "corrupted" | "repairing" | "unreachable";

export interface ReplicaView {
  readonly id: string; // "cell-1/hz-a" (also its host id)
  readonly cell: string;
  readonly datacenter: string;
  readonly region: string;
  readonly role: ReplicaRole;
  readonly state: ReplicaState;
  readonly term: number;
  /** Invariant: appliedIndex <= commitIndex <= the replica's last index (as its RaftLog keeps them). */
  readonly commitIndex: number;
  readonly appliedIndex: number;
  /** Entries behind the leader's last index (0 for the leader; -1 when unknown). */
  readonly lag: number;
  /** Peers (replica ids) the network keeps it from exchanging messages with, either way: whom it is partitioned from. */
  readonly cutFrom: readonly string[];
  /** The regions of `cutFrom`, sorted. */
  readonly cutFromRegions: readonly string[];
  /** Running, and it plus the running peers it can reach make a majority of its cell: the side a quorum can form on. */
  readonly inMajority: boolean;
}

export interface LeaderInfo {
  readonly replica: string;
  readonly datacenter: string;
  readonly region: string;
}

export interface CellView {
  readonly id: string;
  readonly preferredRegion: string;
  readonly shards: readonly number[];
  readonly replicas: readonly ReplicaView[];
  readonly leader: LeaderInfo | null;
  readonly term: number;
  readonly commitIndex: number;
  /** A majority of replicas is up and mutually reachable. */
  readonly quorumAvailable: boolean;
}

export type ActionError =
  | { readonly code: "NO_SUCH_CELL" | "NO_SUCH_REPLICA"; readonly message: string }
  | { readonly code: "NO_LEADER"; readonly message: string }
  | { readonly code: "TARGET_BEHIND" | "TARGET_DOWN"; readonly message: string }
  | { readonly code: "TIMEOUT"; readonly message: string };

export type ActionResult = { readonly ok: true; readonly leader: LeaderInfo } | { readonly ok: false; readonly error: ActionError };

/** A network partition: which directed host pairs are cut. */
export type PartitionSpec =
  | { readonly kind: "one-way"; readonly from: readonly string[]; readonly to: readonly string[] }
  | { readonly kind: "isolate"; readonly hosts: readonly string[] }
  | { readonly kind: "region-vs-rest"; readonly region: string }
  | { readonly kind: "datacenter"; readonly datacenter: string }
  | { readonly kind: "majorities-ring" }
  | { readonly kind: "halves" }
  | { readonly kind: "groups"; readonly groups: readonly (readonly string[])[] };

/** Link degradation between two sets of hosts (both directions). */
export interface LinkDegradation {
  readonly between: readonly string[];
  readonly and: readonly string[];
  readonly extraDelayUs?: number;
  readonly jitterUs?: number;
  readonly lossProbability?: number;
  readonly duplicateProbability?: number;
  readonly reorderProbability?: number;
  readonly bandwidthBytesPerSecond?: number;
}

export type DiskFaultSpec =
  | { readonly kind: "fsync-eio" }
  | { readonly kind: "enospc" }
  | { readonly kind: "slow-fsync"; readonly latencyMultiplier: number }
  | { readonly kind: "corrupt-synced-record" }
  | { readonly kind: "torn-write-at-crash" };

export interface ClockFaultSpec {
  readonly offsetUs?: number;
  /** Parts per million: a host clock running fast (positive) or slow (negative). */
  readonly driftPpm?: number;
}

/** A primitive fault installed in the runtime; heal it with `heal(handle)`. */
export interface FaultHandle {
  readonly id: string;
}

/** The primitive fault operations the chaos module composes its catalogue from. */
export interface FaultPort {
  crash(host: string): void;
  restart(host: string): void;
  pause(host: string): void;
  resume(host: string): void;
  partition(spec: PartitionSpec): FaultHandle;
  degrade(degradation: LinkDegradation): FaultHandle;
  disk(host: string, fault: DiskFaultSpec): FaultHandle;
  clock(host: string, fault: ClockFaultSpec): FaultHandle;
  heal(handle: FaultHandle): void;
  /** Heals every network/disk/clock fault and restarts/resumes every process. */
  healAll(): void;
  isUp(host: string): boolean;
  /** Hosts by placement, for target selection. */
  hosts(): readonly { readonly id: string; readonly datacenter: string; readonly region: string; readonly cell?: string }[];
}

/** The answer to one step of a shard move: the cell's outcome, or why none came (TIMEOUT: unknown whether it committed). */
export type ShardMoveAnswer =
  | { readonly ok: true; readonly outcome: Extract<LedgerOutcome, { outcome: "shard-move" }> }
  | { readonly ok: false; readonly code: string; readonly message: string };

/**
 * Elastic cells (docs/cells.md): what a runtime offers for adding cells and moving shards. The
 * shard -> cell ownership itself is the placement's (cells/placement.ts), read by everything.
 */
export interface ElasticPort {
  readonly shardCount: number;
  cellOfShard(shard: number): string;
  /** Places and starts a new cell with no shards (2 + 2 + 1); its leader is elected as any cell's. */
  addCell(): string;
  /** Stops an empty cell's replicas and forgets it. */
  removeCell(cell: string): void;
  /** Sends one move step to a cell (through a client that follows its leader and retries until a deadline). */
  shardMove(cell: string, command: ShardMoveCommand, callback: (answer: ShardMoveAnswer) => void): void;
  /** Hands the shards to `cell` in the one ownership map (after the destination committed them). */
  assignShards(shards: readonly number[], cell: string): void;
  /** A move's status as the cell's most advanced replica knows it (recovery), or null when unknown. */
  moveStatus(cell: string, moveId: string): string | null;
}

/** What chaos needs of a world's control group, when it runs one (target selection: select control-leader). */
export interface ControlPlaneView {
  /** The host id of the control group's leader, null when it has none. */
  leader(): string | null;
}

/**
 * The cells as the controller sees them, and the one thing it asks of them. In a world with a
 * control group (runtime/virtual/control-plane.ts) this is the control leader's probes and requests
 * sent from its host over the simulated network: a partition between the control leader and a cell
 * is a partition for every decision. Without one, the Cluster itself (which is a CellSight).
 */
export interface CellSight {
  cells(): readonly CellView[];
  cell(id: string): CellView | undefined;
  /** Raft leadership transfer to `targetReplica`; calls back when it is leader or it failed. */
  transferLeadership(cell: string, targetReplica: string, timeoutUs: number, callback: (result: ActionResult) => void): void;
}

export interface Cluster extends CellSight {
  readonly runtime: RuntimeKind;
  /** Absent: this runtime cannot add cells or move shards (the live runtime). */
  readonly elastic?: ElasticPort;
  /** The control group inside this world, if the controller runs one (docs/architecture.md "The control plane"). */
  readonly controlPlane?: ControlPlaneView;
  readonly seed: number;
  readonly clock: Clock;
  readonly random: Random;
  readonly topology: TopologyInfo;
  readonly faults: FaultPort;
}

/** The operator's view of a world topology, the same in both runtimes. */
export function topologyInfo(
  regions: readonly RegionInfo[],
  topology: { datacenterRttUs(source: string, target: string): number; regionOf(datacenter: string): string },
): TopologyInfo {
  const byName = new Map<string, readonly string[]>(regions.map((region) => [region.name, region.datacenters]));
  const firstDc = (region: string): string => (byName.get(region) ?? [])[0] as string;
  return {
    regions,
    rttMs: (regionA, regionB) => {
      if (regionA === regionB) {
        // Inside a region: between its first two datacenters (or within the only one).
        const dcs = byName.get(regionA) ?? [];
        return topology.datacenterRttUs(dcs[0] as string, (dcs[1] ?? dcs[0]) as string) / 1000;
      }
      return topology.datacenterRttUs(firstDc(regionA), firstDc(regionB)) / 1000;
    },
    regionOfDatacenter: (datacenter) => topology.regionOf(datacenter),
  };
}
