// The one fake Cluster (domain/cluster.ts) for unit tests of chaos and the controller: six cells
// of five replicas over the default regions (3 regions, 5 datacenters), a real virtual clock on
// its own scheduler, a FaultPort that records every primitive call and tracks which hosts are
// down, paused and which handles are live, and leadership transfers that take 30 ms of simulated
// time and fail for a target that is down. Tests mutate replica states and leaders directly.
import type { CellView, Cluster, FaultHandle, FaultPort, LeaderInfo, ReplicaView } from "../../domain/cluster.js";
import { createRandom } from "../../ground/random.js";
import { Scheduler } from "../../sim/kernel/scheduler.js";
import { VirtualClock } from "../../sim/kernel/virtual-clock.js";

const REGIONS = [
  { name: "hangzhou", datacenters: ["hz-a", "hz-b"] },
  { name: "shanghai", datacenters: ["sh-a", "sh-b"] },
  { name: "shenzhen", datacenters: ["sz-a"] },
];
const RTT: Record<string, number> = { "hangzhou|shanghai": 6, "hangzhou|shenzhen": 30, "shanghai|shenzhen": 30 };
export const TRANSFER_US = 30_000;

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

export interface MutableReplica {
  id: string;
  datacenter: string;
  region: string;
  state: ReplicaView["state"];
  lag: number;
}

export interface MutableCell {
  id: string;
  preferredRegion: string;
  shards: number[];
  replicas: MutableReplica[];
  leader: string | null;
  term: number;
}

export interface FakeClusterOptions {
  readonly seed?: number;
  /**
   * Where the leaders start: "first-datacenter" puts every cell's leader in the first datacenter
   * of its preferred region (hz-a holds three, sh-a three: one datacenter holds the most);
   * "spread" alternates between the region's two datacenters.
   */
  readonly leaders?: "first-datacenter" | "spread";
}

export class FakeCluster implements Cluster {
  readonly runtime = "virtual" as const;
  readonly seed: number;
  readonly scheduler = new Scheduler();
  readonly clock = new VirtualClock(this.scheduler);
  readonly random: ReturnType<typeof createRandom>;
  readonly state: MutableCell[] = [];
  readonly port: RecordingPort;
  readonly faults: FaultPort;
  transfers = 0;
  readonly topology = {
    regions: REGIONS,
    rttMs: (a: string, b: string) => (a === b ? 1 : (RTT[[a, b].sort().join("|")] ?? 30)),
    regionOfDatacenter: (datacenter: string) => REGIONS.find((region) => region.datacenters.includes(datacenter))?.name ?? "",
  };
  /** Leader replica per cell, readable and settable as a map (null: the cell has none). */
  readonly leaders = {
    get: (cell: string): string | null => this.mutable(cell).leader,
    set: (cell: string, replica: string | null): void => {
      this.mutable(cell).leader = replica;
    },
  };

  constructor(options: FakeClusterOptions = {}) {
    this.seed = options.seed ?? 1;
    this.random = createRandom(this.seed);
    const hosts: { id: string; datacenter: string; region: string; cell?: string }[] = [];
    for (let index = 1; index <= 6; index++) {
      const preferredRegion = index <= 3 ? "hangzhou" : "shanghai";
      const id = `cell-${index}`;
      const replicas = REGIONS.flatMap((region) =>
        region.datacenters.map((datacenter) => ({
          id: `${id}/${datacenter}`,
          datacenter,
          region: region.name,
          state: "up" as const,
          lag: 0,
        })),
      );
      for (const replica of replicas) hosts.push({ id: replica.id, datacenter: replica.datacenter, region: replica.region, cell: id });
      const spread = preferredRegion === "hangzhou" ? (index % 2 === 1 ? "hz-a" : "hz-b") : index % 2 === 0 ? "sh-a" : "sh-b";
      const leaderDc = options.leaders === "first-datacenter" ? (preferredRegion === "hangzhou" ? "hz-a" : "sh-a") : spread;
      this.state.push({
        id,
        preferredRegion,
        shards: Array.from({ length: 100 }, (_, shard) => shard).filter(
          (shard) => Math.floor(shard / 17) === index - 1 || (index === 6 && shard >= 85),
        ),
        replicas,
        leader: `${id}/${leaderDc}`,
        term: 2,
      });
    }
    for (const region of REGIONS)
      hosts.push({ id: `client/${region.name}`, datacenter: region.datacenters[0] as string, region: region.name });
    this.port = new RecordingPort(hosts);
    this.faults = this.port;
  }

