// Elastic cells (docs/cells.md "Elastic cells"): add a cell, move a shard range between cells
// online, split a cell, remove an empty one. The protocol's ledger side is
// cells/ledger/shard-move.ts; this is its driver, on the cluster's clock and its ElasticPort.
//
// A move, each step a committed entry of the cell it concerns:
//   1. expect  (destination)  the range is coming: its commands wait (MOVE_PENDING)
//   2. fence   (source)       the range's writes are answered MOVED -> destination; the answer
//                             carries the range's accounts, balances and idempotency entries
//   3. import  (destination)  the carried record is committed there
//   4. cut over               the placement hands the range over, one new routing version
// The fence window (writes redirected and not yet servable) runs from 2 to 3.
// A step whose answer never comes (a leader died, a region lost power) is retried until its
// deadline; then the move is decided by what is committed: the destination commits an abort
// (refused if it already imported: then the move completes), and only after that abort is
// committed the source unfences. So a range is never owned by two cells, nor by none.
//
// Every move is recorded (MoveJournal: the control plane's replicated log) before its first step
// is sent and again at every step. A controller that starts, or that sees a new control leader,
// resumes each recorded move left unfinished by driving it again under the same id: every step is
// idempotent at the cells (a repeated expect, fence or import answers its first outcome; a step the
// cells already went past is refused with the move's status there), so the drive completes it when
// the destination imported (its abort is refused MOVE_IMPORTED), and otherwise either completes it
// or rolls it back, from what is committed, like a move whose step timed out.

import type { CellSight, Cluster, ElasticPort, ShardMoveAnswer } from "../domain/cluster.js";
import type { Result, SafetyRuleId } from "../domain/records.js";
import { outboxOfRecord, type ShardMoveCommand, type ShardMoveStep, type ShardRecord } from "../cells/ledger/shard-move.js";
import type { AuditLog } from "./ports.js";
import type { RoutingTable } from "./routing.js";
import type { ControlMove } from "./control/state-machine.js";

export interface ElasticOptions {
  /** A forward step (expect, fence, import) is retried until this long after it was first sent. */
  readonly stepDeadlineUs: number;
  /** A rollback step (abort, unfence) is retried until it commits, at most this long. */
  readonly rollbackDeadlineUs: number;
  readonly retryUs: number;
  /** A new cell must have a leader in its preferred region within this long to become routable. */
  readonly cellReadyUsMax: number;
  readonly pollUs: number;
  /** Moves remembered for GET /api/v1/shards/moves. */
  readonly movesKeptMax: number;
}

export const defaultElasticOptions: ElasticOptions = {
  stepDeadlineUs: 8_000_000,
  rollbackDeadlineUs: 600_000_000,
  retryUs: 100_000,
  cellReadyUsMax: 15_000_000,
  pollUs: 20_000,
  movesKeptMax: 256,
};

export type MoveState = "expecting" | "fencing" | "copying" | "cut-over" | "rolling-back" | "rolled-back" | "stuck";

/** A move as GET /api/v1/shards/moves shows it. */
export interface MoveRecord {
  readonly id: string;
  readonly first: number;
  readonly last: number;
  readonly from: string;
  readonly to: string;
  state: MoveState;
  readonly reason: string;
  readonly actor: string;
  readonly startedMs: number;
  finishedMs: number | null;
  /** From the fence sent to the import committed (answered): the writes redirected, an upper bound. */
  fenceWindowMs: number | null;
  /** Open cross-cell outbox records the fence carried with the range's payers (absent: none). */
  outboxRecords?: number;
  durationMs: number | null;
  accounts: number | null;
  idempotencyEntries: number | null;
  readonly routingVersionBefore: number;
  routingVersionAfter: number | null;
  /** Why it rolled back or is stuck. */
  error: string | null;
  /** Each step with its simulated time (ms) and outcome. */
  readonly steps: { step: string; atMs: number; outcome: string }[];
}

export interface CellAdded {
  readonly cell: string;
  readonly region: string;
  readonly leader: string;
  readonly readyMs: number;
  readonly routingVersion: number;
}

/** A move as it is persisted: the control log's record (controller/control/state-machine.ts). */
export type PersistedMove = ControlMove;

