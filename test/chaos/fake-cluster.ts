// A recording Cluster for unit tests of the catalogue and the FaultManager: the default world's
// shape (3 regions, 5 datacenters, 6 cells of 5 replicas), a real virtual clock, and a FaultPort
// that logs every primitive call and tracks which hosts are up, paused and which handles are live.
import type { CellView, Cluster, FaultHandle, FaultPort } from "../../sim/cluster.js";
import { createRandom } from "../../sim/kernel/random.js";
import { Scheduler } from "../../sim/kernel/scheduler.js";
import { VirtualClock } from "../../sim/kernel/virtual-clock.js";

const REGIONS = [
  { name: "hangzhou", datacenters: ["hz-a", "hz-b"] },
  { name: "shanghai", datacenters: ["sh-a", "sh-b"] },
  { name: "shenzhen", datacenters: ["sz-a"] },
];

export class RecordingPort implements FaultPort {
  readonly calls: string[] = [];
  readonly down = new Set<string>();
  readonly paused = new Set<string>();
  readonly live = new Map<string, string>();
  private nextId = 1;
  constructor(private readonly hostList: ReturnType<FaultPort["hosts"]>) {}
  crash(host: string): void {
    this.calls.push(`crash ${host}`);
    this.down.add(host);
  }
  restart(host: string): void {
    this.calls.push(`restart ${host}`);
    this.down.delete(host);
  }
  pause(host: string): void {
    this.calls.push(`pause ${host}`);
    this.paused.add(host);
  }
  resume(host: string): void {
    this.calls.push(`resume ${host}`);
    this.paused.delete(host);
  }
  private install(what: string): FaultHandle {
    const id = `h${this.nextId++}`;
    this.live.set(id, what);
    this.calls.push(`install ${what}`);
    return { id };
  }
  partition(spec: Parameters<FaultPort["partition"]>[0]): FaultHandle {
    return this.install(`partition ${JSON.stringify(spec)}`);
  }
  degrade(degradation: Parameters<FaultPort["degrade"]>[0]): FaultHandle {
    return this.install(`degrade ${JSON.stringify(degradation)}`);
  }
  disk(host: string, fault: Parameters<FaultPort["disk"]>[1]): FaultHandle {
    return this.install(`disk ${host} ${fault.kind}`);
  }
  clock(host: string, fault: Parameters<FaultPort["clock"]>[1]): FaultHandle {
    return this.install(`clock ${host} ${JSON.stringify(fault)}`);
  }
  heal(handle: FaultHandle): void {
    this.calls.push(`heal ${this.live.get(handle.id) ?? handle.id}`);
    this.live.delete(handle.id);
  }
  healAll(): void {
    this.calls.push("healAll");
    this.live.clear();
    this.down.clear();
    this.paused.clear();
  }
  isUp(host: string): boolean {
    return !this.down.has(host);
  }
  hosts(): ReturnType<FaultPort["hosts"]> {
    return this.hostList;
  }
}

export interface FakeCluster extends Cluster {
  readonly port: RecordingPort;
  readonly scheduler: Scheduler;
  /** Leader replica per cell (settable by tests). */
  readonly leaders: Map<string, string | null>;
}

export function fakeCluster(seed = 1): FakeCluster {
  const scheduler = new Scheduler();
  const clock = new VirtualClock(scheduler);
  const hosts: { id: string; datacenter: string; region: string; cell?: string }[] = [];
  const leaders = new Map<string, string | null>();
  for (let index = 1; index <= 6; index++) {
    const cell = `cell-${index}`;
    for (const region of REGIONS) for (const datacenter of region.datacenters) hosts.push({ id: `${cell}/${datacenter}`, datacenter, region: region.name, cell });
    leaders.set(cell, `${cell}/${index <= 3 ? "hz-a" : "sh-a"}`);
  }
  for (const region of REGIONS) hosts.push({ id: `client/${region.name}`, datacenter: region.datacenters[0] as string, region: region.name });
  const port = new RecordingPort(hosts);
  const view = (id: string): CellView => {
    const replicas = hosts.filter((host) => host.cell === id);
    const leader = leaders.get(id) ?? null;
    const leaderHost = hosts.find((host) => host.id === leader);
    return {
      id,
      preferredRegion: Number(id.slice(5)) <= 3 ? "hangzhou" : "shanghai",
      shards: [],
      replicas: replicas.map((host) => ({ id: host.id, cell: id, datacenter: host.datacenter, region: host.region, role: host.id === leader ? "leader" : "follower", state: port.isUp(host.id) ? "up" : "crashed", term: 1, commitIndex: 0, appliedIndex: 0, lag: 0, cutFrom: [], cutFromRegions: [], inMajority: port.isUp(host.id) })),
      leader: leaderHost === undefined ? null : { replica: leaderHost.id, datacenter: leaderHost.datacenter, region: leaderHost.region },
      term: 1,
      commitIndex: 0,
      quorumAvailable: replicas.filter((host) => port.isUp(host.id)).length >= 3,
    };
  };
  const cellIds = [...leaders.keys()];
  return {
    runtime: "virtual",
    seed,
    clock,
    random: createRandom(seed),
    topology: { regions: REGIONS, rttMs: () => 1, regionOfDatacenter: (dc) => REGIONS.find((region) => region.datacenters.includes(dc))?.name ?? "" },
    faults: port,
    cells: () => cellIds.map(view),
    cell: (id) => (leaders.has(id) ? view(id) : undefined),
    transferLeadership: (_cell, _target, _timeoutUs, callback) => callback({ ok: false, error: { code: "TIMEOUT", message: "fake" } }),
    port,
    scheduler,
    leaders,
  };
}
