// The Cluster (domain/cluster.ts) of the live runtime: cell and replica views from the statuses the
// replicas report over the admin channel (polled), the process states the supervisor knows, and
// the proxies the faults cut; leadership transfer through the leader's admin channel.

import { topologyInfo, type ActionResult, type CellView, type Cluster, type LeaderInfo, type TopologyInfo } from "../../domain/cluster.js";
import { cellViewOf } from "../cell-view.js";
import type { Clock, Random } from "../../ground/ports.js";
import type { LiveWorld } from "./world.js";
import type { LiveFaults } from "./faults.js";

export { LAGGING_ENTRIES_MIN } from "../cell-view.js";
/** A status older than this is not believed (the replica is paused, partitioned from us or dying). */
export const STATUS_STALE_MS = 1_500;
const TRANSFER_POLL_US = 20_000;
const ADMIN_TIMEOUT_MS = 2_000;

export class LiveCluster implements Cluster {
  readonly runtime = "live" as const;
  readonly topology: TopologyInfo;
  readonly random: Random;

  constructor(
    private readonly live: LiveWorld,
    readonly faults: LiveFaults,
  ) {
    this.random = live.random.fork("controller");
    this.topology = topologyInfo(live.regions, live.topology);
  }

  get seed(): number {
    return this.live.seed;
  }

  get clock(): Clock {
    return this.live.clock;
  }

  cells(): readonly CellView[] {
    return this.live.placement.cells.map((cell) => this.view(cell.cell) as CellView);
  }

  cell(id: string): CellView | undefined {
    return this.view(id);
  }

  private view(id: string): CellView | undefined {
    const placement = this.live.placement.cells.find((cell) => cell.cell === id);
    if (placement === undefined) return undefined;
    const nowMs = this.live.clock.nowUs() / 1000;
    return cellViewOf(
      placement,
      (replica) => {
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
              failed: status.phase === "failed",
            },
          }),
          diskFaulted: status?.diskFaulted === true || this.faults.diskFaulted(replica),
        };
      },
      (a, b) => !this.faults.isCut(a, b),
    );
  }

  transferLeadership(cell: string, targetReplica: string, timeoutUs: number, callback: (result: ActionResult) => void): void {
    const view = this.view(cell);
    if (view === undefined) return callback({ ok: false, error: { code: "NO_SUCH_CELL", message: `no cell ${cell}` } });
    const target = view.replicas.find((replica) => replica.id === targetReplica);
    if (target === undefined) return callback({ ok: false, error: { code: "NO_SUCH_REPLICA", message: `${targetReplica} is not a replica of ${cell}` } });
    const leaderInfo = (): LeaderInfo => ({ replica: target.id, datacenter: target.datacenter, region: target.region });
    if (view.leader?.replica === targetReplica) return callback({ ok: true, leader: leaderInfo() });
    if (view.leader === null) return callback({ ok: false, error: { code: "NO_LEADER", message: `${cell} has no leader to hand over from` } });
    if (target.role === "down" || target.state === "crashed" || target.state === "paused") {
      return callback({ ok: false, error: { code: "TARGET_DOWN", message: `${targetReplica} is ${target.state}` } });
    }
    const leaderProcess = this.live.processes.get(view.leader.replica);
    const leaderId = view.leader.replica;
    const deadlineUs = this.clock.nowUs() + timeoutUs;
    const poll = (): void => {
      if (this.view(cell)?.leader?.replica === targetReplica) return callback({ ok: true, leader: leaderInfo() });
      if (this.clock.nowUs() >= deadlineUs) {
        return callback({ ok: false, error: { code: "TIMEOUT", message: `${targetReplica} did not become leader of ${cell} within ${Math.round(timeoutUs / 1000)} ms` } });
      }
      this.clock.setTimer(TRANSFER_POLL_US, poll);
    };
    if (leaderProcess === undefined) return callback({ ok: false, error: { code: "NO_LEADER", message: `no process for ${leaderId}` } });
    leaderProcess
      .admin<{ code: string; reason?: string }>({ op: "transfer-leadership", target: targetReplica }, ADMIN_TIMEOUT_MS)
      .then((result) => {
        if (result.code !== "OK") {
          const code = result.code === "TARGET_BEHIND" ? "TARGET_BEHIND" : "TIMEOUT";
          callback({ ok: false, error: { code, message: `${leaderId} refused the transfer: ${result.code}${result.reason !== undefined ? ` (${result.reason})` : ""}` } });
          return;
        }
        this.clock.setTimer(TRANSFER_POLL_US, poll);
      })
      .catch((error: unknown) => callback({ ok: false, error: { code: "TIMEOUT", message: `${leaderId}: ${(error as Error).message}` } }));
  }
}
