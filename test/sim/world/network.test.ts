import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultWorldConfig, type WorldConfig } from "../../../domain/config.js";
import { majoritiesRing, type PartitionSpec } from "../../../sim/world/partition.js";
import { World } from "../../../sim/world/world.js";

const datacenters = ["hz-a", "hz-b", "sh-a", "sh-b", "sz-a"];

interface Received {
  source: string;
  target: string;
  id: number;
  sentUs: number;
  atUs: number;
}

/** A world with two hosts per datacenter, each process recording what it receives. */
function recordingWorld(seed: number, config: WorldConfig = defaultWorldConfig()) {
  const world = new World({ seed, config });
  const received: Received[] = [];
  const hosts: string[] = [];
  for (const datacenter of datacenters) {
    for (const index of [1, 2]) {
      const id = `${datacenter}-${index}`;
      world.addHost(id, datacenter);
      hosts.push(id);
    }
  }
  const transports = new Map<string, { send(target: string, message: unknown, sizeBytes?: number): void }>();
  for (const host of hosts) {
    world.spawn(host, (context) => {
      context.transport.onMessage((source, message) => {
        const { id, sentUs } = message as { id: number; sentUs: number };
        received.push({ source, target: host, id, sentUs, atUs: context.clock.nowUs() });
      });
      transports.set(host, context.transport);
      return {};
    });
  }
  const send = (source: string, target: string, id: number) =>
    transports.get(source)?.send(target, { kind: "probe", id, sentUs: world.nowUs });
  return { world, hosts, received, send };
}

const sendsArbitrary = fc.array(fc.record({ source: fc.nat(9), target: fc.nat(9), gapUs: fc.integer({ min: 0, max: 3000 }) }), {
  minLength: 1,
  maxLength: 60,
});

