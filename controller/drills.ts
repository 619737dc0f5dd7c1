// Drill runs against the running world: started by an operator or a schedule, gated by safety
// rules like any action, stopped at a max duration, INTERRUPTED when a real fault (one the drill
// did not inject) appears while it runs, stored with its report.
import type { Clock } from "../ground/ports.js";
import type { AuditLog, DrillHandle, DrillService, FaultService, ScheduleStore } from "./ports.js";
import type { DrillPredictionRecord, DrillRunRecord, Result, SafetyRuleId, StopConditionsRecord } from "../domain/records.js";

export const drillRunsKeptMax = 200;

export interface DrillStartOptions {
  readonly seed?: number;
  readonly actor: string;
  readonly force?: boolean;
  readonly reason?: string;
  readonly schedule?: string | null;
  readonly maxDurationMs?: number;
  /** Default stop conditions (a schedule's), for a drill that has none of its own. */
  readonly stop?: StopConditionsRecord | null;
  /** Stop conditions for this run, instead of the drill's own (the run request's `stop`). */
  readonly stopOverride?: StopConditionsRecord | null;
  /** A rehearsal's prediction for this drill, kept with the run. */
  readonly prediction?: DrillPredictionRecord | null;
}

export interface DrillGate {
  /** Rules that forbid starting a drill now (e.g. a region is evacuated, a cell lacks quorum). */
  refusals(): readonly { readonly rule: SafetyRuleId; readonly error: string }[];
  /** The kill switch's refusal while it is on (not overridable by force), else null. */
  halted(what: string): { readonly ok: false; readonly code: "CONFLICT"; readonly error: string; readonly rule: "halted" } | null;
}

export class DrillRuns {
  private readonly runs: DrillRunRecord[];
  private active: { run: DrillRunRecord; handle: DrillHandle | null; timer: ReturnType<Clock["setTimer"]> | null } | null = null;
  private readonly listeners = new Set<(run: DrillRunRecord) => void>();

  constructor(
    private readonly dependencies: {
      readonly clock: Clock;
      readonly drills: DrillService;
      readonly faults: FaultService;
      readonly store: ScheduleStore;
      readonly audit: AuditLog;
      readonly gate: DrillGate;
      readonly defaultSeed: number;
    },
  ) {
    // Runs left "running" by a controller that stopped mid-drill never finished: say so.
    // Rows stored before runs carried seq/startedAt get them from the id (their wall time is unknown).
    this.runs = dependencies.store.runs().map((stored) => {
      const run: DrillRunRecord = {
        ...stored,
        seq: stored.seq ?? Number(/(\d+)$/.exec(stored.id)?.[1] ?? 0),
        startedAt: stored.startedAt ?? "",
        endedAt: stored.endedAt ?? null,
      };
      return run.state === "running"
        ? { ...run, state: "done", outcome: "INTERRUPTED", reasons: [...run.reasons, "controller restarted during the run"] }
        : run;
    });
    dependencies.faults.onChange((action, fault) => {
      if (action !== "injected" || this.active === null) return;
      if (this.dependencies.drills.ownsFault(fault.id)) return;
      this.active.handle?.interrupt(`a real fault appeared during the drill: ${fault.id} (${fault.type})`);
    });
  }

