// One drill's steps on a running world: injects and heals its faults through the FaultManager,
// drives controller actions, checks mid-drill expectations, and notices a fault it did not inject
// (the drill is then INTERRUPTED: its measurements would mix two causes). Event-driven on the
// cluster's Clock, so the same code serves a drill in its own world and a scheduled drill in the
// controller's running world.
import type { ActionOutcome, ActionRequest, Result } from "../../domain/records.js";
import type { FaultWindow } from "../../harness/checkers/availability.js";
import type { Cluster } from "../../domain/cluster.js";
import type { TimerHandle } from "../../ground/ports.js";
import { faultWindowOf, type FaultEvent, type FaultManager } from "../fault-manager.js";
import { scheduleNemesis, type NemesisHandle } from "../nemesis.js";
import type { Drill, DrillAction, DrillStep } from "./format.js";
import { StopMonitor, describeStop, type StopConditions, type StopProbeWorld, type StoppedBy } from "./stop.js";

/** What a drill needs of the controller (domain/records.ts ControllerApi.act and its elastic cells). */
export interface DrillController {
  act(request: ActionRequest, callback: (outcome: ActionOutcome) => void): void;
  addCell?(reason: string, actor: string, callback: (result: Result<unknown>) => void): void;
  moveShards?(
    request: { readonly shards: unknown; readonly to: string; readonly reason: string; readonly actor: string },
    callback: (result: Result<unknown>) => void,
  ): void;
}

export interface StepRecord {
  readonly atMs: number;
  readonly kind: DrillStep["kind"];
  readonly field: string;
  readonly ok: boolean;
  readonly detail: string;
}

export const ACTION_TIMEOUT_US = 10_000_000;
export const STEP_RECORDS_MAX = 2_000;

export class DrillExecution {
  readonly windows: FaultWindow[] = [];
  readonly steps: StepRecord[] = [];
  interruption: string | null = null;
  /** Set when a stop condition was breached: the drill ended ABORTED. */
  stoppedBy: StoppedBy | null = null;
  /** Set when an operator aborted the drill: it ended ABORTED with this reason. */
  abortReason: string | null = null;
  private stopMonitor: StopMonitor | null = null;
  private readonly timers: TimerHandle[] = [];
  private readonly byStepName = new Map<string, string>();
  /** Per injected fault id, the hosts its target resolved to (an action may name "@step": the regions they are in). */
  private readonly hostsByFault = new Map<string, readonly string[]>();
  private readonly openWindows = new Map<string, FaultWindow>();
  private nemesis: NemesisHandle | null = null;
  private unsubscribe: (() => void) | null = null;
  private startedUs = 0;
  private finished = false;

  constructor(
    private readonly drill: Drill,
    private readonly cluster: Cluster,
    private readonly faults: FaultManager,
    private readonly controller: DrillController | null,
    /** Fault origin of this run, e.g. "drill:region-outage". */
    readonly origin: string,
    private readonly onInterrupted: (reason: string) => void = () => {},
    /** Where stop conditions are measured (the drill's stop, else `defaultStop`); none: not watched. */
    private readonly stopWatch: { readonly world: StopProbeWorld; readonly defaultStop?: StopConditions | null } | null = null,
  ) {}

  /** The stop conditions this run is watched by: the drill's own, else the default (a schedule's). */
  get stopConditions(): StopConditions | null {
    return this.drill.stop ?? this.stopWatch?.defaultStop ?? null;
  }

  get ended(): boolean {
    return this.finished;
  }

  /** The reason the drill ended before its planned end, if it did (interrupted, aborted, stopped). */
  get endedEarly(): string | null {
    if (this.interruption !== null) return this.interruption;
    if (this.stoppedBy !== null) return describeStop(this.stoppedBy);
    if (this.abortReason !== null) return `aborted: ${this.abortReason}`;
    return null;
  }

  /** An operator stops this drill now: faults healed at once, outcome ABORTED. Idempotent. */
  abort(reason: string): void {
    if (this.finished) return;
    this.abortReason = reason;
    this.finish();
    this.onInterrupted(`aborted: ${reason}`);
  }

  get startUs(): number {
    return this.startedUs;
  }

  progressPct(): number {
    if (this.finished) return 100;
    const elapsedUs = this.cluster.clock.nowUs() - this.startedUs;
    return Math.max(0, Math.min(99, Math.floor((elapsedUs / this.drill.durationUs) * 100)));
  }

