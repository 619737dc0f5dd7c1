// The FaultManager: injects catalogue faults into a Cluster, heals them, and enforces every
// fault's lease on the cluster's own Clock, so a fault never outlives its lease whoever
// injected it (the dead-man switch). Used by the controller's API, the nemesis and drills.
import type { FaultRecord, Result } from "../domain/records.js";
import type { Cluster } from "../domain/cluster.js";
import type { TimerHandle } from "../ground/ports.js";
import type { FaultWindow } from "../harness/checkers/availability.js";
import type { Random } from "../ground/random.js";
import { applyFault, type AppliedFault } from "./apply.js";
import { describeCatalogue, parseFaultSpec, type CatalogueEntry, type FaultSpec } from "./catalogue.js";
import { ChaosError } from "./errors.js";
import { checkTargetNames, resolveTarget, universeOf, type ResolvedTarget } from "./targets.js";

export type FaultEventKind = "injected" | "healed" | "expired";

export interface FaultEvent {
  readonly kind: FaultEventKind;
  readonly fault: FaultRecord;
  /** Who injected it ("api", "nemesis", "drill:<run>"): drills use it to spot faults not theirs. */
  readonly origin: string;
  /** Who did this: injected, the injecting actor (default the origin); healed, the healer (default the origin); expired, "lease". */
  readonly actor: string;
  /** Injected: the injector's reason, if given. Healed/expired: why ("explicit", "heal-all", "lease", "duration", "completed"). */
  readonly reason?: string;
  /** The hosts the target resolved to, and the cells with a replica among them. */
  readonly hosts: readonly string[];
  readonly cells: readonly string[];
  readonly atUs: number;
}

/** An injected fault's window, for the availability checker: from the injection to its scheduled end (the lease or duration). */
export function faultWindowOf(event: FaultEvent): FaultWindow {
  return {
    id: event.fault.id,
    kind: event.fault.type,
    startUs: event.atUs,
    endUs: Math.round(event.fault.expiresMs * 1000),
    cells: event.cells,
  };
}

export interface FaultManagerOptions {
  /** Stream for target selection; default cluster.random.fork("chaos"). */
  readonly random?: Random;
  /** Bound on simultaneously active faults: beyond it inject answers CONFLICT. */
  readonly activeFaultsMax?: number;
  /** Fault ids from a persistent sequence (the controller's store), so they stay unique across restarts; default f-1, f-2, ... per manager. */
  readonly nextFaultId?: () => string;
}

export interface InjectOptions {
  readonly origin?: string;
  /** Who asked (an operator's name for origin "api"); default the origin. */
  readonly actor?: string;
  /** Why (an operator's reason), carried on the injected event. */
  readonly reason?: string;
  /** Path of the spec in its document, for error messages (`steps[2].inject`). */
  readonly field?: string;
}

export const ACTIVE_FAULTS_MAX_DEFAULT = 256;

interface Active {
  readonly id: string;
  readonly spec: FaultSpec;
  readonly origin: string;
  readonly target: ResolvedTarget;
  readonly cells: readonly string[];
  readonly applied: AppliedFault;
  readonly startedUs: number;
  readonly expiresUs: number;
  readonly timer: TimerHandle;
}

export class FaultManager {
  private readonly random: Random;
  private readonly activeFaultsMax: number;
  private readonly faults = new Map<string, Active>();
  private readonly listeners = new Set<(event: FaultEvent) => void>();
  private nextId = 1;
  private readonly nextFaultId: (() => string) | undefined;

  constructor(
    readonly cluster: Cluster,
    options: FaultManagerOptions = {},
  ) {
    this.random = options.random ?? cluster.random.fork("chaos");
    this.activeFaultsMax = options.activeFaultsMax ?? ACTIVE_FAULTS_MAX_DEFAULT;
    this.nextFaultId = options.nextFaultId;
  }

  /** Validates, resolves the target, applies the fault and arms its lease. */
  inject(input: unknown, options: InjectOptions = {}): Result<FaultRecord> {
    let spec: FaultSpec;
    try {
      spec = parseFaultSpec(input, options.field ?? "");
    } catch (error) {
      return failure(error);
    }
    return this.injectSpec(spec, options);
  }

  /**
   * Bad input in a fault spec, found without touching the world: its form and every name its target
   * gives (hosts, datacenters, regions, cells) against this world's placement. Null: it could be
   * injected (it may still be refused later, e.g. no leader to pick, or too many active faults).
   */
  inputRefusal(input: unknown): { readonly error: string; readonly field: string } | null {
    try {
      const spec = parseFaultSpec(input, "");
      checkTargetNames(spec.target, universeOf(this.cluster), "target");
      return null;
    } catch (error) {
      if (error instanceof ChaosError) return { error: error.message, field: error.field };
      throw error;
    }
  }

