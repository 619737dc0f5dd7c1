// A random combined nemesis in Jepsen's spirit: every interval it draws a fault family and a
// concrete fault (shape, target, parameters) from the seeded "nemesis" stream and injects it for
// part of the interval; the FaultManager's lease heals it. Whatever happens, the schedule ends
// with a final heal so the checkers can judge durability on a whole cluster.
import type { FaultWindow } from "../harness/checkers/availability.js";
import type { Cluster } from "../domain/cluster.js";
import type { TimerHandle } from "../ground/ports.js";
import type { Random } from "../ground/random.js";
import { FaultManager, faultWindowOf, type FaultEvent } from "./fault-manager.js";

export const NEMESIS_FAMILIES = [
  "partition",
  "kill",
  "pause",
  "disk",
  "clock",
  "latency",
  "loss",
  "dc-outage",
  "region-outage",
  "power-loss",
  "slow-leader-clock",
  "deposed-leader",
  "leader-move",
] as const;
export type NemesisFamily = (typeof NEMESIS_FAMILIES)[number];

/** Families carried out by the runtime's NemesisAction rather than drawn as a catalogue fault (drawFault refuses them). */
export const ACTION_FAMILIES: readonly NemesisFamily[] = ["leader-move"];

export interface NemesisOptions {
  readonly intervalUs: number;
  readonly startUs: number;
  readonly endUs: number;
  /** How long each fault lasts; default half the interval, so the cluster gets time to recover. */
  readonly faultUs?: number;
  /**
   * Let a fault outlast the interval, so the next one overlaps it (a partition while a clock
   * drifts or a process is paused). Without it a fault is cut to the interval.
   */
  readonly overlap?: boolean;
  /** Origin recorded on the faults (drills spot foreign faults by it). */
  readonly origin?: string;
  /** An array the windows are appended to as faults are injected (and corrected as they end). */
  readonly live?: FaultWindow[];
}

/**
 * A family whose step is not a catalogue fault but an action of another layer (the controller's
 * leadership move: runtime/virtual/leader-move.ts). The runtime that runs the nemesis provides
 * it; it returns null when it acted, or why it could not (recorded as skipped).
 */
export type NemesisAction = (cluster: Cluster, random: Random, lengthUs: number, live: FaultWindow[]) => string | null;

/** What a nemesis runs against: the cluster, and the actions of families chaos/ cannot carry out itself. */
export interface NemesisTarget {
  readonly cluster: Cluster;
  readonly nemesisActions?: Partial<Record<NemesisFamily, NemesisAction>>;
}

export interface NemesisHandle {
  /** Fault windows so far (all of them once the schedule has ended), for the availability checker. */
  windows(): FaultWindow[];
  /** Faults the nemesis could not inject (e.g. no leader to target), with the reason. */
  skipped(): readonly string[];
  /** Cancels what is still scheduled and heals the nemesis's faults now. */
  stop(): void;
}

/** Parses `partition,kill,disk` (`all`: every family, as `ldc swarm` has it): throws RangeError naming the bad entry. */
export function parseNemesisNames(text: string, field = "--nemesis"): NemesisFamily[] {
  if (text.trim() === "all") return [...NEMESIS_FAMILIES];
  const names = text
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  if (names.length === 0) throw new RangeError(`${field}: expected all or a comma-separated list of ${NEMESIS_FAMILIES.join(", ")}`);
  for (const name of names) {
    if (!(NEMESIS_FAMILIES as readonly string[]).includes(name))
      throw new RangeError(`${field}: unknown nemesis "${name}"; expected all or one of ${NEMESIS_FAMILIES.join(", ")}`);
  }
  return names as NemesisFamily[];
}

