// What the controller's decision logic needs from its edges: a durable audit log and schedule
// store (controller/store, SQLite), and the chaos module's faults and drills. Kept as interfaces
// so the logic stays deterministic and testable without a database or a chaos implementation.
import type { AuditEntry, DrillRunRecord, FaultRecord, Result, ScheduleRecord } from "./types.js";

export type AuditDraft = Omit<AuditEntry, "id" | "wallTime">;

export interface AuditLog {
  append(entry: AuditDraft): AuditEntry;
  /** Newest first. */
  query(query: { readonly limit?: number; readonly kind?: string }): AuditEntry[];
}

/** A schedule as stored: the API's record without what is derived (next run, last run). */
export interface StoredSchedule extends Omit<ScheduleRecord, "nextRunMs" | "lastRun"> {
  /** Simulated ms of the last fire, so a restart does not re-run a fired slot. */
  readonly lastFiredMs: number | null;
}

export interface ScheduleStore {
  list(): StoredSchedule[];
  get(id: string): StoredSchedule | undefined;
  put(schedule: StoredSchedule): void;
  remove(id: string): boolean;
  saveRun(run: DrillRunRecord, report: string | null): void;
  runs(): DrillRunRecord[];
  report(id: string): string | undefined;
  /** Next free sequence number for ids of `kind` ("s", "r"). */
  nextId(kind: string): number;
}

/** The chaos module's fault manager as the controller uses it. */
export interface FaultService {
  active(): readonly FaultRecord[];
  catalogue(): readonly unknown[];
  inject(spec: unknown): Result<FaultRecord>;
  heal(id: string): Result<null>;
  healAll(): void;
  /** Injected / healed / expired notifications (from the API or by lease expiry). */
  onChange(listener: (action: "injected" | "healed" | "expired", fault: FaultRecord) => void): () => void;
}

export interface DrillDescription {
  readonly name: string;
  readonly description: string;
  readonly durationMs: number;
  /** The plan, for the page's timeline and countdown (simulated ms after the start). */
  readonly steps?: readonly { readonly atMs: number; readonly kind: string; readonly label: string }[];
  readonly expect?: { readonly rtoMsMax: number | null; readonly lostAckedTransfersMax: number; readonly checkers: readonly string[] };
}

export interface DrillProgress {
  readonly progressPct: number;
}

export interface DrillResult {
  readonly outcome: "SUCCEEDED" | "FAILED" | "INTERRUPTED";
  readonly rtoMs: Readonly<Record<string, number | null>>;
  readonly lostAckedTransfers: number | null;
  readonly checkers: Readonly<Record<string, unknown>>;
  readonly reasons: readonly string[];
  readonly reportHtml: string;
}

export interface DrillHandle {
  /** Stops the drill early (heals what it injected) and reports INTERRUPTED with `reason`. */
  abort(reason: string): void;
}

/** Runs chaos drills against the running world. */
export interface DrillService {
  list(): readonly DrillDescription[];
  /** `runId` names the run in its report. */
  start(name: string, seed: number, callbacks: { progress(progress: DrillProgress): void; done(result: DrillResult): void }, runId?: string): DrillHandle | { readonly error: string };
  /** Faults the drill itself injected (so a real fault can be told apart). */
  ownsFault(faultId: string): boolean;
}
