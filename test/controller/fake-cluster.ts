// A small in-memory Cluster for controller tests: six cells of five replicas over the default
// regions, a scheduler-backed clock, leadership transfers that take 30 ms of simulated time and
// fail for replicas that are down or far behind. Tests mutate replica states directly.
import type { CellView, Cluster, FaultPort, LeaderInfo, ReplicaView } from "../../sim/cluster.js";
import { createRandom } from "../../sim/kernel/random.js";
import { Scheduler } from "../../sim/kernel/scheduler.js";
import { VirtualClock } from "../../sim/kernel/virtual-clock.js";

const REGIONS = [
  { name: "hangzhou", datacenters: ["hz-a", "hz-b"] },
  { name: "shanghai", datacenters: ["sh-a", "sh-b"] },
  { name: "shenzhen", datacenters: ["sz-a"] },
];
const RTT: Record<string, number> = { "hangzhou|shanghai": 6, "hangzhou|shenzhen": 30, "shanghai|shenzhen": 30 };

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

export class FakeCluster implements Cluster {
  readonly runtime = "virtual" as const;
  readonly seed = 1;
  readonly scheduler = new Scheduler();
  readonly clock = new VirtualClock(this.scheduler);
  readonly random = createRandom(1);
  readonly state: MutableCell[] = [];
  transfers = 0;
  readonly topology = {
    regions: REGIONS,
    rttMs: (a: string, b: string) => (a === b ? 1 : (RTT[[a, b].sort().join("|")] ?? 30)),
    regionOfDatacenter: (datacenter: string) => REGIONS.find((region) => region.datacenters.includes(datacenter))?.name ?? "",
  };
  readonly faults: FaultPort = {
    crash: () => {},
    restart: () => {},
    pause: () => {},
    resume: () => {},
    partition: () => ({ id: "p" }),
    degrade: () => ({ id: "d" }),
    disk: () => ({ id: "k" }),
    clock: () => ({ id: "c" }),
    heal: () => {},
    healAll: () => {},
    isUp: () => true,
    hosts: () => [],
  };

  constructor() {
    for (let index = 1; index <= 6; index++) {
      const preferredRegion = index <= 3 ? "hangzhou" : "shanghai";
      const id = `cell-${index}`;
      const replicas = REGIONS.flatMap((region) => region.datacenters.map((datacenter) => ({ id: `${id}/${datacenter}`, datacenter, region: region.name, state: "up" as const, lag: 0 })));
      const leaderDc = preferredRegion === "hangzhou" ? (index % 2 === 1 ? "hz-a" : "hz-b") : index % 2 === 0 ? "sh-a" : "sh-b";
      this.state.push({ id, preferredRegion, shards: Array.from({ length: 100 }, (_, shard) => shard).filter((shard) => Math.floor(shard / 17) === index - 1 || (index === 6 && shard >= 85)), replicas, leader: `${id}/${leaderDc}`, term: 2 });
    }
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

  transferLeadership(cell: string, targetReplica: string, _timeoutUs: number, callback: (result: { ok: true; leader: LeaderInfo } | { ok: false; error: { code: "TARGET_DOWN"; message: string } }) => void): void {
    this.transfers++;
    this.clock.setTimer(30_000, () => {
      const state = this.mutable(cell);
      const target = this.replica(targetReplica);
      if (target.state === "crashed" || target.state === "partitioned") {
        callback({ ok: false, error: { code: "TARGET_DOWN", message: `${targetReplica} is ${target.state}` } });
        return;
      }
      state.leader = targetReplica;
      state.term++;
      target.lag = 0;
      callback({ ok: true, leader: { replica: target.id, datacenter: target.datacenter, region: target.region } });
    });
  }

  private view(cell: MutableCell): CellView {
    const leader = cell.replicas.find((replica) => replica.id === cell.leader) ?? null;
    const up = cell.replicas.filter((replica) => replica.state === "up" || replica.state === "lagging").length;
    return {
      id: cell.id,
      preferredRegion: cell.preferredRegion,
      shards: cell.shards,
      leader: leader === null || leader.state === "crashed" ? null : { replica: leader.id, datacenter: leader.datacenter, region: leader.region },
      term: cell.term,
      commitIndex: 100,
      quorumAvailable: up >= 3,
      replicas: cell.replicas.map((replica) => ({
        id: replica.id,
        cell: cell.id,
        datacenter: replica.datacenter,
        region: replica.region,
        role: replica.state === "crashed" ? "down" : replica.id === cell.leader ? "leader" : "follower",
        state: replica.state,
        term: cell.term,
        commitIndex: 100 - Math.max(0, replica.lag),
        appliedIndex: 100 - Math.max(0, replica.lag),
        lag: replica.id === cell.leader ? 0 : replica.lag,
        cutFrom: [],
        cutFromRegions: [],
        inMajority: up >= 3 && replica.state !== "crashed",
      })),
    };
  }
}
