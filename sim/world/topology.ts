// Regions, datacenters and hosts, and the one-way delay between any two hosts. Delays are
// resolved per datacenter pair once (hosts only index into that matrix), so a lookup on the hot
// path of every message is two array reads.
import type { TopologyConfig } from "../../domain/config.js";

export type TopologyErrorCode = "UNKNOWN_DATACENTER" | "DUPLICATE_HOST" | "UNKNOWN_HOST" | "UNKNOWN_REGION";

export class TopologyError extends Error {
  constructor(
    readonly code: TopologyErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Selects hosts by id, datacenter or region (union of all given lists). */
export interface HostSelector {
  hosts?: readonly string[];
  datacenters?: readonly string[];
  regions?: readonly string[];
}

export interface HostInfo {
  readonly id: string;
  readonly index: number;
  readonly datacenter: string;
  readonly region: string;
}

export class Topology {
  readonly regions: readonly string[];
  readonly datacenters: readonly string[];
  private readonly regionOfDatacenter = new Map<string, string>();
  private readonly datacenterIndex = new Map<string, number>();
  /** Row-major [source datacenter][target datacenter]. */
  private readonly baseUsByDatacenterPair: Int32Array;
  private readonly jitterUsMaxByDatacenterPair: Int32Array;
  private readonly hostList: HostInfo[] = [];
  private readonly hostDatacenterIndex: number[] = [];
  private readonly hostsById = new Map<string, HostInfo>();

  constructor(config: TopologyConfig) {
    this.regions = config.regions.map((region) => region.name);
    this.datacenters = config.datacenters.map((datacenter) => datacenter.name);
    config.datacenters.forEach((datacenter, index) => {
      // parseWorldConfig guarantees every datacenter has a known region.
      this.regionOfDatacenter.set(datacenter.name, datacenter.region as string);
      this.datacenterIndex.set(datacenter.name, index);
    });
    const count = this.datacenters.length;
    this.baseUsByDatacenterPair = new Int32Array(count * count);
    this.jitterUsMaxByDatacenterPair = new Int32Array(count * count);
    for (let source = 0; source < count; source++) {
      for (let target = 0; target < count; target++) {
        const { rttMs, jitterFraction } = this.resolveRtt(config, this.datacenters[source] as string, this.datacenters[target] as string);
        const oneWayUs = Math.round((rttMs * 1000) / 2);
        this.baseUsByDatacenterPair[source * count + target] = oneWayUs;
        this.jitterUsMaxByDatacenterPair[source * count + target] = Math.round(oneWayUs * jitterFraction);
      }
    }
  }

  private resolveRtt(config: TopologyConfig, source: string, target: string): { rttMs: number; jitterFraction: number } {
    const matches = (a: string, b: string) =>
      config.links.find((link) => (link.source === a && link.target === b) || (link.source === b && link.target === a));
    const fallbackJitter = config.jitterFraction;
    if (source === target) return { rttMs: config.sameDatacenterRttMs, jitterFraction: fallbackJitter };
    const datacenterLink = matches(source, target);
    if (datacenterLink) return { rttMs: datacenterLink.rttMs, jitterFraction: datacenterLink.jitterFraction ?? fallbackJitter };
    const sourceRegion = this.regionOfDatacenter.get(source) as string;
    const targetRegion = this.regionOfDatacenter.get(target) as string;
    if (sourceRegion === targetRegion) return { rttMs: config.sameRegionRttMs, jitterFraction: fallbackJitter };
    const regionLink = matches(sourceRegion, targetRegion);
    if (regionLink) return { rttMs: regionLink.rttMs, jitterFraction: regionLink.jitterFraction ?? fallbackJitter };
    return { rttMs: config.crossRegionRttMs, jitterFraction: fallbackJitter };
  }

  addHost(id: string, datacenter: string): HostInfo {
    if (this.hostsById.has(id)) throw new TopologyError("DUPLICATE_HOST", `host "${id}" already exists`);
    const datacenterIndex = this.datacenterIndex.get(datacenter);
    if (datacenterIndex === undefined) throw new TopologyError("UNKNOWN_DATACENTER", `host "${id}": unknown datacenter "${datacenter}"`);
    const info: HostInfo = { id, index: this.hostList.length, datacenter, region: this.regionOfDatacenter.get(datacenter) as string };
    this.hostList.push(info);
    this.hostDatacenterIndex.push(datacenterIndex);
    this.hostsById.set(id, info);
    return info;
  }

  get hostCount(): number {
    return this.hostList.length;
  }

  hosts(): readonly HostInfo[] {
    return this.hostList;
  }

  host(id: string): HostInfo {
    const info = this.hostsById.get(id);
    if (info === undefined) throw new TopologyError("UNKNOWN_HOST", `unknown host "${id}"`);
    return info;
  }

  hasHost(id: string): boolean {
    return this.hostsById.has(id);
  }

  /** Index of a host, or -1. */
  hostIndex(id: string): number {
    return this.hostsById.get(id)?.index ?? -1;
  }

  hostAt(index: number): HostInfo {
    const info = this.hostList[index];
    if (info === undefined) throw new TopologyError("UNKNOWN_HOST", `no host at index ${index}`);
    return info;
  }

  regionOf(datacenter: string): string {
    const region = this.regionOfDatacenter.get(datacenter);
    if (region === undefined) throw new TopologyError("UNKNOWN_DATACENTER", `unknown datacenter "${datacenter}"`);
    return region;
  }

  /** Hosts matching any list of the selector, in host index order. Unknown names are errors. */
  select(selector: HostSelector): HostInfo[] {
    for (const id of selector.hosts ?? []) this.host(id);
    for (const datacenter of selector.datacenters ?? []) this.regionOf(datacenter);
    for (const region of selector.regions ?? []) {
      if (!this.regions.includes(region)) throw new TopologyError("UNKNOWN_REGION", `unknown region "${region}"`);
    }
    const hosts = new Set(selector.hosts ?? []);
    const datacenters = new Set(selector.datacenters ?? []);
    const regions = new Set(selector.regions ?? []);
    return this.hostList.filter((host) => hosts.has(host.id) || datacenters.has(host.datacenter) || regions.has(host.region));
  }

  /** Base one-way delay from host `source` to host `target` (indexes), in µs. */
  oneWayBaseUs(source: number, target: number): number {
    return this.baseUsByDatacenterPair[this.pairIndex(source, target)] as number;
  }

  /** Largest jitter added to the base one-way delay, in µs. */
  jitterUsMax(source: number, target: number): number {
    return this.jitterUsMaxByDatacenterPair[this.pairIndex(source, target)] as number;
  }

  /** Round-trip time between two datacenters, in µs (without jitter). */
  datacenterRttUs(source: string, target: string): number {
    const count = this.datacenters.length;
    const a = this.datacenterIndex.get(source);
    const b = this.datacenterIndex.get(target);
    if (a === undefined || b === undefined)
      throw new TopologyError("UNKNOWN_DATACENTER", `unknown datacenter "${a === undefined ? source : target}"`);
    return (this.baseUsByDatacenterPair[a * count + b] as number) + (this.baseUsByDatacenterPair[b * count + a] as number);
  }

  private pairIndex(source: number, target: number): number {
    const a = this.hostDatacenterIndex[source];
    const b = this.hostDatacenterIndex[target];
    if (a === undefined || b === undefined)
      throw new TopologyError("UNKNOWN_HOST", `no host at index ${a === undefined ? source : target}`);
    return a * this.datacenters.length + b;
  }
}
