// Operator actions: failover of one cell, evacuation of a region, restore (failback) of a region.
// Each is checked by the safety rules first; a refusal is audited and answered CONFLICT (HTTP 409) with the rule;
// `force` with a reason overrides and is audited with the rules it overrode. Leadership moves go
// through Raft (CellSight.transferLeadership); routing changes only after the new leader is in place.
// Every decision reads the cells as the controller sees them (`sight`: in a world with a control
// group, the control leader's probes, and transfers requested from its host over the network);
// the Cluster gives only the topology and the clock.
import type { CellSight, CellView, Cluster, LeaderInfo } from "../domain/cluster.js";
import type { AuditLog } from "./ports.js";
import type { RoutingTable } from "./routing.js";
import {
  capacityRefusals,
  checkEvacuate,
  checkFailover,
  checkRestore,
  chooseReplica,
  type Refusal,
  type SafetyContext,
  type SafetyLimits,
  type TargetChoice,
} from "./safety.js";
import type { ActionOutcome, ActionRequest, SafetyRuleId } from "../domain/records.js";
import { capacityShortfalls, type CapacityLimits } from "./capacity.js";

/** What the capacity rule reads: the measured load per cell and the gateways' admission limits. */
export interface CapacityView {
  readonly limits: CapacityLimits;
  opsPerSecond(cell: string): number;
}

export interface ActionOptions {
  readonly limits: SafetyLimits;
  /** How long one Raft leadership transfer may take. */
  readonly transferTimeoutUs: number;
  /** Restore: how long to wait for a preferred replica to catch up before skipping its cell. */
  readonly catchUpWaitUsMax: number;
  readonly catchUpPollUs: number;
}

export const defaultActionOptions: ActionOptions = {
  limits: { lagEntriesMax: 64, waitPeriodMs: 30_000 },
  transferTimeoutUs: 3_000_000,
  catchUpWaitUsMax: 5_000_000,
  catchUpPollUs: 100_000,
};

export interface ActionDependencies {
  /** The topology and the clock (never the cells: those come from `sight`). */
  readonly cluster: Pick<Cluster, "topology" | "clock">;
  /** The cells as the controller sees them, and how it moves their leaders. */
  readonly sight: CellSight;
  readonly routing: RoutingTable;
  readonly audit: AuditLog;
  /** A leader moved by an action (gateways update their cached leader). */
  readonly onLeaderMoved: (cell: string, leader: LeaderInfo) => void;
  /** Absent: the capacity rule is not checked (no gateways, e.g. the live runtime's tests). */
  readonly capacity?: CapacityView;
}

type Failed = Extract<ActionOutcome, { ok: false }>;

export class ActionRunner {
  private readonly lastActionMs = new Map<string, number>();
  /** Cells whose leadership an action is moving: automatic routing leaves them alone. */
  readonly movingCells = new Set<string>();
  private running: string | null = null;
  private runningSinceMs = 0;

  constructor(
    private readonly options: ActionOptions,
    private readonly dependencies: ActionDependencies,
  ) {}

  /** When each cell or region was last acted on (simulated ms): what the wait-period rule remembers. */
  lastActions(): ReadonlyMap<string, number> {
    return this.lastActionMs;
  }

  /** A rehearsal's copy carries over the running world's memory of recent actions. */
  rememberAction(target: string, atMs: number): void {
    this.lastActionMs.set(target, atMs);
  }

  get inProgress(): string | null {
    return this.running;
  }

  act(request: ActionRequest, callback: (outcome: ActionOutcome) => void): void {
    const bad = this.inputRefusal(request);
    if (bad !== null) {
      callback(bad);
      return;
    }
    if (this.running !== null) {
      callback({
        ok: false,
        code: "CONFLICT",
        error: `another action is in progress (${this.running}); actions run one at a time`,
        rule: "wait-period",
      });
      return;
    }
    switch (request.kind) {
      case "failover":
        return this.failover(request, callback);
      case "evacuate":
        return this.evacuate(request, callback);
      case "restore":
        return this.restore(request, callback);
      default: {
        const never: never = request.kind;
        callback({ ok: false, code: "INVALID", error: `kind: unknown action ${String(never)}`, field: "kind" });
      }
    }
  }

