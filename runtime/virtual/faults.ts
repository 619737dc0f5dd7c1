// The FaultPort of the virtual runtime: the primitive faults the chaos module composes, mapped
// onto the simulated network, disks, processes and per-host clocks of sim/world.

import type { ClockFaultSpec, DiskFaultSpec, FaultHandle, FaultPort, LinkDegradation, PartitionSpec } from "../../domain/cluster.js";
import type { World } from "../../sim/world/world.js";
import type { DiskConfig } from "../../domain/config.js";
import type { PartitionSpec as WorldPartitionSpec } from "../../sim/world/partition.js";

export interface HostPlacement {
  readonly id: string;
  readonly datacenter: string;
  readonly region: string;
  readonly cell?: string;
}

/** Per-host clock drift, read by the clocks handed to replica processes. */
export class ClockSkews {
  private readonly driftPpm = new Map<string, number>();
  set(host: string, driftPpm: number): void {
    if (driftPpm === 0) this.driftPpm.delete(host);
    else this.driftPpm.set(host, driftPpm);
  }
  /** A host whose clock runs fast by `driftPpm` fires its timers early by that fraction. */
  scale(host: string, delayUs: number): number {
    const drift = this.driftPpm.get(host);
    return drift === undefined ? delayUs : Math.max(0, Math.round(delayUs / (1 + drift / 1_000_000)));
  }
}

type Installed =
  | { readonly kind: "network"; readonly networkId: string }
  | { readonly kind: "disk"; readonly host: string }
  | { readonly kind: "clock"; readonly host: string };

export class VirtualFaults implements FaultPort {
  private readonly installed = new Map<string, Installed>();
  private readonly baseDisk: DiskConfig;
  private nextId = 1;

  constructor(
    private readonly world: World,
    private placements: readonly HostPlacement[],
    private readonly skews: ClockSkews,
    private readonly onChange: () => void = () => {},
    private readonly onCrash: (host: string) => void = () => {},
    /** A replica that stopped on a disk error: healing restarts its process, as a supervisor would. */
    private readonly isStopped: (host: string) => boolean = () => false,
  ) {
    this.baseDisk = { ...world.config.disk };
  }

  hosts(): readonly HostPlacement[] {
    return this.placements;
  }

  /** A host added after the world was built (the control plane's replicas and endpoints): region and datacenter faults reach it. */
  addPlacement(placement: HostPlacement): void {
    if (this.placements.some((host) => host.id === placement.id)) throw new Error(`${placement.id}: already placed`);
    this.placements = [...this.placements, placement];
  }

  /** Replica hosts: the random partition shapes (halves, majorities ring) range over these only. */
  private replicaHosts(): string[] {
    return this.placements.filter((host) => host.cell !== undefined).map((host) => host.id);
  }

  isUp(host: string): boolean {
    return this.world.isUp(host);
  }

  crash(host: string): void {
    if (this.world.state(host) !== "down") {
      this.world.crash(host);
      this.onCrash(host);
    }
    this.onChange();
  }

  restart(host: string): void {
    const state = this.world.state(host);
    if (state === "paused") this.world.resume(host);
    if (state === "down") this.world.restart(host);
    this.onChange();
  }

  pause(host: string): void {
    if (this.world.state(host) === "running") this.world.pause(host);
    this.onChange();
  }

  resume(host: string): void {
    if (this.world.state(host) === "paused") this.world.resume(host);
    this.onChange();
  }

  partition(spec: PartitionSpec): FaultHandle {
    let worldSpec: WorldPartitionSpec;
    switch (spec.kind) {
      case "majorities-ring":
      case "halves":
        worldSpec = { kind: spec.kind, hosts: this.replicaHosts() };
        break;
      case "one-way":
        worldSpec = { kind: "one-way", from: spec.from, to: spec.to };
        break;
      case "isolate":
        worldSpec = { kind: "isolate", hosts: spec.hosts };
        break;
      case "region-vs-rest":
        worldSpec = { kind: "region-vs-rest", region: spec.region };
        break;
      case "datacenter":
        worldSpec = { kind: "datacenter", datacenter: spec.datacenter };
        break;
      case "groups":
        worldSpec = { kind: "groups", groups: spec.groups };
        break;
      default: {
        const unreachable: never = spec;
        throw new Error(`unknown partition ${JSON.stringify(unreachable)}`);
      }
    }
    return this.install({ kind: "network", networkId: this.world.network.partition(worldSpec) });
  }

