// Turns a validated fault spec and its resolved target into FaultPort primitives, and remembers
// exactly what it did so healing undoes only that: a fault restarts only the processes it
// crashed, resumes only those it paused, and heals only its own network/disk/clock handles.
import type { FaultHandle, FaultPort, LinkDegradation, PartitionSpec } from "../domain/cluster.js";
import type { Clock, TimerHandle } from "../ground/ports.js";
import type { Random } from "../ground/random.js";
import type { FaultSpec, TargetSelector } from "./catalogue.js";
import { ChaosError } from "./errors.js";
import type { ResolvedTarget, TargetUniverse } from "./targets.js";

export interface FaultAffects {
  /** Replica ids, datacenter names or region names the fault acts on. */
  readonly hosts: readonly string[];
  /** Region pairs whose links the fault cuts or degrades. */
  readonly links: readonly (readonly [string, string])[];
}

export interface AppliedFault {
  readonly affects: FaultAffects;
  /** Undoes what the fault did. Idempotent. */
  heal(): void;
}

export interface ApplyContext {
  readonly port: FaultPort;
  readonly clock: Clock;
  readonly universe: TargetUniverse;
  readonly random: Random;
  /** Called once when a fault that ends by itself (restart, rolling-restart) has ended. */
  readonly completed: () => void;
}

class Undo {
  readonly handles: FaultHandle[] = [];
  readonly crashed: string[] = [];
  readonly paused: string[] = [];
  readonly timers: TimerHandle[] = [];
  private healed = false;

  constructor(
    private readonly port: FaultPort,
    private readonly clock: Clock,
  ) {}

  crash(host: string): void {
    // A host another fault already took down is not ours to bring back.
    if (!this.port.isUp(host)) return;
    this.port.crash(host);
    this.crashed.push(host);
  }

  restart(host: string): void {
    const at = this.crashed.indexOf(host);
    if (at >= 0) this.crashed.splice(at, 1);
    if (!this.port.isUp(host)) this.port.restart(host);
  }

  heal(): void {
    if (this.healed) return;
    this.healed = true;
    for (const timer of this.timers) this.clock.cancelTimer(timer);
    // Links first, so restarted processes come back into a connected network.
    for (const handle of this.handles) this.port.heal(handle);
    for (const host of this.paused) if (this.port.isUp(host)) this.port.resume(host);
    for (const host of [...this.crashed]) this.restart(host);
  }
}

function regionOf(universe: TargetUniverse, host: string): string {
  return universe.hosts.find((entry) => entry.id === host)?.region ?? host;
}

/** The region pairs crossed by links from `sources` to `targets`, sorted and unique. */
function regionLinks(universe: TargetUniverse, sources: readonly string[], targets: readonly string[]): [string, string][] {
  const sourceRegions = new Set(sources.map((host) => regionOf(universe, host)));
  const targetRegions = new Set(targets.map((host) => regionOf(universe, host)));
  const pairs = new Set<string>();
  for (const a of sourceRegions) for (const b of targetRegions) if (a !== b) pairs.add(a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);
  return [...pairs].sort().map((pair) => pair.split("\u0000") as [string, string]);
}

function rest(universe: TargetUniverse, hosts: readonly string[]): string[] {
  const inside = new Set(hosts);
  return universe.hosts.filter((host) => !inside.has(host.id)).map((host) => host.id);
}

type Shape = "isolate" | "region-vs-rest" | "datacenter" | "region-pair" | "majorities-ring" | "halves" | "one-way";

/** An unnamed shape follows from what the target names: one region, two regions, a datacenter. */
function partitionShape(explicit: Shape | null, selector: TargetSelector, target: ResolvedTarget): Shape {
  if (explicit !== null) return explicit;
  const onlyRegions =
    selector.regions !== undefined &&
    selector.hosts === undefined &&
    selector.datacenters === undefined &&
    selector.cells === undefined &&
    selector.select === "all";
  if (onlyRegions && target.regions.length === 2) return "region-pair";
  if (onlyRegions && target.regions.length === 1) return "region-vs-rest";
  const onlyDatacenters =
    selector.datacenters !== undefined && selector.hosts === undefined && selector.cells === undefined && selector.select === "all";
  if (onlyDatacenters) return "datacenter";
  return "isolate";
}

