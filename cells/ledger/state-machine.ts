// The ledger as the replicated state machine of a cell's Raft group. The replica hands it
// committed entries in log order; every replica computes the same outcome, but only the leader's
// goes back to the client.

import { parseRequest } from "./commands.js";
import { LedgerError } from "./errors.js";
import { Ledger, type LedgerOptions } from "./ledger.js";
import type { LedgerEventBody } from "./events.js";
import { malformedOutcome, type LedgerBatchOutcome, type LedgerOutcome } from "./outcome.js";
import { batchRequestId, decodeBatchCached, LedgerCodecError } from "./codec.js";
import type { LedgerSnapshot } from "./snapshot.js";
import { decodedJson, EncodedJson, jsonObjectText, jsonOf, withEncodedJson } from "../encoded-json.js";

/** A committed log entry as cells/replica.ts hands it over. */
export interface CommittedEntry {
  readonly index: number;
  readonly term: number;
  readonly data: unknown;
}

/** Structurally the StateMachine of cells/replica.ts (declared here so the ledger does not depend on it). */
export interface ReplicatedStateMachine {
  apply(entry: CommittedEntry, answer?: boolean): unknown;
  requestIdOf?(data: unknown): string | null;
  snapshot(): unknown;
  beginSnapshot?(): SnapshotTask;
  restore(snapshot: unknown): void;
}

/**
 * A snapshot being built: the state as of entry `index`, encoded `step(n)` units at a time
 * (true once done) while entries after `index` go on being applied; then `result()`.
 */
export interface SnapshotTask<T = unknown> {
  readonly index: number;
  step(units: number): boolean;
  result(): T;
}

export const LEDGER_STATE_MACHINE_FORMAT = "ldc-ledger-sm/1";

export interface LedgerStateMachineSnapshot {
  readonly format: typeof LEDGER_STATE_MACHINE_FORMAT;
  /** Raft index and term of the last entry applied. */
  readonly appliedIndex: number;
  readonly appliedTerm: number;
  readonly ledger: LedgerSnapshot;
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function snapshotJson(appliedIndex: number, appliedTerm: number, ledger: LedgerSnapshot): string {
  return jsonObjectText({ format: LEDGER_STATE_MACHINE_FORMAT, appliedIndex, appliedTerm }, [["ledger", jsonOf(ledger)]]);
}

export class LedgerStateMachine implements ReplicatedStateMachine {
  private current: Ledger;
  private lastIndex = 0;
  private lastTerm = 0;

  /**
   * `onEvent` sees every event this replica appends, with its chain hash, in order (the
   * simulator's harness keeps the cell's full event log with it even after compaction).
   */
  constructor(
    private readonly options: Partial<LedgerOptions> = {},
    private readonly onEvent?: (eventIndex: number, event: LedgerEventBody, hash: string) => void,
  ) {
    this.current = new Ledger(options);
  }

  /** The ledger itself, for queries (replaced on restore: do not hold on to it). */
  get ledger(): Ledger {
    return this.current;
  }

  get appliedIndex(): number {
    return this.lastIndex;
  }

  get appliedTerm(): number {
    return this.lastTerm;
  }

  /**
   * Applies one committed entry. Entries must come in strictly increasing index order (gaps are
   * fine: the replica filters no-ops); anything else is a replica bug and throws
   * APPLY_OUT_OF_ORDER. `data` is a batch's bytes (cells/ledger/codec.ts): the answer is an
   * outcome per command (none when `answer` is false: no one waits for them on this replica).
   * The JSON `{requestId, command}` of a WAL from before batches is applied
   * as before. Malformed data is a typed rejection, never an exception.
   */
  apply(entry: CommittedEntry, answer = true): LedgerOutcome | LedgerBatchOutcome {
    if (!Number.isSafeInteger(entry.index) || entry.index <= this.lastIndex) {
      throw new LedgerError("APPLY_OUT_OF_ORDER", `entry ${entry.index} applied after ${this.lastIndex}`, "entry.index");
    }
    this.lastIndex = entry.index;
    this.lastTerm = entry.term;
    if (entry.data instanceof Uint8Array) {
      let batch;
      try {
        batch = decodeBatchCached(entry.data);
      } catch (error) {
        if (!(error instanceof LedgerCodecError)) throw error;
        return malformedOutcome("", { field: "data", expected: `a ledger batch (${error.code}: ${error.message})` });
      }
      const countBefore = this.current.eventCount;
      const outcomes = this.current.executeBatch(batch, answer);
      this.announce(countBefore);
      return { requestId: batch.requestId, outcomes };
    }
    const parsed = parseRequest(entry.data);
    if (!parsed.ok) return malformedOutcome(parsed.requestId, parsed.error);
    const countBefore = this.current.eventCount;
    const outcome = this.current.execute(parsed.command, parsed.requestId);
    this.announce(countBefore);
    return outcome;
  }

