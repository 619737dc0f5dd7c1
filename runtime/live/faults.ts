// The FaultPort of the live runtime: real signals for processes (SIGKILL, respawn, SIGSTOP /
// SIGCONT), disabled Toxiproxy proxies for partitions, toxics for degraded links, the replica's
// admin channel for disk and clock faults. The port is synchronous (the chaos module drives the
// virtual and live runtimes alike); the real work is queued per host (and in one queue for the
// proxies) so a restart never overtakes the kill before it, and failures are kept in `errors`.
//
// TCP cannot lose, duplicate or reorder single messages, so degradations map onto what
// Toxiproxy can do: extra delay and jitter -> a latency toxic; bandwidth -> a bandwidth toxic;
// loss -> a reset_peer toxic on that fraction of connections (the connection dies, its frames in
// flight are lost, the transport redials); duplication and reordering have no live equivalent
// and are recorded as ignored.

import { openSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import type { ClockFaultSpec, DiskFaultSpec, FaultHandle, FaultPort, LinkDegradation, PartitionSpec } from "../../domain/cluster.js";
import { resolvePartition, type PartitionSpec as WorldPartitionSpec } from "../../sim/world/partition.js";
import { CONTROL_HOST_PREFIX } from "../virtual/control-plane.js";
import type { LiveRuntimeState } from "./host.js";
import type { ToxicBody } from "./proxies.js";

export interface LiveHost {
  readonly id: string;
  readonly datacenter: string;
  readonly region: string;
  readonly cell?: string;
}

type Intent = "up" | "down" | "paused";

type Installed =
  | { readonly kind: "partition"; readonly proxies: readonly string[]; readonly pairs: readonly string[] }
  | { readonly kind: "degrade"; readonly toxics: readonly { readonly proxy: string; readonly toxic: string }[] }
  | { readonly kind: "disk"; readonly host: string; readonly torn: boolean }
  | { readonly kind: "clock"; readonly host: string };

export class LiveFaultError extends Error {
  constructor(
    readonly code: "NO_PROXIES" | "UNKNOWN_HOST",
    message: string,
  ) {
    super(message);
  }
}

/** Bound on remembered asynchronous fault failures. */
const ERRORS_MAX = 200;
/** Bound on timeline entries kept (a drill has a handful of faults, each a few entries per host). */
export const TIMELINE_ENTRIES_MAX = 2_000;

/** When fault work actually happened, in wall-clock ms (to line up with the replicas' own logs). */
export interface FaultTimelineEntry {
  readonly wallMs: number;
  readonly event: string;
  readonly detail: string;
}
const ADMIN_TIMEOUT_MS = 2_000;
/** A torn write: a frame header promising this many bytes, followed by fewer. */
const TORN_FRAME_CLAIMED_BYTES = 4_096;

export class LiveFaults implements FaultPort {
  readonly errors: string[] = [];
  readonly ignored: string[] = [];
  readonly unexpectedExits: string[] = [];
  readonly timeline: FaultTimelineEntry[] = [];
  private readonly intent = new Map<string, Intent>();
  private readonly installed = new Map<string, Installed>();
  private readonly blockedPairs = new Map<string, number>();
  private readonly hostQueues = new Map<string, Promise<void>>();
  private networkQueue: Promise<void> = Promise.resolve();
  private readonly tornAtCrash = new Set<string>();
  private nextId = 1;

  constructor(
    private readonly live: LiveRuntimeState,
    private readonly placements: readonly LiveHost[],
  ) {
    for (const host of placements) this.intent.set(host.id, "up");
  }

  hosts(): readonly LiveHost[] {
    return this.placements;
  }

  isUp(host: string): boolean {
    return this.intent.get(host) === "up";
  }

  /** Whether traffic dialled from `from` to `to` is cut by a partition. */
  isCut(from: string, to: string): boolean {
    return (this.blockedPairs.get(`${from}\u0000${to}`) ?? 0) > 0;
  }

  diskFaulted(host: string): boolean {
    for (const installed of this.installed.values())
      if (installed.kind === "disk" && installed.host === host && !installed.torn) return true;
    return false;
  }

  /** Every queued fault operation has run. */
  settled(): Promise<void> {
    return Promise.all([this.networkQueue, ...this.hostQueues.values()]).then(() => undefined);
  }

  noteUnexpectedExit(host: string): void {
    this.intent.set(host, "down");
    this.remember(this.unexpectedExits, `${host} exited on its own at ${Math.round(this.live.nowUs() / 1000)} ms`);
  }

  crash(host: string): void {
    this.known(host);
    if (this.intent.get(host) === "down") return;
    this.intent.set(host, "down");
    const process = this.live.processes.get(host);
    if (process === undefined) return; // a client host: the sink stops using it
    this.note("crash.requested", host);
    this.onHost(host, async () => {
      if (process.state === "paused") process.resume();
      const exited = process.kill();
      this.note("sigkill.sent", host);
      await exited;
      this.note("exit.seen", host);
      if (this.tornAtCrash.has(host)) this.tearWal(process.spec.dataDir);
    });
  }

  restart(host: string): void {
    this.known(host);
    const previous = this.intent.get(host);
    this.intent.set(host, "up");
    const process = this.live.processes.get(host);
    if (process === undefined) return;
    this.onHost(host, async () => {
      if (previous === "paused" || process.state === "paused") process.resume();
      if (process.state === "down") await process.start();
    });
  }

  pause(host: string): void {
    this.known(host);
    if (this.intent.get(host) !== "up") return;
    this.intent.set(host, "paused");
    const process = this.live.processes.get(host);
    if (process !== undefined) this.onHost(host, async () => process.pause());
  }

  resume(host: string): void {
    this.known(host);
    if (this.intent.get(host) !== "paused") return;
    this.intent.set(host, "up");
    const process = this.live.processes.get(host);
    if (process !== undefined) this.onHost(host, async () => process.resume());
  }

  partition(spec: PartitionSpec): FaultHandle {
    const mesh = this.requireMesh("partition");
    const topology = this.live.topology;
    const replicaHosts = this.placements.filter((host) => host.cell !== undefined).map((host) => host.id);
    const worldSpec: WorldPartitionSpec =
      spec.kind === "halves" || spec.kind === "majorities-ring" ? { kind: spec.kind, hosts: replicaHosts } : (spec as WorldPartitionSpec);
    const resolved = resolvePartition(worldSpec, topology, this.live.random.fork(`chaos/partition/${this.nextId}`));
    const proxies = new Set<string>();
    const pairs: string[] = [];
    for (const [sourceIndex, targetIndex] of resolved.blocked) {
      const source = topology.hostAt(sourceIndex).id;
      const target = topology.hostAt(targetIndex).id;
      // Client links are one connection for both directions: cutting either direction cuts it.
      const proxy = mesh.linkBetween(source, target) ?? mesh.linkBetween(target, source);
      if (proxy === undefined) continue; // no link between these hosts (different cells)
      proxies.add(proxy);
      pairs.push(`${source}\u0000${target}`);
    }
    for (const pair of pairs) this.blockedPairs.set(pair, (this.blockedPairs.get(pair) ?? 0) + 1);
    const names = [...proxies];
    this.note("partition.requested", `${names.length} proxies`);
    this.onNetwork(async () => {
      this.note("cut.start", `${names.length} proxies`);
      await Promise.all(names.map((name) => mesh.cut(name)));
      this.note("cut.done", `${names.length} proxies`);
    });
    return this.install({ kind: "partition", proxies: names, pairs });
  }

  degrade(degradation: LinkDegradation): FaultHandle {
    const mesh = this.requireMesh("degrade");
    const id = this.nextId;
    const toxics: { proxy: string; toxic: string; body: ToxicBody }[] = [];
    const add = (proxy: string, stream: "upstream" | "downstream"): void => {
      const base = `ldc_${id}`;
      const extraUs = (degradation.extraDelayUs ?? 0) + (degradation.jitterUs ?? 0) / 2;
      if (extraUs > 0) {
        const name = `${base}_latency_${stream}`;
        toxics.push({
          proxy,
          toxic: name,
          body: {
            name,
            type: "latency",
            stream,
            toxicity: 1,
            attributes: { latency: Math.max(1, Math.round(extraUs / 1000)), jitter: Math.round((degradation.jitterUs ?? 0) / 2000) },
          },
        });
      }
      if (degradation.bandwidthBytesPerSecond !== undefined) {
        const name = `${base}_bandwidth_${stream}`;
        toxics.push({
          proxy,
          toxic: name,
          body: {
            name,
            type: "bandwidth",
            stream,
            toxicity: 1,
            attributes: { rate: Math.max(1, Math.round(degradation.bandwidthBytesPerSecond / 1024)) },
          },
        });
      }
      if (degradation.lossProbability !== undefined && degradation.lossProbability > 0) {
        const name = `${base}_reset_${stream}`;
        toxics.push({
          proxy,
          toxic: name,
          body: { name, type: "reset_peer", stream, toxicity: Math.min(1, degradation.lossProbability), attributes: { timeout: 100 } },
        });
      }
    };
    const seen = new Set<string>();
    for (const a of degradation.between) {
      for (const b of degradation.and) {
        for (const [from, to] of [
          [a, b],
          [b, a],
        ] as const) {
          const direct = mesh.linkBetween(from, to);
          if (direct !== undefined && !seen.has(`${direct}/up`)) {
            seen.add(`${direct}/up`);
            add(direct, "upstream");
          }
          const reverse = mesh.linkBetween(to, from);
          // Replies on a client link (a region client's, a control endpoint's, or a control replica's probes of a cell replica) travel downstream of its proxy.
          const clientLink =
            to.startsWith("client/") ||
            to.startsWith("api/") ||
            (to.startsWith(CONTROL_HOST_PREFIX) && !from.startsWith(CONTROL_HOST_PREFIX));
          if (reverse !== undefined && clientLink && !seen.has(`${reverse}/down`)) {
            seen.add(`${reverse}/down`);
            add(reverse, "downstream");
          }
        }
      }
    }
    if ((degradation.duplicateProbability ?? 0) > 0 || (degradation.reorderProbability ?? 0) > 0) {
      this.remember(this.ignored, "duplication/reordering: TCP cannot duplicate or reorder; ignored in the live runtime");
    }
    this.onNetwork(() => Promise.all(toxics.map((entry) => mesh.addToxic(entry.proxy, entry.body))).then(() => undefined));
    return this.install({ kind: "degrade", toxics: toxics.map(({ proxy, toxic }) => ({ proxy, toxic })) });
  }

  disk(host: string, fault: DiskFaultSpec): FaultHandle {
    this.known(host);
    const process = this.live.processes.get(host);
    if (process === undefined) throw new LiveFaultError("UNKNOWN_HOST", `${host} has no disk (not a replica)`);
    const torn = fault.kind === "torn-write-at-crash";
    if (torn) this.tornAtCrash.add(host);
    else this.onHost(host, async () => void (await process.admin({ op: "disk", fault }, ADMIN_TIMEOUT_MS)));
    return this.install({ kind: "disk", host, torn });
  }

  clock(host: string, fault: ClockFaultSpec): FaultHandle {
    this.known(host);
    const process = this.live.processes.get(host);
    // An offset alone changes nothing: replicas only measure intervals. Drift scales their timers.
    if (process !== undefined)
      this.onHost(host, async () => void (await process.admin({ op: "clock", driftPpm: fault.driftPpm ?? 0 }, ADMIN_TIMEOUT_MS)));
    return this.install({ kind: "clock", host });
  }

  heal(handle: FaultHandle): void {
    const installed = this.installed.get(handle.id);
    if (installed === undefined) return;
    this.installed.delete(handle.id);
    const mesh = this.live.mesh;
    switch (installed.kind) {
      case "partition":
        for (const pair of installed.pairs) {
          const count = (this.blockedPairs.get(pair) ?? 0) - 1;
          if (count <= 0) this.blockedPairs.delete(pair);
          else this.blockedPairs.set(pair, count);
        }
        if (mesh !== null) this.onNetwork(() => Promise.all(installed.proxies.map((name) => mesh.uncut(name))).then(() => undefined));
        break;
      case "degrade":
        if (mesh !== null)
          this.onNetwork(() =>
            Promise.all(installed.toxics.map((entry) => mesh.removeToxic(entry.proxy, entry.toxic))).then(() => undefined),
          );
        break;
      case "disk": {
        if (installed.torn) {
          this.tornAtCrash.delete(installed.host);
          break;
        }
        // A bit already flipped on disk stays flipped: only the fault source stops.
        const process = this.live.processes.get(installed.host);
        if (process !== undefined)
          this.onHost(installed.host, async () => void (await process.admin({ op: "heal-disk" }, ADMIN_TIMEOUT_MS).catch(() => undefined)));
        break;
      }
      case "clock": {
        const process = this.live.processes.get(installed.host);
        if (process !== undefined)
          this.onHost(
            installed.host,
            async () => void (await process.admin({ op: "clock", driftPpm: 0 }, ADMIN_TIMEOUT_MS).catch(() => undefined)),
          );
        break;
      }
      default: {
        const unreachable: never = installed;
        throw new Error(`unknown fault ${JSON.stringify(unreachable)}`);
      }
    }
  }

  healAll(): void {
    for (const id of [...this.installed.keys()]) this.heal({ id });
    const mesh = this.live.mesh;
    this.blockedPairs.clear();
    if (mesh !== null) this.onNetwork(() => mesh.uncutAll());
    for (const host of this.placements) {
      const intent = this.intent.get(host.id);
      if (intent === "paused") this.resume(host.id);
      else if (intent === "down") this.restart(host.id);
    }
  }

  private tearWal(dataDir: string): void {
    const fd = openSync(join(dataDir, encodeURIComponent("raft.wal")), "a");
    try {
      const header = Buffer.alloc(9 + 16);
      header.writeUInt32BE(TORN_FRAME_CLAIMED_BYTES, 0);
      writeSync(fd, header);
    } finally {
      closeSync(fd);
    }
  }

  private requireMesh(what: string): NonNullable<LiveRuntimeState["mesh"]> {
    const mesh = this.live.mesh;
    if (mesh === null)
      throw new LiveFaultError(
        "NO_PROXIES",
        `${what}: network faults need the links to go through Toxiproxy (via: "toxiproxy"), this world is direct`,
      );
    return mesh;
  }

  private known(host: string): void {
    if (!this.intent.has(host)) throw new LiveFaultError("UNKNOWN_HOST", `no host ${host}`);
  }

  private onHost(host: string, operation: () => Promise<void>): void {
    const previous = this.hostQueues.get(host) ?? Promise.resolve();
    const next = previous.then(operation).catch((error: unknown) => this.remember(this.errors, `${host}: ${(error as Error).message}`));
    this.hostQueues.set(host, next);
  }

  private onNetwork(operation: () => Promise<void>): void {
    this.networkQueue = this.networkQueue
      .then(operation)
      .catch((error: unknown) => this.remember(this.errors, `network: ${(error as Error).message}`));
  }

  private note(event: string, detail: string): void {
    if (this.timeline.length < TIMELINE_ENTRIES_MAX) this.timeline.push({ wallMs: Date.now(), event, detail });
  }

  private remember(list: string[], message: string): void {
    if (list.length < ERRORS_MAX) list.push(message);
  }

  private install(installed: Installed): FaultHandle {
    const id = `lf-${this.nextId++}`;
    this.installed.set(id, installed);
    return { id };
  }
}