function applyPartition(shape: Shape, target: ResolvedTarget, context: ApplyContext, undo: Undo): FaultAffects {
  const { port, universe } = context;
  const install = (spec: PartitionSpec): void => {
    undo.handles.push(port.partition(spec));
  };
  const links: [string, string][] = [];
  switch (shape) {
    case "region-vs-rest":
      for (const region of target.regions) {
        install({ kind: "region-vs-rest", region });
        links.push(
          ...regionLinks(
            universe,
            universe.hosts.filter((host) => host.region === region).map((host) => host.id),
            universe.hosts.map((host) => host.id),
          ),
        );
      }
      return { hosts: target.regions, links: dedupe(links) };
    case "datacenter":
      for (const datacenter of target.datacenters) install({ kind: "datacenter", datacenter });
      return { hosts: target.datacenters, links: regionLinks(universe, target.hosts, rest(universe, target.hosts)) };
    case "region-pair": {
      if (target.regions.length !== 2)
        throw new ChaosError("INVALID_FAULT", "params.shape", `region-pair needs exactly two regions, got ${target.regions.length}`);
      const [a, b] = target.regions as [string, string];
      const hostsOf = (region: string): string[] => universe.hosts.filter((host) => host.region === region).map((host) => host.id);
      install({ kind: "one-way", from: hostsOf(a), to: hostsOf(b) });
      install({ kind: "one-way", from: hostsOf(b), to: hostsOf(a) });
      return { hosts: [a, b], links: [[a, b]] };
    }
    case "isolate":
      install({ kind: "isolate", hosts: target.hosts });
      return { hosts: target.hosts, links: regionLinks(universe, target.hosts, rest(universe, target.hosts)) };
    case "one-way": {
      const others = rest(universe, target.hosts);
      install({ kind: "one-way", from: target.hosts, to: others });
      return { hosts: target.hosts, links: regionLinks(universe, target.hosts, others) };
    }
    case "halves": {
      const shuffled = context.random.shuffle(target.hosts);
      const middle = Math.floor(shuffled.length / 2);
      const first = shuffled.slice(0, middle);
      const second = shuffled.slice(middle);
      install({ kind: "groups", groups: [first, second] });
      return { hosts: target.hosts, links: regionLinks(universe, first, second) };
    }
    case "majorities-ring": {
      // Per cell: a quorum is a property of one Raft group, so each cell gets its own ring.
      for (const cell of target.cells) {
        const members =
          universe.cells.find((entry) => entry.id === cell)?.replicas.filter((replica) => target.hosts.includes(replica)) ?? [];
        const ring = context.random.shuffle(members);
        const majority = Math.floor(ring.length / 2) + 1;
        ring.forEach((host, position) => {
          const view = new Set<number>([position]);
          for (let step = 1; view.size < majority; step++) {
            view.add((position + step) % ring.length);
            if (view.size < majority) view.add((position - step + ring.length) % ring.length);
          }
          const outside = ring.filter((_, index) => !view.has(index));
          if (outside.length > 0) {
            install({ kind: "one-way", from: outside, to: [host] });
            links.push(...regionLinks(universe, outside, [host]));
          }
        });
      }
      return { hosts: target.hosts, links: dedupe(links) };
    }
  }
}