  /** The request id an entry's data carries (the replica answers its submitter by it). */
  requestIdOf(data: unknown): string | null {
    if (data instanceof Uint8Array) return batchRequestId(data);
    if (typeof data !== "object" || data === null) return null;
    const requestId = (data as { requestId?: unknown }).requestId;
    return typeof requestId === "string" && requestId.length > 0 ? requestId : null;
  }

  /** Hands the events appended since `countBefore` to onEvent. */
  private announce(countBefore: number): void {
    if (this.onEvent === undefined) return;
    const ledger = this.current;
    if (ledger.eventCount === countBefore) return;
    // One batch is one link: every event of it carries the head hash.
    const bodies = ledger.eventBodies();
    const base = ledger.firstRetainedEventIndex;
    const hash = ledger.headHash;
    for (let index = Math.max(countBefore, base); index < ledger.eventCount; index++)
      this.onEvent(index, bodies[index - base] as LedgerEventBody, hash);
  }

  snapshot(): LedgerStateMachineSnapshot {
    const ledger = this.current.snapshot();
    const snapshot: LedgerStateMachineSnapshot = {
      format: LEDGER_STATE_MACHINE_FORMAT,
      appliedIndex: this.lastIndex,
      appliedTerm: this.lastTerm,
      ledger,
    };
    return withEncodedJson(snapshot, snapshotJson(snapshot.appliedIndex, snapshot.appliedTerm, ledger));
  }

  /**
   * A snapshot of the state as of the last applied entry, built a step at a time (replica.ts).
   * Its result is the JSON text only (EncodedJson): the replica keeps its latest snapshot for a
   * long time and sends or restores it rarely, so the object form (the idempotency window as
   * [id, packed] pairs) is not kept; restore() accepts either form.
   */
  beginSnapshot(): SnapshotTask<EncodedJson> {
    const appliedIndex = this.lastIndex;
    const appliedTerm = this.lastTerm;
    const ledger = this.current.beginSnapshot();
    return {
      index: appliedIndex,
      step: (entries) => ledger.step(entries),
      result: () => EncodedJson.of(snapshotJson(appliedIndex, appliedTerm, ledger.result())),
    };
  }

  /** Replaces the whole state; throws LedgerError SNAPSHOT_INVALID (naming the field) and keeps the old state on bad data. */
  restore(encoded: unknown): void {
    const snapshot = decodedJson(encoded);
    if (typeof snapshot !== "object" || snapshot === null)
      throw new LedgerError("SNAPSHOT_INVALID", "snapshot: expected an object", "snapshot");
    const record = snapshot as Record<string, unknown>;
    if (record.format !== LEDGER_STATE_MACHINE_FORMAT) {
      throw new LedgerError(
        "SNAPSHOT_INVALID",
        `snapshot.format: expected ${JSON.stringify(LEDGER_STATE_MACHINE_FORMAT)}`,
        "snapshot.format",
      );
    }
    if (!isCount(record.appliedIndex))
      throw new LedgerError("SNAPSHOT_INVALID", "snapshot.appliedIndex: expected a non-negative safe integer", "snapshot.appliedIndex");
    if (!isCount(record.appliedTerm))
      throw new LedgerError("SNAPSHOT_INVALID", "snapshot.appliedTerm: expected a non-negative safe integer", "snapshot.appliedTerm");
    const ledger = Ledger.fromSnapshot(record.ledger, this.options, "snapshot.ledger");
    this.current = ledger;
    this.lastIndex = record.appliedIndex;
    this.lastTerm = record.appliedTerm;
  }

  // Delegates the harness reads most often.
  get headHash(): string {
    return this.current.headHash;
  }

  get eventCount(): number {
    return this.current.eventCount;
  }

  hashAt(eventIndex: number): string | undefined {
    return this.current.hashAt(eventIndex);
  }
}
