// The simulated network. Per directed host pair: base delay + jitter from the topology, loss,
// duplication, reordering (extra random delay), a bandwidth-limited FIFO link (a message
// occupies the link for size / bandwidth; a link whose backlog exceeds linkQueueBytesMax drops:
// clogging), and partitions of any shape reduced to blocked directed pairs.
//
// Partition semantics: a message is checked against the partitions when it is SENT (a
// blocked message never enters the link) and again when it ARRIVES: a message in flight when a
// partition starts is dropped on arrival if its direction is blocked then, and one in flight
// when a partition heals is delivered. Nothing is ever parked in a side queue to reappear
// after a heal: in-flight messages live only as scheduler events.
import { combine32, hashString } from "../../ground/hash.js";
import type { Random } from "../../ground/random.js";
import type { Scheduler } from "../kernel/scheduler.js";
import type { NetworkConfig } from "../../domain/config.js";
import { resolvePartition, type PartitionSpec, type ResolvedPartition } from "./partition.js";
import type { HostSelector, Topology } from "./topology.js";

export type DropReason = "loss" | "partition" | "queue-full" | "target-down" | "sender-down" | "unknown-host" | "no-handler";

export interface MessageCounts {
  sent: number;
  delivered: number;
  duplicated: number;
  dropped: Record<DropReason, number>;
}

/** Delivers to the target host's process; returns why it could not, or null when delivered. */
export type Receiver = (targetIndex: number, source: string, message: unknown) => DropReason | null;

/** Extra trouble on the links from `from` hosts to `to` hosts (and back unless oneWay). */
export interface LinkDegradation {
  from: HostSelector;
  to: HostSelector;
  oneWay?: boolean;
  extraLatencyUs?: number;
  lossProbability?: number;
  duplicateProbability?: number;
  bandwidthBytesPerSecond?: number;
}

export type FaultId = string;

export type NetworkFault =
  { id: FaultId; kind: "partition"; partition: ResolvedPartition } | { id: FaultId; kind: "degradation"; degradation: LinkDegradation };

export type NetworkErrorCode = "UNKNOWN_FAULT" | "BAD_DEGRADATION";

