// What the parts of the live runtime (its cluster view, its faults, its invariant checks) read of
// the LiveRuntime they belong to: named here so they need not import it (and it them, back).
import type { Placement } from "../../cells/placement.js";
import type { Clock } from "../../ground/ports.js";
import type { Random } from "../../ground/random.js";
import type { Topology } from "../../sim/world/topology.js";
import type { ProxyMesh } from "./proxies.js";
import type { LiveReplicaStatus } from "./replica/admin.js";
import type { ReplicaProcess } from "./replica/process.js";

export interface CachedStatus {
  readonly status: LiveReplicaStatus;
  readonly atMs: number;
}

export interface LiveRuntimeState {
  readonly seed: number;
  readonly clock: Clock;
  readonly random: Random;
  readonly placement: Placement;
  readonly topology: Topology;
  readonly regions: readonly { readonly name: string; readonly datacenters: readonly string[] }[];
  readonly processes: ReadonlyMap<string, ReplicaProcess>;
  /** Each replica's last status report, as polled. */
  readonly statuses: ReadonlyMap<string, CachedStatus>;
  /** The Toxiproxy proxies of every link (null: replicas talk directly). */
  readonly mesh: ProxyMesh | null;
  nowUs(): number;
}
