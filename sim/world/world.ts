// The simulated world: one scheduler, one root Random, the topology, the network, a disk per
// host and at most one process per host. Random streams are forked per component ("network",
// "disk/<host>", "process/<host>/<incarnation>") so adding a draw in one never shifts another.
import { hashString } from "../../ground/hash.js";
import type { Log, LogLevel } from "../../ground/ports.js";
import { createRandom, type Random } from "../../ground/random.js";
import { Scheduler } from "../kernel/scheduler.js";
import { defaultWorldConfig, type WorldConfig } from "../../domain/config.js";
import { SimDisk } from "./disk.js";
import { Network, type MessageCounts } from "./network.js";
import {
  IncarnationClock,
  IncarnationTransport,
  ProcessError,
  ProcessSlot,
  type ProcessContext,
  type ProcessFactory,
  type ProcessState,
} from "./process.js";
import { Topology, type HostInfo } from "./topology.js";

export type LogSink = (hostId: string, level: LogLevel, name: string, fields: Record<string, unknown> | undefined, nowUs: number) => void;

export interface WorldOptions {
  seed: number;
  config?: WorldConfig;
  /** Where processes' structured logs go; default: nowhere. */
  log?: LogSink;
  pendingEventsMax?: number;
}

export interface WorldSummary {
  seed: number;
  simulatedMs: number;
  events: number;
  traceHash: string;
  messages: MessageCounts;
  hosts: number;
  processesUp: number;
}

interface HostRecord {
  info: HostInfo;
  disk: SimDisk;
  slot: ProcessSlot | null;
  timerTag: number;
}

export class World {
  readonly seed: number;
  readonly config: WorldConfig;
  readonly scheduler: Scheduler;
  readonly random: Random;
  readonly topology: Topology;
  readonly network: Network;
  private readonly hosts: HostRecord[] = [];
  private readonly hostsById = new Map<string, HostRecord>();
  private readonly logSink: LogSink | undefined;

  constructor(options: WorldOptions) {
    this.seed = options.seed;
    this.config = options.config ?? defaultWorldConfig();
    this.scheduler = new Scheduler(options.pendingEventsMax === undefined ? {} : { pendingEventsMax: options.pendingEventsMax });
    this.random = createRandom(options.seed);
    this.topology = new Topology(this.config.topology);
    this.network = new Network(this.config.network, {
      scheduler: this.scheduler,
      random: this.random.fork("network"),
      topology: this.topology,
    });
    this.network.setReceiver((target, source, message) => {
      const slot = this.hosts[target]?.slot ?? null;
      return slot === null ? "target-down" : slot.receive(source, message);
    });
    this.logSink = options.log;
  }

  get nowUs(): number {
    return this.scheduler.nowUs;
  }

  addHost(hostId: string, datacenter: string): HostInfo {
    const info = this.topology.addHost(hostId, datacenter);
    const scheduler = this.scheduler;
    const disk = new SimDisk(this.config.disk, {
      random: this.random.fork(`disk/${hostId}`),
      // Until a process runs, disk callbacks fire directly; each incarnation replaces this.
      timers: { setTimer: (delayUs, callback) => scheduler.after(delayUs, callback) as never },
    });
    const record: HostRecord = { info, disk, slot: null, timerTag: hashString(`timer/${hostId}`) };
    this.hosts.push(record);
    this.hostsById.set(hostId, record);
    this.network.hostsChanged();
    return info;
  }

  disk(hostId: string): SimDisk {
    return this.record(hostId).disk;
  }

  /** Starts a process on `hostId` (which must have been added and be free). */
  spawn(hostId: string, factory: ProcessFactory): ProcessContext {
    const record = this.record(hostId);
    if (record.slot !== null && record.slot.state !== "down")
      throw new ProcessError("ALREADY_RUNNING", `${hostId}: a process is already running`);
    record.slot = new ProcessSlot(hostId, record.info.index, factory, this.scheduler);
    return this.start(record, record.slot);
  }