describe("simulated network", () => {
  it("delivers every message within the link's delay bounds (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), sendsArbitrary, (seed, sends) => {
        const { world, hosts, received, send } = recordingWorld(seed);
        let id = 0;
        for (const step of sends) {
          world.runFor(step.gapUs);
          send(hosts[step.source] as string, hosts[step.target] as string, id++);
        }
        world.runFor(100_000);
        expect(received.length).toBe(sends.length);
        for (const message of received) {
          const { minUs, maxUs } = world.network.delayBoundsUs(message.source, message.target);
          // Several sends on one link in the same µs queue behind each other: allow their transmit time.
          const delayUs = message.atUs - message.sentUs;
          expect(delayUs).toBeGreaterThanOrEqual(minUs);
          expect(delayUs).toBeLessThanOrEqual(maxUs + sends.length);
        }
      }),
      { seed: 42, numRuns: 60 },
    );
  });

  it("never lets a message cross a partition in a blocked direction (property)", () => {
    const hostSet = fc.uniqueArray(fc.nat(9), { minLength: 1, maxLength: 5 });
    const spec: fc.Arbitrary<(hosts: string[]) => PartitionSpec> = fc.oneof(
      fc.tuple(hostSet, hostSet).map(
        ([from, to]) =>
          (hosts: string[]) =>
            ({ kind: "one-way", from: from.map((i) => hosts[i] as string), to: to.map((i) => hosts[i] as string) }) as PartitionSpec,
      ),
      hostSet.map((set) => (hosts: string[]) => ({ kind: "isolate", hosts: set.map((i) => hosts[i] as string) }) as PartitionSpec),
      fc.constantFrom("hangzhou", "shanghai", "shenzhen").map((region) => () => ({ kind: "region-vs-rest", region }) as PartitionSpec),
      fc.constantFrom(...datacenters).map((datacenter) => () => ({ kind: "datacenter", datacenter }) as PartitionSpec),
      fc.constant(() => ({ kind: "majorities-ring" }) as PartitionSpec),
      fc.constant(() => ({ kind: "halves" }) as PartitionSpec),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), spec, sendsArbitrary, (seed, makeSpec, sends) => {
        const { world, hosts, received, send } = recordingWorld(seed);
        // Messages in flight when the partition starts must be judged at arrival too.
        let id = 0;
        for (const step of sends.slice(0, 10)) send(hosts[step.source] as string, hosts[step.target] as string, id++);
        world.runFor(100);
        const before = received.length;
        world.network.partition(makeSpec(hosts));
        for (const step of sends) {
          world.runFor(step.gapUs);
          send(hosts[step.source] as string, hosts[step.target] as string, id++);
        }
        world.runFor(100_000);
        for (const message of received.slice(before)) {
          expect(world.network.isBlocked(message.source, message.target), `${message.source} -> ${message.target}`).toBe(false);
        }
        const counts = world.network.messageCounts();
        expect(counts.delivered + counts.dropped.partition).toBe(counts.sent);
      }),
      { seed: 7, numRuns: 60 },
    );
  });

  it("one-way partition: from cannot reach to, to still reaches from; heal restores both", () => {
    const { world, received, send } = recordingWorld(3);
    const fault = world.network.partition({ kind: "one-way", from: ["hz-a-1"], to: ["sz-a-1"] });
    send("hz-a-1", "sz-a-1", 1);
    send("sz-a-1", "hz-a-1", 2);
    world.runFor(100_000);
    expect(received.map((message) => message.id)).toEqual([2]);
    world.network.heal(fault);
    send("hz-a-1", "sz-a-1", 3);
    world.runFor(100_000);
    expect(received.map((message) => message.id)).toEqual([2, 3]);
  });

  it("drops a message in flight when a partition starts before it arrives, and delivers one in flight when it heals", () => {
    const { world, received, send } = recordingWorld(4);
    send("hz-a-1", "sz-a-1", 1); // ~15 ms one way
    world.runFor(5_000);
    const fault = world.network.partition({ kind: "region-vs-rest", region: "shenzhen" });
    world.runFor(100_000);
    expect(received).toEqual([]);
    expect(world.network.messageCounts().dropped.partition).toBe(1);
    world.network.partition({ kind: "isolate", hosts: ["hz-b-1"] });
    world.network.heal(fault);
    send("sz-a-1", "hz-a-1", 2);
    world.runFor(100_000);
    expect(received.map((message) => message.id)).toEqual([2]);
    world.network.healAll();
    expect(world.network.activeFaults()).toEqual([]);

    // Sent before a partition that heals while it is still in flight: delivered.
    send("hz-a-1", "sz-a-1", 3);
    world.runFor(5_000);
    const brief = world.network.partition({ kind: "region-vs-rest", region: "shenzhen" });
    world.runFor(5_000);
    world.network.heal(brief);
    world.runFor(100_000);
    expect(received.map((message) => message.id)).toEqual([2, 3]);
  });

  it("majorities-ring: every host hears a majority, and no two hear the same set", () => {
    for (let count = 3; count <= 9; count++) {
      const ring = Array.from({ length: count }, (_, index) => index);
      const blocked = majoritiesRing(ring);
      const views = ring.map((target) => ring.filter((source) => !blocked.some(([s, t]) => s === source && t === target)).join(","));
      for (const view of views) expect(view.split(",").length).toBeGreaterThan(count / 2);
      if (count >= 4) expect(new Set(views).size).toBe(count);
    }
  });

  it("degradations add latency and loss on selected links only, and bandwidth clogs a link", () => {
    const { world, received, send } = recordingWorld(5);
    world.network.degrade({ from: { datacenters: ["hz-a"] }, to: { regions: ["shanghai"] }, extraLatencyUs: 50_000 });
    world.network.degrade({ from: { hosts: ["hz-b-1"] }, to: { hosts: ["hz-b-2"] }, lossProbability: 1, oneWay: true });
    send("hz-a-1", "sh-a-1", 1);
    send("sh-a-1", "hz-a-1", 2);
    send("hz-a-1", "hz-b-1", 3);
    send("hz-b-1", "hz-b-2", 4);
    send("hz-b-2", "hz-b-1", 5);
    world.runFor(200_000);
    const delays = new Map(received.map((message) => [message.id, message.atUs - message.sentUs]));
    expect(delays.get(1)).toBeGreaterThanOrEqual(53_000);
    expect(delays.get(2)).toBeGreaterThanOrEqual(53_000);
    expect(delays.get(3)).toBeLessThan(1_000);
    expect(delays.has(4)).toBe(false);
    expect(delays.has(5)).toBe(true);
    expect(world.network.messageCounts().dropped.loss).toBe(1);

    // 1 KB/s and a 1 KiB backlog: the first 256-byte messages queue, the rest are dropped.
    world.network.degrade({ from: { hosts: ["sz-a-1"] }, to: { hosts: ["sz-a-2"] }, bandwidthBytesPerSecond: 1000, oneWay: true });
    world.network.configure({ ...world.config.network, linkQueueBytesMax: 1024 });
    const start = received.length;
    for (let id = 10; id < 20; id++) send("sz-a-1", "sz-a-2", id);
    world.runFor(5_000_000);
    const clogged = received.slice(start);
    expect(clogged.length).toBe(4);
    expect((clogged[3] as Received).atUs - (clogged[0] as Received).atUs).toBeGreaterThanOrEqual(3 * 256_000 - 1);
    expect(world.network.messageCounts().dropped["queue-full"]).toBe(6);
  });

  it("duplicates and loss follow the fault model and are counted", () => {
    const config = defaultWorldConfig();
    config.network = { ...config.network, lossProbability: 0.2, duplicateProbability: 0.3 };
    const { world, received, send } = recordingWorld(6, config);
    for (let id = 0; id < 2000; id++) send("hz-a-1", "sh-a-1", id);
    world.runFor(100_000);
    const counts = world.network.messageCounts();
    expect(counts.sent).toBe(2000);
    expect(counts.dropped.loss).toBeGreaterThan(300);
    expect(counts.dropped.loss).toBeLessThan(500);
    expect(counts.duplicated).toBeGreaterThan(380);
    expect(counts.delivered).toBe(received.length);
    expect(counts.delivered).toBe(2000 - counts.dropped.loss + counts.duplicated);
  });
});