/** Where moves are recorded so that a restarted controller can finish them (the control plane). */
export interface MoveJournal {
  /** Records a move's state; `callback(false)`: it could not be committed. */
  record(move: PersistedMove, callback: (ok: boolean) => void): void;
  /** Recorded moves not finished (neither cut over nor rolled back); null when the journal cannot be read now. */
  unfinished(): readonly PersistedMove[] | null;
}

/** Where a test stops the driver, as if the controller process died there (the cells go on). */
export type MoveCrashPoint = "after-expect" | "after-fence" | "import-sent" | "before-cut-over";

export interface ElasticDependencies {
  readonly cluster: Cluster;
  /** The cells as the controller sees them (a new cell's readiness, the move-during-outage rule) and its leader moves; absent: the Cluster. */
  readonly sight?: CellSight;
  readonly port: ElasticPort;
  readonly routing: RoutingTable;
  readonly audit: AuditLog;
  /** A fresh move id (persisted sequence: unique across controller restarts). */
  readonly nextMoveId: () => string;
  /** The kill switch's refusal, or null. */
  readonly halted: () => string | null;
  /** Where moves are recorded (none: a restart forgets them; the cells still hold what they committed). */
  readonly journal?: MoveJournal;
  /** Tests only: true stops this driver at that point of that move, as a controller crash would. */
  readonly crashAt?: (moveId: string, point: MoveCrashPoint) => boolean;
}

type Refused = {
  readonly ok: false;
  readonly code: "INVALID" | "NOT_FOUND" | "CONFLICT";
  readonly error: string;
  readonly field?: string;
  readonly rule?: SafetyRuleId;
};

/** "17..20" or "17": an inclusive range; null when malformed. */
export function parseShardRange(text: unknown): { first: number; last: number } | null {
  if (typeof text === "number" && Number.isSafeInteger(text)) return { first: text, last: text };
  if (typeof text !== "string") return null;
  const match = /^\s*(\d{1,9})\s*(?:\.\.\s*(\d{1,9})\s*)?$/.exec(text);
  if (match === null) return null;
  const first = Number(match[1]);
  const last = match[2] === undefined ? first : Number(match[2]);
  return last >= first ? { first, last } : null;
}

export class ElasticCells {
  /** A move at its first step (new, or re-run from the control log under its id): nothing measured yet. */
  private expectingRecord(start: Pick<MoveRecord, "id" | "first" | "last" | "from" | "to" | "reason" | "actor" | "startedMs">): MoveRecord {
    return {
      id: start.id,
      first: start.first,
      last: start.last,
      from: start.from,
      to: start.to,
      state: "expecting",
      reason: start.reason,
      actor: start.actor,
      startedMs: start.startedMs,
      finishedMs: null,
      fenceWindowMs: null,
      durationMs: null,
      accounts: null,
      idempotencyEntries: null,
      routingVersionBefore: this.dependencies.routing.version,
      routingVersionAfter: null,
      error: null,
      steps: [],
    };
  }
  private readonly moves: MoveRecord[] = [];
  private readonly preparing = new Set<string>();
  /** Per move, the sequence of its last journal record. */
  private readonly journalSeq = new Map<string, number>();
  /** Set by stop() (or a test's crash point): no step is sent and no answer acted on any more. */
  private stopped = false;
  /** Moves resumed by recover(), counted for the metrics and tests. */
  recovered = 0;

  constructor(
    private readonly options: ElasticOptions,
    private readonly dependencies: ElasticDependencies,
  ) {}

  /** Moves, newest first. */
  list(): readonly MoveRecord[] {
    return [...this.moves].reverse();
  }

  move(id: string): MoveRecord | undefined {
    return this.moves.find((move) => move.id === id);
  }

  /** Moves not finished (their ranges are taken). */
  inFlight(): readonly MoveRecord[] {
    return this.moves.filter((move) => !["cut-over", "rolled-back"].includes(move.state));
  }

  /** Cells being added (not routable yet). */
  get cellsPreparing(): readonly string[] {
    return [...this.preparing];
  }

  private nowUs(): number {
    return this.dependencies.cluster.clock.nowUs();
  }

  private nowMs(): number {
    return Math.floor(this.nowUs() / 1000);
  }