  /** The request's own faults (names against the world, its fields), before any rule or state is read. */
  inputRefusal(request: ActionRequest): Failed | null {
    if (request.force === true && (request.reason === undefined || request.reason.trim() === "")) {
      return { ok: false, code: "INVALID", error: "reason: a non-empty reason is required with force", field: "reason" };
    }
    const { cluster, sight } = this.dependencies;
    if (request.kind === "failover") {
      if (sight.cell(request.target) === undefined) return { ok: false, code: "NOT_FOUND", error: `no cell ${request.target}` };
      if (request.to === undefined || request.to === "")
        return { ok: false, code: "INVALID", error: "to: a region or datacenter name", field: "to" };
      const known = cluster.topology.regions.some(
        (region) => region.name === request.to || region.datacenters.includes(request.to as string),
      );
      if (!known)
        return { ok: false, code: "INVALID", error: `to: a region or datacenter name, got ${JSON.stringify(request.to)}`, field: "to" };
    } else if (!cluster.topology.regions.some((region) => region.name === request.target)) {
      return { ok: false, code: "NOT_FOUND", error: `no region ${request.target}` };
    }
    return null;
  }

  private context(): SafetyContext {
    const { cluster, sight } = this.dependencies;
    return {
      cells: sight.cells(),
      regions: cluster.topology.regions.map((region) => region.name),
      drained: this.dependencies.routing.drained(),
      nowMs: this.nowMs(),
      lastActionMs: (target) => this.lastActionMs.get(target),
      limits: this.options.limits,
    };
  }

  /** Refused (and audited) unless forced; returns the rules a forced action overrides. */
  private gate(request: ActionRequest, refusals: readonly Refusal[], callback: (outcome: ActionOutcome) => void): SafetyRuleId[] | null {
    if (refusals.length === 0) return [];
    const rules = [...new Set(refusals.map((refusal) => refusal.rule))];
    const first = refusals[0] as Refusal;
    this.dependencies.audit.append({
      atMs: this.nowMs(),
      actor: request.actor,
      kind: "refusal",
      action: request.kind,
      target: request.target,
      reason: request.reason ?? null,
      outcome: request.force === true ? "overridden" : "refused",
      rule: first.rule,
      overrodeRule: null,
      routingVersionBefore: this.dependencies.routing.version,
      routingVersionAfter: null,
      details: { refusals, to: request.to ?? null },
    });
    if (request.force === true) return rules;
    const figures = refusals.find((refusal) => refusal.figures !== undefined)?.figures;
    callback({
      ok: false,
      code: "CONFLICT",
      error: refusals.map((refusal) => refusal.error).join("; "),
      rule: first.rule,
      ...(figures === undefined ? {} : { figures }),
    });
    return null;
  }

  private failover(request: ActionRequest, callback: (outcome: ActionOutcome) => void): void {
    const cell = this.dependencies.sight.cell(request.target) as CellView;
    const to = request.to as string;
    const candidates = cell.replicas.filter((replica) => replica.region === to || replica.datacenter === to);
    const choice =
      candidates.some((replica) => replica.id === cell.leader?.replica) && candidates.length === 1
        ? ({ ok: false, refusal: { rule: "target-unavailable", error: `${cell.id}'s leader is already in ${to}` } } as const)
        : chooseReplica(cell, candidates, to, this.options.limits);
    const toRegion = this.dependencies.cluster.topology.regions.some((region) => region.name === to)
      ? to
      : this.dependencies.cluster.topology.regionOfDatacenter(to);
    const moves = new Map<string, string>();
    if (choice.ok) moves.set(cell.id, this.gatewayRegionFor(choice.replica.region));
    const overrode = this.gate(request, [...checkFailover(this.context(), cell, choice, toRegion), ...this.capacityCheck(moves)], callback);
    if (overrode === null) return;
    // Forced past target-caught-up: take the least-behind replica that is at least up.
    const target = choice.ok
      ? choice.replica
      : [...candidates]
          .filter((replica) => replica.state !== "crashed" && replica.id !== cell.leader?.replica)
          .sort((a, b) => a.lag - b.lag)[0];
    if (target === undefined) {
      callback({
        ok: false,
        code: "CONFLICT",
        error: `${cell.id} has no replica in ${to} that could lead, even forced`,
        rule: "target-unavailable",
      });
      return;
    }
    const before = this.dependencies.routing.version;
    this.begin(request);
    this.moveLeader(cell.id, target.id, (result) => {
      this.end(request);
      if (!result.ok) {
        this.finishFailed(request, before, overrode, result.error, callback);
        return;
      }
      const version = this.dependencies.routing.update(
        { cells: { [cell.id]: this.gatewayRegionFor(result.leader.region) } },
        `failover ${cell.id} to ${to}${request.reason ? `: ${request.reason}` : ""}`,
        this.nowMs(),
      );
      this.finishOk(request, [{ cell: cell.id, leader: result.leader }], before, version, overrode, callback);
    });
  }