  /** Schedules every step relative to now; `onEnd` runs at the drill's end, after the final heal. */
  start(onEnd: () => void): void {
    const clock = this.cluster.clock;
    this.startedUs = clock.nowUs();
    this.unsubscribe = this.faults.on((event) => this.onFault(event));
    for (const step of this.drill.steps) this.timers.push(clock.setTimer(step.atUs, () => this.apply(step)));
    const stop = this.stopConditions;
    if (stop !== null && this.stopWatch !== null) {
      this.stopMonitor = new StopMonitor(stop, this.stopWatch.world, this.startedUs, (stoppedBy) => {
        if (this.finished) return;
        this.stoppedBy = stoppedBy;
        this.finish();
        this.onInterrupted(describeStop(stoppedBy));
      });
      this.stopMonitor.start();
    }
    const nemesis = this.drill.nemesis;
    if (nemesis !== null) {
      this.nemesis = scheduleNemesis(
        { cluster: this.cluster },
        nemesis.families,
        {
          intervalUs: nemesis.intervalUs,
          startUs: this.startedUs + nemesis.fromUs,
          endUs: this.startedUs + nemesis.untilUs,
          origin: this.origin,
        },
        this.faults,
      );
    }
    this.timers.push(
      clock.setTimer(this.drill.durationUs, () => {
        this.finish();
        onEnd();
      }),
    );
  }

  /** Cancels what is pending and heals every fault of this drill (the final heal). Idempotent. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const timer of this.timers) this.cluster.clock.cancelTimer(timer);
    this.nemesis?.stop();
    this.stopMonitor?.stop();
    for (const fault of this.faults.active()) if (this.faults.originOf(fault.id) === this.origin) this.faults.heal(fault.id);
    this.unsubscribe?.();
    const nowUs = this.cluster.clock.nowUs();
    for (const window of this.openWindows.values()) window.endUs = nowUs;
    this.openWindows.clear();
  }

  private onFault(event: FaultEvent): void {
    if (event.origin !== this.origin) {
      if (event.kind === "injected" && this.interruption === null) {
        this.interruption = `a fault not injected by the drill appeared: ${event.fault.id} (${event.fault.type}, by ${event.origin}) at ${event.atUs / 1000} ms`;
        this.finish();
        this.onInterrupted(this.interruption);
      }
      return;
    }
    if (event.kind === "injected") {
      this.hostsByFault.set(event.fault.id, event.hosts);
      const window = faultWindowOf(event);
      this.openWindows.set(event.fault.id, window);
      this.windows.push(window);
      return;
    }
    const window = this.openWindows.get(event.fault.id);
    if (window === undefined) return;
    window.endUs = event.atUs;
    this.openWindows.delete(event.fault.id);
  }

  /** A step record for what happened on its own during the run (an automatic scale-out). */
  noteAction(field: string, ok: boolean, detail: string): void {
    if (this.steps.length >= STEP_RECORDS_MAX) return;
    this.steps.push({ atMs: (this.cluster.clock.nowUs() - this.startedUs) / 1000, kind: "action", field, ok, detail });
  }

  private record(step: DrillStep, ok: boolean, detail: string): void {
    if (this.steps.length >= STEP_RECORDS_MAX) return;
    this.steps.push({ atMs: (this.cluster.clock.nowUs() - this.startedUs) / 1000, kind: step.kind, field: step.field, ok, detail });
  }

  private apply(step: DrillStep): void {
    switch (step.kind) {
      case "inject": {
        const result = this.faults.injectSpec(step.spec, { origin: this.origin, field: step.field });
        if (result.ok) {
          this.byStepName.set(step.name, result.value.id);
          this.record(step, true, `${result.value.id} ${step.spec.type} on ${result.value.affects.hosts.join(", ")}`);
        } else {
          this.record(step, false, result.error);
        }
        return;
      }
      case "heal": {
        const ids =
          step.which === "all"
            ? this.faults
                .active()
                .filter((fault) => this.faults.originOf(fault.id) === this.origin)
                .map((fault) => fault.id)
            : [this.byStepName.get(step.which)].filter((id): id is string => id !== undefined);
        // Healing a fault that already ended (its duration passed) is fine: the goal is reached.
        for (const id of ids) if (this.faults.originOf(id) !== undefined) this.faults.heal(id);
        this.record(step, true, ids.length === 0 ? "nothing to heal" : `healed ${ids.join(", ")}`);
        return;
      }
      case "expect": {
        const problems: string[] = [];
        for (const cellId of step.unavailable) {
          const cell = this.cluster.cell(cellId);
          if (cell !== undefined && cell.quorumAvailable)
            problems.push(`${cellId} has a reachable quorum (leader ${cell.leader?.replica ?? "none"})`);
        }
        for (const cellId of step.available) {
          const cell = this.cluster.cell(cellId);
          if (cell === undefined || !cell.quorumAvailable || cell.leader === null)
            problems.push(`${cellId} is unavailable (quorum ${cell?.quorumAvailable ?? false}, leader ${cell?.leader?.replica ?? "none"})`);
        }
        const checked = [
          ...step.unavailable.map((cell) => `${cell} unavailable`),
          ...step.available.map((cell) => `${cell} available`),
        ].join(", ");
        this.record(step, problems.length === 0, problems.length === 0 ? `as expected: ${checked}` : problems.join("; "));
        return;
      }
      case "action":
        this.act(step, step.action);
        return;
    }
  }

