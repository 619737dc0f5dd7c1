// Leaders follow drain state: an evacuated (drained) region should lead no cell, yet one can end
// up leading (a forced failover, a drill forced while the region was evacuated, Raft electing there
// after an outage heals). Each health period the reconciler moves at most one such leader to a
// caught-up replica outside every drained region (the region routing names for the cell first),
// through Raft, then points routing at it; audited with the controller as actor. It cannot flap:
// one move at a time, a gap between moves, and a cell moved or acted on within the safety wait
// period is left alone (an operator's forced move holds for that period). Deterministic: time only
// from the cluster's clock.
import type { CellView, Cluster } from "../domain/cluster.js";
import type { ActionRunner } from "./actions.js";
import type { AuditLog } from "./ports.js";
import type { RoutingTable } from "./routing.js";
import { chooseReplica, type SafetyLimits } from "./safety.js";

export const RECONCILE_ACTOR = "controller";

export interface ReconcileOptions {
  readonly enabled: boolean;
  /** Minimum simulated time between two reconciliation moves (any cells). */
  readonly movesGapMs: number;
}

export const defaultReconcileOptions: ReconcileOptions = { enabled: true, movesGapMs: 2_000 };

export interface ReconcileDependencies {
  /** The clock (never the cells: those come from `observe`). */
  readonly cluster: Pick<Cluster, "clock">;
  /** The cells as the controller sees them (health.ts HealthDependencies.observe). */
  readonly observe: () => readonly CellView[];
  readonly routing: RoutingTable;
  readonly actions: ActionRunner;
  readonly audit: AuditLog;
  readonly limits: SafetyLimits;
}

export class LeaderReconciler {
  private moving: string | null = null;
  private lastMoveMs: number | null = null;
  private readonly lastMovedMs = new Map<string, number>();

  constructor(
    private readonly options: ReconcileOptions,
    private readonly dependencies: ReconcileDependencies,
  ) {}

  /** One reconciliation step; returns the cell it started moving, if any. */
  step(): string | null {
    const { routing, actions, limits } = this.dependencies;
    if (!this.options.enabled || this.moving !== null || actions.inProgress !== null) return null;
    const drained = routing.drained();
    if (drained.length === 0) return null;
    const nowMs = this.nowMs();
    if (this.lastMoveMs !== null && nowMs - this.lastMoveMs < this.options.movesGapMs) return null;
    const recent = (target: string): boolean => {
      const lastMs = Math.max(actions.lastActedMs(target) ?? -Infinity, this.lastMovedMs.get(target) ?? -Infinity);
      return nowMs - lastMs < limits.waitPeriodMs;
    };
    for (const cell of this.dependencies.observe()) {
      const leader = cell.leader;
      if (leader === null || !drained.includes(leader.region) || !cell.quorumAvailable) continue;
      if (actions.movingCells.has(cell.id) || recent(cell.id)) continue;
      const outside = cell.replicas.filter((replica) => !drained.includes(replica.region));
      const routed = routing.regionOfCell(cell.id);
      const inRouted = outside.filter((replica) => replica.region === routed);
      const preferred = chooseReplica(cell, inRouted, routed, limits);
      const choice = preferred.ok ? preferred : chooseReplica(cell, outside, "undrained regions", limits);
      // No healthy target: leave it (routing already sends its users to an active gateway).
      if (!choice.ok) continue;
      this.move(cell.id, leader.region, choice.replica.id, nowMs);
      return cell.id;
    }
    return null;
  }

  private move(cell: string, fromRegion: string, replica: string, nowMs: number): void {
    const { routing, actions, audit } = this.dependencies;
    this.moving = cell;
    this.lastMoveMs = nowMs;
    this.lastMovedMs.set(cell, nowMs);
    const before = routing.version;
    const reason = `${cell} was led from evacuated ${fromRegion}`;
    actions.moveLeader(cell, replica, (result) => {
      this.moving = null;
      this.lastMovedMs.set(cell, this.nowMs());
      const after = result.ok
        ? routing.update(
            { cells: { [cell]: actions.gatewayRegionFor(result.leader.region) } },
            `reconcile: ${reason}; now ${result.leader.replica}`,
            this.nowMs(),
          )
        : routing.version;
      audit.append({
        atMs: this.nowMs(),
        actor: RECONCILE_ACTOR,
        kind: "action",
        action: "reconcile",
        target: cell,
        reason,
        outcome: result.ok ? "ok" : `failed: ${result.error.code}`,
        rule: null,
        overrodeRule: null,
        routingVersionBefore: before,
        routingVersionAfter: after,
        details: result.ok
          ? { startedMs: nowMs, from: fromRegion, to: result.leader }
          : { startedMs: nowMs, from: fromRegion, target: replica, error: result.error },
      });
    });
  }

  private nowMs(): number {
    return Math.floor(this.dependencies.cluster.clock.nowUs() / 1000);
  }
}