  private evacuate(request: ActionRequest, callback: (outcome: ActionOutcome) => void): void {
    const region = request.target;
    const cells = this.dependencies.sight.cells().filter((cell) => cell.leader?.region === region);
    const choices = new Map<string, TargetChoice>();
    for (const cell of cells)
      choices.set(
        cell.id,
        chooseReplica(
          cell,
          cell.replicas.filter((replica) => replica.region !== region),
          `regions other than ${region}`,
          this.options.limits,
        ),
      );
    const overrode = this.gate(
      request,
      [...checkEvacuate(this.context(), region, choices), ...this.capacityCheck(this.evacuationMoves(region, choices))],
      callback,
    );
    if (overrode === null) return;
    const before = this.dependencies.routing.version;
    this.begin(request);
    const moved: { cell: string; leader: LeaderInfo }[] = [];
    const failures: string[] = [];
    let pending = cells.length;
    const finish = (): void => {
      this.end(request);
      // Drain even if a move failed: those cells' users are redirected to where routing names,
      // and automatic mode keeps moving leaders out of a drained region.
      const routes: Record<string, string> = {};
      for (const cell of this.dependencies.sight.cells()) {
        const current = this.dependencies.routing.regionOfCell(cell.id);
        if (current === region || cell.leader?.region === region) routes[cell.id] = this.fallbackRegion(cell, region);
      }
      const version = this.dependencies.routing.update(
        { cells: routes, drain: [region] },
        `evacuate ${region}${request.reason ? `: ${request.reason}` : ""}`,
        this.nowMs(),
      );
      if (failures.length > 0 && moved.length === 0 && cells.length > 0) {
        this.finishFailed(request, before, overrode, { code: "TIMEOUT", message: failures.join("; ") }, callback);
        return;
      }
      this.finishOk(request, moved, before, version, overrode, callback, failures);
    };
    if (pending === 0) {
      finish();
      return;
    }
    // Independent Raft groups: move them in parallel so the evacuation takes one transfer time.
    for (const cell of cells) {
      const choice = choices.get(cell.id) as TargetChoice;
      const target = choice.ok
        ? choice.replica.id
        : cell.replicas.filter((replica) => replica.region !== region && replica.state !== "crashed").sort((a, b) => a.lag - b.lag)[0]?.id;
      if (target === undefined) {
        failures.push(`${cell.id}: no replica outside ${region}`);
        if (--pending === 0) finish();
        continue;
      }
      this.moveLeader(cell.id, target, (result) => {
        if (result.ok) moved.push({ cell: cell.id, leader: result.leader });
        else failures.push(`${cell.id}: ${result.error.code} ${result.error.message}`);
        if (--pending === 0) finish();
      });
    }
  }