function dedupe(links: readonly (readonly [string, string])[]): [string, string][] {
  const seen = new Set<string>();
  const out: [string, string][] = [];
  for (const [a, b] of links) {
    const key = `${a}\u0000${b}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push([a, b]);
    }
  }
  return out.sort((x, y) => (x[0] + x[1] < y[0] + y[1] ? -1 : 1));
}

function degrade(
  target: ResolvedTarget,
  context: ApplyContext,
  undo: Undo,
  degradation: Omit<LinkDegradation, "between" | "and">,
): FaultAffects {
  const others = rest(context.universe, target.hosts);
  // Degrading "everything" means every link, not links to an empty rest.
  const and = others.length === 0 ? target.hosts : others;
  undo.handles.push(context.port.degrade({ between: target.hosts, and, ...degradation }));
  return { hosts: target.hosts, links: regionLinks(context.universe, target.hosts, and) };
}

const msToUs = (ms: number): number => Math.round(ms * 1000);

export function applyFault(spec: FaultSpec, target: ResolvedTarget, context: ApplyContext): AppliedFault {
  const undo = new Undo(context.port, context.clock);
  const affects =
    applyNetworkFault(spec, target, context, undo) ??
    applyHostFault(spec, target, context, undo) ??
    applyProcessFault(spec, target, context, undo);
  return { affects, heal: () => undo.heal() };
}

/** Partitions and link degradations; null for a fault of another family. */
function applyNetworkFault(spec: FaultSpec, target: ResolvedTarget, context: ApplyContext, undo: Undo): FaultAffects | null {
  switch (spec.type) {
    case "partition":
      return applyPartition(partitionShape(spec.params.shape, spec.target, target), target, context, undo);
    case "latency":
      return degrade(target, context, undo, { extraDelayUs: msToUs(spec.params.delayMs), jitterUs: msToUs(spec.params.jitterMs) });
    case "loss":
      return degrade(target, context, undo, { lossProbability: spec.params.probability });
    case "duplicate":
      return degrade(target, context, undo, { duplicateProbability: spec.params.probability });
    case "reorder":
      return degrade(target, context, undo, { reorderProbability: spec.params.probability });
    case "bandwidth":
      return degrade(target, context, undo, { bandwidthBytesPerSecond: spec.params.bytesPerSecond });
    default:
      return null;
  }
}

/** Disk and clock faults on each target host; null for a fault of another family. */
function applyHostFault(spec: FaultSpec, target: ResolvedTarget, context: ApplyContext, undo: Undo): FaultAffects | null {
  const port = context.port;
  const onEachHost = (install: (host: string) => FaultHandle): FaultAffects => {
    for (const host of target.hosts) undo.handles.push(install(host));
    return { hosts: target.hosts, links: [] };
  };
  switch (spec.type) {
    case "fsync-eio":
    case "enospc": {
      const kind = spec.type;
      return onEachHost((host) => port.disk(host, { kind }));
    }
    case "slow-fsync":
      return onEachHost((host) => port.disk(host, { kind: "slow-fsync", latencyMultiplier: spec.params.multiplier }));
    case "corrupt":
      return onEachHost((host) => port.disk(host, { kind: "corrupt-synced-record" }));
    case "torn-write":
      return onEachHost((host) => port.disk(host, { kind: "torn-write-at-crash" }));
    case "clock":
      return onEachHost((host) => port.clock(host, { offsetUs: msToUs(spec.params.offsetMs), driftPpm: spec.params.driftPpm }));
    default:
      return null;
  }
}

/** Crashes, pauses, restarts and outages (processes down, plus the cut for an outage). */
function applyProcessFault(spec: FaultSpec, target: ResolvedTarget, context: ApplyContext, undo: Undo): FaultAffects {
  const { port, clock } = context;
  const hostsOnly: FaultAffects = { hosts: target.hosts, links: [] };
  switch (spec.type) {
    case "kill":
      for (const host of target.hosts) undo.crash(host);
      return hostsOnly;
    case "pause":
      for (const host of target.hosts) {
        if (!port.isUp(host)) continue;
        port.pause(host);
        undo.paused.push(host);
      }
      return hostsOnly;
    case "restart":
      for (const host of target.hosts) undo.crash(host);
      undo.timers.push(
        clock.setTimer(msToUs(spec.params.downMs), () => {
          for (const host of [...undo.crashed]) undo.restart(host);
          context.completed();
        }),
      );
      return hostsOnly;
    case "rolling-restart":
      return applyRollingRestart(spec.params, target, context, undo);
    case "dc-outage":
      for (const host of target.hosts) undo.crash(host);
      for (const datacenter of target.datacenters) undo.handles.push(port.partition({ kind: "datacenter", datacenter }));
      return { hosts: target.datacenters, links: regionLinks(context.universe, target.hosts, rest(context.universe, target.hosts)) };
    case "region-outage":
      for (const host of target.hosts) undo.crash(host);
      for (const region of target.regions) undo.handles.push(port.partition({ kind: "region-vs-rest", region }));
      return { hosts: target.regions, links: regionLinks(context.universe, target.hosts, rest(context.universe, target.hosts)) };
    default:
      throw new Error(`applyFault: no family applies ${spec.type}`);
  }
}

/** Followers first and the leader last, as an operator would, so a cell changes leader once. */
function applyRollingRestart(
  params: { readonly intervalMs: number; readonly downMs: number },
  target: ResolvedTarget,
  context: ApplyContext,
  undo: Undo,
): FaultAffects {
  const clock = context.clock;
  const order: string[] = [];
  for (const cellId of target.cells) {
    const cell = context.universe.cells.find((entry) => entry.id === cellId);
    if (cell === undefined) continue;
    order.push(...cell.replicas.filter((replica) => replica !== cell.leader));
    if (cell.leader !== null) order.push(cell.leader);
  }
  const intervalUs = msToUs(params.intervalMs);
  const downUs = msToUs(params.downMs);
  order.forEach((host, position) => {
    undo.timers.push(clock.setTimer(position * intervalUs, () => undo.crash(host)));
    undo.timers.push(
      clock.setTimer(position * intervalUs + downUs, () => {
        undo.restart(host);
        if (position === order.length - 1) context.completed();
      }),
    );
  });
  return { hosts: target.cells, links: [] };
}