  /** Down -> Running: a new incarnation from the same factory; it recovers from its disk. */
  restart(hostId: string): ProcessContext {
    const record = this.record(hostId);
    const slot = this.slotOf(record);
    if (slot.state !== "down") throw new ProcessError("ALREADY_RUNNING", `${hostId}: cannot restart a ${slot.state} process`);
    return this.start(record, slot);
  }

  /** Running|Paused -> Down without warning: memory and unsynced disk writes are lost. */
  crash(hostId: string): void {
    const record = this.record(hostId);
    const slot = this.slotOf(record);
    if (slot.state === "down") throw new ProcessError("NOT_RUNNING", `${hostId}: already down`);
    slot.crash();
    record.disk.crash();
  }

  /** Running|Paused -> Down gracefully: stop() runs, and the OS keeps unsynced writes. */
  stop(hostId: string): void {
    const record = this.record(hostId);
    const slot = this.slotOf(record);
    if (slot.state === "down") throw new ProcessError("NOT_RUNNING", `${hostId}: already down`);
    const instance = slot.instance;
    slot.crash();
    instance?.stop?.();
  }

  /** Running -> Paused: timers and messages wait (a GC pause, a SIGSTOP, a VM migration). */
  pause(hostId: string): void {
    const slot = this.slotOf(this.record(hostId));
    if (slot.state !== "running") throw new ProcessError("NOT_RUNNING", `${hostId}: cannot pause a ${slot.state} process`);
    slot.state = "paused";
  }

  /** Paused -> Running: what waited is delivered in arrival order. */
  resume(hostId: string): void {
    const record = this.record(hostId);
    const slot = this.slotOf(record);
    if (slot.state !== "paused") throw new ProcessError("NOT_PAUSED", `${hostId}: cannot resume a ${slot.state} process`);
    slot.resume(record.timerTag);
  }

  isUp(hostId: string): boolean {
    return this.state(hostId) !== "down";
  }

  state(hostId: string): ProcessState {
    return this.record(hostId).slot?.state ?? "down";
  }

  runFor(durationUs: number): number {
    return this.scheduler.runUntil(this.scheduler.nowUs + durationUs);
  }

  runUntil(atUs: number): number {
    return this.scheduler.runUntil(atUs);
  }

  summary(): WorldSummary {
    return {
      seed: this.seed,
      simulatedMs: this.scheduler.nowUs / 1000,
      events: this.scheduler.eventsDelivered,
      traceHash: this.scheduler.traceHash,
      messages: this.network.messageCounts(),
      hosts: this.hosts.length,
      processesUp: this.hosts.filter((record) => record.slot !== null && record.slot.state !== "down").length,
    };
  }

  private start(record: HostRecord, slot: ProcessSlot): ProcessContext {
    slot.incarnation++;
    slot.state = "running";
    const incarnation = slot.incarnation;
    const hostId = record.info.id;
    const clock = new IncarnationClock(slot, incarnation, this.scheduler, record.timerTag);
    record.disk.attachTimers(clock);
    const sink = this.logSink;
    const scheduler = this.scheduler;
    const log: Log =
      sink === undefined ? { event() {} } : { event: (level, name, fields) => sink(hostId, level, name, fields, scheduler.nowUs) };
    const context: ProcessContext = {
      hostId,
      clock,
      random: this.random.fork(`process/${hostId}/${incarnation}`),
      transport: new IncarnationTransport(slot, incarnation, this.network),
      disk: record.disk,
      log,
      incarnation,
    };
    slot.instance = slot.factory(context);
    return context;
  }

  private record(hostId: string): HostRecord {
    const record = this.hostsById.get(hostId);
    if (record === undefined) throw new ProcessError("NO_PROCESS", `unknown host "${hostId}" (addHost it first)`);
    return record;
  }

  private slotOf(record: HostRecord): ProcessSlot {
    if (record.slot === null) throw new ProcessError("NO_PROCESS", `${record.info.id}: no process was spawned`);
    return record.slot;
  }
}