/** A concrete fault of the family, drawn from `random`, as a catalogue spec (before validation). */
export function drawFault(family: NemesisFamily, cluster: Cluster, random: Random, faultUs: number): Record<string, unknown> {
  const regions = cluster.topology.regions.map((region) => region.name);
  const datacenters = cluster.topology.regions.flatMap((region) => region.datacenters);
  const cells = cluster.cells().map((cell) => cell.id);
  const duration = Math.max(1, Math.round(faultUs / 1000));
  switch (family) {
    case "partition":
      switch (random.intBetween(0, 4)) {
        case 0:
          return { type: "partition", target: { region: random.pick(regions) }, durationMs: duration };
        case 1:
          return { type: "partition", target: { datacenter: random.pick(datacenters) }, durationMs: duration };
        case 2:
          return { type: "partition", target: { cell: random.pick(cells) }, params: { shape: "majorities-ring" }, durationMs: duration };
        case 3:
          return { type: "partition", target: { select: "all" }, params: { shape: "halves" }, durationMs: duration };
        default:
          return { type: "partition", target: { select: "leader" }, params: { shape: "isolate" }, durationMs: duration };
      }
    case "kill":
      return { type: "kill", target: { select: random.pick(["one", "minority", "leader"]) }, durationMs: duration };
    case "pause":
      return { type: "pause", target: { select: random.pick(["one", "leader"]) }, durationMs: duration };
    case "disk":
      return {
        type: random.pick(["fsync-eio", "slow-fsync", "corrupt", "enospc", "torn-write"]),
        target: { select: "one" },
        durationMs: duration,
      };
    case "clock":
      return {
        type: "clock",
        target: { select: "one" },
        params: { offsetMs: random.intBetween(-2000, 2000), driftPpm: random.pick([-1, 1]) * random.intBetween(1_000, 100_000) },
        durationMs: duration,
      };
    case "latency":
      return {
        type: "latency",
        target: { region: random.pick(regions) },
        params: { delayMs: random.intBetween(20, 200), jitterMs: random.intBetween(0, 50) },
        durationMs: duration,
      };
    case "loss":
      return {
        type: "loss",
        target: { region: random.pick(regions) },
        params: { probability: random.pick([0.05, 0.1, 0.3]) },
        durationMs: duration,
      };
    case "dc-outage":
      return { type: "dc-outage", target: { datacenter: random.pick(datacenters) }, durationMs: duration };
    case "region-outage":
      return { type: "region-outage", target: { region: random.pick(regions) }, durationMs: duration };
    case "power-loss":
      // Every replica of one cell crashes at once (a shared power feed, a bad kernel rollout):
      // each keeps only what it fsynced, so any promise made before an fsync is put to the test.
      return { type: "kill", target: { cell: random.pick(cells), select: "all" }, durationMs: duration };
    case "leader-move":
      throw new RangeError(`${family} is an action of the runtime (NemesisAction), not a catalogue fault`);
    case "deposed-leader":
      // The pause that starts it; scheduleNemesis ends it early (deposedLeader below).
      return { type: "pause", target: { cell: random.pick(cells), select: "leader" }, durationMs: duration };
    case "slow-leader-clock":
      // A leader whose clock runs at a third to a half of real speed (a throttled VM, a stalled
      // clock source): anything it times with its own clock, a lease above all, lasts 2-3x longer.
      return {
        type: "clock",
        target: { select: "leader" },
        params: { offsetMs: 0, driftPpm: -random.intBetween(500_000, 666_000) },
        durationMs: duration,
      };
  }
}

/**
 * Schedules the nemesis on the cluster's clock between startUs and endUs (absolute simulated
 * times) and returns at once; the caller runs the world. Faults go through `manager` (a new one
 * on the cluster when absent) with origin "nemesis".
 */
export function scheduleNemesis(
  target: NemesisTarget,
  families: readonly NemesisFamily[],
  options: NemesisOptions,
  manager?: FaultManager,
): NemesisHandle {
  if (families.length === 0) throw new RangeError("nemesis: expected at least one fault family");
  if (!(options.intervalUs > 0)) throw new RangeError("nemesis.intervalUs: expected a positive interval");
  if (options.endUs < options.startUs) throw new RangeError("nemesis.endUs: expected to be at or after startUs");
  const cluster = target.cluster;
  const faults = manager ?? new FaultManager(cluster);
  const clock = cluster.clock;
  const random = cluster.random.fork("nemesis");
  const origin = options.origin ?? "nemesis";
  const faultUs =
    options.overlap === true && options.faultUs !== undefined
      ? options.faultUs
      : Math.min(options.faultUs ?? Math.floor(options.intervalUs / 2), options.intervalUs);
  const open = new Map<string, FaultWindow>();
  const closed: FaultWindow[] = [];
  const skipped: string[] = [];
  const timers: TimerHandle[] = [];
  let ended = false;

  // Windows are pushed at injection with their planned end and corrected when the fault ends, so
  // `live` is complete once the world has run past endUs (callers may hold the array).
  const live: FaultWindow[] = options.live ?? [];
  const unsubscribe = faults.on((event: FaultEvent) => {
    if (event.origin !== origin) return;
    if (event.kind === "injected") {
      const window = faultWindowOf(event);
      open.set(event.fault.id, window);
      live.push(window);
      return;
    }
    const window = open.get(event.fault.id);
    if (window === undefined) return;
    open.delete(event.fault.id);
    window.endUs = event.atUs;
    closed.push(window);
  });

  const finalHeal = (): void => {
    if (ended) return;
    ended = true;
    for (const timer of timers) clock.cancelTimer(timer);
    for (const fault of faults.active()) if (faults.originOf(fault.id) === origin) faults.heal(fault.id);
    // Belt and braces: nothing the nemesis did may outlive it, processes included.
    cluster.faults.healAll();
    unsubscribe();
  };

  const nowUs = clock.nowUs();
  for (let atUs = Math.max(options.startUs, nowUs); atUs + 1 <= options.endUs; atUs += options.intervalUs) {
    const lengthUs = Math.min(faultUs, options.endUs - atUs);
    timers.push(
      clock.setTimer(atUs - nowUs, () => {
        const family = random.pick(families);
        const action = target.nemesisActions?.[family];
        if (ACTION_FAMILIES.includes(family)) {
          const why = action === undefined ? "this runtime has no leader-move action" : action(cluster, random, lengthUs, live);
          if (why !== null) skipped.push(`${clock.nowUs()}us ${family}: ${why}`);
          return;
        }
        const spec = drawFault(family, cluster, random, lengthUs);
        const result = faults.inject(spec, { origin });
        if (!result.ok) skipped.push(`${clock.nowUs()}us ${family}: ${result.error}`);
        else if (family === "deposed-leader") resumeWhenDeposed(cluster, faults, result.value.id, result.value.affects.hosts);
      }),
    );
  }
  timers.push(clock.setTimer(Math.max(0, options.endUs - nowUs), finalHeal));

  return {
    windows: () =>
      [...closed, ...[...open.values()].map((window) => ({ ...window, endUs: clock.nowUs() }))].sort(
        (a, b) => a.startUs - b.startUs || (a.id < b.id ? -1 : 1),
      ),
    skipped: () => skipped,
    stop: finalHeal,
  };
}

