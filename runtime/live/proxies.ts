// The Toxiproxy mesh of a live world, driven only through toxiproxy-node-client so the embedded
// server (`ldc toxiproxy`) and a real Toxiproxy (TOXIPROXY_URL) are interchangeable.
//
// One proxy per DIRECTED replica->replica link (the dialler's outbound connection: its data is
// the proxy's upstream stream) and one per client->replica link (requests upstream, replies
// downstream on the same connection). Latency toxics carry the world's round-trip times:
// Toxiproxy latencies are whole milliseconds, so a link's RTT is rounded to ms and split
// floor/ceil over its two directions (replica links: A->B's upstream gets floor(RTT/2) when
// A < B, ceil otherwise; client links: upstream floor, downstream ceil), which keeps every
// round trip equal to the rounded RTT. Sub-millisecond RTTs (same datacenter) round to 0.
//
// A cut link is a disabled proxy (Toxiproxy closes its connections and refuses new ones);
// cuts are reference counted so overlapping partitions heal independently.

import { Toxiproxy, type Proxy } from "toxiproxy-node-client";

export interface LinkSpec {
  readonly name: string;
  readonly from: string;
  readonly to: string;
  readonly listen: string;
  readonly upstream: string;
  readonly upstreamLatencyMs: number;
  readonly downstreamLatencyMs: number;
}

export type ToxicBody = {
  readonly name: string;
  readonly type: "latency" | "bandwidth" | "reset_peer" | "timeout";
  readonly stream: "upstream" | "downstream";
  readonly toxicity: number;
  readonly attributes: Record<string, number>;
};

/** Toxiproxy names go into URL paths: keep them to [A-Za-z0-9._-]. */
export function linkName(prefix: string, from: string, to: string): string {
  const clean = (id: string): string => id.replace(/[^A-Za-z0-9._-]/g, ".");
  return `${prefix}${clean(from)}__${clean(to)}`;
}

export function splitRttMs(rttMs: number, firstIsLower: boolean): { readonly forwardMs: number; readonly backwardMs: number } {
  const total = Math.round(rttMs);
  const low = Math.floor(total / 2);
  const high = total - low;
  return firstIsLower ? { forwardMs: low, backwardMs: high } : { forwardMs: high, backwardMs: low };
}

/**
 * Bound on concurrent API calls to Toxiproxy. The proxy process is also every link's data path:
 * a region outage cuts ~90 proxies, and sending them all at once starves the surviving links
 * (and so the elections that follow) for about a second; a few at a time lets data through.
 */
export const API_CALLS_IN_FLIGHT_MAX = 4;

export class ProxyMesh {
  readonly client: Toxiproxy;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly proxies = new Map<string, Proxy>();
  private readonly specs = new Map<string, LinkSpec>();
  private readonly cuts = new Map<string, number>();
  private readonly byEnds = new Map<string, string>();

  constructor(
    readonly url: string,
    readonly prefix: string,
  ) {
    this.client = new Toxiproxy(url);
  }

  /** Removes proxies left by an earlier run with this prefix (a supervisor killed with SIGKILL). */
  async removeStale(): Promise<number> {
    const all = await this.client.getAll();
    const stale = Object.values(all).filter((proxy) => proxy.name.startsWith(this.prefix));
    await Promise.all(stale.map((proxy) => proxy.remove()));
    return stale.length;
  }

  async create(links: readonly LinkSpec[]): Promise<void> {
    const created = await this.client.populate(
      links.map((link) => ({ name: link.name, listen: link.listen, upstream: link.upstream, enabled: true })),
    );
    for (const link of links) {
      const proxy = created[link.name];
      if (proxy === undefined) throw new Error(`toxiproxy did not create ${link.name}`);
      this.proxies.set(link.name, proxy);
      this.specs.set(link.name, link);
      this.byEnds.set(`${link.from}\u0000${link.to}`, link.name);
    }
    const toxics: Promise<unknown>[] = [];
    for (const link of links) {
      const proxy = this.proxies.get(link.name) as Proxy;
      if (link.upstreamLatencyMs > 0)
        toxics.push(
          proxy.addToxic({
            name: "world_latency_upstream",
            type: "latency",
            stream: "upstream",
            toxicity: 1,
            attributes: { latency: link.upstreamLatencyMs, jitter: 0 },
          }),
        );
      if (link.downstreamLatencyMs > 0)
        toxics.push(
          proxy.addToxic({
            name: "world_latency_downstream",
            type: "latency",
            stream: "downstream",
            toxicity: 1,
            attributes: { latency: link.downstreamLatencyMs, jitter: 0 },
          }),
        );
    }
    await Promise.all(toxics);
  }

  /** The proxy carrying traffic dialled by `from` towards `to`, if there is one. */
  linkBetween(from: string, to: string): string | undefined {
    return this.byEnds.get(`${from}\u0000${to}`);
  }

  spec(name: string): LinkSpec | undefined {
    return this.specs.get(name);
  }

  names(): string[] {
    return [...this.specs.keys()];
  }

  isCut(name: string): boolean {
    return (this.cuts.get(name) ?? 0) > 0;
  }

  async cut(name: string): Promise<void> {
    const count = this.cuts.get(name) ?? 0;
    this.cuts.set(name, count + 1);
    if (count === 0) await this.setEnabled(name, false);
  }

  async uncut(name: string): Promise<void> {
    const count = this.cuts.get(name) ?? 0;
    if (count === 0) return;
    if (count === 1) {
      this.cuts.delete(name);
      await this.setEnabled(name, true);
    } else this.cuts.set(name, count - 1);
  }

  async uncutAll(): Promise<void> {
    const names = [...this.cuts.keys()];
    this.cuts.clear();
    await Promise.all(names.map((name) => this.setEnabled(name, true)));
  }

  async addToxic(name: string, body: ToxicBody): Promise<void> {
    const proxy = this.proxies.get(name);
    if (proxy === undefined) throw new Error(`no proxy ${name}`);
    await this.limited(() => proxy.addToxic({ ...body, attributes: body.attributes }));
  }

  async removeToxic(name: string, toxicName: string): Promise<void> {
    const proxy = this.proxies.get(name);
    if (proxy === undefined) return;
    await this.limited(async () => {
      const toxic = await proxy.getToxic(toxicName).catch(() => null);
      await toxic?.remove();
    });
  }

  async removeAll(): Promise<void> {
    await Promise.all([...this.proxies.values()].map((proxy) => proxy.remove().catch(() => undefined)));
    this.proxies.clear();
  }

  private async limited<T>(call: () => Promise<T>): Promise<T> {
    if (this.inFlight >= API_CALLS_IN_FLIGHT_MAX) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight++;
    try {
      return await call();
    } finally {
      this.inFlight--;
      this.waiting.shift()?.();
    }
  }

  private async setEnabled(name: string, enabled: boolean): Promise<void> {
    const proxy = this.proxies.get(name);
    const spec = this.specs.get(name);
    if (proxy === undefined || spec === undefined) throw new Error(`no proxy ${name}`);
    const updated = await this.limited(() => proxy.update({ enabled, listen: spec.listen, upstream: spec.upstream }));
    this.proxies.set(name, updated);
  }
}
