// Target selection: a TargetSelector (named scope + how many) resolved against the hosts, cells
// and leaders of a world, with the chaos stream of the seeded Random, so the same seed picks the
// same victims. Names are checked first and separately: a drill file naming a region that does
// not exist is bad input (exit 2), found before the world runs.
import type { Cluster } from "../domain/cluster.js";
import type { Random } from "../ground/random.js";
import { faultTypeInfo, type FaultType, type Select, type TargetLevel, type TargetSelector } from "./catalogue.js";
import { ChaosError, joinField } from "./errors.js";

export interface HostEntry {
  readonly id: string;
  readonly datacenter: string;
  readonly region: string;
  readonly cell?: string;
}

export interface CellEntry {
  readonly id: string;
  /** Replica (host) id of the current leader, null when the cell has none. */
  readonly leader: string | null;
  readonly replicas: readonly string[];
}

/** Everything target selection needs to know about a world, in a stable order. */
export interface TargetUniverse {
  readonly hosts: readonly HostEntry[];
  readonly regions: readonly string[];
  readonly datacenters: readonly string[];
  readonly cells: readonly CellEntry[];
  /** The control group's leader host (select: control-leader), when the world runs a control plane. */
  readonly controlLeader?: string | null;
}

export interface ResolvedTarget {
  readonly level: TargetLevel;
  /** Every host the fault touches (for a region: all of its hosts), in world order. */
  readonly hosts: readonly string[];
  readonly datacenters: readonly string[];
  readonly regions: readonly string[];
  readonly cells: readonly string[];
}

export function universeOf(cluster: Cluster): TargetUniverse {
  const hosts = cluster.faults.hosts().map((host) => ({ ...host }));
  const cells = cluster
    .cells()
    .map((cell) => ({ id: cell.id, leader: cell.leader?.replica ?? null, replicas: cell.replicas.map((replica) => replica.id) }));
  return {
    hosts,
    regions: cluster.topology.regions.map((region) => region.name),
    datacenters: cluster.topology.regions.flatMap((region) => region.datacenters),
    cells,
    ...(cluster.controlPlane === undefined ? {} : { controlLeader: cluster.controlPlane.leader() }),
  };
}

function checkNames(field: string, kind: string, names: readonly string[] | undefined, known: readonly string[]): void {
  if (names === undefined) return;
  for (const name of names) {
    if (!known.includes(name)) {
      const shownKnown = known.length > 12 ? `${known.slice(0, 12).join(", ")}, ...` : known.join(", ");
      throw new ChaosError("NO_SUCH_TARGET", field, `unknown ${kind} "${name}"; expected one of ${shownKnown}`);
    }
  }
}

/** Throws NO_SUCH_TARGET naming the field when the selector names something the world lacks. */
export function checkTargetNames(selector: TargetSelector, universe: TargetUniverse, prefix: string): void {
  checkNames(
    joinField(prefix, "hosts"),
    "host",
    selector.hosts,
    universe.hosts.map((host) => host.id),
  );
  checkNames(joinField(prefix, "datacenters"), "datacenter", selector.datacenters, universe.datacenters);
  checkNames(joinField(prefix, "regions"), "region", selector.regions, universe.regions);
  checkNames(
    joinField(prefix, "cells"),
    "cell",
    selector.cells,
    universe.cells.map((cell) => cell.id),
  );
}

function inScope(selector: TargetSelector, host: HostEntry): boolean {
  if (selector.hosts !== undefined && !selector.hosts.includes(host.id)) return false;
  if (selector.datacenters !== undefined && !selector.datacenters.includes(host.datacenter)) return false;
  if (selector.regions !== undefined && !selector.regions.includes(host.region)) return false;
  if (selector.cells !== undefined && (host.cell === undefined || !selector.cells.includes(host.cell))) return false;
  return true;
}

function notApplicable(prefix: string, select: Select, level: TargetLevel): ChaosError {
  return new ChaosError(
    "INVALID_FAULT",
    joinField(prefix, "select"),
    `"${select}" does not apply to a ${level} target; expected ${level === "cell" ? "one or all" : "one, all or leader"}`,
  );
}