  private restore(request: ActionRequest, callback: (outcome: ActionOutcome) => void): void {
    const region = request.target;
    const overrode = this.gate(request, checkRestore(this.context(), region), callback);
    if (overrode === null) return;
    const before = this.dependencies.routing.version;
    this.begin(request);
    const routing = this.dependencies.routing;
    routing.update({ undrain: [region] }, `restore ${region}: gateway active again`, this.nowMs());
    const queue = this.dependencies.sight
      .cells()
      .filter((cell) => cell.preferredRegion === region && cell.leader?.region !== region)
      .map((cell) => cell.id);
    const moved: { cell: string; leader: LeaderInfo }[] = [];
    const skipped: string[] = [];
    // Gradual failback: one cell at a time, so a region that is not really healthy hurts one cell.
    const next = (): void => {
      const cellId = queue.shift();
      if (cellId === undefined) {
        this.end(request);
        this.finishOk(request, moved, before, routing.version, overrode, callback, skipped);
        return;
      }
      this.whenCaughtUp(cellId, region, this.nowUs() + this.options.catchUpWaitUsMax, (target) => {
        if (target === null) {
          skipped.push(`${cellId}: no caught-up replica in ${region}`);
          next();
          return;
        }
        this.moveLeader(cellId, target, (result) => {
          if (result.ok) {
            moved.push({ cell: cellId, leader: result.leader });
            routing.update(
              { cells: { [cellId]: this.gatewayRegionFor(result.leader.region) } },
              `restore ${region}: ${cellId} back to its preferred region`,
              this.nowMs(),
            );
          } else skipped.push(`${cellId}: ${result.error.code} ${result.error.message}`);
          next();
        });
      });
    };
    next();
  }

  private whenCaughtUp(cellId: string, region: string, deadlineUs: number, callback: (replica: string | null) => void): void {
    const cell = this.dependencies.sight.cell(cellId);
    if (cell === undefined) return callback(null);
    if (cell.leader?.region === region) return callback(null);
    const choice = chooseReplica(
      cell,
      cell.replicas.filter((replica) => replica.region === region),
      region,
      this.options.limits,
    );
    if (choice.ok) return callback(choice.replica.id);
    if (this.nowUs() >= deadlineUs) return callback(null);
    this.dependencies.cluster.clock.setTimer(this.options.catchUpPollUs, () => this.whenCaughtUp(cellId, region, deadlineUs, callback));
  }

  /** When the last action on `target` (a cell or region) started or ended, simulated ms. */
  lastActedMs(target: string): number | undefined {
    return this.lastActionMs.get(target);
  }

  /** A Raft leadership transfer that automatic routing leaves alone while it runs (also used by the reconciler). */
  moveLeader(cell: string, replica: string, callback: Parameters<CellSight["transferLeadership"]>[3]): void {
    this.movingCells.add(cell);
    this.dependencies.sight.transferLeadership(cell, replica, this.options.transferTimeoutUs, (result) => {
      this.movingCells.delete(cell);
      if (result.ok) this.dependencies.onLeaderMoved(cell, result.leader);
      callback(result);
    });
  }

  /** Where the users of every cell routed to (or led from) `region` enter once it is evacuated. */
  evacuationMoves(region: string, choices?: ReadonlyMap<string, TargetChoice>): Map<string, string> {
    const routing = this.dependencies.routing;
    const moves = new Map<string, string>();
    for (const cell of this.dependencies.sight.cells()) {
      if (routing.regionOfCell(cell.id) !== region && cell.leader?.region !== region) continue;
      const choice =
        choices?.get(cell.id) ??
        chooseReplica(
          cell,
          cell.replicas.filter((replica) => replica.region !== region),
          `regions other than ${region}`,
          this.options.limits,
        );
      const leaderRegion = choice.ok
        ? choice.replica.region
        : cell.leader !== null && cell.leader.region !== region
          ? cell.leader.region
          : null;
      moves.set(cell.id, this.nearestActive(leaderRegion ?? region, [region]));
    }
    return moves;
  }

  /** Capacity refusals of moving users as `moves` says (cell -> gateway region), from the measured load. */
  capacityCheck(moves: ReadonlyMap<string, string>): Refusal[] {
    const capacity = this.dependencies.capacity;
    if (capacity === undefined || moves.size === 0) return [];
    const routes = new Map(this.dependencies.sight.cells().map((cell) => [cell.id, this.dependencies.routing.regionOfCell(cell.id)]));
    return capacityRefusals(capacityShortfalls(routes, moves, (cell) => capacity.opsPerSecond(cell), capacity.limits));
  }