/** How often a deposed-leader pause looks whether its cell has moved on. */
export const DEPOSED_LEADER_POLL_US = 2_000;

/**
 * The `deposed-leader` family: a leader is paused (a GC pause, a SIGSTOP) and resumed at the
 * worst moment for it: just after the rest of its cell elected a successor and committed the
 * successor's first entries, before the followers have all heard that commit. The paused leader
 * still believes it leads the old term, and what queued up for it while it was stopped (client
 * requests, its own ticks) is handled first on resume: it appends at the old term to followers
 * that already hold the new term's entries at those indexes. A correct follower refuses (its
 * term is newer); only such an append can overwrite a committed entry. The pause is the fault's
 * window (its lease ends it if the cell never moves on). Deterministic: it reads the cluster's
 * view on the simulated clock every DEPOSED_LEADER_POLL_US.
 */
function resumeWhenDeposed(cluster: Cluster, faults: FaultManager, faultId: string, hosts: readonly string[]): void {
  const host = hosts[0];
  const cell = cluster.cells().find((view) => view.replicas.some((replica) => replica.id === host));
  if (host === undefined || cell === undefined) return;
  const paused = cell.replicas.find((replica) => replica.id === host);
  const pausedTerm = paused?.term ?? 0;
  const commitAtPause = Math.max(0, ...cell.replicas.map((replica) => replica.commitIndex));
  // No handle kept: the poll stops by itself once the pause is over (its lease, a heal, the final heal).
  const poll = (): void => {
    if (faults.originOf(faultId) === undefined) return;
    const view = cluster.cell(cell.id);
    const successor = view?.replicas.find((replica) => replica.role === "leader" && replica.id !== host && replica.term > pausedTerm);
    if (successor !== undefined && successor.commitIndex > commitAtPause) {
      faults.heal(faultId);
      return;
    }
    cluster.clock.setTimer(DEPOSED_LEADER_POLL_US, poll);
  };
  cluster.clock.setTimer(DEPOSED_LEADER_POLL_US, poll);
}

/** Default interval between nemesis faults for `ldc sim --nemesis`. */
export const NEMESIS_INTERVAL_US_DEFAULT = 10_000_000;

/**
 * The nemesis `ldc sim --nemesis NAMES` runs (runtime/virtual/run.ts `Nemesis`): schedules the faults
 * and returns the fault windows as a live array, complete once the run has passed endUs.
 */
export function nemesisFor(
  names: readonly string[],
  intervalUs = NEMESIS_INTERVAL_US_DEFAULT,
  /** Given: each fault lasts this long, overlapping the next ones when longer than the interval. */
  faultUs?: number,
): (target: NemesisTarget, window: { startUs: number; endUs: number }) => FaultWindow[] {
  const families = parseNemesisNames(names.join(","));
  return (target, window) => {
    const live: FaultWindow[] = [];
    scheduleNemesis(target, families, {
      intervalUs,
      startUs: window.startUs,
      endUs: window.endUs,
      live,
      ...(faultUs !== undefined && { faultUs, overlap: true }),
    });
    return live;
  };
}