export class NetworkError extends Error {
  constructor(
    readonly code: NetworkErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface NetworkDependencies {
  scheduler: Scheduler;
  random: Random;
  topology: Topology;
}

const dropReasons: readonly DropReason[] = ["loss", "partition", "queue-full", "target-down", "sender-down", "unknown-host", "no-handler"];

export class Network {
  private options: NetworkConfig;
  private readonly scheduler: Scheduler;
  private readonly random: Random;
  private readonly topology: Topology;
  private receiver: Receiver = () => "no-handler";
  private readonly faults = new Map<FaultId, NetworkFault>();
  private faultSequence = 0;

  // Dense per-directed-pair state, row-major [source][target], rebuilt when hosts or faults change.
  private hostCount = 0;
  private blockedCount = new Uint16Array(0);
  private extraLatencyUs = new Int32Array(0);
  private lossProbability = new Float64Array(0);
  private duplicateProbability = new Float64Array(0);
  private bandwidthBytesPerSecond = new Float64Array(0);
  private linkBusyUntilUs = new Float64Array(0);
  private hostHashes: number[] = [];
  private readonly kindHashes = new Map<string, number>();

  private readonly counts: MessageCounts = {
    sent: 0,
    delivered: 0,
    duplicated: 0,
    dropped: Object.fromEntries(dropReasons.map((reason) => [reason, 0])) as Record<DropReason, number>,
  };

  constructor(options: NetworkConfig, dependencies: NetworkDependencies) {
    this.options = { ...options };
    this.scheduler = dependencies.scheduler;
    this.random = dependencies.random;
    this.topology = dependencies.topology;
    this.rebuild();
  }

  /** The live fault model; chaos and the UI may replace it (already validated by the caller). */
  get config(): Readonly<NetworkConfig> {
    return this.options;
  }

  configure(options: NetworkConfig): void {
    this.options = { ...options };
    this.rebuild();
  }

  setReceiver(receiver: Receiver): void {
    this.receiver = receiver;
  }

  /** Call after `topology.addHost`: grows the per-pair tables. */
  hostsChanged(): void {
    this.rebuild();
  }

  messageCounts(): MessageCounts {
    return { ...this.counts, dropped: { ...this.counts.dropped } };
  }

  recordDrop(reason: DropReason): void {
    this.counts.dropped[reason]++;
  }

  /** Sends one message from host index `source` to host `targetId`. */
  send(source: number, targetId: string, message: unknown, sizeBytes: number = this.options.messageSizeBytesDefault): void {
    this.counts.sent++;
    const target = this.topology.hostIndex(targetId);
    if (target < 0) {
      this.counts.dropped["unknown-host"]++;
      return;
    }
    const pair = source * this.hostCount + target;
    if (this.blockedCount[pair] !== 0) {
      this.counts.dropped.partition++;
      return;
    }
    const random = this.random;
    if (random.chance(combineProbability(this.options.lossProbability, this.lossProbability[pair] as number))) {
      this.counts.dropped.loss++;
      return;
    }
    const nowUs = this.scheduler.nowUs;
    const extraBandwidth = this.bandwidthBytesPerSecond[pair] as number;
    const bandwidth =
      extraBandwidth > 0 ? Math.min(extraBandwidth, this.options.bandwidthBytesPerSecond) : this.options.bandwidthBytesPerSecond;
    const startUs = Math.max(nowUs, this.linkBusyUntilUs[pair] as number);
    const backlogBytes = ((startUs - nowUs) * bandwidth) / 1_000_000;
    if (backlogBytes + sizeBytes > this.options.linkQueueBytesMax) {
      this.counts.dropped["queue-full"]++;
      return;
    }
    const transmittedUs = startUs + (sizeBytes * 1_000_000) / bandwidth;
    this.linkBusyUntilUs[pair] = transmittedUs;
    const departureUs = Math.ceil(transmittedUs);
    const tag = combine32(combine32(this.hostHashes[source] as number, this.hostHashes[target] as number), this.kindHash(message));
    this.schedule(source, target, pair, departureUs, message, tag);
    if (random.chance(combineProbability(this.options.duplicateProbability, this.duplicateProbability[pair] as number))) {
      this.counts.duplicated++;
      this.schedule(source, target, pair, departureUs, message, tag);
    }
  }

  private schedule(source: number, target: number, pair: number, departureUs: number, message: unknown, tag: number): void {
    const random = this.random;
    const jitterUsMax = this.topology.jitterUsMax(source, target);
    let delayUs = this.topology.oneWayBaseUs(source, target) + (this.extraLatencyUs[pair] as number);
    if (jitterUsMax > 0) delayUs += random.intBetween(0, jitterUsMax);
    if (this.options.reorderDelayUsMax > 0 && random.chance(this.options.reorderProbability)) {
      delayUs += random.intBetween(0, Math.floor(this.options.reorderDelayUsMax));
    }
    const sourceId = this.topology.hostAt(source).id;
    this.scheduler.at(departureUs + delayUs, () => this.arrive(sourceId, source, target, message), tag);
  }

  private arrive(sourceId: string, source: number, target: number, message: unknown): void {
    // Re-read the pair: hosts may have been added (hostCount changed) while in flight.
    if (this.blockedCount[source * this.hostCount + target] !== 0) {
      this.counts.dropped.partition++;
      return;
    }
    const reason = this.receiver(target, sourceId, message);
    if (reason === null) this.counts.delivered++;
    else this.counts.dropped[reason]++;
  }

  /**
   * Bounds of the one-way delay of an idle link (no backlog), in µs: what a delivered message
   * must respect. Reordering widens the upper bound by reorderDelayUsMax.
   */
  delayBoundsUs(
    sourceId: string,
    targetId: string,
    sizeBytes: number = this.options.messageSizeBytesDefault,
  ): { minUs: number; maxUs: number } {
    const source = this.topology.host(sourceId).index;
    const target = this.topology.host(targetId).index;
    const pair = source * this.hostCount + target;
    const extraBandwidth = this.bandwidthBytesPerSecond[pair] as number;
    const bandwidth =
      extraBandwidth > 0 ? Math.min(extraBandwidth, this.options.bandwidthBytesPerSecond) : this.options.bandwidthBytesPerSecond;
    const transmitUs = (sizeBytes * 1_000_000) / bandwidth;
    const minUs = this.topology.oneWayBaseUs(source, target) + (this.extraLatencyUs[pair] as number) + Math.floor(transmitUs);
    const reorderUs = this.options.reorderProbability > 0 ? Math.floor(this.options.reorderDelayUsMax) : 0;
    return { minUs, maxUs: minUs + 1 + this.topology.jitterUsMax(source, target) + reorderUs };
  }

  isBlocked(sourceId: string, targetId: string): boolean {
    const source = this.topology.host(sourceId).index;
    const target = this.topology.host(targetId).index;
    return this.blockedCount[source * this.hostCount + target] !== 0;
  }

  /** Starts a partition over the hosts that exist now; returns its id for `heal`. */
  partition(spec: PartitionSpec): FaultId {
    const resolved = resolvePartition(spec, this.topology, this.random);
    const id = `partition-${++this.faultSequence}`;
    this.faults.set(id, { id, kind: "partition", partition: resolved });
    this.rebuild();
    return id;
  }

  degrade(degradation: LinkDegradation): FaultId {
    checkDegradation(degradation);
    this.topology.select(degradation.from);
    this.topology.select(degradation.to);
    const id = `degradation-${++this.faultSequence}`;
    this.faults.set(id, { id, kind: "degradation", degradation: { ...degradation } });
    this.rebuild();
    return id;
  }

  heal(id: FaultId): void {
    if (!this.faults.delete(id)) throw new NetworkError("UNKNOWN_FAULT", `no active network fault "${id}"`);
    this.rebuild();
  }

  healAll(): void {
    this.faults.clear();
    this.rebuild();
  }

  activeFaults(): NetworkFault[] {
    return [...this.faults.values()];
  }

  private kindHash(message: unknown): number {
    if (typeof message !== "object" || message === null) return 0;
    const record = message as { kind?: unknown; type?: unknown };
    const kind = typeof record.kind === "string" ? record.kind : typeof record.type === "string" ? record.type : null;
    if (kind === null) return 0;
    let hash = this.kindHashes.get(kind);
    if (hash === undefined) {
      hash = hashString(kind);
      this.kindHashes.set(kind, hash);
    }
    return hash;
  }

  private rebuild(): void {
    const count = this.topology.hostCount;
    const size = count * count;
    const busy = new Float64Array(size);
    for (let source = 0; source < this.hostCount; source++) {
      for (let target = 0; target < this.hostCount; target++) {
        busy[source * count + target] = this.linkBusyUntilUs[source * this.hostCount + target] as number;
      }
    }
    this.linkBusyUntilUs = busy;
    this.hostCount = count;
    this.hostHashes = this.topology.hosts().map((host) => hashString(host.id));
    this.blockedCount = new Uint16Array(size);
    this.extraLatencyUs = new Int32Array(size);
    this.lossProbability = new Float64Array(size);
    this.duplicateProbability = new Float64Array(size);
    this.bandwidthBytesPerSecond = new Float64Array(size);
    for (const fault of this.faults.values()) {
      if (fault.kind === "partition") {
        for (const [source, target] of fault.partition.blocked) this.blockedCount[source * count + target]++;
        continue;
      }
      const degradation = fault.degradation;
      const from = this.topology.select(degradation.from).map((host) => host.index);
      const to = this.topology.select(degradation.to).map((host) => host.index);
      const apply = (source: number, target: number) => {
        if (source === target) return;
        const pair = source * count + target;
        this.extraLatencyUs[pair] = (this.extraLatencyUs[pair] as number) + Math.round(degradation.extraLatencyUs ?? 0);
        this.lossProbability[pair] = combineProbability(this.lossProbability[pair] as number, degradation.lossProbability ?? 0);
        this.duplicateProbability[pair] = combineProbability(
          this.duplicateProbability[pair] as number,
          degradation.duplicateProbability ?? 0,
        );
        const bandwidth = degradation.bandwidthBytesPerSecond;
        const current = this.bandwidthBytesPerSecond[pair] as number;
        if (bandwidth !== undefined) this.bandwidthBytesPerSecond[pair] = current > 0 ? Math.min(current, bandwidth) : bandwidth;
      };
      for (const source of from) for (const target of to) apply(source, target);
      if (degradation.oneWay !== true) for (const source of to) for (const target of from) apply(source, target);
    }
  }
}

/** Probability that at least one of two independent events happens. */
function combineProbability(a: number, b: number): number {
  return b === 0 ? a : a === 0 ? b : 1 - (1 - a) * (1 - b);
}

function checkDegradation(degradation: LinkDegradation): void {
  const probability = (field: string, value: number | undefined) => {
    if (value !== undefined && !(value >= 0 && value <= 1)) {
      throw new NetworkError("BAD_DEGRADATION", `degradation.${field}: expected a number in [0, 1], got ${value}`);
    }
  };
  probability("lossProbability", degradation.lossProbability);
  probability("duplicateProbability", degradation.duplicateProbability);
  const latency = degradation.extraLatencyUs;
  if (latency !== undefined && !(Number.isFinite(latency) && latency >= 0)) {
    throw new NetworkError("BAD_DEGRADATION", `degradation.extraLatencyUs: expected a non-negative number of µs, got ${latency}`);
  }
  const bandwidth = degradation.bandwidthBytesPerSecond;
  if (bandwidth !== undefined && !(Number.isFinite(bandwidth) && bandwidth > 0)) {
    throw new NetworkError("BAD_DEGRADATION", `degradation.bandwidthBytesPerSecond: expected a positive number, got ${bandwidth}`);
  }
}