function inWorldOrder(universe: TargetUniverse, hosts: ReadonlySet<string>): string[] {
  return universe.hosts.filter((host) => hosts.has(host.id)).map((host) => host.id);
}

function leadersPer(universe: TargetUniverse, key: (host: HostEntry) => string): Map<string, number> {
  const byId = new Map(universe.hosts.map((host) => [host.id, host]));
  const counts = new Map<string, number>();
  for (const cell of universe.cells) {
    const leader = cell.leader === null ? undefined : byId.get(cell.leader);
    if (leader !== undefined) counts.set(key(leader), (counts.get(key(leader)) ?? 0) + 1);
  }
  return counts;
}

/** The first of `candidates` (world order) holding the most leaders; ties go to the earlier one. */
function mostLeaders(candidates: readonly string[], counts: ReadonlyMap<string, number>): string {
  let best = candidates[0] as string;
  for (const candidate of candidates) if ((counts.get(candidate) ?? 0) > (counts.get(best) ?? 0)) best = candidate;
  return best;
}

/** The host leading the control group (select: control-leader); NO_LEADER when it has none, NO_SUCH_TARGET without a control plane. */
function controlLeaderHost(universe: TargetUniverse, prefix: string): HostEntry {
  if (universe.controlLeader === undefined)
    throw new ChaosError("NO_SUCH_TARGET", joinField(prefix, "select"), `"control-leader" needs a world with a control plane (ldc start)`);
  const host = universe.hosts.find((entry) => entry.id === universe.controlLeader);
  if (host === undefined) throw new ChaosError("NO_LEADER", joinField(prefix, "select"), "the control group has no leader right now");
  return host;
}

function resolveHosts(selector: TargetSelector, universe: TargetUniverse, random: Random, prefix: string): string[] {
  if (selector.select === "control-leader") return [controlLeaderHost(universe, prefix).id];
  // Region clients (hosts of no cell) are hit by outages of their datacenter, or when named.
  const scope = universe.hosts.filter(
    (host) => inScope(selector, host) && (host.cell !== undefined || selector.hosts?.includes(host.id) === true),
  );
  if (scope.length === 0) throw new ChaosError("NO_SUCH_TARGET", prefix === "" ? "target" : prefix, "the target matches no host");
  switch (selector.select) {
    case "all":
      return scope.map((host) => host.id);
    case "one":
      return [random.pick(scope).id];
    case "percent": {
      const count = Math.max(1, Math.ceil(((selector.percent as number) / 100) * scope.length));
      return inWorldOrder(
        universe,
        new Set(
          random
            .shuffle(scope)
            .slice(0, count)
            .map((host) => host.id),
        ),
      );
    }
    case "minority":
    case "majority":
    case "leader":
    case "followers": {
      // Quorum-relative picks are about one cell's replicas: the named cells, else one cell drawn
      // from those the scope touches.
      const scopeCells = [...new Set(scope.flatMap((host) => (host.cell === undefined ? [] : [host.cell])))];
      if (scopeCells.length === 0)
        throw new ChaosError("NO_SUCH_TARGET", joinField(prefix, "select"), `"${selector.select}" needs hosts that belong to a cell`);
      const cells = selector.cells ?? [random.pick(scopeCells)];
      const chosen = new Set<string>();
      for (const cellId of cells) {
        const cell = universe.cells.find((entry) => entry.id === cellId) as CellEntry;
        const members = scope.filter((host) => host.cell === cellId).map((host) => host.id);
        if (selector.select === "leader" || selector.select === "followers") {
          if (cell.leader === null) throw new ChaosError("NO_LEADER", joinField(prefix, "select"), `${cellId} has no leader right now`);
          for (const member of members) if ((member === cell.leader) === (selector.select === "leader")) chosen.add(member);
          continue;
        }
        const size = cell.replicas.length;
        const count = selector.select === "minority" ? Math.floor((size - 1) / 2) : Math.floor(size / 2) + 1;
        for (const member of random.shuffle(members).slice(0, count)) chosen.add(member);
      }
      return inWorldOrder(universe, chosen);
    }
  }
}

