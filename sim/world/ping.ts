// The PING workload: the world's end-to-end exercise until the cells exist. Hosts (a few per
// datacenter) ping every other host on a fixed period and record round trips per region pair.
// Each pinger runs through the same ports as protocol code (Clock, Transport, Random).
import type { WorldConfig } from "../../domain/config.js";
import type { ProcessContext, ProcessInstance } from "./process.js";
import { World, type WorldSummary } from "./world.js";

export interface PingOptions {
  hostsPerDatacenter: number;
  intervalUs: number;
  messageSizeBytes: number;
}

export const defaultPingOptions: PingOptions = { hostsPerDatacenter: 2, intervalUs: 100_000, messageSizeBytes: 64 };

/** Round-trip samples kept per region pair; beyond it samples are counted, not stored. */
export const rttSamplesPerPairMax = 1_000_000;

type PingMessage = { kind: "ping"; sequence: number; sentUs: number } | { kind: "pong"; sequence: number; sentUs: number };

export class PingStats {
  private readonly samplesUs = new Map<string, number[]>();
  samplesDropped = 0;

  record(regionPair: string, rttUs: number): void {
    let samples = this.samplesUs.get(regionPair);
    if (samples === undefined) {
      samples = [];
      this.samplesUs.set(regionPair, samples);
    }
    if (samples.length >= rttSamplesPerPairMax) {
      this.samplesDropped++;
      return;
    }
    samples.push(rttUs);
  }

  /** Nearest-rank percentiles per region pair ("hangzhou-shanghai"), in ms. */
  percentilesMs(): Record<string, { p50: number; p99: number; max: number; count: number }> {
    const out: Record<string, { p50: number; p99: number; max: number; count: number }> = {};
    for (const pair of [...this.samplesUs.keys()].sort()) {
      const sorted = Float64Array.from(this.samplesUs.get(pair) as number[]).sort();
      const rank = (q: number) => (sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] as number) / 1000;
      out[pair] = { p50: rank(0.5), p99: rank(0.99), max: (sorted[sorted.length - 1] as number) / 1000, count: sorted.length };
    }
    return out;
  }
}

export function regionPairName(a: string, b: string): string {
  return a <= b ? `${a}-${b}` : `${b}-${a}`;
}

function pinger(
  context: ProcessContext,
  peers: readonly string[],
  regionOf: (host: string) => string,
  stats: PingStats,
  options: PingOptions,
): ProcessInstance {
  const { clock, transport, random } = context;
  const selfRegion = regionOf(context.hostId);
  let sequence = 0;
  transport.onMessage((source, raw) => {
    const message = raw as PingMessage;
    if (message.kind === "ping") {
      transport.send(
        source,
        { kind: "pong", sequence: message.sequence, sentUs: message.sentUs } satisfies PingMessage,
        options.messageSizeBytes,
      );
    } else {
      stats.record(regionPairName(selfRegion, regionOf(source)), clock.nowUs() - message.sentUs);
    }
  });
  const round = (): void => {
    for (const peer of peers) {
      transport.send(peer, { kind: "ping", sequence: sequence++, sentUs: clock.nowUs() } satisfies PingMessage, options.messageSizeBytes);
    }
    clock.setTimer(options.intervalUs, round);
  };
  // A random phase, so hosts do not all fire on the same microsecond.
  clock.setTimer(random.intBetween(0, options.intervalUs - 1), round);
  return {};
}

export interface PingWorld {
  world: World;
  stats: PingStats;
}

export function buildPingWorld(config: WorldConfig, seed: number, options: PingOptions = defaultPingOptions): PingWorld {
  if (!Number.isInteger(options.intervalUs) || options.intervalUs < 1)
    throw new RangeError(`ping.intervalUs: expected a positive integer, got ${options.intervalUs}`);
  if (!Number.isInteger(options.hostsPerDatacenter) || options.hostsPerDatacenter < 1) {
    throw new RangeError(`ping.hostsPerDatacenter: expected a positive integer, got ${options.hostsPerDatacenter}`);
  }
  const world = new World({ seed, config });
  const stats = new PingStats();
  const hostIds: string[] = [];
  for (const datacenter of world.topology.datacenters) {
    for (let index = 1; index <= options.hostsPerDatacenter; index++) {
      const id = `ping-${datacenter}-${index}`;
      world.addHost(id, datacenter);
      hostIds.push(id);
    }
  }
  const regionOf = (host: string) => world.topology.host(host).region;
  for (const id of hostIds) {
    const peers = hostIds.filter((peer) => peer !== id);
    world.spawn(id, (context) => pinger(context, peers, regionOf, stats, options));
  }
  return { world, stats };
}

export interface PingSummary extends WorldSummary {
  rttMs: ReturnType<PingStats["percentilesMs"]>;
}

export function pingSummary(ping: PingWorld): PingSummary {
  return { ...ping.world.summary(), rttMs: ping.stats.percentilesMs() };
}