  mutable(cell: string): MutableCell {
    const found = this.state.find((candidate) => candidate.id === cell);
    if (found === undefined) throw new Error(`no cell ${cell}`);
    return found;
  }

  replica(id: string): MutableReplica {
    const found = this.state.flatMap((cell) => cell.replicas).find((replica) => replica.id === id);
    if (found === undefined) throw new Error(`no replica ${id}`);
    return found;
  }

  cells(): readonly CellView[] {
    return this.state.map((cell) => this.view(cell));
  }

  cell(id: string): CellView | undefined {
    const cell = this.state.find((candidate) => candidate.id === id);
    return cell === undefined ? undefined : this.view(cell);
  }

  transferLeadership(
    cell: string,
    targetReplica: string,
    _timeoutUs: number,
    callback: (result: { ok: true; leader: LeaderInfo } | { ok: false; error: { code: "TARGET_DOWN"; message: string } }) => void,
  ): void {
    this.transfers++;
    this.clock.setTimer(TRANSFER_US, () => {
      const state = this.mutable(cell);
      const target = this.replica(targetReplica);
      const targetState = this.stateOf(target);
      if (targetState === "crashed" || targetState === "partitioned") {
        callback({ ok: false, error: { code: "TARGET_DOWN", message: `${targetReplica} is ${targetState}` } });
        return;
      }
      state.leader = targetReplica;
      state.term++;
      target.lag = 0;
      callback({ ok: true, leader: { replica: target.id, datacenter: target.datacenter, region: target.region } });
    });
  }

  /** A replica the port crashed is crashed, whatever the test set. */
  private stateOf(replica: MutableReplica): ReplicaView["state"] {
    return this.port.isUp(replica.id) ? replica.state : "crashed";
  }

  private view(cell: MutableCell): CellView {
    const leader = cell.replicas.find((replica) => replica.id === cell.leader) ?? null;
    const up = cell.replicas.filter((replica) => this.stateOf(replica) === "up" || this.stateOf(replica) === "lagging").length;
    return {
      id: cell.id,
      preferredRegion: cell.preferredRegion,
      shards: cell.shards,
      leader:
        leader === null || this.stateOf(leader) === "crashed"
          ? null
          : { replica: leader.id, datacenter: leader.datacenter, region: leader.region },
      term: cell.term,
      commitIndex: 100,
      quorumAvailable: up >= 3,
      replicas: cell.replicas.map((replica) => ({
        id: replica.id,
        cell: cell.id,
        datacenter: replica.datacenter,
        region: replica.region,
        role: this.stateOf(replica) === "crashed" ? "down" : replica.id === cell.leader ? "leader" : "follower",
        state: this.stateOf(replica),
        term: cell.term,
        commitIndex: 100 - Math.max(0, replica.lag),
        appliedIndex: 100 - Math.max(0, replica.lag),
        lag: replica.id === cell.leader ? 0 : replica.lag,
        cutFrom: [],
        cutFromRegions: [],
        inMajority: up >= 3 && this.stateOf(replica) !== "crashed",
      })),
    };
  }
}

/** The chaos tests' preset: leaders in the first datacenter of their preferred region. */
export function fakeCluster(seed = 1): FakeCluster {
  return new FakeCluster({ seed, leaders: "first-datacenter" });
}