  /** Elastic cells through the controller (or the runtime's stand-in for one, runtime/virtual/drill.ts). */
  private elastic(step: DrillStep, action: Extract<DrillAction, { kind: "add-cell" | "move-shards" }>): void {
    const controller = this.elasticController ?? this.controller;
    const reason = `drill ${this.drill.name}`;
    const answered = (result: Result<unknown>, what: (value: Record<string, unknown>) => string): void =>
      this.record(
        step,
        result.ok,
        result.ok
          ? what(result.value as Record<string, unknown>)
          : `${action.kind} refused (${result.code}${result.rule ? `, ${result.rule}` : ""}): ${result.error}`,
      );
    if (action.kind === "add-cell") {
      if (controller?.addCell === undefined)
        return this.record(step, false, "add-cell needs a runtime with elastic cells (the virtual runtime)");
      controller.addCell(reason, this.origin, (result) =>
        answered(
          result,
          (value) => `added ${String(value.cell)}, led from ${String(value.region)}: routing v${String(value.routingVersion)}`,
        ),
      );
      return;
    }
    if (controller?.moveShards === undefined)
      return this.record(step, false, "move-shards needs a runtime with elastic cells (the virtual runtime)");
    controller.moveShards({ shards: action.target, to: action.to, reason, actor: this.origin }, (result) => {
      const moved = result.ok ? (result.value as { state?: string; id?: string }) : null;
      this.record(
        step,
        result.ok && moved?.state === "cut-over",
        result.ok
          ? `${String(moved?.id)} ${action.target} -> ${action.to}: ${JSON.stringify(result.value)}`
          : `move-shards refused (${result.code}${result.rule ? `, ${result.rule}` : ""}): ${result.error}`,
      );
    });
  }

  /** Set when the run has no controller but its runtime can add cells and move shards. */
  elasticController: DrillController | null = null;

  /** An action's target: a name as written, or "@step": the region the named inject step hit (the first, in world order). */
  private targetOf(target: string): string | null {
    if (!target.startsWith("@")) return target;
    const id = this.byStepName.get(target.slice(1));
    const hosts = new Set(id === undefined ? [] : (this.hostsByFault.get(id) ?? []));
    const regions = this.cluster.topology.regions
      .map((region) => region.name)
      .filter((region) => this.cluster.faults.hosts().some((host) => host.region === region && hosts.has(host.id)));
    return regions[0] ?? null;
  }

  private act(step: DrillStep, written: DrillAction): void {
    if (written.kind === "add-cell" || written.kind === "move-shards") {
      this.elastic(step, written);
      return;
    }
    const target = this.targetOf(written.target);
    if (target === null) {
      this.record(step, false, `${written.kind} ${written.target}: that step injected nothing, so there is no region to act on`);
      return;
    }
    const action: DrillAction = { ...written, target };
    if (this.controller !== null) {
      const request: ActionRequest = {
        kind: action.kind,
        target: action.target,
        ...(action.kind === "failover" ? { to: action.to } : {}),
        reason: `drill ${this.drill.name}`,
        actor: this.origin,
      };
      this.controller.act(request, (outcome) =>
        this.record(
          step,
          outcome.ok,
          outcome.ok
            ? `${action.kind} ${action.target}: routing v${outcome.routingVersion}`
            : `${action.kind} ${action.target} refused (${outcome.code}${outcome.rule ? `, ${outcome.rule}` : ""}): ${outcome.error}`,
        ),
      );
      return;
    }
    if (action.kind !== "failover") {
      this.record(step, false, `${action.kind} needs the controller, and this run has none (run the drill from ldc start)`);
      return;
    }
    // Without a controller a failover is a plain Raft leadership transfer to a replica there.
    const cell = this.cluster.cell(action.target);
    const replica = cell?.replicas.find((entry) => entry.datacenter === action.to || entry.region === action.to);
    if (cell === undefined || replica === undefined) {
      this.record(step, false, `failover ${action.target}: no replica in ${action.to}`);
      return;
    }
    this.cluster.transferLeadership(action.target, replica.id, ACTION_TIMEOUT_US, (result) =>
      this.record(
        step,
        result.ok,
        result.ok
          ? `failover ${action.target}: leader ${result.leader.replica}`
          : `failover ${action.target}: ${result.error.code} ${result.error.message}`,
      ),
    );
  }
}
