// What the controller's decision logic needs from its edges: a durable audit log and schedule
// store (controller/store, SQLite), and the chaos module's faults and drills. Kept as interfaces
// so the logic stays deterministic and testable without a database or a chaos implementation.
import type {
  AuditEntry,
  DrillOutcome,
  DrillPredictionRecord,
  HaltState,
  DrillRunRecord,
  FaultRecord,
  Result,
  ScheduleRecord,
  StopConditionsRecord,
  StoppedByRecord,
} from "../domain/records.js";

export type AuditDraft = Omit<AuditEntry, "id" | "wallTime">;

export interface AuditLog {
  append(entry: AuditDraft): AuditEntry;
  /** Newest first. */
  query(query: { readonly limit?: number; readonly kind?: string }): AuditEntry[];
}

/** A schedule as stored: the API's record without what is derived (next run, last run). */
export interface StoredSchedule extends Omit<ScheduleRecord, "nextRunMs" | "lastRun" | "paused"> {
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
  /** Next free sequence number for ids of `kind` ("s", "r", "f"), persisted: unique across restarts. */
  nextId(kind: string): number;
  /** The wall clock (ISO 8601) that stored rows carry beside simulated time. */
  wallTimeIso(): string;
}

/** Who caused a fault change: `origin` injected the fault ("api", "nemesis", "drill:<run>"); `actor` did this change. */
export interface FaultChange {
  readonly origin: string;
  readonly actor: string;
  /** injected: the operator's reason, if given; healed/expired: why ("explicit", "heal-all", "lease", "duration", "completed"). */
  readonly reason?: string;
}

/** Where the kill switch's state is kept, so it survives a restart. */
export interface HaltStore {
  haltState(): HaltState | null;
  setHaltState(state: HaltState | null): void;
}

/** The chaos module's fault manager as the controller uses it. */
export interface FaultService {
  active(): readonly FaultRecord[];
  catalogue(): readonly unknown[];
  /** `actor`: the operator who asked (audited by the controller from the change notification). */
  inject(spec: unknown, actor: string, reason?: string): Result<FaultRecord>;
  /** The 400 a spec earns before anything runs (its form, its target's names against the world); null: none. */
  inputRefusal?(spec: unknown): { readonly error: string; readonly field: string } | null;
  heal(id: string, actor: string): Result<null>;
  healAll(actor: string): void;
  /** Injected / healed / expired notifications, from every source (API, drill, nemesis, lease expiry). */
  onChange(listener: (action: "injected" | "healed" | "expired", fault: FaultRecord, change: FaultChange) => void): () => void;
}

export interface DrillDescription {
  readonly name: string;
  readonly description: string;
  readonly durationMs: number;
  /** The drill's own stop conditions (null: none; a schedule's defaults then apply). */
  readonly stop?: StopConditionsRecord | null;
  /** The plan, for the page's timeline and countdown (simulated ms after the start). */
  readonly steps?: readonly { readonly atMs: number; readonly kind: string; readonly label: string }[];
  readonly expect?: { readonly rtoMsMax: number | null; readonly lostAckedTransfersMax: number; readonly checkers: readonly string[] };
}

export interface DrillProgress {
  readonly progressPct: number;
}

export interface DrillResult {
  readonly outcome: DrillOutcome;
  readonly rtoMs: Readonly<Record<string, number | null>>;
  readonly lostAckedTransfers: number | null;
  readonly checkers: Readonly<Record<string, unknown>>;
  readonly reasons: readonly string[];
  readonly reportHtml: string;
  readonly stop?: StopConditionsRecord | null;
  readonly stoppedBy?: StoppedByRecord | null;
}

export interface DrillHandle {
  /** Stops the drill early (heals what it injected) and reports INTERRUPTED with `reason` (a real fault, a time limit, the kill switch). */
  interrupt(reason: string): void;
  /** An operator stops the drill (heals what it injected); reported ABORTED with `reason`. */
  abort(reason: string): void;
}

export interface DrillStartOptions {
  /** Stop conditions for a drill that has none of its own (a schedule's defaults). */
  readonly defaultStop?: StopConditionsRecord | null;
  /** Stop conditions for this run instead of the drill's own (`stop` in the run request). */
  readonly stop?: StopConditionsRecord | null;
  /** A rehearsal's prediction for this drill, carried into the result and its report. */
  readonly prediction?: DrillPredictionRecord | null;
}

/** Runs chaos drills against the running world. */
export interface DrillService {
  list(): readonly DrillDescription[];
  /**
   * `runId`: the run's id, which is the actor of everything the drill does (its faults' origin is `drill:<runId>`).
   * `options`: stop conditions (a schedule's defaults, a run request's own) and a rehearsal's prediction.
   */
  start(
    name: string,
    seed: number,
    callbacks: { progress(progress: DrillProgress): void; done(result: DrillResult): void },
    runId: string,
    options?: DrillStartOptions,
  ): DrillHandle | { readonly error: string };
  /** Faults the drill itself injected (so a real fault can be told apart). */
  ownsFault(faultId: string): boolean;
}