  private audit(
    action: string,
    target: string,
    reason: string | null,
    outcome: string,
    actor: string,
    details?: unknown,
    rule?: string,
  ): void {
    const version = this.dependencies.routing.version;
    this.dependencies.audit.append({
      atMs: this.nowMs(),
      actor,
      kind: outcome === "refused" ? "refusal" : "action",
      action,
      target,
      reason,
      outcome,
      rule: rule ?? null,
      overrodeRule: null,
      routingVersionBefore: version,
      routingVersionAfter: version,
      ...(details !== undefined && { details }),
    });
  }

  private refuse(action: string, target: string, reason: string | null, actor: string, refusal: Refused): Refused {
    this.audit(
      action,
      target,
      reason,
      "refused",
      actor,
      { error: refusal.error, field: refusal.field ?? null },
      refusal.rule ?? refusal.field,
    );
    return refusal;
  }

  /** The controller stops (or dies): nothing more is sent, no answer is acted on. */
  stop(): void {
    this.stopped = true;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  private crash(record: MoveRecord, point: MoveCrashPoint): boolean {
    if (this.stopped) return true;
    if (this.dependencies.crashAt?.(record.id, point) === true) this.stopped = true;
    return this.stopped;
  }

  /** Records the move's state in the journal (fire and forget, except the first record: see moveShards). */
  private persist(record: MoveRecord, callback: (ok: boolean) => void = () => {}): void {
    const journal = this.dependencies.journal;
    if (journal === undefined || this.stopped) {
      callback(true);
      return;
    }
    const seq = (this.journalSeq.get(record.id) ?? 0) + 1;
    this.journalSeq.set(record.id, seq);
    if (record.state === "cut-over" || record.state === "rolled-back") this.journalSeq.delete(record.id);
    journal.record(
      {
        id: record.id,
        seq,
        first: record.first,
        last: record.last,
        from: record.from,
        to: record.to,
        state: record.state,
        reason: record.reason,
        actor: record.actor,
        startedMs: record.startedMs,
        atMs: this.nowMs(),
      },
      callback,
    );
  }

  /**
   * Resumes every move the journal holds unfinished that this driver is not driving (a previous
   * controller's): driven again under its id, it completes or rolls back from what the cells
   * committed. Called when the controller starts and when the control group elects a new leader;
   * the moves this driver drives are recorded again then (a new leader may have lost an
   * uncommitted record). Answers how many moves it resumed.
   */
  recover(actor = "recovery"): number {
    if (this.stopped) return 0;
    const journal = this.dependencies.journal;
    const unfinished = journal?.unfinished() ?? null;
    if (unfinished === null) return 0;
    for (const move of this.inFlight()) this.persist(move);
    let resumed = 0;
    for (const persisted of unfinished) {
      if (this.moves.some((move) => move.id === persisted.id)) continue;
      const record = this.expectingRecord(persisted);
      this.journalSeq.set(record.id, persisted.seq);
      this.moves.push(record);
      this.recovered++;
      resumed++;
      this.audit(
        "move-shards:recover",
        `${record.first}..${record.last} ${record.from} -> ${record.to}`,
        record.reason,
        `resuming (recorded ${persisted.state})`,
        actor,
        { move: record.id, recorded: persisted.state },
      );
      this.drive(record, () => {});
    }
    return resumed;
  }

  /**
   * Adds a cell: placed 2 + 2 + 1, started, its leader elected and moved to its preferred region,
   * and only then routable (one new routing version). Answers once routable, or CONFLICT.
   */
  addCell(request: { readonly reason: string; readonly actor: string }, callback: (result: Result<CellAdded>) => void): void {
    const halted = this.dependencies.halted();
    if (halted !== null) {
      callback(this.refuse("add-cell", "-", request.reason, request.actor, { ok: false, code: "CONFLICT", error: halted, rule: "halted" }));
      return;
    }
    const { cluster, port, routing } = this.dependencies;
    const cell = port.addCell();
    this.preparing.add(cell);
    // In the table at once (every reader of a cell's region finds it), though no shard routes to
    // it and no move may target it until it is led from its preferred region.
    const placedView = cluster.cell(cell);
    routing.addCell(cell, placedView?.preferredRegion ?? "", `cell ${cell} placed (not routable yet): ${request.reason}`, this.nowMs());
    this.audit("add-cell", cell, request.reason, "placed", request.actor, {
      replicas: cluster.cell(cell)?.replicas.map((replica) => replica.id),
    });
    const deadlineUs = this.nowUs() + this.options.cellReadyUsMax;
    let transferring = false;
    const sight = this.dependencies.sight ?? cluster;
    const poll = (): void => {
      const view = sight.cell(cell);
      if (view === undefined) {
        this.preparing.delete(cell);
        callback({ ok: false, code: "INTERNAL", error: `${cell} vanished while being added` });
        return;
      }
      const leader = view.leader;
      if (leader !== null && leader.region === view.preferredRegion && !transferring) {
        this.preparing.delete(cell);
        const before = routing.version;
        const version = routing.cellReady(
          cell,
          leader.region,
          `cell ${cell} routable, led from ${leader.region}: ${request.reason}`,
          this.nowMs(),
        );
        this.audit("add-cell", cell, request.reason, "routable", request.actor, {
          leader: leader.replica,
          routingVersionBefore: before,
          routingVersion: version,
        });
        callback({
          ok: true,
          value: { cell, region: leader.region, leader: leader.replica, readyMs: this.nowMs(), routingVersion: version },
        });
        return;
      }
      if (this.nowUs() >= deadlineUs) {
        this.preparing.delete(cell);
        this.audit("add-cell", cell, request.reason, "not-ready", request.actor);
        callback({
          ok: false,
          code: "CONFLICT",
          error: `${cell} has no leader in its preferred region ${view.preferredRegion} after ${this.options.cellReadyUsMax / 1000} ms: placed, not routable`,
          rule: "quorum-reachable",
        });
        return;
      }
      if (leader !== null && leader.region !== view.preferredRegion && !transferring) {
        const target = view.replicas.find((replica) => replica.region === view.preferredRegion && replica.state === "up");
        if (target !== undefined) {
          transferring = true;
          sight.transferLeadership(cell, target.id, Math.max(1, deadlineUs - this.nowUs()), () => (transferring = false));
        }
      }
      cluster.clock.setTimer(this.options.pollUs, poll);
    };
    poll();
  }

  /** Removes a cell that owns no shard and takes part in no move. */
  removeCell(request: {
    readonly cell: string;
    readonly reason: string;
    readonly actor: string;
  }): Result<{ readonly routingVersion: number }> {
    const { cluster, port, routing } = this.dependencies;
    const { cell } = request;
    if (cluster.cell(cell) === undefined)
      return this.refuse("remove-cell", cell, request.reason, request.actor, { ok: false, code: "NOT_FOUND", error: `no cell ${cell}` });
    const owned = Array.from({ length: port.shardCount }, (_, shard) => shard).filter((shard) => port.cellOfShard(shard) === cell);
    if (owned.length > 0)
      return this.refuse("remove-cell", cell, request.reason, request.actor, {
        ok: false,
        code: "CONFLICT",
        error: `${cell} owns ${owned.length} shard(s) (${owned[0]}..${owned[owned.length - 1]}): move them first`,
        rule: "cell-not-empty",
      });
    if (this.inFlight().some((move) => move.from === cell || move.to === cell) || this.preparing.has(cell))
      return this.refuse("remove-cell", cell, request.reason, request.actor, {
        ok: false,
        code: "CONFLICT",
        error: `${cell} takes part in a move`,
        rule: "range-moving",
      });
    port.removeCell(cell);
    const routable = routing.cells()[cell] !== undefined;
    const version = routable ? routing.removeCell(cell, `cell ${cell} removed: ${request.reason}`, this.nowMs()) : routing.version;
    this.audit("remove-cell", cell, request.reason, "ok", request.actor, { routingVersion: version });
    return { ok: true, value: { routingVersion: version } };
  }

  /** The safety rule of elastic cells for one cell: no leader or quorum, or its leader's region evacuated; null when a move may touch it. */
  cellRefusal(cell: string): Refused | null {
    const view = (this.dependencies.sight ?? this.dependencies.cluster).cell(cell);
    if (view === undefined || view.leader === null || !view.quorumAvailable)
      return {
        ok: false,
        code: "CONFLICT",
        error: `${cell} has no leader or no reachable quorum: no move now`,
        rule: "move-during-outage",
      };
    if (this.dependencies.routing.isDrained(view.leader.region))
      return {
        ok: false,
        code: "CONFLICT",
        error: `${cell}'s leader is in ${view.leader.region}, which is evacuated: no move now`,
        rule: "move-during-outage",
      };
    return null;
  }

  /** Why a move of [first, last] to `to` may not start now (bad input 400, a safety rule 409), or its source. */
  check(first: number, last: number, to: string): Refused | { ok: true; from: string } {
    const { cluster, port, routing } = this.dependencies;
    if (last >= port.shardCount)
      return { ok: false, code: "INVALID", error: `shards: expected a range within 0..${port.shardCount - 1}`, field: "shards" };
    if (cluster.cell(to) === undefined)
      return { ok: false, code: "INVALID", error: `to: no cell ${to} (expected an existing cell id)`, field: "to" };
    const from = port.cellOfShard(first);
    for (let shard = first + 1; shard <= last; shard++) {
      if (port.cellOfShard(shard) !== from)
        return {
          ok: false,
          code: "INVALID",
          error: `shards: ${first}..${last} spans ${from} and ${port.cellOfShard(shard)} (expected a range owned by one cell)`,
          field: "shards",
        };
    }
    if (from === to)
      return { ok: false, code: "INVALID", error: `to: ${to} already owns ${first}..${last} (expected another cell)`, field: "to" };
    const overlapping = this.inFlight().find((move) => move.first <= last && first <= move.last);
    if (overlapping !== undefined)
      return {
        ok: false,
        code: "CONFLICT",
        error: `shards ${overlapping.first}..${overlapping.last} are already moving (${overlapping.id})`,
        rule: "range-moving",
      };
    const halted = this.dependencies.halted();
    if (halted !== null) return { ok: false, code: "CONFLICT", error: halted, rule: "halted" };
    if (routing.cells()[to] === undefined || this.preparing.has(to))
      return {
        ok: false,
        code: "CONFLICT",
        error: `${to} is not routable yet (no leader in its preferred region)`,
        rule: "cell-not-ready",
      };
    // The safety rule of elastic cells: a move needs both cells whole and their leaders' regions in service.
    for (const cell of [from, to]) {
      const refusal = this.cellRefusal(cell);
      if (refusal !== null) return refusal;
    }
    return { ok: true, from };
  }

  /** Moves a shard range (`"17..20"`) to `to`; answers when it cut over or rolled back (a refusal at once). */
  moveShards(
    request: { readonly shards: unknown; readonly to: string; readonly reason: string; readonly actor: string },
    callback: (result: Result<MoveRecord>) => void,
  ): void {
    const range = parseShardRange(request.shards);
    const target = `${String(request.shards)} -> ${request.to}`;
    if (range === null) {
      callback(
        this.refuse("move-shards", target, request.reason, request.actor, {
          ok: false,
          code: "INVALID",
          error: 'shards: expected a range "first..last" (or one shard) of non-negative integers, first <= last',
          field: "shards",
        }),
      );
      return;
    }
    const checked = this.check(range.first, range.last, request.to);
    if (!checked.ok) {
      callback(this.refuse("move-shards", target, request.reason, request.actor, checked));
      return;
    }
    const record = this.expectingRecord({
      id: this.dependencies.nextMoveId(),
      first: range.first,
      last: range.last,
      from: checked.from,
      to: request.to,
      reason: request.reason,
      actor: request.actor,
      startedMs: this.nowMs(),
    });
    this.moves.push(record);
    if (this.moves.length > this.options.movesKeptMax) {
      const done = this.moves.findIndex((move) => move.state === "cut-over" || move.state === "rolled-back");
      if (done >= 0) this.moves.splice(done, 1);
    }
    this.audit("move-shards", `${record.first}..${record.last} ${record.from} -> ${record.to}`, request.reason, "started", request.actor, {
      move: record.id,
    });
    // Recorded before its first step is sent: a controller that dies from here on leaves a record
    // its successor resumes. Not recorded (no control quorum): nothing was sent, the move is refused.
    this.persist(record, (recorded) => {
      if (this.stopped) return;
      if (!recorded) {
        record.state = "rolled-back";
        record.error = "the control plane could not record the move: nothing was sent";
        record.finishedMs = this.nowMs();
        record.durationMs = 0;
        this.note(record, "rolled-back", record.error);
        callback(
          this.refuse("move-shards", target, request.reason, request.actor, {
            ok: false,
            code: "CONFLICT",
            error: record.error,
            rule: "quorum-reachable",
          }),
        );
        return;
      }
      this.drive(record, (finished) => callback({ ok: true, value: finished }));
    });
  }

  /** Split: add a cell, then move the upper half of `cell`'s shards to it. */
  splitCell(
    request: { readonly cell: string; readonly reason: string; readonly actor: string },
    callback: (result: Result<{ readonly cell: string; readonly move: MoveRecord }>) => void,
  ): void {
    const { cluster, port } = this.dependencies;
    const view = cluster.cell(request.cell);
    if (view === undefined) {
      callback(
        this.refuse("split", request.cell, request.reason, request.actor, {
          ok: false,
          code: "NOT_FOUND",
          error: `no cell ${request.cell}`,
        }),
      );
      return;
    }
    const owned = Array.from({ length: port.shardCount }, (_, shard) => shard).filter((shard) => port.cellOfShard(shard) === request.cell);
    if (owned.length < 2) {
      callback(
        this.refuse("split", request.cell, request.reason, request.actor, {
          ok: false,
          code: "CONFLICT",
          error: `${request.cell} owns ${owned.length} shard(s): a split needs at least 2`,
          rule: "split-needs-two-shards",
        }),
      );
      return;
    }
    const upper = owned.slice(Math.ceil(owned.length / 2));
    const contiguous = upper.every((shard, i) => i === 0 || shard === (upper[i - 1] as number) + 1);
    if (!contiguous) {
      callback(
        this.refuse("split", request.cell, request.reason, request.actor, {
          ok: false,
          code: "CONFLICT",
          error: `${request.cell}'s upper half is not one contiguous range: move ranges one by one`,
          rule: "range-moving",
        }),
      );
      return;
    }
    const range = `${upper[0]}..${upper[upper.length - 1]}`;
    // A split whose move would be refused adds no cell (it would be left empty).
    const unsafe = this.cellRefusal(request.cell);
    if (unsafe !== null) {
      callback(this.refuse("split", request.cell, request.reason, request.actor, unsafe));
      return;
    }
    this.addCell({ reason: `split of ${request.cell}: ${request.reason}`, actor: request.actor }, (added) => {
      if (!added.ok) {
        callback(added);
        return;
      }
      this.moveShards(
        { shards: range, to: added.value.cell, reason: `split of ${request.cell}: ${request.reason}`, actor: request.actor },
        (moved) => {
          if (!moved.ok) callback(moved);
          else callback({ ok: true, value: { cell: added.value.cell, move: moved.value } });
        },
      );
    });
  }

  private note(record: MoveRecord, step: string, outcome: string): void {
    if (this.stopped) return;
    record.steps.push({ step, atMs: this.nowMs(), outcome });
    this.persist(record);
    this.audit(
      `move-shards:${step}`,
      `${record.first}..${record.last} ${record.from} -> ${record.to}`,
      record.reason,
      outcome,
      record.actor,
      { move: record.id },
    );
  }

  /** One step, retried until it is answered (done or refused) or its deadline passes (null: unknown whether it committed). */
  private step(
    record: MoveRecord,
    cell: string,
    step: ShardMoveStep,
    deadlineUs: number,
    callback: (answer: Extract<ShardMoveAnswer, { ok: true }>["outcome"] | null) => void,
    carried?: ShardRecord,
  ): void {
    const command: ShardMoveCommand = {
      type: "ShardMove",
      step,
      moveId: record.id,
      first: record.first,
      last: record.last,
      peer: cell === record.to ? record.from : record.to,
      ...(carried !== undefined && { record: carried }),
    };
    const attempt = (): void => {
      if (this.stopped) return;
      this.dependencies.port.shardMove(cell, command, (answer) => {
        if (this.stopped) return;
        if (answer.ok) {
          callback(answer.outcome);
          return;
        }
        if (this.nowUs() >= deadlineUs) {
          callback(null);
          return;
        }
        this.dependencies.cluster.clock.setTimer(this.options.retryUs, attempt);
      });
    };
    attempt();
  }

  private drive(record: MoveRecord, finished: (record: MoveRecord) => void): void {
    const startUs = this.nowUs();
    const forward = (): number => this.nowUs() + this.options.stepDeadlineUs;
    const finish = (state: MoveState, error: string | null): void => {
      if (this.stopped) return;
      record.state = state;
      record.error = error;
      record.finishedMs = this.nowMs();
      record.durationMs = Math.round((this.nowUs() - startUs) / 1000);
      this.note(record, state, error ?? "ok");
      finished(record);
    };
    // Roll back from what is committed: the destination's abort decides (refused: it imported, so complete).
    const rollBack = (why: string, carried: ShardRecord | null): void => {
      record.state = "rolling-back";
      record.error = why;
      this.note(record, "rolling-back", why);
      const deadlineUs = this.nowUs() + this.options.rollbackDeadlineUs;
      this.step(record, record.to, "abort", deadlineUs, (abort) => {
        if (abort === null) return finish("stuck", `${why}; the destination's abort did not commit`);
        if (abort.status === "refused" && abort.reason === "MOVE_IMPORTED") {
          this.note(record, "abort", "refused: already imported, completing");
          if (carried !== null) record.accounts = carried.accounts.length;
          return cutOver();
        }
        this.note(record, "abort", abort.status);
        this.step(record, record.from, "unfence", deadlineUs, (unfence) => {
          if (unfence === null) return finish("stuck", `${why}; the source's unfence did not commit`);
          this.note(record, "unfence", unfence.status);
          finish("rolled-back", why);
        });
      });
    };
    const cutOver = (): void => {
      if (this.stopped) return;
      const { port, routing } = this.dependencies;
      const shards = Array.from({ length: record.last - record.first + 1 }, (_, i) => record.first + i);
      // A resumed move whose cut over was done before the controller died changes nothing more.
      if (shards.every((shard) => port.cellOfShard(shard) === record.to)) record.routingVersionAfter = routing.version;
      else {
        port.assignShards(shards, record.to);
        record.routingVersionAfter = routing.shardsMoved(
          `shards ${record.first}..${record.last} moved ${record.from} -> ${record.to} (${record.id}): ${record.reason}`,
          this.nowMs(),
        );
      }
      finish("cut-over", null);
    };
    this.step(record, record.to, "expect", forward(), (expect) => {
      // A resumed move the destination already imported (its controller died after): complete it.
      if (expect !== null && expect.status === "refused" && expect.reason === "MOVE_IMPORTED") {
        this.note(record, "expect", "refused: already imported, completing");
        return cutOver();
      }
      if (expect === null || expect.status !== "done")
        return rollBack(`expect at ${record.to}: ${expect === null ? "no answer" : (expect.reason ?? "refused")}`, null);
      record.state = "fencing";
      this.note(record, "expect", "done");
      if (this.crash(record, "after-expect")) return;
      // The range's open cross-cell records travel with it (the fence carries them): it never waits for them.
      const fenceSentUs = this.nowUs();
      this.step(record, record.from, "fence", forward(), (fence) => {
        if (fence === null || fence.status !== "done" || fence.record === undefined)
          return rollBack(`fence at ${record.from}: ${fence === null ? "no answer" : (fence.reason ?? "refused")}`, null);
        const carried = fence.record;
        record.accounts = carried.accounts.length;
        record.idempotencyEntries = carried.idempotency.length;
        const outbox = outboxOfRecord(carried).length;
        if (outbox > 0) record.outboxRecords = outbox;
        record.state = "copying";
        this.note(record, "fence", `done: ${carried.accounts.length} accounts, ${carried.idempotency.length} ids`);
        if (this.crash(record, "after-fence")) return;
        this.step(
          record,
          record.to,
          "import",
          forward(),
          (imported) => {
            if (imported === null || imported.status !== "done")
              return rollBack(`import at ${record.to}: ${imported === null ? "no answer" : (imported.reason ?? "refused")}`, carried);
            record.fenceWindowMs = Math.round((this.nowUs() - fenceSentUs) / 100) / 10;
            this.note(record, "import", "done");
            if (this.crash(record, "before-cut-over")) return;
            cutOver();
          },
          carried,
        );
        this.crash(record, "import-sent");
      });
    });
  }
}
