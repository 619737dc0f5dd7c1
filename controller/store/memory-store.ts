// The controller's store kept in memory: for a world that exists only for a moment (a rehearsal's
// simulated copy), where nothing must outlive the answer and nothing may touch the real data
// directory. Bounded like the SQLite store's queries; the audit keeps the newest entries only.
import type { AuditDraft, AuditLog, HaltStore, ScheduleStore, StoredSchedule } from "../ports.js";
import type { AuditEntry, DrillRunRecord, HaltState } from "../../domain/records.js";

export const memoryAuditEntriesMax = 10_000;

export class MemoryStore implements AuditLog, ScheduleStore, HaltStore {
  private readonly entries: AuditEntry[] = [];
  private readonly schedules = new Map<string, StoredSchedule>();
  private readonly runRecords = new Map<string, { run: DrillRunRecord; report: string | null }>();
  private readonly sequences = new Map<string, number>();
  private halt: HaltState | null = null;
  private nextAuditId = 1;

  constructor(private readonly wallClockIso: () => string) {}

  wallTimeIso(): string {
    return this.wallClockIso();
  }

  append(entry: AuditDraft): AuditEntry {
    const stored: AuditEntry = { ...entry, id: this.nextAuditId++, wallTime: this.wallClockIso() };
    this.entries.push(stored);
    if (this.entries.length > memoryAuditEntriesMax) this.entries.shift();
    return stored;
  }

  query(query: { readonly limit?: number; readonly kind?: string }): AuditEntry[] {
    const matching = query.kind === undefined ? this.entries : this.entries.filter((entry) => entry.kind === query.kind);
    return matching.slice(-(query.limit ?? 100)).reverse();
  }

  list(): StoredSchedule[] {
    return [...this.schedules.values()];
  }

  get(id: string): StoredSchedule | undefined {
    return this.schedules.get(id);
  }

  put(schedule: StoredSchedule): void {
    this.schedules.set(schedule.id, schedule);
  }

  remove(id: string): boolean {
    return this.schedules.delete(id);
  }

  saveRun(run: DrillRunRecord, report: string | null): void {
    this.runRecords.set(run.id, { run, report: report ?? this.runRecords.get(run.id)?.report ?? null });
  }

  runs(): DrillRunRecord[] {
    return [...this.runRecords.values()].map((entry) => entry.run);
  }

  report(id: string): string | undefined {
    return this.runRecords.get(id)?.report ?? undefined;
  }

  nextId(kind: string): number {
    const next = this.sequences.get(kind) ?? 1;
    this.sequences.set(kind, next + 1);
    return next;
  }

  haltState(): HaltState | null {
    return this.halt;
  }

  setHaltState(state: HaltState | null): void {
    this.halt = state;
  }

  close(): void {}
}