/**
 * Resolves a selector for a fault type. Host-level faults pick hosts; datacenter/region/cell
 * faults pick whole units (`leader`: the one holding the most cell leaders) and report their hosts.
 */
export function resolveTarget(
  type: FaultType,
  selector: TargetSelector,
  universe: TargetUniverse,
  random: Random,
  prefix = "target",
): ResolvedTarget {
  checkTargetNames(selector, universe, prefix);
  const level = faultTypeInfo(type).level;
  const hostsWhere = (predicate: (host: HostEntry) => boolean): string[] => universe.hosts.filter(predicate).map((host) => host.id);
  switch (level) {
    case "host": {
      const hosts = resolveHosts(selector, universe, random, prefix);
      const picked = universe.hosts.filter((host) => hosts.includes(host.id));
      return {
        level,
        hosts,
        datacenters: universe.datacenters.filter((dc) => picked.some((host) => host.datacenter === dc)),
        regions: universe.regions.filter((region) => picked.some((host) => host.region === region)),
        cells: universe.cells.filter((cell) => picked.some((host) => host.cell === cell.id)).map((cell) => cell.id),
      };
    }
    case "datacenter": {
      const scope = universe.datacenters.filter(
        (dc) =>
          (selector.datacenters ?? [dc]).includes(dc) &&
          universe.hosts.some((host) => host.datacenter === dc && (selector.regions ?? [host.region]).includes(host.region)),
      );
      if (scope.length === 0) throw new ChaosError("NO_SUCH_TARGET", prefix, "the target matches no datacenter");
      let datacenters: string[];
      if (selector.select === "all") datacenters = scope;
      else if (selector.select === "one") datacenters = [random.pick(scope)];
      else if (selector.select === "control-leader") datacenters = [controlLeaderHost(universe, prefix).datacenter];
      else if (selector.select === "leader")
        datacenters = [
          mostLeaders(
            scope,
            leadersPer(universe, (host) => host.datacenter),
          ),
        ];
      else throw notApplicable(prefix, selector.select, level);
      const hosts = hostsWhere((host) => datacenters.includes(host.datacenter));
      return {
        level,
        hosts,
        datacenters,
        regions: universe.regions.filter((region) =>
          universe.hosts.some((host) => host.region === region && datacenters.includes(host.datacenter)),
        ),
        cells: [],
      };
    }
    case "region": {
      const scope = universe.regions.filter((region) => (selector.regions ?? [region]).includes(region));
      let regions: string[];
      if (selector.select === "all") regions = scope;
      else if (selector.select === "one") regions = [random.pick(scope)];
      else if (selector.select === "control-leader") regions = [controlLeaderHost(universe, prefix).region];
      else if (selector.select === "leader")
        regions = [
          mostLeaders(
            scope,
            leadersPer(universe, (host) => host.region),
          ),
        ];
      else throw notApplicable(prefix, selector.select, level);
      const hosts = hostsWhere((host) => regions.includes(host.region));
      return {
        level,
        hosts,
        datacenters: universe.datacenters.filter((dc) =>
          universe.hosts.some((host) => host.datacenter === dc && regions.includes(host.region)),
        ),
        regions,
        cells: [],
      };
    }
    case "cell": {
      const scope = universe.cells.map((cell) => cell.id).filter((cell) => (selector.cells ?? [cell]).includes(cell));
      let cells: string[];
      if (selector.select === "all") cells = scope;
      else if (selector.select === "one") cells = [random.pick(scope)];
      else throw notApplicable(prefix, selector.select, level);
      return {
        level,
        hosts: hostsWhere((host) => host.cell !== undefined && cells.includes(host.cell)),
        datacenters: [],
        regions: [],
        cells,
      };
    }
  }
}