  degrade(degradation: LinkDegradation): FaultHandle {
    // Jitter and reordering are both extra random delay on the link: the simulated network
    // reorders messages whose delays cross, so they are modelled as latency spread.
    const extraLatencyUs = (degradation.extraDelayUs ?? 0) + (degradation.jitterUs ?? 0) / 2;
    const networkId = this.world.network.degrade({
      from: { hosts: degradation.between },
      to: { hosts: degradation.and },
      ...(extraLatencyUs > 0 ? { extraLatencyUs: Math.round(extraLatencyUs) } : {}),
      ...(degradation.lossProbability !== undefined ? { lossProbability: degradation.lossProbability } : {}),
      ...(degradation.duplicateProbability !== undefined ? { duplicateProbability: degradation.duplicateProbability } : {}),
      ...(degradation.bandwidthBytesPerSecond !== undefined ? { bandwidthBytesPerSecond: degradation.bandwidthBytesPerSecond } : {}),
    });
    return this.install({ kind: "network", networkId });
  }

  disk(host: string, fault: DiskFaultSpec): FaultHandle {
    const disk = this.world.disk(host);
    switch (fault.kind) {
      case "fsync-eio":
        disk.configure({ ...disk.config, fsyncErrorProbability: 1 });
        break;
      case "enospc":
        disk.configure({ ...disk.config, capacityBytes: Math.max(0, disk.bytesUsed) });
        break;
      case "slow-fsync":
        disk.configure({ ...disk.config, slowFsyncProbability: 1, slowFsyncMultiplier: fault.latencyMultiplier });
        break;
      case "corrupt-synced-record":
        disk.corrupt(undefined, this.world.random.fork(`chaos/corrupt/${host}/${this.nextId}`));
        break;
      case "torn-write-at-crash":
        disk.configure({ ...disk.config, tornWriteProbability: 1 });
        break;
      default: {
        const unreachable: never = fault;
        throw new Error(`unknown disk fault ${JSON.stringify(unreachable)}`);
      }
    }
    return this.install({ kind: "disk", host });
  }

  clock(host: string, fault: ClockFaultSpec): FaultHandle {
    // Timers only measure intervals, so an offset alone changes nothing here; drift does.
    this.skews.set(host, fault.driftPpm ?? 0);
    return this.install({ kind: "clock", host });
  }

  heal(handle: FaultHandle): void {
    const installed = this.installed.get(handle.id);
    if (installed === undefined) return;
    this.installed.delete(handle.id);
    switch (installed.kind) {
      case "network":
        this.world.network.heal(installed.networkId);
        break;
      case "disk":
        // A bit flip already on the platter is not undone by healing: only the fault source stops.
        this.world.disk(installed.host).configure({ ...this.baseDisk });
        break;
      case "clock":
        this.skews.set(installed.host, 0);
        break;
      default: {
        const unreachable: never = installed;
        throw new Error(`unknown fault ${JSON.stringify(unreachable)}`);
      }
    }
    this.onChange();
  }

  healAll(): void {
    for (const id of [...this.installed.keys()]) this.heal({ id });
    this.world.network.healAll();
    for (const host of this.placements) {
      const state = this.world.state(host.id);
      if (state === "paused") this.world.resume(host.id);
      else if (state === "down") this.world.restart(host.id);
      else if (this.isStopped(host.id)) {
        this.world.crash(host.id);
        this.world.restart(host.id);
      }
    }
    this.onChange();
  }

  /** Hosts with an active disk fault (for the replica's `disk-faulted` state). */
  diskFaulted(host: string): boolean {
    for (const installed of this.installed.values()) if (installed.kind === "disk" && installed.host === host) return true;
    return false;
  }

  private install(installed: Installed): FaultHandle {
    const id = `pf-${this.nextId++}`;
    this.installed.set(id, installed);
    this.onChange();
    return { id };
  }
}
