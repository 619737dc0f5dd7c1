// The Cluster (domain/cluster.ts) both runtimes share: cell and replica views from what each
// runtime observes per replica (runtime/cell-view.ts), and leadership transfer with its checks and
// its polling. A runtime says only how it observes a replica, whether a link is up, and how it
// asks a leader to hand over (a method call in the virtual runtime, the admin channel in live).
import type { Placement } from "../cells/placement.js";
import type { ActionError, ActionResult, CellView, Cluster, FaultPort, LeaderInfo, RuntimeKind, TopologyInfo } from "../domain/cluster.js";
import type { Clock, Random } from "../ground/ports.js";
import { cellViewOf, type ReplicaObservation } from "./cell-view.js";

export { LAGGING_ENTRIES_MIN } from "./cell-view.js";

/** A leader's answer to "hand over to X": null when it started the transfer. */
export type TransferAnswer = (refusal: ActionError | null) => void;

export abstract class ClusterCore implements Cluster {
  abstract readonly runtime: RuntimeKind;
  abstract readonly topology: TopologyInfo;
  abstract readonly random: Random;
  abstract readonly faults: FaultPort;
  abstract get seed(): number;
  abstract get clock(): Clock;

  /**
   * @param transferPollUs how often a started transfer is checked: the virtual runtime looks at
   *   its nodes directly, live reads statuses its poller refreshes every few tens of ms.
   */
  protected constructor(private readonly transferPollUs: number) {}

  protected abstract placement(): Placement;
  protected abstract observe(replica: string): ReplicaObservation;
  protected abstract linkUp(source: string, target: string): boolean;
  protected abstract askTransfer(leader: string, target: string, answer: TransferAnswer): void;

  cells(): readonly CellView[] {
    return this.placement().cells.map((cell) => this.view(cell.cell) as CellView);
  }

  cell(id: string): CellView | undefined {
    return this.view(id);
  }

  private view(id: string): CellView | undefined {
    const placement = this.placement().cells.find((cell) => cell.cell === id);
    if (placement === undefined) return undefined;
    return cellViewOf(
      placement,
      (replica) => this.observe(replica),
      (a, b) => this.linkUp(a, b),
    );
  }

  transferLeadership(cell: string, targetReplica: string, timeoutUs: number, callback: (result: ActionResult) => void): void {
    const view = this.view(cell);
    if (view === undefined) return callback({ ok: false, error: { code: "NO_SUCH_CELL", message: `no cell ${cell}` } });
    const target = view.replicas.find((replica) => replica.id === targetReplica);
    if (target === undefined)
      return callback({ ok: false, error: { code: "NO_SUCH_REPLICA", message: `${targetReplica} is not a replica of ${cell}` } });
    const leaderInfo = (): LeaderInfo => ({ replica: target.id, datacenter: target.datacenter, region: target.region });
    if (view.leader?.replica === targetReplica) return callback({ ok: true, leader: leaderInfo() });
    if (view.leader === null)
      return callback({ ok: false, error: { code: "NO_LEADER", message: `${cell} has no leader to hand over from` } });
    if (target.role === "down" || target.state === "crashed" || target.state === "paused") {
      return callback({ ok: false, error: { code: "TARGET_DOWN", message: `${targetReplica} is ${target.state}` } });
    }
    const deadlineUs = this.clock.nowUs() + timeoutUs;
    const poll = (): void => {
      if (this.view(cell)?.leader?.replica === targetReplica) return callback({ ok: true, leader: leaderInfo() });
      if (this.clock.nowUs() >= deadlineUs) {
        return callback({
          ok: false,
          error: {
            code: "TIMEOUT",
            message: `${targetReplica} did not become leader of ${cell} within ${Math.round(timeoutUs / 1000)} ms`,
          },
        });
      }
      this.clock.setTimer(this.transferPollUs, poll);
    };
    this.askTransfer(view.leader.replica, targetReplica, (refusal) => {
      if (refusal !== null) return callback({ ok: false, error: refusal });
      this.clock.setTimer(this.transferPollUs, poll);
    });
  }
}

/** The refusal a leader's transfer answer maps to: behind stays behind, anything else times out. */
export function transferRefusal(leader: string, code: string, reason: string | undefined): ActionError {
  return {
    code: code === "TARGET_BEHIND" ? "TARGET_BEHIND" : "TIMEOUT",
    message: `${leader} refused the transfer: ${code}${reason !== undefined ? ` (${reason})` : ""}`,
  };
}
