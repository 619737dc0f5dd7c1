// Partition specs and their resolution into DIRECTED blocked pairs (source -> target). Every
// partition shape reduces to that one relation, so the network checks a single bit per message.
import type { Random } from "../../ground/random.js";
import type { HostInfo, Topology } from "./topology.js";

export type PartitionSpec =
  /** `from` cannot reach `to`; `to` still reaches `from`. */
  | { kind: "one-way"; from: readonly string[]; to: readonly string[] }
  /** The listed hosts (together) are cut from every other host, both directions. */
  | { kind: "isolate"; hosts: readonly string[] }
  | { kind: "region-vs-rest"; region: string }
  | { kind: "datacenter"; datacenter: string }
  /** Jepsen's: hosts on a shuffled ring each hear a majority, no two the same majority. */
  | { kind: "majorities-ring"; hosts?: readonly string[] }
  /** Random halves (the larger half gets the odd host). */
  | { kind: "halves"; hosts?: readonly string[] }
  /** No traffic between different groups; hosts in no group are unaffected. */
  | { kind: "groups"; groups: readonly (readonly string[])[] };

export type PartitionKind = PartitionSpec["kind"];

/**
 * A partition resolved against the hosts that existed when it started. Random shapes (halves,
 * majorities-ring) draw their layout once, at start, so a partition never reshuffles itself.
 */
export interface ResolvedPartition {
  readonly spec: PartitionSpec;
  /** Blocked directed pairs as [sourceIndex, targetIndex]. */
  readonly blocked: ReadonlyArray<readonly [number, number]>;
}

function indexes(topology: Topology, ids: readonly string[]): number[] {
  return ids.map((id) => topology.host(id).index);
}

function cut(blocked: Array<readonly [number, number]>, sources: readonly number[], targets: readonly number[]): void {
  for (const source of sources) for (const target of targets) if (source !== target) blocked.push([source, target]);
}

function setVsRest(topology: Topology, inside: readonly HostInfo[]): Array<readonly [number, number]> {
  const insideSet = new Set(inside.map((host) => host.index));
  const outside = topology
    .hosts()
    .filter((host) => !insideSet.has(host.index))
    .map((host) => host.index);
  const blocked: Array<readonly [number, number]> = [];
  cut(blocked, [...insideSet], outside);
  cut(blocked, outside, [...insideSet]);
  return blocked;
}

export function resolvePartition(spec: PartitionSpec, topology: Topology, random: Random): ResolvedPartition {
  const blocked: Array<readonly [number, number]> = [];
  const participants = (hosts: readonly string[] | undefined): number[] =>
    hosts === undefined ? topology.hosts().map((host) => host.index) : indexes(topology, hosts);
  switch (spec.kind) {
    case "one-way":
      cut(blocked, indexes(topology, spec.from), indexes(topology, spec.to));
      break;
    case "isolate":
      blocked.push(
        ...setVsRest(
          topology,
          spec.hosts.map((id) => topology.host(id)),
        ),
      );
      break;
    case "region-vs-rest":
      blocked.push(...setVsRest(topology, topology.select({ regions: [spec.region] })));
      break;
    case "datacenter":
      blocked.push(...setVsRest(topology, topology.select({ datacenters: [spec.datacenter] })));
      break;
    case "halves": {
      const shuffled = random.shuffle(participants(spec.hosts));
      const middle = Math.floor(shuffled.length / 2);
      const first = shuffled.slice(0, middle);
      const second = shuffled.slice(middle);
      cut(blocked, first, second);
      cut(blocked, second, first);
      break;
    }
    case "majorities-ring":
      blocked.push(...majoritiesRing(random.shuffle(participants(spec.hosts))));
      break;
    case "groups": {
      const groups = spec.groups.map((group) => indexes(topology, group));
      const seen = new Set<number>();
      for (const group of groups) {
        for (const host of group) {
          if (seen.has(host)) throw new RangeError(`partition groups: host "${topology.hostAt(host).id}" is in two groups`);
          seen.add(host);
        }
      }
      groups.forEach((sources, a) => groups.forEach((targets, b) => a !== b && cut(blocked, sources, targets)));
      break;
    }
    default:
      assertNever(spec);
  }
  return { spec, blocked };
}

/**
 * Each host at ring position p hears itself and the `majority - 1` hosts nearest to it on the
 * ring (alternating right, left, right...). Views are distinct for 4+ hosts, and each is a
 * majority. A host drops what comes from outside its view, so for an even number of
 * neighbours the relation is symmetric and for an odd one it is not: exactly Jepsen's grudge.
 */
export function majoritiesRing(ring: readonly number[]): Array<readonly [number, number]> {
  const count = ring.length;
  const majority = Math.floor(count / 2) + 1;
  const blocked: Array<readonly [number, number]> = [];
  for (let position = 0; position < count; position++) {
    const view = new Set<number>([position]);
    for (let step = 1; view.size < majority; step++) {
      view.add((position + step) % count);
      if (view.size < majority) view.add((position - step + count) % count);
    }
    for (let other = 0; other < count; other++) {
      if (!view.has(other)) blocked.push([ring[other] as number, ring[position] as number]);
    }
  }
  return blocked;
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
