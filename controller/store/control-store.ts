// A control replica's local materialized store (docs/architecture.md "The control plane"): SQLite
// (better-sqlite3) tables mirroring what that replica's control state machine holds: the audit log,
// the current routing version, the fault records and the drill runs. It is NOT the source of
// truth: the replicated control log is. `sync` brings the tables to the state machine's applied
// state (called by the replica's process as it applies); after a wipe (a lost or corrupted file),
// the replica's state machine is rebuilt from its log (snapshot + WAL, cells/replica.ts recovery)
// and the next `sync` writes the same rows again.
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { AuditEntry } from "../../domain/records.js";
import type { ControlDrillRun, ControlFault, ControlRouting, ControlStateMachine } from "../control/state-machine.js";

export interface ControlStoreRows {
  readonly appliedIndex: number;
  readonly audit: readonly AuditEntry[];
  readonly routing: ControlRouting | null;
  readonly faults: readonly ControlFault[];
  readonly drills: readonly ControlDrillRun[];
}

export class ControlReplicaStore {
  private readonly db: Database.Database;
  /** Invariant: the ids of the audit rows in the table. */
  private readonly auditIds = new Set<number>();
  private syncedIndex = 0;
  /** Rows written since the store opened (the tests and the figures). */
  rowsWritten = 0;

  /** `file`: a path, or null for an in-memory database (a world without a data directory). */
  constructor(file: string | null) {
    if (file !== null) mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file ?? ":memory:");
    if (file !== null) this.db.pragma("journal_mode = WAL");
    this.create();
    for (const row of this.db.prepare("SELECT id FROM audit").all() as { id: number }[]) this.auditIds.add(row.id);
    this.syncedIndex = this.appliedIndex();
  }

  close(): void {
    this.db.close();
  }

  /** Everything gone, as after losing the file: the next sync rewrites it from the state machine. */
  wipe(): void {
    this.db.exec(
      "DROP TABLE IF EXISTS audit; DROP TABLE IF EXISTS routing; DROP TABLE IF EXISTS faults; DROP TABLE IF EXISTS drills; DROP TABLE IF EXISTS meta;",
    );
    this.create();
    this.auditIds.clear();
    this.syncedIndex = 0;
  }

  /** The index of the last control entry the tables reflect (0: none). */
  appliedIndex(): number {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'applied'").get() as { value: number } | undefined;
    return row?.value ?? 0;
  }

  /**
   * Brings the tables to `state` when it applied past what they reflect (a replica still
   * recovering its state machine from its log is behind them: it writes once it caught up).
   */
  sync(state: ControlStateMachine): void {
    if (state.applied <= this.syncedIndex) return;
    const audit = state.audit();
    const write = this.db.transaction(() => {
      const insert = this.db.prepare("INSERT OR REPLACE INTO audit (id, body) VALUES (?, ?)");
      const kept = new Set<number>();
      for (const entry of audit) {
        kept.add(entry.id);
        if (this.auditIds.has(entry.id)) continue;
        insert.run(entry.id, JSON.stringify(entry));
        this.auditIds.add(entry.id);
        this.rowsWritten++;
      }
      // The state machine keeps a bounded audit log: so does its mirror.
      if (kept.size < this.auditIds.size) {
        const remove = this.db.prepare("DELETE FROM audit WHERE id = ?");
        for (const id of [...this.auditIds]) {
          if (kept.has(id)) continue;
          remove.run(id);
          this.auditIds.delete(id);
        }
      }
      const routing = state.routing;
      this.db.exec("DELETE FROM routing");
      if (routing !== null)
        this.db.prepare("INSERT INTO routing (version, body) VALUES (?, ?)").run(routing.version, JSON.stringify(routing));
      this.replaceAll("faults", state.faults());
      this.replaceAll("drills", state.drills());
      this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('applied', ?)").run(state.applied);
    });
    write();
    this.syncedIndex = state.applied;
  }

  rows(): ControlStoreRows {
    const bodies = <T>(sql: string): T[] => (this.db.prepare(sql).all() as { body: string }[]).map((row) => JSON.parse(row.body) as T);
    return {
      appliedIndex: this.appliedIndex(),
      audit: bodies<AuditEntry>("SELECT body FROM audit ORDER BY id"),
      routing: bodies<ControlRouting>("SELECT body FROM routing")[0] ?? null,
      faults: bodies<ControlFault>("SELECT body FROM faults ORDER BY id"),
      drills: bodies<ControlDrillRun>("SELECT body FROM drills ORDER BY id"),
    };
  }

  private replaceAll(table: "faults" | "drills", records: readonly { readonly id: string }[]): void {
    this.db.exec(`DELETE FROM ${table}`);
    const insert = this.db.prepare(`INSERT INTO ${table} (id, body) VALUES (?, ?)`);
    for (const record of records) {
      insert.run(record.id, JSON.stringify(record));
      this.rowsWritten++;
    }
  }

  private create(): void {
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS routing (version INTEGER PRIMARY KEY, body TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS faults (id TEXT PRIMARY KEY, body TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS drills (id TEXT PRIMARY KEY, body TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    `);
  }
}
