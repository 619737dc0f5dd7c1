// Drill schedules: a cron expression evaluated on SIMULATED time (world time 0 is mapped to a
// fixed epoch, so the same seed fires at the same simulated instants), allowed/blocked daily
// windows, a max duration. Kept in the store, so they survive a controller restart.
import { CronExpressionParser } from "cron-parser";
import { z } from "zod";
import type { Clock, TimerHandle } from "../ground/ports.js";
import type { DrillRuns } from "./drills.js";
import type { AuditLog, ScheduleStore, StoredSchedule } from "./ports.js";
import type { Result, ScheduleRecord, StopConditionsRecord } from "../domain/records.js";
import { stopConditionsOf, stopSchemaShape, type StopInput } from "../chaos/drill/format.js";
import { stopSummary } from "../chaos/drill/result.js";
import { ChaosError } from "../chaos/errors.js";

/** A schedule's `stop` as the record keeps it (ms), or the 400 naming the field. */
export function scheduleStop(
  input: StopInput | undefined,
): { ok: true; value: StopConditionsRecord | null } | { ok: false; code: "INVALID"; error: string; field: string } {
  try {
    return { ok: true, value: stopSummary(stopConditionsOf(input, "stop")) };
  } catch (error) {
    if (error instanceof ChaosError) return { ok: false, code: "INVALID", error: `${error.field}: ${error.reason}`, field: error.field };
    throw error;
  }
}

/** Simulated time 0 is this instant (UTC), a Thursday midnight: cron fields read naturally. */
export const SIMULATED_EPOCH_MS = Date.UTC(2026, 0, 1);
export const schedulesMax = 100;
export const maxDurationMsDefault = 600_000;
export const maxDurationMsMax = 24 * 3_600_000;

const WINDOW_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$/;

function cronValid(expression: string): boolean {
  try {
    CronExpressionParser.parse(expression, { tz: "UTC" });
    return expression.trim().split(/\s+/).length >= 5;
  } catch {
    return false;
  }
}

const windowSchema = z.string().regex(WINDOW_PATTERN, "a daily UTC window HH:MM-HH:MM");

export const scheduleBodySchema = z.strictObject({
  drill: z.string().min(1).max(100),
  cron: z.string().min(1).max(200).refine(cronValid, 'a cron expression (5 or 6 fields, e.g. "*/5 * * * *")'),
  allowedWindows: z.array(windowSchema).max(24).optional(),
  blockedWindows: z.array(windowSchema).max(24).optional(),
  maxDurationMs: z.number().int().min(1000).max(maxDurationMsMax).optional(),
  enabled: z.boolean().optional(),
  /** Default stop conditions for runs of a drill that has none of its own. */
  stop: stopSchemaShape().optional(),
});

export const scheduleUpdateSchema = scheduleBodySchema.partial();

export type ScheduleBody = z.infer<typeof scheduleBodySchema>;

function minutesOfDay(text: string): number {
  const [hours, minutes] = text.split(":").map(Number) as [number, number];
  return hours * 60 + minutes;
}

/** Inside `window` ("HH:MM-HH:MM", may wrap midnight) at simulated `atMs`. */
export function inWindow(window: string, atMs: number): boolean {
  const [start, end] = window.split("-") as [string, string];
  const minute = Math.floor(((SIMULATED_EPOCH_MS + atMs) % 86_400_000) / 60_000);
  const from = minutesOfDay(start);
  const to = minutesOfDay(end);
  return from <= to ? minute >= from && minute < to : minute >= from || minute < to;
}

export function windowsAllow(schedule: Pick<StoredSchedule, "allowedWindows" | "blockedWindows">, atMs: number): boolean {
  if (schedule.blockedWindows.some((window) => inWindow(window, atMs))) return false;
  return schedule.allowedWindows.length === 0 || schedule.allowedWindows.some((window) => inWindow(window, atMs));
}

/** The first cron slot strictly after simulated `afterMs`, in simulated ms. */
export function nextFireMs(cron: string, afterMs: number): number {
  const expression = CronExpressionParser.parse(cron, { tz: "UTC", currentDate: new Date(SIMULATED_EPOCH_MS + afterMs) });
  return expression.next().getTime() - SIMULATED_EPOCH_MS;
}

export class DrillScheduler {
  private readonly timers = new Map<string, { atMs: number; handle: TimerHandle }>();

  constructor(
    private readonly dependencies: {
      readonly clock: Clock;
      readonly store: ScheduleStore;
      readonly runs: DrillRuns;
      readonly audit: AuditLog;
      readonly drillExists: (name: string) => boolean;
      /** True while the kill switch is on: slots are skipped (and audited) until it is released. */
      readonly paused?: () => boolean;
      /** False while the controller's decision loop has no host (no control leader with a quorum): slots are skipped (and audited). */
      readonly hosted?: () => boolean;
    },
  ) {
    for (const schedule of dependencies.store.list()) this.arm(schedule);
  }

  list(): ScheduleRecord[] {
    return this.dependencies.store.list().map((schedule) => this.record(schedule));
  }