  onChange(listener: (run: DrillRunRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  list(): readonly DrillRunRecord[] {
    return this.runs;
  }

  get(id: string): DrillRunRecord | undefined {
    return this.runs.find((run) => run.id === id);
  }

  get running(): boolean {
    return this.active !== null;
  }

  start(name: string, options: DrillStartOptions): Result<DrillRunRecord> {
    if (!this.dependencies.drills.list().some((drill) => drill.name === name))
      return { ok: false, code: "NOT_FOUND", error: `no drill ${name}` };
    if (options.force === true && (options.reason === undefined || options.reason.trim() === ""))
      return { ok: false, code: "INVALID", error: "reason: a non-empty reason is required with force", field: "reason" };
    const halted = this.dependencies.gate.halted(`drill ${name}`);
    if (halted !== null) {
      this.dependencies.audit.append({
        atMs: this.nowMs(),
        actor: options.actor,
        kind: "refusal",
        action: "drill",
        target: name,
        reason: options.reason ?? null,
        outcome: "refused",
        rule: "halted",
        overrodeRule: null,
        routingVersionBefore: null,
        routingVersionAfter: null,
      });
      return halted;
    }
    if (this.active !== null)
      return {
        ok: false,
        code: "CONFLICT",
        error: `drill ${this.active.run.id} is still running; drills run one at a time`,
        rule: "wait-period",
      };
    const refusals = this.dependencies.gate.refusals();
    const nowMs = this.nowMs();
    if (refusals.length > 0) {
      const first = refusals[0] as { rule: SafetyRuleId; error: string };
      this.dependencies.audit.append({
        atMs: nowMs,
        actor: options.actor,
        kind: "refusal",
        action: "drill",
        target: name,
        reason: options.reason ?? null,
        outcome: options.force === true ? "overridden" : "refused",
        rule: first.rule,
        overrodeRule: null,
        routingVersionBefore: null,
        routingVersionAfter: null,
        details: { refusals },
      });
      if (options.force !== true)
        return { ok: false, code: "CONFLICT", error: refusals.map((refusal) => refusal.error).join("; "), rule: first.rule };
    }
    const seed = options.seed ?? this.dependencies.defaultSeed;
    const described = this.dependencies.drills.list().find((drill) => drill.name === name);
    const seq = this.dependencies.store.nextId("r");
    let run: DrillRunRecord = {
      id: `r-${seq}`,
      seq,
      startedAt: this.dependencies.store.wallTimeIso(),
      endedAt: null,
      drill: name,
      seed,
      state: "running",
      progressPct: 0,
      outcome: null,
      rtoMs: {},
      lostAckedTransfers: null,
      checkers: {},
      startedMs: nowMs,
      endedMs: null,
      reasons: [],
      schedule: options.schedule ?? null,
      stop: options.stopOverride ?? described?.stop ?? options.stop ?? null,
      stoppedBy: null,
      prediction: options.prediction ?? null,
    };
    this.runs.push(run);
    if (this.runs.length > drillRunsKeptMax) this.runs.shift();
    const overrode = refusals.length > 0 ? [...new Set(refusals.map((refusal) => refusal.rule))].join(",") : null;
    this.dependencies.audit.append({
      atMs: nowMs,
      actor: options.actor,
      kind: "drill",
      action: "start",
      target: name,
      reason: options.reason ?? null,
      outcome: run.id,
      rule: null,
      overrodeRule: overrode,
      routingVersionBefore: null,
      routingVersionAfter: null,
      details: { seed, schedule: options.schedule ?? null },
    });
    const slot: { run: DrillRunRecord; handle: DrillHandle | null; timer: ReturnType<Clock["setTimer"]> | null } = {
      run,
      handle: null,
      timer: null,
    };
    this.active = slot;
    this.publish(run, null);
    const update = (next: DrillRunRecord, report: string | null): void => {
      run = next;
      slot.run = next;
      const index = this.runs.findIndex((candidate) => candidate.id === next.id);
      if (index >= 0) this.runs[index] = next;
      this.publish(next, report);
    };
    const started = this.dependencies.drills.start(
      name,
      seed,
      {
        progress: (progress) => {
          if (run.state === "done") return;
          update({ ...run, progressPct: Math.max(run.progressPct, Math.min(99, Math.round(progress.progressPct))) }, null);
        },
        done: (result) => {
          if (run.state === "done") return;
          if (slot.timer !== null) this.dependencies.clock.cancelTimer(slot.timer);
          if (this.active === slot) this.active = null;
          update(
            {
              ...run,
              state: "done",
              progressPct: 100,
              outcome: result.outcome,
              rtoMs: result.rtoMs,
              lostAckedTransfers: result.lostAckedTransfers,
              checkers: result.checkers,
              reasons: [...result.reasons],
              endedMs: this.nowMs(),
              endedAt: this.dependencies.store.wallTimeIso(),
              stop: result.stop ?? run.stop ?? null,
              stoppedBy: result.stoppedBy ?? null,
            },
            result.reportHtml,
          );
          this.dependencies.audit.append({
            atMs: this.nowMs(),
            actor: options.actor,
            kind: "drill",
            action: "finish",
            target: name,
            reason: options.reason ?? null,
            outcome: result.outcome,
            rule: null,
            overrodeRule: null,
            routingVersionBefore: null,
            routingVersionAfter: null,
            details: { run: run.id, reasons: result.reasons, stoppedBy: result.stoppedBy ?? null },
          });
        },
      },
      run.id,
      {
        defaultStop: options.stop ?? null,
        ...(options.stopOverride ? { stop: options.stopOverride } : {}),
        prediction: options.prediction ?? null,
      },
    );
    if ("error" in started) {
      if (this.active === slot) this.active = null;
      update(
        {
          ...run,
          state: "done",
          outcome: "FAILED",
          endedMs: this.nowMs(),
          endedAt: this.dependencies.store.wallTimeIso(),
          reasons: [started.error],
        },
        null,
      );
      return { ok: true, value: run };
    }
    slot.handle = started;
    if (options.maxDurationMs !== undefined && run.state === "running") {
      slot.timer = this.dependencies.clock.setTimer(options.maxDurationMs * 1000, () => {
        slot.timer = null;
        started.interrupt(`exceeded maxDurationMs=${options.maxDurationMs}`);
      });
    }
    return { ok: true, value: run };
  }

  /** An operator stops the running drill `id`: its faults healed at once, ABORTED with `reason`, audited. */
  abort(id: string, reason: string, actor: string): Result<DrillRunRecord> {
    const run = this.get(id);
    if (run === undefined) return { ok: false, code: "NOT_FOUND", error: `no drill run ${id}` };
    const active = this.active;
    if (active === null || active.run.id !== id || active.handle === null)
      return {
        ok: false,
        code: "CONFLICT",
        error: `drill run ${id} is not running (state ${run.state}, outcome ${run.outcome ?? "none"})`,
      };
    this.dependencies.audit.append({
      atMs: this.nowMs(),
      actor,
      kind: "drill",
      action: "abort",
      target: run.drill,
      reason,
      outcome: "aborted",
      rule: null,
      overrodeRule: null,
      routingVersionBefore: null,
      routingVersionAfter: null,
      details: { run: id },
    });
    active.handle.abort(reason);
    return { ok: true, value: this.get(id) as DrillRunRecord };
  }

  /** The kill switch: the running drill (if any) ends INTERRUPTED, its faults healed. Returns its id. */
  interruptRunning(reason: string): string | null {
    const active = this.active;
    if (active === null || active.handle === null) return null;
    active.handle.interrupt(reason);
    return active.run.id;
  }

  private publish(run: DrillRunRecord, report: string | null): void {
    this.dependencies.store.saveRun(run, report);
    for (const listener of this.listeners) listener(run);
  }

  private nowMs(): number {
    return Math.floor(this.dependencies.clock.nowUs() / 1000);
  }
}
