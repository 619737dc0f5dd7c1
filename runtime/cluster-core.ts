// The Cluster (domain/cluster.ts) both runtimes share: cell and replica views from what each
// runtime observes per replica (runtime/cell-view.ts), and leadership transfer with its checks and
// its polling. A runtime says only how it observes a replica, whether a link is up, and how it
// asks a leader to hand over (a method call in the virtual runtime, the admin channel in live).
import type { Placement } from "../cells/placement.js";
import type { ActionError, ActionResult, CellView, Cluster, FaultPort, RuntimeKind, TopologyInfo } from "../domain/cluster.js";
import { transferRefusal, transferStart } from "../controller/control/transfer.js";
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
    const start = transferStart(this.view(cell), cell, targetReplica);
    if ("done" in start) return callback(start.done);
    const deadlineUs = this.clock.nowUs() + timeoutUs;
    const poll = (): void => {
      if (this.view(cell)?.leader?.replica === targetReplica) return callback({ ok: true, leader: start.leader });
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
    this.askTransfer(start.from, targetReplica, (refusal) => {
      if (refusal !== null) return callback({ ok: false, error: refusal });
      this.clock.setTimer(this.transferPollUs, poll);
    });
  }
}

export { transferRefusal };
