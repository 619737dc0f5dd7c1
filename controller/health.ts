// Health: every health period (on the cluster's clock) read every cell, close the traffic
// window, publish health/traffic/leader events, and, in automatic mode, make routing follow a
// leader that Raft moved on its own (after a crash or partition) within that one period.
import type { CellView, Cluster, LeaderInfo } from "../domain/cluster.js";
import type { TimerHandle } from "../ground/ports.js";
import { regionStatus, type RegionStatus } from "./region-status.js";
import type { RoutingTable } from "./routing.js";
import type { CellTrafficFigures, RegionTrafficFigures, TrafficStats } from "./traffic-stats.js";

export interface CellMetrics {
  readonly tps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errorRate: number;
}

export interface CellHealth extends CellView {
  readonly metrics: CellMetrics;
  /** Replicas by what an operator cares about. */
  readonly replicasUp: number;
  readonly replicasLagging: number;
  readonly replicasUnreachable: number;
  /** Of those, replicas the controller's probes got no answer from (down or cut off from the control leader: unknown which). */
  readonly replicasUnprobed: number;
  /** Largest follower lag (entries) among replicas in touch with the leader. */
  readonly commitLagMax: number;
}

export interface RegionHealth extends RegionStatus {
  readonly name: string;
  readonly datacenters: readonly string[];
  readonly gateway: { readonly state: "active" | "drained"; readonly rps: number };
  readonly evacuated: boolean;
  readonly leaders: readonly string[];
}

export interface TrafficSnapshot {
  readonly atMs: number;
  readonly regions: Readonly<Record<string, RegionTrafficFigures>>;
  readonly cells: Readonly<Record<string, CellMetrics & { readonly shed: number }>>;
}

export interface HealthOptions {
  readonly healthPeriodUs: number;
  /** Routing follows leaders Raft moved on its own. */
  readonly automatic: boolean;
}

export interface HealthDependencies {
  readonly cluster: Cluster;
  /**
   * The cells as the controller sees them (controller.ts: its CellSight). In a world with a control
   * group: through the control leader's probes (controller/control/prober.ts), where a replica the
   * probes do not reach is "unreachable"; without one, the Cluster's own views.
   */
  readonly observe: () => readonly CellView[];
  /** False while the controller's decision loop has no host (no control leader): routing does not follow leaders meanwhile. */
  readonly hosted?: () => boolean;
  readonly routing: RoutingTable;
  readonly stats: TrafficStats;
  /** True while an operator action is moving this cell (automatic mode leaves it alone). */
  readonly isMoving: (cell: string) => boolean;
  /** Where users of a cell led from `region` should enter. */
  readonly gatewayRegionFor: (region: string) => string;
  readonly onLeaderChange: (cell: string, leader: LeaderInfo | null, term: number) => void;
  readonly onRefresh: (cells: readonly CellHealth[], regions: readonly RegionHealth[], traffic: TrafficSnapshot) => void;
}

const zeroMetrics: CellMetrics = { tps: 0, p50Ms: 0, p99Ms: 0, errorRate: 0 };

export class HealthMonitor {
  private timer: TimerHandle | null = null;
  private lastCells: readonly CellHealth[] = [];
  private lastRegions: readonly RegionHealth[] = [];
  private lastTraffic: TrafficSnapshot = { atMs: 0, regions: {}, cells: {} };
  private readonly leaders = new Map<string, string | null>();
  private figures = new Map<string, CellTrafficFigures>();
  private originUs = 0;

  constructor(
    private readonly options: HealthOptions,
    private readonly dependencies: HealthDependencies,
  ) {
    if (!(Number.isSafeInteger(options.healthPeriodUs) && options.healthPeriodUs > 0))
      throw new Error(`healthPeriodUs: expected a positive integer, got ${options.healthPeriodUs}`);
    for (const cell of this.view()) this.leaders.set(cell.id, cell.leader?.replica ?? null);
    this.refresh(false);
  }

  /** Simulated µs of the first period's start: the page's chart bins are aligned on it. */
  get periodOriginUs(): number {
    return this.originUs;
  }

  start(): void {
    if (this.timer !== null) return;
    this.originUs = this.dependencies.cluster.clock.nowUs();
    const tick = (): void => {
      this.timer = this.dependencies.cluster.clock.setTimer(this.options.healthPeriodUs, tick);
      this.refresh(true);
    };
    this.timer = this.dependencies.cluster.clock.setTimer(this.options.healthPeriodUs, tick);
  }

  stop(): void {
    if (this.timer !== null) this.dependencies.cluster.clock.cancelTimer(this.timer);
    this.timer = null;
  }