  injectSpec(spec: FaultSpec, options: InjectOptions = {}): Result<FaultRecord> {
    if (this.faults.size >= this.activeFaultsMax) {
      return { ok: false, code: "CONFLICT", error: `active faults: at most ${this.activeFaultsMax} at once; heal some first` };
    }
    const clock = this.cluster.clock;
    // The displayed id may come from a persistent sequence (unique across restarts); the random
    // stream forks by the local sequence, so target choices do not depend on what was persisted.
    const sequence = this.nextId++;
    const id = this.nextFaultId?.() ?? `f-${sequence}`;
    const origin = options.origin ?? "api";
    let target: ResolvedTarget;
    let applied: AppliedFault;
    let cells: string[];
    const random = this.random.fork(`f-${sequence}`);
    try {
      const universe = universeOf(this.cluster);
      cells = [];
      target = resolveTarget(spec.type, spec.target, universe, random, options.field === undefined ? "target" : `${options.field}.target`);
      applied = applyFault(spec, target, {
        port: this.cluster.faults,
        clock,
        universe,
        random,
        completed: () => this.end(id, "expired", "completed"),
      });
      const hit = new Set(target.hosts);
      cells = universe.cells.filter((cell) => cell.replicas.some((replica) => hit.has(replica))).map((cell) => cell.id);
    } catch (error) {
      return failure(error);
    }
    const startedUs = clock.nowUs();
    const lifeUs = Math.min(spec.durationUs ?? spec.leaseUs, spec.leaseUs);
    const reason = spec.durationUs !== null && spec.durationUs <= spec.leaseUs ? "duration" : "lease";
    const timer = clock.setTimer(lifeUs, () => this.end(id, "expired", reason));
    const active: Active = { id, spec, origin, target, cells, applied, startedUs, expiresUs: startedUs + lifeUs, timer };
    this.faults.set(id, active);
    const record = this.record(active);
    this.emit({
      kind: "injected",
      fault: record,
      origin,
      actor: options.actor ?? origin,
      ...(options.reason === undefined ? {} : { reason: options.reason }),
      atUs: startedUs,
      hosts: target.hosts,
      cells,
    });
    return { ok: true, value: record };
  }

  /** `actor`: who heals it (default the fault's origin). */
  heal(id: string, actor?: string): Result<null> {
    if (!this.faults.has(id)) return { ok: false, code: "NOT_FOUND", error: `fault ${id}: no such active fault`, field: "id" };
    this.end(id, "healed", "explicit", actor);
    return { ok: true, value: null };
  }

  /** Heals every fault this manager holds, then anything else left in the runtime. */
  healAll(actor?: string): void {
    for (const id of [...this.faults.keys()]) this.end(id, "healed", "heal-all", actor);
    this.cluster.faults.healAll();
  }

  active(): FaultRecord[] {
    return [...this.faults.values()].map((active) => this.record(active));
  }

  originOf(id: string): string | undefined {
    return this.faults.get(id)?.origin;
  }

  catalogue(): CatalogueEntry[] {
    const topology = this.cluster.topology;
    return describeCatalogue({
      regions: topology.regions.map((region) => region.name),
      datacenters: topology.regions.flatMap((region) => region.datacenters),
      cells: this.cluster.cells().map((cell) => cell.id),
    });
  }

  /** Subscribes to injected/healed/expired events; returns the unsubscribe function. */
  on(listener: (event: FaultEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private end(id: string, kind: "healed" | "expired", reason: string, actor?: string): void {
    const active = this.faults.get(id);
    if (active === undefined) return;
    this.faults.delete(id);
    this.cluster.clock.cancelTimer(active.timer);
    active.applied.heal();
    this.emit({
      kind,
      fault: this.record(active),
      origin: active.origin,
      actor: kind === "expired" ? "lease" : (actor ?? active.origin),
      reason,
      atUs: this.cluster.clock.nowUs(),
      hosts: active.target.hosts,
      cells: active.cells,
    });
  }

  private record(active: Active): FaultRecord {
    const nowUs = this.cluster.clock.nowUs();
    const leaseMs = (active.expiresUs - active.startedUs) / 1000;
    return {
      id: active.id,
      type: active.spec.type,
      target: active.spec.target,
      params: active.spec.params,
      startedMs: active.startedUs / 1000,
      leaseMs,
      expiresMs: active.expiresUs / 1000,
      remainingMs: Math.max(0, (active.expiresUs - nowUs) / 1000),
      affects: active.applied.affects,
    };
  }

  private emit(event: FaultEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }
}

function failure(error: unknown): Result<never> {
  if (error instanceof ChaosError) {
    const code = error.code === "NO_LEADER" ? "CONFLICT" : error.code === "NO_SUCH_FAULT" ? "NOT_FOUND" : "INVALID";
    return { ok: false, code, error: error.message, field: error.field };
  }
  throw error;
}