  create(body: ScheduleBody, actor: string): Result<ScheduleRecord> {
    if (!this.dependencies.drillExists(body.drill)) return unknownDrill(body.drill);
    const stop = scheduleStop(body.stop);
    if (!stop.ok) return stop;
    if (this.dependencies.store.list().length >= schedulesMax)
      return { ok: false, code: "CONFLICT", error: `at most ${schedulesMax} schedules (schedulesMax)` };
    const schedule: StoredSchedule = {
      id: `s-${this.dependencies.store.nextId("s")}`,
      drill: body.drill,
      cron: body.cron,
      allowedWindows: body.allowedWindows ?? [],
      blockedWindows: body.blockedWindows ?? [],
      maxDurationMs: body.maxDurationMs ?? maxDurationMsDefault,
      enabled: body.enabled ?? true,
      stop: stop.value,
      lastFiredMs: null,
    };
    this.dependencies.store.put(schedule);
    this.arm(schedule);
    this.auditChange(actor, "create", schedule);
    return { ok: true, value: this.record(schedule) };
  }

  update(id: string, body: Partial<ScheduleBody>, actor: string): Result<ScheduleRecord> {
    const existing = this.dependencies.store.get(id);
    if (existing === undefined) return { ok: false, code: "NOT_FOUND", error: `no schedule ${id}` };
    if (body.drill !== undefined && !this.dependencies.drillExists(body.drill)) return unknownDrill(body.drill);
    const stop = scheduleStop(body.stop);
    if (!stop.ok) return stop;
    const schedule: StoredSchedule = {
      ...existing,
      ...Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined)),
      ...(body.stop === undefined ? {} : { stop: stop.value }),
    };
    this.dependencies.store.put(schedule);
    this.arm(schedule);
    this.auditChange(actor, "update", schedule);
    return { ok: true, value: this.record(schedule) };
  }

  remove(id: string, actor: string): Result<null> {
    const existing = this.dependencies.store.get(id);
    if (existing === undefined) return { ok: false, code: "NOT_FOUND", error: `no schedule ${id}` };
    this.disarm(id);
    this.dependencies.store.remove(id);
    this.auditChange(actor, "delete", existing);
    return { ok: true, value: null };
  }

  private record(schedule: StoredSchedule): ScheduleRecord {
    const runs = this.dependencies.runs.list().filter((run) => run.schedule === schedule.id);
    return {
      id: schedule.id,
      drill: schedule.drill,
      cron: schedule.cron,
      allowedWindows: schedule.allowedWindows,
      blockedWindows: schedule.blockedWindows,
      maxDurationMs: schedule.maxDurationMs,
      enabled: schedule.enabled,
      stop: schedule.stop ?? null,
      paused: this.dependencies.paused?.() ?? false,
      nextRunMs: schedule.enabled ? (this.timers.get(schedule.id)?.atMs ?? null) : null,
      lastRun: runs[runs.length - 1] ?? null,
    };
  }

  private arm(schedule: StoredSchedule): void {
    this.disarm(schedule.id);
    if (!schedule.enabled) return;
    const nowMs = this.nowMs();
    const atMs = nextFireMs(schedule.cron, nowMs);
    const handle = this.dependencies.clock.setTimer(Math.max(0, (atMs - nowMs) * 1000), () => this.fire(schedule.id, atMs));
    this.timers.set(schedule.id, { atMs, handle });
  }

  private disarm(id: string): void {
    const timer = this.timers.get(id);
    if (timer !== undefined) this.dependencies.clock.cancelTimer(timer.handle);
    this.timers.delete(id);
  }

  private fire(id: string, slotMs: number): void {
    this.timers.delete(id);
    const schedule = this.dependencies.store.get(id);
    if (schedule === undefined || !schedule.enabled) return;
    const fired: StoredSchedule = { ...schedule, lastFiredMs: slotMs };
    this.dependencies.store.put(fired);
    if (this.dependencies.paused?.() === true) this.auditSkip(id, schedule, "chaos is halted (kill switch)", "halted");
    else if (this.dependencies.hosted?.() === false)
      this.auditSkip(id, schedule, "the controller has no host: the control group has no leader with a quorum", "control-quorum");
    else if (!windowsAllow(schedule, slotMs)) this.auditSkip(id, schedule, "outside the allowed windows or inside a blocked one", null);
    else {
      const started = this.dependencies.runs.start(schedule.drill, {
        actor: `schedule:${id}`,
        schedule: id,
        maxDurationMs: schedule.maxDurationMs,
        stop: schedule.stop ?? null,
      });
      if (!started.ok) this.auditSkip(id, schedule, started.error, started.rule ?? null, "refused");
    }
    this.arm(fired);
  }

  /** A slot that fired without starting its drill: why, the rule that said so, skipped or refused. */
  private auditSkip(
    id: string,
    schedule: StoredSchedule,
    reason: string,
    rule: string | null,
    outcome: "skipped" | "refused" = "skipped",
  ): void {
    this.dependencies.audit.append({
      atMs: this.nowMs(),
      actor: `schedule:${id}`,
      kind: "schedule",
      action: "skip",
      target: schedule.drill,
      reason,
      outcome,
      rule,
      overrodeRule: null,
      routingVersionBefore: null,
      routingVersionAfter: null,
    });
  }

  private auditChange(actor: string, action: string, schedule: StoredSchedule): void {
    this.dependencies.audit.append({
      atMs: this.nowMs(),
      actor,
      kind: "schedule",
      action,
      target: schedule.id,
      reason: null,
      outcome: "ok",
      rule: null,
      overrodeRule: null,
      routingVersionBefore: null,
      routingVersionAfter: null,
      details: { drill: schedule.drill, cron: schedule.cron },
    });
  }

  private nowMs(): number {
    return Math.floor(this.dependencies.clock.nowUs() / 1000);
  }
}

function unknownDrill(drill: string): Result<never> {
  return {
    ok: false,
    code: "INVALID",
    error: `drill: one of the drills of GET /api/v1/drills, got ${JSON.stringify(drill)}`,
    field: "drill",
  };
}
