// The Cluster (domain/cluster.ts) of the live runtime, on the shared core (runtime/cluster-core.ts):
// replicas observed from the statuses they report over the admin channel (polled), the process
// states the supervisor knows and the proxies the faults cut; a transfer asked of the leader
// process over its admin channel.

import type { Placement } from "../../cells/placement.js";
import { topologyInfo, type ControlPlaneView, type TopologyInfo } from "../../domain/cluster.js";
import type { Clock, Random } from "../../ground/ports.js";
import type { ReplicaObservation } from "../cell-view.js";
import { ClusterCore, transferRefusal, type TransferAnswer } from "../cluster-core.js";
import type { LiveRuntimeState } from "./host.js";
import type { LiveFaults } from "./faults.js";

export { LAGGING_ENTRIES_MIN } from "../cell-view.js";
/** A status older than this is not believed (the replica is paused, partitioned from us or dying). */
export const STATUS_STALE_MS = 1_500;
const TRANSFER_POLL_US = 20_000;
const ADMIN_TIMEOUT_MS = 2_000;

export class LiveCluster extends ClusterCore {
  readonly runtime = "live" as const;
  readonly topology: TopologyInfo;
  readonly random: Random;
  /** The control group, when the runtime runs one (set by runtime/live/controller-setup.ts). */
  controlPlane?: ControlPlaneView;

  constructor(
    private readonly live: LiveRuntimeState,
    readonly faults: LiveFaults,
  ) {
    super(TRANSFER_POLL_US);
    this.random = live.random.fork("controller");
    this.topology = topologyInfo(live.regions, live.topology);
  }

  get seed(): number {
    return this.live.seed;
  }

  get clock(): Clock {
    return this.live.clock;
  }

  protected placement(): Placement {
    return this.live.placement;
  }

  protected observe(replica: string): ReplicaObservation {
    const nowMs = this.live.clock.nowUs() / 1000;
    const process = this.live.processes.get(replica);
    const cached = this.live.statuses.get(replica);
    const processState = process?.state ?? "down";
    const status = cached !== undefined && nowMs - cached.atMs <= STATUS_STALE_MS && processState === "running" ? cached.status : undefined;
    return {
      processState,
      ...(status !== undefined && {
        status: {
          role: status.role,
          term: status.term,
          lastIndex: status.lastIndex,
          commit: status.commit,
          applied: status.applied,
          running: status.phase === "running",
          corrupted: status.phase === "corrupted",
          repairing: status.phase === "repairing",
          failed: status.phase === "failed",
        },
      }),
      diskFaulted: status?.diskFaulted === true || this.faults.diskFaulted(replica),
    };
  }

  protected linkUp(source: string, target: string): boolean {
    return !this.faults.isCut(source, target);
  }

  protected askTransfer(leader: string, target: string, answer: TransferAnswer): void {
    const leaderProcess = this.live.processes.get(leader);
    if (leaderProcess === undefined) return answer({ code: "NO_LEADER", message: `no process for ${leader}` });
    leaderProcess
      .admin<{ code: string; reason?: string }>({ op: "transfer-leadership", target }, ADMIN_TIMEOUT_MS)
      .then((result) => answer(result.code === "OK" ? null : transferRefusal(leader, result.code, result.reason)))
      .catch((error: unknown) => answer({ code: "TIMEOUT", message: `${leader}: ${(error as Error).message}` }));
  }
}
