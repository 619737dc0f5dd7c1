// Capacity readiness (Route 53 ARC readiness checks, the capacity question every failover plan
// asks): before load moves, can the gateways it moves to admit it? Users of a cell enter at the
// gateway of the region routing names for it; each gateway admits a cell's requests through that
// cell's token bucket (`cellOpsPerSecondMax`, the admission budget) and, when configured, all of
// its requests through one gateway-wide limit (`gatewayOpsPerSecondMax`). A move that would send a
// gateway more than it admits turns into shed requests (OVERLOADED) at the worst moment: refused
// with rule "capacity" and both figures, unless forced.
//
// The load is measured, not assumed: per cell, the requests offered to the gateways (served +
// shed) each health period, smoothed (an exponentially weighted mean) so one noisy period does not
// decide. Pure apart from that estimator's state; no clock of its own.
import type { CellView } from "../domain/cluster.js";
import type { Readiness } from "../domain/records.js";

export interface CapacityLimits {
  /** A gateway's admission budget for one cell (its token bucket's rate). */
  readonly cellOpsPerSecondMax: number;
  /** A gateway's limit over all cells; null: only the per-cell budgets apply. */
  readonly gatewayOpsPerSecondMax: number | null;
}

/** Weight of the newest health period in the smoothed load (0.2 at a 500 ms period: ~2.5 s memory). */
export const LOAD_SMOOTHING_WEIGHT = 0.2;

export interface CapacityShortfall {
  /** The gateway region that could not admit its load. */
  readonly region: string;
  /** The cell over its own budget, or null when the gateway-wide limit is what is short. */
  readonly cell: string | null;
  readonly needOpsPerSecond: number;
  readonly haveOpsPerSecond: number;
}

export interface GatewayLoad {
  readonly region: string;
  readonly needOpsPerSecond: number;
  readonly haveOpsPerSecond: number;
  readonly cells: readonly string[];
}

const round = (value: number): number => Math.round(value * 10) / 10;

/** Smoothed offered load per cell (ops/s), fed from every health period's traffic figures. */
export class LoadEstimator {
  private readonly load = new Map<string, number>();

  /** `offered`: per cell, requests offered to any gateway in the period (served + shed), per second. */
  observe(offered: ReadonlyMap<string, number>): void {
    for (const [cell, opsPerSecond] of offered) {
      const previous = this.load.get(cell);
      this.load.set(cell, previous === undefined ? opsPerSecond : previous + LOAD_SMOOTHING_WEIGHT * (opsPerSecond - previous));
    }
  }

  opsPerSecond(cell: string): number {
    return this.load.get(cell) ?? 0;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.load].map(([cell, value]) => [cell, round(value)]));
  }
}

/** Per gateway region: the load its cells bring and what it admits, for a cell -> region routing. */
export function gatewayLoads(routes: ReadonlyMap<string, string>, load: (cell: string) => number, limits: CapacityLimits): GatewayLoad[] {
  const byRegion = new Map<string, string[]>();
  for (const [cell, region] of routes) byRegion.set(region, [...(byRegion.get(region) ?? []), cell]);
  return [...byRegion]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([region, cells]) => {
      const need = cells.reduce((sum, cell) => sum + load(cell), 0);
      const budgets = cells.length * limits.cellOpsPerSecondMax;
      const have = limits.gatewayOpsPerSecondMax === null ? budgets : Math.min(budgets, limits.gatewayOpsPerSecondMax);
      return { region, needOpsPerSecond: round(need), haveOpsPerSecond: round(have), cells: [...cells].sort() };
    });
}

/**
 * What goes short if `moves` (cell -> the gateway region its users will enter at) is applied to
 * `routes`. Only gateways that receive moved load are judged: a gateway that was already short
 * and gets nothing new is not this move's fault.
 */
export function capacityShortfalls(
  routes: ReadonlyMap<string, string>,
  moves: ReadonlyMap<string, string>,
  load: (cell: string) => number,
  limits: CapacityLimits,
): CapacityShortfall[] {
  const after = new Map(routes);
  for (const [cell, region] of moves) after.set(cell, region);
  const receiving = new Set([...moves].filter(([cell, region]) => routes.get(cell) !== region).map(([, region]) => region));
  const shortfalls: CapacityShortfall[] = [];
  for (const gateway of gatewayLoads(after, load, limits)) {
    if (!receiving.has(gateway.region)) continue;
    for (const cell of gateway.cells) {
      if (moves.get(cell) !== gateway.region || routes.get(cell) === gateway.region) continue;
      if (load(cell) > limits.cellOpsPerSecondMax)
        shortfalls.push({
          region: gateway.region,
          cell,
          needOpsPerSecond: round(load(cell)),
          haveOpsPerSecond: round(limits.cellOpsPerSecondMax),
        });
    }
    if (gateway.needOpsPerSecond > gateway.haveOpsPerSecond)
      shortfalls.push({
        region: gateway.region,
        cell: null,
        needOpsPerSecond: gateway.needOpsPerSecond,
        haveOpsPerSecond: gateway.haveOpsPerSecond,
      });
  }
  return shortfalls;
}

/** Could `region`'s loss be absorbed now: capacity at the gateways its users would move to, and quorum. */
export function regionReadiness(
  region: string,
  world: {
    readonly cells: readonly CellView[];
    /** cell -> gateway region now. */
    readonly routes: ReadonlyMap<string, string>;
    /** cell -> gateway region once `region` is evacuated. */
    readonly moves: ReadonlyMap<string, string>;
    readonly load: (cell: string) => number;
    readonly limits: CapacityLimits | null;
    readonly drained: boolean;
  },
): Readiness["regions"][number] {
  const { cells, routes, moves, load, limits } = world;
  const shortfalls = limits === null ? [] : capacityShortfalls(routes, moves, load, limits);
  const after = new Map(routes);
  for (const [cell, target] of moves) after.set(cell, target);
  // Every gateway that carries users once the region is gone (not only the receiving ones): the headroom left.
  const gateways = limits === null ? [] : gatewayLoads(after, load, limits).filter((gateway) => gateway.region !== region);
  const cellsWithoutQuorum = cells
    .filter(
      (cell) =>
        cell.replicas.filter((replica) => replica.region !== region && (replica.state === "up" || replica.state === "lagging")).length *
          2 <=
        cell.replicas.length,
    )
    .map((cell) => cell.id);
  const headroom =
    gateways.length === 0 ? null : round(Math.min(...gateways.map((gateway) => gateway.haveOpsPerSecond - gateway.needOpsPerSecond)));
  return {
    region,
    drained: world.drained,
    canAbsorbLoss: shortfalls.length === 0 && cellsWithoutQuorum.length === 0,
    headroomOpsPerSecond: headroom,
    gateways,
    shortfalls,
    cellsWithoutQuorum,
    moves: Object.fromEntries(moves),
  };
}

export function describeShortfall(shortfall: CapacityShortfall): string {
  const what = shortfall.cell === null ? `gateway ${shortfall.region}` : `${shortfall.cell} at gateway ${shortfall.region}`;
  return `${what} would need ${shortfall.needOpsPerSecond} ops/s but admits ${shortfall.haveOpsPerSecond} ops/s (measured load; admission budget ${shortfall.cell === null ? "and gateway limit" : "per cell"})`;
}
