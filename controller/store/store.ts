// The controller's durable state in SQLite (better-sqlite3): the audit log, drill schedules and
// drill runs with their reports. One file in the data directory; WAL mode so the API can read
// while the simulation writes. Synchronous by design: an audit record is on disk before the
// action's answer leaves.
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { AuditDraft, AuditLog, HaltStore, ScheduleStore, StoredSchedule } from "../ports.js";
import type { AuditEntry, DrillRunRecord, HaltState } from "../../domain/records.js";

export const auditQueryLimitMax = 1000;
export const auditQueryLimitDefault = 100;

interface AuditRow {
  id: number;
  at_ms: number;
  wall_time: string;
  actor: string;
  kind: AuditEntry["kind"];
  action: string;
  target: string;
  reason: string | null;
  outcome: string;
  rule: string | null;
  overrode_rule: string | null;
  routing_version_before: number | null;
  routing_version_after: number | null;
  details: string | null;
}

export class ControllerStore implements AuditLog, ScheduleStore, HaltStore {
  private readonly db: Database.Database;

  constructor(
    readonly dataDirectory: string,
    private readonly wallClockIso: () => string,
  ) {
    mkdirSync(dataDirectory, { recursive: true });
    this.db = new Database(path.join(dataDirectory, "controller.sqlite"));
    this.db.pragma("journal_mode = WAL");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, wall_time TEXT NOT NULL, actor TEXT NOT NULL,
        kind TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, reason TEXT, outcome TEXT NOT NULL,
        rule TEXT, overrode_rule TEXT, routing_version_before INTEGER, routing_version_after INTEGER, details TEXT);
      CREATE INDEX IF NOT EXISTS audit_kind ON audit(kind, id);
      CREATE TABLE IF NOT EXISTS schedules (id TEXT PRIMARY KEY, body TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS runs (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, body TEXT NOT NULL, report TEXT);
      CREATE TABLE IF NOT EXISTS sequences (kind TEXT PRIMARY KEY, next INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, body TEXT NOT NULL);
    `);
  }

  close(): void {
    this.db.close();
  }

  append(entry: AuditDraft): AuditEntry {
    const wallTime = this.wallClockIso();
    const info = this.db
      .prepare(
        `INSERT INTO audit (at_ms, wall_time, actor, kind, action, target, reason, outcome, rule, overrode_rule, routing_version_before, routing_version_after, details)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        entry.atMs,
        wallTime,
        entry.actor,
        entry.kind,
        entry.action,
        entry.target,
        entry.reason,
        entry.outcome,
        entry.rule,
        entry.overrodeRule,
        entry.routingVersionBefore,
        entry.routingVersionAfter,
        entry.details === undefined ? null : JSON.stringify(entry.details),
      );
    return { ...entry, id: Number(info.lastInsertRowid), wallTime };
  }

  query(query: { readonly limit?: number; readonly kind?: string }): AuditEntry[] {
    const limit = Math.min(auditQueryLimitMax, Math.max(1, query.limit ?? auditQueryLimitDefault));
    const rows = (
      query.kind === undefined
        ? this.db.prepare("SELECT * FROM audit ORDER BY id DESC LIMIT ?").all(limit)
        : this.db.prepare("SELECT * FROM audit WHERE kind = ? ORDER BY id DESC LIMIT ?").all(query.kind, limit)
    ) as AuditRow[];
    return rows.map((row) => ({
      id: row.id,
      atMs: row.at_ms,
      wallTime: row.wall_time,
      actor: row.actor,
      kind: row.kind,
      action: row.action,
      target: row.target,
      reason: row.reason,
      outcome: row.outcome,
      rule: row.rule,
      overrodeRule: row.overrode_rule,
      routingVersionBefore: row.routing_version_before,
      routingVersionAfter: row.routing_version_after,
      ...(row.details === null ? {} : { details: JSON.parse(row.details) as unknown }),
    }));
  }

  list(): StoredSchedule[] {
    return (this.db.prepare("SELECT body FROM schedules ORDER BY id").all() as { body: string }[]).map(
      (row) => JSON.parse(row.body) as StoredSchedule,
    );
  }

  get(id: string): StoredSchedule | undefined {
    const row = this.db.prepare("SELECT body FROM schedules WHERE id = ?").get(id) as { body: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.body) as StoredSchedule);
  }

  put(schedule: StoredSchedule): void {
    this.db
      .prepare("INSERT INTO schedules (id, body) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body")
      .run(schedule.id, JSON.stringify(schedule));
  }

  remove(id: string): boolean {
    return this.db.prepare("DELETE FROM schedules WHERE id = ?").run(id).changes > 0;
  }

  saveRun(run: DrillRunRecord, report: string | null): void {
    const seq = Number(/(\d+)$/.exec(run.id)?.[1] ?? 0);
    this.db
      .prepare(
        "INSERT INTO runs (id, seq, body, report) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body, report = COALESCE(excluded.report, runs.report)",
      )
      .run(run.id, seq, JSON.stringify(run), report);
  }

  runs(): DrillRunRecord[] {
    return (this.db.prepare("SELECT body FROM runs ORDER BY seq").all() as { body: string }[]).map(
      (row) => JSON.parse(row.body) as DrillRunRecord,
    );
  }

  report(id: string): string | undefined {
    const row = this.db.prepare("SELECT report FROM runs WHERE id = ?").get(id) as { report: string | null } | undefined;
    return row?.report ?? undefined;
  }

  haltState(): HaltState | null {
    const row = this.db.prepare("SELECT body FROM settings WHERE key = 'halt'").get() as { body: string } | undefined;
    return row === undefined ? null : (JSON.parse(row.body) as HaltState);
  }

  setHaltState(state: HaltState | null): void {
    if (state === null) this.db.prepare("DELETE FROM settings WHERE key = 'halt'").run();
    else
      this.db
        .prepare("INSERT INTO settings (key, body) VALUES ('halt', ?) ON CONFLICT(key) DO UPDATE SET body = excluded.body")
        .run(JSON.stringify(state));
  }

  wallTimeIso(): string {
    return this.wallClockIso();
  }

  nextId(kind: string): number {
    const next = this.db.transaction(() => {
      const row = this.db.prepare("SELECT next FROM sequences WHERE kind = ?").get(kind) as { next: number } | undefined;
      const value = row?.next ?? 1;
      this.db
        .prepare("INSERT INTO sequences (kind, next) VALUES (?, ?) ON CONFLICT(kind) DO UPDATE SET next = excluded.next")
        .run(kind, value + 1);
      return value;
    })();
    return next;
  }
}