  /** `region` unless drained or excluded; else the nearest region that is neither. */
  private nearestActive(region: string, excluded: readonly string[]): string {
    const usable = (name: string): boolean => !excluded.includes(name) && !this.dependencies.routing.isDrained(name);
    if (usable(region)) return region;
    const topology = this.dependencies.cluster.topology;
    const active = topology.regions.map((entry) => entry.name).filter(usable);
    if (active.length === 0) return region;
    return [...active].sort((a, b) => topology.rttMs(region, a) - topology.rttMs(region, b) || (a < b ? -1 : 1))[0] as string;
  }

  /** The gateway for a leader in `region`: that region, unless drained (then the nearest active). */
  gatewayRegionFor(region: string): string {
    if (!this.dependencies.routing.isDrained(region)) return region;
    const topology = this.dependencies.cluster.topology;
    const active = topology.regions.map((entry) => entry.name).filter((name) => !this.dependencies.routing.isDrained(name));
    if (active.length === 0) return region;
    return [...active].sort((a, b) => topology.rttMs(region, a) - topology.rttMs(region, b) || (a < b ? -1 : 1))[0] as string;
  }

  private fallbackRegion(cell: CellView, leaving: string): string {
    if (cell.leader !== null && cell.leader.region !== leaving) return cell.leader.region;
    const topology = this.dependencies.cluster.topology;
    const others = topology.regions
      .map((entry) => entry.name)
      .filter((name) => name !== leaving && !this.dependencies.routing.isDrained(name));
    return [...others].sort((a, b) => topology.rttMs(leaving, a) - topology.rttMs(leaving, b) || (a < b ? -1 : 1))[0] ?? leaving;
  }

  private begin(request: ActionRequest): void {
    this.running = `${request.kind} ${request.target}`;
    this.runningSinceMs = this.nowMs();
    this.lastActionMs.set(request.target, this.nowMs());
  }

  private end(request: ActionRequest): void {
    this.running = null;
    this.lastActionMs.set(request.target, this.nowMs());
  }

  /** The audit entry of an action that ran (ok, partial or failed), with the rules it overrode and the routing versions around it. */
  private auditAction(
    request: ActionRequest,
    outcome: string,
    overrode: readonly SafetyRuleId[],
    before: number,
    after: number,
    details: Record<string, unknown>,
  ): void {
    this.dependencies.audit.append({
      atMs: this.nowMs(),
      actor: request.actor,
      kind: "action",
      action: request.kind,
      target: request.target,
      reason: request.reason ?? null,
      outcome,
      rule: null,
      overrodeRule: overrode.length === 0 ? null : overrode.join(","),
      routingVersionBefore: before,
      routingVersionAfter: after,
      details,
    });
  }

  private finishOk(
    request: ActionRequest,
    moved: { cell: string; leader: LeaderInfo }[],
    before: number,
    after: number,
    overrode: readonly SafetyRuleId[],
    callback: (outcome: ActionOutcome) => void,
    notes: readonly string[] = [],
  ): void {
    this.auditAction(request, notes.length === 0 ? "ok" : "partial", overrode, before, after, {
      moved,
      to: request.to ?? null,
      notes,
      startedMs: this.runningSinceMs,
    });
    callback({
      ok: true,
      kind: request.kind,
      target: request.target,
      moved,
      routingVersionBefore: before,
      routingVersion: after,
      overrodeRules: overrode,
    });
  }

  private finishFailed(
    request: ActionRequest,
    before: number,
    overrode: readonly SafetyRuleId[],
    error: { code: string; message: string },
    callback: (outcome: ActionOutcome) => void,
  ): void {
    this.auditAction(request, `failed: ${error.code}`, overrode, before, this.dependencies.routing.version, { error });
    callback({
      ok: false,
      code: error.code === "TARGET_BEHIND" || error.code === "TARGET_DOWN" || error.code === "NO_LEADER" ? "CONFLICT" : "INTERNAL",
      error: `${error.code}: ${error.message}`,
    });
  }

  private nowUs(): number {
    return this.dependencies.cluster.clock.nowUs();
  }

  private nowMs(): number {
    return Math.floor(this.nowUs() / 1000);
  }
}