  /** Live cell views with the metrics of the last closed window. */
  cells(): readonly CellHealth[] {
    return this.view().map((cell) => this.cellHealth(cell));
  }

  regions(): readonly RegionHealth[] {
    return this.regionHealth(this.view());
  }

  /** The Cluster's own views (the truth the checkers see), with the same metrics: the page's truth panel. */
  truth(): { cells: readonly CellHealth[]; regions: readonly RegionHealth[] } {
    const views = this.dependencies.cluster.cells();
    return { cells: views.map((cell) => this.cellHealth(cell)), regions: this.regionHealth(views) };
  }

  traffic(): TrafficSnapshot {
    return this.lastTraffic;
  }

  last(): { cells: readonly CellHealth[]; regions: readonly RegionHealth[] } {
    return { cells: this.lastCells, regions: this.lastRegions };
  }

  /** One health period: also callable directly by tests. */
  refresh(rollTraffic: boolean): void {
    const { cluster, routing } = this.dependencies;
    const atMs = Math.floor(cluster.clock.nowUs() / 1000);
    if (rollTraffic) {
      const rolled = this.dependencies.stats.roll(this.options.healthPeriodUs);
      this.figures = rolled.cells;
      const regions: Record<string, RegionTrafficFigures> = {};
      for (const region of cluster.topology.regions)
        regions[region.name] = rolled.regions.get(region.name) ?? { rps: 0, toCells: {}, p50Ms: 0, p99Ms: 0, errorRate: 0 };
      const cells: Record<string, CellMetrics & { shed: number }> = {};
      for (const cell of this.view()) {
        const figures = this.figures.get(cell.id);
        cells[cell.id] = figures === undefined ? { ...zeroMetrics, shed: 0 } : figures;
      }
      this.lastTraffic = { atMs, regions, cells };
    }
    const views = this.view();
    for (const cell of views) {
      const replica = cell.leader?.replica ?? null;
      if (this.leaders.get(cell.id) !== replica) {
        this.leaders.set(cell.id, replica);
        this.dependencies.onLeaderChange(cell.id, cell.leader, cell.term);
      }
      if (!this.options.automatic || cell.leader === null || this.dependencies.isMoving(cell.id)) continue;
      if (this.dependencies.hosted?.() === false) continue;
      const wanted = this.dependencies.gatewayRegionFor(cell.leader.region);
      if (routing.regionOfCell(cell.id) !== wanted) {
        routing.update(
          { cells: { [cell.id]: wanted } },
          `automatic: ${cell.id} is led from ${cell.leader.region} (${cell.leader.replica}, term ${cell.term})`,
          atMs,
        );
      }
    }
    this.lastCells = views.map((cell) => this.cellHealth(cell));
    this.lastRegions = this.regionHealth(views);
    this.dependencies.onRefresh(this.lastCells, this.lastRegions, this.lastTraffic);
  }

  /** The cells as this controller believes them. */
  private view(): readonly CellView[] {
    return this.dependencies.observe();
  }

  private cellHealth(cell: CellView): CellHealth {
    const figures = this.figures.get(cell.id);
    const inTouch = cell.replicas.filter((replica) => replica.lag >= 0);
    return {
      ...cell,
      metrics:
        figures === undefined
          ? zeroMetrics
          : { tps: figures.tps, p50Ms: figures.p50Ms, p99Ms: figures.p99Ms, errorRate: figures.errorRate },
      replicasUp: cell.replicas.filter((replica) => replica.state === "up").length,
      replicasLagging: cell.replicas.filter((replica) => replica.state === "lagging").length,
      replicasUnreachable: cell.replicas.filter((replica) => replica.state !== "up" && replica.state !== "lagging").length,
      replicasUnprobed: cell.replicas.filter((replica) => replica.state === "unreachable").length,
      commitLagMax: inTouch.reduce((max, replica) => Math.max(max, replica.lag), 0),
    };
  }

  private regionHealth(views: readonly CellView[]): RegionHealth[] {
    const { cluster, routing } = this.dependencies;
    return cluster.topology.regions.map((region) => {
      const drained = routing.isDrained(region.name);
      return {
        ...regionStatus(region, views),
        name: region.name,
        datacenters: region.datacenters,
        gateway: { state: drained ? "drained" : "active", rps: this.lastTraffic.regions[region.name]?.rps ?? 0 },
        evacuated: drained,
        leaders: views.filter((cell) => cell.leader?.region === region.name).map((cell) => cell.id),
      };
    });
  }
}
