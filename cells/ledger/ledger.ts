// The event-sourced ledger of one cell: command -> decide -> event -> hash chain -> apply.
// Single-threaded and deterministic: two ledgers fed the same commands hold the same balances and
// the same head hash, which is what lets five replicas prove they agree.

import {
  parseCommand,
  type BatchCommand,
  type AccountId,
  type IdempotentCommand,
  type LedgerBatchRequest,
  type LedgerCommand,
  type OpenAccount,
} from "./commands.js";
import { decide, openAccountKey, recordedOutcome, rejectionEvent, type Decision } from "./decide.js";
import { assertLedger } from "./errors.js";
import { EventStore, type ChainLink as EventLink } from "./event-store.js";
import { assertNever, type LedgerEventBody, type StoredEvent } from "./events.js";
import { chainHash, GENESIS_HASH, type ChainCheckpoint } from "./hash-chain.js";
import { commandFingerprint, homeShardOfEntry, IdempotencyTable } from "./idempotency.js";
import { bugOn, type InjectedBugs } from "../bugs.js";
import { malformedOutcome, type AccountBalance, type LedgerOutcome } from "./outcome.js";
import {
  IdempotencyEncoder,
  LEDGER_SNAPSHOT_FORMAT,
  LedgerSnapshotBuilder,
  parseLedgerSnapshot,
  type LedgerSnapshot,
  type LedgerSnapshotContent,
} from "./snapshot.js";
import { applyEvent, assertConservation, createLedgerState, expectedTotal, recountBalances, type LedgerState } from "./state.js";
import {
  crossCellNet,
  decideCredit,
  decideSettle,
  receivedOutcomeOf,
  type CrossCellDecision,
  type OutboxRecord,
  type ReceivedOutcome,
} from "./cross-cell.js";
import type { CrossCellSnapshot } from "./snapshot.js";
import {
  carriedOutboxRecord,
  inRange,
  OUTBOX_EXTENSION,
  outboxOfRecord,
  RECEIVED_EXTENSION,
  receivedOfRecord,
  SHARD_RECORD_FORMAT,
  shardOfAccountId,
  ShardMoves,
  type CarriedOutboxRecord,
  type ShardMoveCommand,
  type ShardRecord,
  type ShardsMoved,
} from "./shard-move.js";

export interface LedgerOptions {
  /** Operation ids remembered; past this, new operations are rejected (see idempotency.ts). */
  readonly idempotencyEntriesMax: number;
  /**
   * Set: keep only the most recent this many operation ids (oldest evicted, never full); for a
   * world that runs indefinitely. Absent: keep every id up to idempotencyEntriesMax (idempotency.ts).
   */
  readonly idempotencyWindowEntries?: number;
  readonly accountsMax: number;
  /** Recent events kept in memory for verify() and the checkers (between this and twice this). */
  readonly eventsRetainedMax: number;
  /** A chain checkpoint every this many events. */
  readonly checkpointEventsInterval: number;
  /**
   * Set: keep only the newest this many checkpoints (between this and twice this; the oldest half
   * dropped at once), for a world that runs indefinitely: one per interval, they grew without end
   * (and every snapshot carries them). Replicas are compared at the common head or a checkpoint
   * both still hold. Absent: every checkpoint of the run is kept.
   */
  readonly checkpointsRetainedMax?: number;
  /** Every this many events, recount all balances against the running total. */
  readonly conservationRecountEventsInterval: number;
  /** Deliberate bugs for the harness's own tests (cells/bugs.ts); absent in every normal run. */
  readonly bugs?: InjectedBugs;
  /**
   * BUG INJECTION for the harness's own tests only (cells/ledger/cross-cell.ts): credit a
   * cross-cell transfer without the received-table check. Never set outside tests.
   */
  readonly unsafeCreditWithoutIdempotency?: boolean;
}

export const defaultLedgerOptions: LedgerOptions = {
  idempotencyEntriesMax: 1_000_000,
  accountsMax: 1_000_000,
  eventsRetainedMax: 100_000,
  checkpointEventsInterval: 1024,
  conservationRecountEventsInterval: 4096,
};

export type VerifyResult =
  | { readonly ok: true; readonly eventsChecked: number }
  | {
      readonly ok: false;
      readonly code: "EVENT_HASH_MISMATCH" | "INDEX_GAP" | "HEAD_MISMATCH" | "CHECKPOINT_MISMATCH" | "BALANCES_NOT_CONSERVED";
      readonly eventIndex?: number;
      readonly message: string;
    };

/** A posted transfer as the durability checker sees it. */
export interface AppliedTransfer {
  readonly id: string;
  readonly from: AccountId;
  readonly to: AccountId;
  readonly amount: number;
  readonly eventIndex: number;
}

function validateOptions(options: LedgerOptions): LedgerOptions {
  for (const [name, value] of Object.entries(options)) {
    if (name === "bugs") continue;
    if (name === "idempotencyWindowEntries" && value === undefined) continue;
    if (name === "unsafeCreditWithoutIdempotency") {
      if (value !== undefined && typeof value !== "boolean") throw new RangeError(`ledger option ${name}: expected a boolean`);
      continue;
    }
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`ledger option ${name}: expected a positive safe integer, got ${String(value)}`);
    }
  }
  return options;
}

export class Ledger {
  private readonly options: LedgerOptions;
  private readonly state: LedgerState;
  private readonly table: IdempotencyTable;
  private store: EventStore;
  private head = GENESIS_HASH;
  private count = 0;
  private chainCheckpoints: ChainCheckpoint[] = [];
  /** Every account with a zero balance, in opening order: what readBalances() clones. */
  private balancesTemplate: Record<string, number | null> | null = null;
  private balancesTemplateSize = 0;
  /** The idempotency table's snapshot encoding, carried from one snapshot to the next. */
  private idempotencyEncoder: IdempotencyEncoder | null = null;
  /** This ledger's side of shard moves (shard-move.ts). */
  private moves = new ShardMoves();

  constructor(options: Partial<LedgerOptions> = {}) {
    this.options = validateOptions({ ...defaultLedgerOptions, ...options });
    this.state = createLedgerState(this.options.idempotencyWindowEntries);
    this.table = new IdempotencyTable(this.options.idempotencyEntriesMax, this.options.idempotencyWindowEntries);
    this.store = new EventStore(this.options.eventsRetainedMax, 0, GENESIS_HASH);
  }

  /** Rebuilds a ledger from snapshot data; throws LedgerError SNAPSHOT_INVALID naming the bad field. */
  static fromSnapshot(snapshot: unknown, options: Partial<LedgerOptions> = {}, field = "snapshot"): Ledger {
    const parsed = parseLedgerSnapshot(snapshot, field);
    const ledger = new Ledger(options);
    for (const [account, balance] of parsed.accounts) ledger.state.balances.set(account, balance);
    ledger.state.openedTotal = parsed.openedTotal;
    ledger.state.depositedTotal = parsed.depositedTotal;
    ledger.state.withdrawnTotal = parsed.withdrawnTotal;
    const crossCell = parsed.crossCell;
    if (crossCell !== undefined) {
      const state = ledger.state;
      state.sentTotal = crossCell.sentTotal;
      state.settledTotal = crossCell.settledTotal;
      state.refundedTotal = crossCell.refundedTotal;
      state.receivedTotal = crossCell.receivedTotal;
      for (const [id, from, to, toCell, amount] of crossCell.outbox) {
        state.outbox.set(id, { id, from, to, toCell, amount });
        state.outboxOpenTotal += amount;
      }
      for (const [id, code, shard] of crossCell.received)
        state.received.record(id, receivedOutcomeOf(code) as ReceivedOutcome, shard ?? -1);
    }
    if (parsed.shardMoves !== undefined) {
      ledger.moves = ShardMoves.fromJson(parsed.shardMoves);
      ledger.state.movedInTotal = ledger.moves.movedInTotal;
      ledger.state.movedOutTotal = ledger.moves.movedOutTotal;
      ledger.state.outboxMovedInTotal = ledger.moves.outboxMovedInTotal;
      ledger.state.outboxMovedOutTotal = ledger.moves.outboxMovedOutTotal;
    }
    ledger.state.totalBalance = expectedTotal(ledger.state);
    assertConservation(ledger.state);
    for (const [id, packed] of parsed.idempotency) ledger.table.loadPacked(id, packed);
    ledger.head = parsed.headHash;
    ledger.count = parsed.eventCount;
    ledger.chainCheckpoints = parsed.checkpoints.map((checkpoint) => ({ eventCount: checkpoint.eventCount, hash: checkpoint.hash }));
    ledger.store = new EventStore(ledger.options.eventsRetainedMax, parsed.eventCount, parsed.headHash);
    return ledger;
  }

  get headHash(): string {
    return this.head;
  }

  get eventCount(): number {
    return this.count;
  }

  get idempotencyEntries(): number {
    return this.table.size;
  }

  /** Parses untrusted command data, then executes it; a malformed command is a typed rejection. */
  submit(command: unknown, requestId = ""): LedgerOutcome {
    const parsed = parseCommand(command);
    if (!parsed.ok) return malformedOutcome(requestId, parsed.error);
    return this.execute(parsed.command, requestId);
  }

  /** Executes a parsed command (see parseCommand): reads answer, writes append one event or none. */
  execute(command: LedgerCommand, requestId = ""): LedgerOutcome {
    return this.executeBatch({ requestId, linked: false, commands: [command] })[0] as LedgerOutcome;
  }

  /**
   * Executes a batch (one Raft entry): each command in order, seeing its predecessors' effects,
   * each with its own idempotency and outcome. The batch's events make one chain link, and
   * conservation is asserted once for the batch (each transfer still asserts its own pair sum in
   * applyEvent). A linked batch takes effect whole or not at all. With `answer` false (a replica
   * nobody is waiting on: the followers) the outcomes are not built and the result is empty.
   */
  executeBatch(batch: LedgerBatchRequest, answer = true): LedgerOutcome[] {
    const events: LedgerEventBody[] = [];
    if (batch.linked && this.moves.active) {
      // A linked batch on a moving range is not applied at all: every command is answered as
      // the first one on a moving range is (the client follows the range, then resends).
      const routed = batch.commands.map((command) => this.routeOf(command, batch.requestId));
      const first = routed.find((outcome) => outcome !== null);
      if (first !== undefined && first !== null) return batch.commands.map(() => first);
    }
    const outcomes = batch.linked ? this.executeLinked(batch, events) : this.executeEach(batch, events, answer);
    if (events.length > 0) this.link(events);
    return outcomes;
  }

  private executeEach(batch: LedgerBatchRequest, events: LedgerEventBody[], answer: boolean): LedgerOutcome[] {
    const { requestId, commands } = batch;
    const outcomes = answer ? new Array<LedgerOutcome>(commands.length) : [];
    const fingerprints = fingerprintsOf(batch);
    const shared = sharedEventsOf(batch);
    for (let i = 0; i < commands.length; i++) {
      const command = commands[i] as LedgerCommand | ShardMoveCommand;
      if (command.type === "ReadBalances") {
        if (answer) outcomes[i] = { requestId, id: requestId, outcome: "read", balances: this.readBalances(command.accounts) };
        continue;
      }
      if (command.type === "ShardMove") {
        const outcome = this.executeShardMove(command, requestId, events, answer);
        if (answer) outcomes[i] = outcome;
        continue;
      }
      if (command.type === "CreditIn" || command.type === "SettleTransfer") {
        // A credit to an account of a range that moved away (or is on its way here) is answered
        // MOVED / MOVE_PENDING, unless this cell already decided it (its received table answers).
        if (this.moves.active && command.type === "CreditIn" && this.state.received.lookup(command.id) === undefined) {
          const routed = this.routeOf(command, requestId);
          if (routed !== null) {
            if (answer) outcomes[i] = routed;
            continue;
          }
        }
        // A settlement of a record that left with its payer's range goes where the record is now.
        if (command.type === "SettleTransfer" && this.moves.used && !this.state.outbox.has(command.id)) {
          const routed = this.settleRouteOf(command.id, requestId);
          if (routed !== null) {
            if (answer) outcomes[i] = routed;
            continue;
          }
        }
        const decision =
          command.type === "CreditIn"
            ? decideCredit(
                command,
                this.state,
                // The injected bug "credit-without-idempotency" (cells/bugs.ts) is the same switch as the test option.
                bugOn(this.options.bugs, "credit-without-idempotency") ? { unsafeCreditWithoutIdempotency: true } : this.options,
              )
            : decideSettle(command, this.state, this.table.lookup(command.id)?.outcome === "posted");
        if (decision.kind !== "event") {
          if (answer) outcomes[i] = crossCellNonEventOutcome(decision, requestId);
          continue;
        }
        applyEvent(this.state, decision.event);
        if (answer) outcomes[i] = this.outcomeOf(decision.event, this.count + events.length, requestId);
        events.push(decision.event);
        continue;
      }
      // An id already decided here is answered from the table (a retry of a command applied before its range moved).
      if (this.moves.active && !this.table.has(command.type === "OpenAccount" ? openAccountKey(command.account) : command.id)) {
        const routed = this.routeOf(command, requestId);
        if (routed !== null) {
          if (answer) outcomes[i] = routed;
          continue;
        }
      }
      let fingerprint: number | undefined;
      if (command.type !== "OpenAccount") {
        fingerprint = fingerprints[i] as number;
        if (fingerprint < 0) fingerprints[i] = fingerprint = commandFingerprint(command);
      }
      let decision = decide(command, this.state, this.table, this.options, fingerprint);
      if (decision.kind === "duplicate" && command.type !== "OpenAccount" && bugOn(this.options.bugs, "idempotency-ignored")) {
        // The injected bug: a retry is decided afresh as if its id had never been seen.
        const fresh = decide(command, this.state, new IdempotencyTable(1), this.options, fingerprint);
        if (fresh.kind === "event") decision = { kind: "event", event: fresh.event };
      }
      if (decision.kind !== "event") {
        if (answer) outcomes[i] = this.nonEventOutcome(decision, requestId);
        continue;
      }
      let event = decision.event;
      const first = shared[i];
      if (first === undefined) shared[i] = event;
      else if (sameEvent(first, event)) event = first;
      applyEvent(this.state, event);
      if (decision.record !== undefined)
        this.table.record(decision.record.id, decision.record.fingerprint, decision.record.outcome, homeShardOf(command));
      if (answer) outcomes[i] = this.outcomeOf(event, this.count + events.length, requestId);
      events.push(event);
    }
    return outcomes;
  }

  /**
   * All or nothing (TigerBeetle's linked events): commands are decided and applied in order with
   * an undo log; if one fails (rejected, a retry of a rejected id, a reused id, or an id repeated
   * within the batch), the balances are rolled back and every fresh command of the batch is
   * rejected: the failing one with its own reason, the others with LINKED_EVENT_FAILED. Those
   * rejections are recorded as any rejection is, so a retry of the batch learns the same.
   */
  private executeLinked(batch: LedgerBatchRequest, events: LedgerEventBody[]): LedgerOutcome[] {
    const { requestId, commands } = batch;
    const state = this.state;
    const totals = [state.totalBalance, state.openedTotal, state.depositedTotal, state.withdrawnTotal] as const;
    // No cross-cell command reaches here (asserted below), so the cross-cell totals never need undoing.
    const undo: [string, number | undefined][] = [];
    const decisions: Decision[] = [];
    const outcomes: LedgerOutcome[] = [];
    const seen = new Set<string>();
    let failed = -1;
    for (let i = 0; i < commands.length && failed < 0; i++) {
      const command = commands[i] as LedgerCommand;
      assertLedger(command.type !== "ReadBalances", "a linked batch holds no reads (parseBatch and the codec refuse them)");
      assertLedger(
        command.type !== "CreditIn" && command.type !== "SettleTransfer" && command.type !== "TransferOut",
        "a linked batch holds no cross-cell steps (parseBatch and the codec refuse them)",
      );
      assertLedger(command.type !== ("ShardMove" as string), "a linked batch holds no shard moves (the controller sends them alone)");
      const key = command.type === "OpenAccount" ? openAccountKey(command.account) : command.id;
      const decision: Decision = seen.has(key) ? { kind: "conflict", id: key } : decide(command, state, this.table, this.options);
      seen.add(key);
      decisions.push(decision);
      if (decision.kind === "conflict" || (decision.kind === "duplicate" && decision.first !== "posted")) {
        failed = i;
      } else if (decision.kind === "duplicate") {
        outcomes.push(this.nonEventOutcome(decision, requestId));
      } else if (!isPosting(decision.event)) {
        failed = i;
      } else {
        for (const account of touchedAccounts(decision.event)) undo.push([account, state.balances.get(account)]);
        applyEvent(state, decision.event);
        outcomes.push(this.outcomeOf(decision.event, this.count + events.length, requestId));
        events.push(decision.event);
      }
    }
    if (failed < 0) {
      for (let i = 0; i < decisions.length; i++) {
        const decision = decisions[i] as Decision;
        if (decision.kind === "event" && decision.record !== undefined)
          this.table.record(
            decision.record.id,
            decision.record.fingerprint,
            decision.record.outcome,
            homeShardOf(commands[i] as OpenAccount | IdempotentCommand),
          );
      }
      return outcomes;
    }
    // Roll back, newest first (an opened account is removed: it was the last key added).
    for (let u = undo.length - 1; u >= 0; u--) {
      const [account, before] = undo[u] as [string, number | undefined];
      if (before === undefined) state.balances.delete(account);
      else state.balances.set(account, before);
    }
    [state.totalBalance, state.openedTotal, state.depositedTotal, state.withdrawnTotal] = totals;
    events.length = 0;
    const rejected: LedgerOutcome[] = new Array<LedgerOutcome>(commands.length);
    const repeated = new Set<string>();
    for (let i = 0; i < commands.length; i++) {
      const command = commands[i] as OpenAccount | IdempotentCommand;
      const key = command.type === "OpenAccount" ? openAccountKey(command.account) : command.id;
      const first = repeated.has(key);
      repeated.add(key);
      let decision: Decision;
      if (i === failed) decision = decisions[i] as Decision;
      else if (first) decision = { kind: "conflict", id: key };
      else {
        // Fresh ones become LINKED_EVENT_FAILED; retries and reused ids answer as they would alone.
        const alone = decide(command, state, this.table, this.options);
        decision = alone.kind === "event" ? linkedFailure(command, this.table.isFull) : alone;
      }
      if (decision.kind !== "event") {
        rejected[i] = this.nonEventOutcome(decision, requestId);
        continue;
      }
      if (decision.record !== undefined)
        this.table.record(decision.record.id, decision.record.fingerprint, decision.record.outcome, homeShardOf(command));
      rejected[i] = this.outcomeOf(decision.event, this.count + events.length, requestId);
      events.push(decision.event);
    }
    return rejected;
  }

  /** A command on a moving range is answered without an event (MOVED, MOVE_PENDING, CROSS_CELL); null: it belongs here. */
  private routeOf(command: BatchCommand, requestId: string): LedgerOutcome | null {
    let accounts: readonly string[];
    let id: string;
    switch (command.type) {
      case "Transfer":
        accounts = [command.from, command.to];
        id = command.id;
        break;
      case "Deposit":
      case "Withdraw":
        accounts = [command.account];
        id = command.id;
        break;
      case "OpenAccount":
        accounts = [command.account];
        id = command.account;
        break;
      case "TransferOut":
        // The payee is in another cell: only the payer's shard decides where the debit belongs.
        accounts = [command.from];
        id = command.id;
        break;
      case "CreditIn":
        accounts = [command.to];
        id = command.id;
        break;
      default:
        return null;
    }
    const route = this.moves.route(accounts);
    switch (route.kind) {
      case "here":
        return null;
      case "moved":
        return { requestId, id, outcome: "rejected", reason: "MOVED", duplicate: false, owner: route.owner };
      case "pending":
        return { requestId, id, outcome: "rejected", reason: "MOVE_PENDING", duplicate: false };
      case "cross-cell":
        return { requestId, id, outcome: "rejected", reason: "CROSS_CELL", duplicate: false, owner: route.owner };
      default:
        return assertNever(route);
    }
  }

  /**
   * A settlement of a record not open here: MOVED to the cell its record left for with the
   * payer's range, or MOVE_PENDING while a range is on its way here and this cell never sent the
   * id (its record may be in that range: the relay asks again after the import). Null: decide it.
   */
  private settleRouteOf(id: string, requestId: string): LedgerOutcome | null {
    const owner = this.moves.carriedOwner(id);
    if (owner !== undefined) return { requestId, id, outcome: "rejected", reason: "MOVED", duplicate: false, owner };
    if (this.moves.pending && this.table.lookup(id)?.outcome !== "posted")
      return { requestId, id, outcome: "rejected", reason: "MOVE_PENDING", duplicate: false };
    return null;
  }

  /**
   * One step of a shard move (shard-move.ts): an event when it takes effect, else the reason it
   * cannot. With `answer` false (nobody waits: a follower) the fence's carried record, a scan of
   * the tables, is not built.
   */
  private executeShardMove(command: ShardMoveCommand, requestId: string, events: LedgerEventBody[], answer: boolean): LedgerOutcome {
    const { moveId, first, last, peer, step } = command;
    const existing = this.moves.move(moveId);
    const done = (duplicate: boolean, record?: ShardRecord): LedgerOutcome => ({
      requestId,
      id: moveId,
      outcome: "shard-move",
      step,
      status: "done",
      duplicate,
      ...(record !== undefined && { record }),
    });
    const refused = (reason: string): LedgerOutcome => ({
      requestId,
      id: moveId,
      outcome: "shard-move",
      step,
      status: "refused",
      reason,
      duplicate: false,
    });
    const rangeHasAccounts = (): boolean => {
      for (const account of this.state.balances.keys()) if (inRange(shardOfAccountId(account), first, last)) return true;
      return false;
    };
    const emit = (event: ShardsMoved): void => {
      applyEvent(this.state, event);
      this.moves.apply(event);
      this.moves.movedInTotal = this.state.movedInTotal;
      this.moves.movedOutTotal = this.state.movedOutTotal;
      this.moves.outboxMovedInTotal = this.state.outboxMovedInTotal;
      this.moves.outboxMovedOutTotal = this.state.outboxMovedOutTotal;
      this.balancesTemplate = null; // accounts left or arrived: the read template's key set changed
      events.push(event);
    };
    switch (step) {
      case "expect": {
        if (existing !== undefined) return existing.status === "expected" ? done(true) : refused(`MOVE_${existing.status.toUpperCase()}`);
        if (rangeHasAccounts()) return refused("RANGE_ALREADY_HERE");
        emit({ type: "ShardsMoved", step, moveId, first, last, peer, accounts: [], ids: 0 });
        return done(false);
      }
      case "fence": {
        if (existing !== undefined) {
          if (existing.status !== "fenced") return refused(`MOVE_${existing.status.toUpperCase()}`);
          return done(
            true,
            answer ? this.recordOf(existing.first, existing.last, existing.accounts ?? [], existing.outbox ?? []) : undefined,
          );
        }
        for (let shard = first; shard <= last; shard++) {
          if (this.moves.route([`acct-${shard}-0`]).kind !== "here") return refused("RANGE_MOVING");
        }
        const accounts: [string, number][] = [];
        for (const [account, balance] of this.state.balances)
          if (inRange(shardOfAccountId(account), first, last)) accounts.push([account, balance]);
        // Open cross-cell transfers of the range's payers leave with them: the destination holds
        // their records, and the relay settles or refunds them there, where the payer now is
        // (docs/cells.md "Moves and cross-cell transfers").
        const outbox: CarriedOutboxRecord[] = [];
        for (const record of this.state.outbox.values())
          if (inRange(shardOfAccountId(record.from), first, last)) outbox.push(carriedOutboxRecord(record));
        emit({ type: "ShardsMoved", step, moveId, first, last, peer, accounts, ids: 0, ...(outbox.length > 0 && { outbox }) });
        return done(false, answer ? this.recordOf(first, last, accounts, outbox) : undefined);
      }
      case "import": {
        if (existing !== undefined && existing.status === "imported") return done(true);
        if (existing !== undefined && existing.status !== "expected") return refused(`MOVE_${existing.status.toUpperCase()}`);
        if (rangeHasAccounts()) return refused("RANGE_ALREADY_HERE");
        const record = command.record as ShardRecord;
        const outbox = outboxOfRecord(record);
        if (outbox.some(([id]) => this.state.outbox.has(id))) return refused("OUTBOX_RECORD_ALREADY_HERE");
        let ids = 0;
        for (const [id, packed] of record.idempotency) {
          if (this.table.has(id)) continue;
          this.table.loadPacked(id, packed);
          ids++;
        }
        // Credits already decided for the range's payees: a relay retrying one after the move
        // reaches this cell and must get the first outcome, not a second credit.
        for (const [id, code, shard] of receivedOfRecord(record)) {
          const outcome = receivedOutcomeOf(code);
          if (outcome === undefined || this.state.received.lookup(id) !== undefined) continue;
          this.state.received.record(id, outcome, shard ?? -1);
          ids++;
        }
        emit({
          type: "ShardsMoved",
          step,
          moveId,
          first,
          last,
          peer,
          accounts: record.accounts.map(([a, b]) => [a, b] as const),
          ids,
          ...(outbox.length > 0 && { outbox: outbox.map((carried) => [...carried] as const) }),
        });
        return done(false);
      }
      case "abort": {
        if (existing !== undefined && existing.status === "aborted") return done(true);
        if (existing !== undefined && existing.status !== "expected") return refused(`MOVE_${existing.status.toUpperCase()}`);
        emit({ type: "ShardsMoved", step, moveId, first, last, peer, accounts: [], ids: 0 });
        return done(false);
      }
      case "unfence": {
        if (existing !== undefined && existing.status === "unfenced") return done(true);
        if (existing !== undefined && existing.status !== "fenced") return refused(`MOVE_${existing.status.toUpperCase()}`);
        // Unfencing a move never fenced here (its fence's answer was lost, or it never arrived)
        // leaves a tombstone: a late fence of that move is then refused.
        emit({
          type: "ShardsMoved",
          step,
          moveId,
          first: existing?.first ?? first,
          last: existing?.last ?? last,
          peer,
          accounts: existing?.accounts ?? [],
          ids: 0,
          ...(existing?.outbox !== undefined && existing.outbox.length > 0 && { outbox: existing.outbox }),
        });
        return done(false);
      }
      default:
        return assertNever(step);
    }
  }

  /**
   * The carried record of a fenced range: its accounts as they left, the idempotency entries of
   * the operations whose home account (a transfer's payer, a deposit's, withdrawal's or opening's
   * account) is in the range and the received entries of credits to the range's payees, each
   * table read whole (every entry records its shard: idempotency.ts, cross-cell.ts), and the open
   * outbox records that left with the range's payers. An entry restored from a snapshot written
   * before entries recorded their shard has none and is not carried.
   */
  private recordOf(
    first: number,
    last: number,
    accounts: readonly (readonly [string, number])[],
    outbox: readonly CarriedOutboxRecord[],
  ): ShardRecord {
    const idempotency: [string, number][] = [];
    for (const [id, packed] of this.table.packedEntries()) {
      const shard = homeShardOfEntry(packed);
      if (shard >= first && shard <= last) idempotency.push([id, packed]);
    }
    const received: [string, number, number][] = [];
    for (const [id, code, shard] of this.state.received.entriesInOrder())
      if (shard >= first && shard <= last) received.push([id, code, shard]);
    const extensions = {
      ...(received.length > 0 && { [RECEIVED_EXTENSION]: received }),
      ...(outbox.length > 0 && { [OUTBOX_EXTENSION]: outbox.map((carried) => [...carried]) }),
    };
    return {
      format: SHARD_RECORD_FORMAT,
      accounts: accounts.map(([a, b]) => [a, b] as const),
      idempotency,
      ...(Object.keys(extensions).length > 0 && { extensions }),
    };
  }

  /** Shard moves this ledger took part in, by id (the controller's recovery reads it). */
  shardMove(moveId: string): { readonly status: string; readonly first: number; readonly last: number; readonly peer: string } | undefined {
    const move = this.moves.move(moveId);
    return move === undefined ? undefined : { status: move.status, first: move.first, last: move.last, peer: move.peer };
  }

  private nonEventOutcome(decision: Exclude<Decision, { kind: "event" }>, requestId: string): LedgerOutcome {
    switch (decision.kind) {
      case "duplicate":
        return decision.first === "posted"
          ? { requestId, id: decision.id, outcome: "posted", duplicate: true }
          : { requestId, id: decision.id, outcome: "rejected", reason: decision.first, duplicate: true };
      case "conflict":
        return { requestId, id: decision.id, outcome: "rejected", reason: "ID_REUSED", duplicate: false };
      default:
        return assertNever(decision);
    }
  }

  /** Balances of `accounts` (all when absent); unknown accounts are left out. A local read. */
  readBalances(accounts?: readonly AccountId[]): Record<string, number> {
    if (accounts === undefined) {
      // A clone of a template with every account, then values written in place: the result keeps
      // V8's fast properties. Adding dozens of properties one by one turns an object into a
      // dictionary (measured: 67 accounts, 11 KB allocated and 2.3 KB kept per read, reads being
      // what the history holds most of). Accounts are only ever added, so the size dates the template.
      // Its fields start null, not 0: V8 then keeps them "Tagged" (a small integer inline, any other
      // number by reference). From 0 ("Smi"), one heap-number balance anywhere in the process turned
      // them "Double" for good, and every read's clone boxed every balance: 16 bytes per account per
      // read kept by the history (heap snapshot: ~18 MB in a running world; docs/BENCHMARKS.md, session 6).
      const balances = this.state.balances;
      if (this.balancesTemplate === null || this.balancesTemplateSize !== balances.size) {
        this.balancesTemplate = Object.fromEntries(Array.from(balances.keys(), (account) => [account, null]));
        this.balancesTemplateSize = balances.size;
      }
      // Every field is written below: the template has exactly the accounts of the map.
      const all = { ...this.balancesTemplate } as Record<string, number>;
      for (const [account, balance] of balances) all[account] = balance;
      return all;
    }
    const result: Record<string, number> = {};
    for (const account of accounts) {
      const balance = this.state.balances.get(account);
      if (balance !== undefined) result[account] = balance;
    }
    return result;
  }

  balance(account: AccountId): number | undefined {
    return this.state.balances.get(account);
  }

  balances(): ReadonlyMap<AccountId, number> {
    return this.state.balances;
  }

  totalBalance(): number {
    return this.state.totalBalance;
  }

  /** Whether the command with client id `id` was decided here (posted or rejected): the controller's online lost-ack check. */
  hasCommand(id: string): boolean {
    return this.table.has(id);
  }

  /**
   * What entered and left the ledger, for the checkers' expected total: opened + deposited -
   * withdrawn + crossCellNet (+ movedIn - movedOut of movedTotals()) is what the balances sum to.
   */
  totals(): {
    readonly opened: number;
    readonly deposited: number;
    readonly withdrawn: number;
    /** Money from other cells minus money sent to them: received + refunded - sent. */
    readonly crossCellNet: number;
  } {
    const state = this.state;
    return {
      opened: state.openedTotal,
      deposited: state.depositedTotal,
      withdrawn: state.withdrawnTotal,
      crossCellNet: crossCellNet(state),
    };
  }

  /** Money shard moves carried in (imports, unfences) and out (fences): shard-move.ts. */
  movedTotals(): { readonly movedIn: number; readonly movedOut: number } {
    return { movedIn: this.state.movedInTotal, movedOut: this.state.movedOutTotal };
  }

  /** The cross-cell figures: money sent, settled, refunded, received, and the outbox still open. */
  crossCellTotals(): {
    readonly sent: number;
    readonly settled: number;
    readonly refunded: number;
    readonly received: number;
    readonly outboxOpen: number;
    readonly outboxOpenCount: number;
  } {
    const state = this.state;
    return {
      sent: state.sentTotal,
      settled: state.settledTotal,
      refunded: state.refundedTotal,
      received: state.receivedTotal,
      outboxOpen: state.outboxOpenTotal,
      outboxOpenCount: state.outbox.size,
    };
  }

  /** The oldest open outbox records, at most `limit` (what a relay delivers next). */
  openOutbox(limit: number): OutboxRecord[] {
    const records: OutboxRecord[] = [];
    for (const record of this.state.outbox.values()) {
      if (records.length >= limit) break;
      records.push(record);
    }
    return records;
  }

  /** The first outcome of the credit of transfer `id` here, if any. */
  receivedOutcome(id: string): ReceivedOutcome | undefined {
    return this.state.received.lookup(id);
  }

  /** The chain hash after event `eventIndex` (0-based), if retained or at a checkpoint. */
  hashAt(eventIndex: number): string | undefined {
    if (!Number.isSafeInteger(eventIndex) || eventIndex < 0 || eventIndex >= this.count) return undefined;
    const retained = this.store.hashAt(eventIndex);
    if (retained !== undefined) return retained;
    const eventCount = eventIndex + 1;
    return this.chainCheckpoints.find((checkpoint) => checkpoint.eventCount === eventCount)?.hash;
  }

  checkpoints(): readonly ChainCheckpoint[] {
    return this.chainCheckpoints;
  }

  /** Retained events with their links, oldest first (built on demand; see EventStore). */
  events(): readonly StoredEvent[] {
    return this.store.all();
  }

  /** Retained event bodies, oldest first (the first is event firstRetainedEventIndex). */
  eventBodies(): readonly LedgerEventBody[] {
    return this.store.eventBodies();
  }

  /** The retained event at `index` (undefined once dropped). */
  eventAt(index: number): StoredEvent | undefined {
    return this.store.at(index);
  }

  /** Index of the oldest retained event; events before it were dropped from memory. */
  get firstRetainedEventIndex(): number {
    return this.store.firstIndex;
  }

  /** Posted transfers among the retained events, in order. */
  *transfersApplied(): Iterable<AppliedTransfer> {
    const first = this.store.firstIndex;
    const bodies = this.store.eventBodies();
    for (let i = 0; i < bodies.length; i++) {
      const event = bodies[i] as LedgerEventBody;
      if (event.type === "TransferPosted")
        yield { id: event.id, from: event.from, to: event.to, amount: event.amount, eventIndex: first + i };
    }
  }

  /**
   * Recomputes the chain over the retained events from the hash before the oldest one, checks it
   * ends at the head and agrees with the checkpoints, and recounts every balance.
   */
  verify(): VerifyResult {
    let running = this.store.firstPreviousHash;
    const checkpointByCount = new Map(this.chainCheckpoints.map((checkpoint) => [checkpoint.eventCount, checkpoint.hash]));
    const links = this.store.links();
    const events = this.store.eventBodies();
    const base = this.store.firstIndex;
    let expectedIndex = base;
    for (let l = 0; l < links.length; l++) {
      const link = links[l] as EventLink;
      const end = l + 1 < links.length ? (links[l + 1] as EventLink).firstIndex : base + events.length;
      if (link.firstIndex !== expectedIndex || end <= link.firstIndex)
        return {
          ok: false,
          code: "INDEX_GAP",
          eventIndex: expectedIndex,
          message: `expected a link from event ${expectedIndex}, found one from ${link.firstIndex} to ${end}`,
        };
      // A link's previous hash is its predecessor's stored hash (event-store.ts), so a predecessor
      // whose hash was rewritten shows here: this link's events no longer hash to its own.
      const recomputed = chainHash(running, events, link.firstIndex - base, end - base);
      if (recomputed !== link.hash)
        return {
          ok: false,
          code: "EVENT_HASH_MISMATCH",
          eventIndex: link.firstIndex,
          message: `events ${link.firstIndex}..${end - 1} do not match their link's hash (they changed, or a link before them was re-hashed)`,
        };
      const checkpoint = checkpointByCount.get(end);
      if (checkpoint !== undefined && checkpoint !== recomputed)
        return { ok: false, code: "CHECKPOINT_MISMATCH", eventIndex: end - 1, message: `event ${end - 1} disagrees with its checkpoint` };
      running = recomputed;
      expectedIndex = end;
    }
    if (expectedIndex !== this.count || running !== this.head) {
      return {
        ok: false,
        code: "HEAD_MISMATCH",
        eventIndex: expectedIndex,
        message: `chain ends at ${expectedIndex} events, head says ${this.count}`,
      };
    }
    const sum = recountBalances(this.state);
    if (sum !== this.state.totalBalance || sum !== expectedTotal(this.state)) {
      return { ok: false, code: "BALANCES_NOT_CONSERVED", message: `balances sum to ${sum}, running total is ${this.state.totalBalance}` };
    }
    return { ok: true, eventsChecked: this.store.length };
  }

  snapshot(): LedgerSnapshot {
    const builder = this.beginSnapshot();
    builder.step(Number.POSITIVE_INFINITY);
    return builder.result();
  }

  /**
   * The state as of now, captured in O(accounts + checkpoints); the idempotency table (which
   * grows with every operation) is encoded later, a step at a time, while this ledger goes on.
   */
  beginSnapshot(): LedgerSnapshotBuilder {
    const header: Omit<LedgerSnapshotContent, "idempotency"> = {
      format: LEDGER_SNAPSHOT_FORMAT,
      eventCount: this.count,
      headHash: this.head,
      openedTotal: this.state.openedTotal,
      depositedTotal: this.state.depositedTotal,
      withdrawnTotal: this.state.withdrawnTotal,
      accounts: Array.from(this.state.balances.entries()),
      checkpoints: this.chainCheckpoints.map((checkpoint) => ({ eventCount: checkpoint.eventCount, hash: checkpoint.hash })),
      ...this.crossCellSnapshot(),
      // Absent until a move touched this ledger, so snapshots without moves are as before.
      ...(this.moves.used && { shardMoves: this.moves.toJson() }),
    };
    if (bugOn(this.options.bugs, "snapshot-drops-idempotency")) {
      // The injected bug: the snapshot carries no idempotency table, so a replica restored from
      // it takes a retry of an already-applied operation for a new one.
      return new LedgerSnapshotBuilder(header, new IdempotencyEncoder(([] as [string, number][])[Symbol.iterator]()), 0);
    }
    if (this.table.evicted > 0) {
      // A windowed table evicts as it records, so its prefix changes: encode a copy of the window
      // as of now (O(window), bounded), which later evictions cannot alter. Not kept here: the
      // encoder holds a second copy of the window, and it lives only as long as its builder.
      this.idempotencyEncoder = null;
      return new LedgerSnapshotBuilder(
        header,
        new IdempotencyEncoder(Array.from(this.table.packedEntries())[Symbol.iterator]()),
        this.table.size,
      );
    }
    this.idempotencyEncoder ??= new IdempotencyEncoder(this.table.packedEntries());
    return new LedgerSnapshotBuilder(header, this.idempotencyEncoder, this.table.size);
  }

  /** The cross-cell part of a snapshot; absent while this cell never took part in one (older snapshots stay byte-identical). */
  private crossCellSnapshot(): { crossCell?: CrossCellSnapshot } {
    const state = this.state;
    if (
      state.sentTotal === 0 &&
      state.receivedTotal === 0 &&
      state.received.size === 0 &&
      state.outbox.size === 0 &&
      // A cell that only closed records a move brought it has settled or refunded money to keep.
      state.settledTotal === 0 &&
      state.refundedTotal === 0
    )
      return {};
    return {
      crossCell: {
        sentTotal: state.sentTotal,
        settledTotal: state.settledTotal,
        refundedTotal: state.refundedTotal,
        receivedTotal: state.receivedTotal,
        outbox: Array.from(state.outbox.values(), (record) => [record.id, record.from, record.to, record.toCell, record.amount] as const),
        // [id, code, payee shard]; the shard is left out when there is none (and in snapshots written before it).
        received: Array.from(state.received.entriesInOrder(), ([id, code, shard]) =>
          shard >= 0 ? ([id, code, shard] as const) : ([id, code] as const),
        ),
      },
    };
  }

  /** One chain link for a batch's events (already applied to the balances). */
  private link(events: readonly LedgerEventBody[]): void {
    const firstIndex = this.count;
    const hash = chainHash(this.head, events);
    this.store.appendLink(firstIndex, hash, events);
    this.head = hash;
    this.count = firstIndex + events.length;
    const { checkpointEventsInterval, conservationRecountEventsInterval } = this.options;
    if (Math.floor(this.count / checkpointEventsInterval) > Math.floor(firstIndex / checkpointEventsInterval)) {
      this.chainCheckpoints.push({ eventCount: this.count, hash });
      const kept = this.options.checkpointsRetainedMax;
      if (kept !== undefined && this.chainCheckpoints.length >= 2 * kept) this.chainCheckpoints = this.chainCheckpoints.slice(-kept);
    }
    assertConservation(this.state);
    if (Math.floor(this.count / conservationRecountEventsInterval) > Math.floor(firstIndex / conservationRecountEventsInterval)) {
      assertLedger(
        recountBalances(this.state) === this.state.totalBalance,
        () => `balances do not sum to the running total at event ${this.count - 1}`,
      );
    }
  }

  private outcomeOf(event: LedgerEventBody, eventIndex: number, requestId: string): LedgerOutcome {
    const balances = this.state.balances;
    switch (event.type) {
      case "TransferPosted":
        return postedOutcome(requestId, event.id, eventIndex, [balanceIn(balances, event.from), balanceIn(balances, event.to)]);
      case "Deposited":
      case "Withdrawn":
        return postedOutcome(requestId, event.id, eventIndex, [balanceIn(balances, event.account)]);
      case "AccountOpened":
        return postedOutcome(requestId, event.account, eventIndex, [{ account: event.account, balance: event.initialBalance }]);
      case "TransferRejected":
      case "DepositRejected":
      case "WithdrawRejected":
        return { requestId, id: event.id, outcome: "rejected", reason: event.reason, duplicate: false, eventIndex };
      case "AccountOpenRejected":
        return { requestId, id: event.account, outcome: "rejected", reason: event.reason, duplicate: false, eventIndex };
      case "TransferSent":
      case "TransferRefunded":
        return postedOutcome(requestId, event.id, eventIndex, [balanceIn(balances, event.from)]);
      case "CreditReceived":
        return postedOutcome(requestId, event.id, eventIndex, [balanceIn(balances, event.to)]);
      case "TransferSettled":
        return { requestId, id: event.id, outcome: "posted", duplicate: false, eventIndex };
      case "CreditRefused":
        return { requestId, id: event.id, outcome: "rejected", reason: event.reason, duplicate: false, eventIndex };
      case "ShardsMoved":
        return { requestId, id: event.moveId, outcome: "shard-move", step: event.step, status: "done", duplicate: false };
      default:
        return assertNever(event);
    }
  }
}

/** A command's event posted: the accounts it touched, with their balances after it. */
function postedOutcome(requestId: string, id: string, eventIndex: number, balancesAfter: readonly AccountBalance[]): LedgerOutcome {
  return { requestId, id, outcome: "posted", duplicate: false, eventIndex, balancesAfter };
}

function balanceIn(balances: ReadonlyMap<string, number>, account: string): AccountBalance {
  return { account, balance: balances.get(account) ?? 0 };
}

function crossCellNonEventOutcome(decision: Exclude<CrossCellDecision, { kind: "event" }>, requestId: string): LedgerOutcome {
  if (decision.kind === "unknown") return { requestId, id: decision.id, outcome: "rejected", reason: "UNKNOWN_TRANSFER", duplicate: false };
  return decision.posted
    ? { requestId, id: decision.id, outcome: "posted", duplicate: true }
    : { requestId, id: decision.id, outcome: "rejected", reason: decision.reason ?? "UNKNOWN_ACCOUNT", duplicate: true };
}

/**
 * The shard of a command's home account (a transfer's payer; a deposit's, withdrawal's or
 * opening's account), -1 when it has none: its idempotency entry moves with that shard.
 */
function homeShardOf(command: OpenAccount | IdempotentCommand): number {
  switch (command.type) {
    case "Transfer":
    case "TransferOut":
      return shardOfAccountId(command.from);
    case "Deposit":
    case "Withdraw":
    case "OpenAccount":
      return shardOfAccountId(command.account);
    default:
      return assertNever(command);
  }
}

function isPosting(event: LedgerEventBody): boolean {
  return event.type === "TransferPosted" || event.type === "Deposited" || event.type === "Withdrawn" || event.type === "AccountOpened";
}

/** Accounts whose balance `event` changes (or creates), for the linked batch's undo log. */
function touchedAccounts(event: LedgerEventBody): readonly string[] {
  switch (event.type) {
    case "TransferPosted":
      return [event.from, event.to];
    case "Deposited":
    case "Withdrawn":
    case "AccountOpened":
      return [event.account];
    default:
      return [];
  }
}

/** A fresh command of a failed linked batch: rejected, and recorded (opens and a full table excepted). */
function linkedFailure(command: OpenAccount | IdempotentCommand, tableFull: boolean): Decision {
  const event = rejectionEvent(command, "LINKED_EVENT_FAILED");
  if (command.type === "OpenAccount" || tableFull) return { kind: "event", event };
  return { kind: "event", event, record: { id: command.id, fingerprint: commandFingerprint(command), outcome: recordedOutcome(event) } };
}

/**
 * Per command of a batch, its idempotency fingerprint (-1 until computed), kept on the batch: in
 * the simulator a cell's five replicas apply the same decoded batch and hash each command once.
 */
/**
 * Per command of a batch, the first event a replica decided for it, kept on the batch. Each
 * replica still decides on its own state; when its event is field-for-field the one already
 * there, it keeps that object instead of its own (immutable values, like interned strings): in
 * the simulator a cell's five replicas then retain one event object per command, not five.
 */
function sharedEventsOf(batch: LedgerBatchRequest): (LedgerEventBody | undefined)[] {
  const carrier = batch as LedgerBatchRequest & { events?: (LedgerEventBody | undefined)[] };
  let events = carrier.events;
  if (events === undefined || events.length !== batch.commands.length) {
    events = new Array<LedgerEventBody | undefined>(batch.commands.length);
    carrier.events = events;
  }
  return events;
}

function sameEvent(a: LedgerEventBody, b: LedgerEventBody): boolean {
  if (a.type !== b.type) return false;
  // A move step carries a record: never shared (rare, and its fields are not the ones compared below).
  if (a.type === "ShardsMoved") return false;
  const x = a as unknown as Record<string, unknown>;
  const y = b as unknown as Record<string, unknown>;
  return (
    x.id === y.id &&
    x.from === y.from &&
    x.to === y.to &&
    x.account === y.account &&
    x.amount === y.amount &&
    x.initialBalance === y.initialBalance &&
    x.reason === y.reason
  );
}

function fingerprintsOf(batch: LedgerBatchRequest): number[] {
  const carrier = batch as LedgerBatchRequest & { fingerprints?: number[] };
  let fingerprints = carrier.fingerprints;
  if (fingerprints === undefined || fingerprints.length !== batch.commands.length) {
    // A plain array, not a typed one: a typed array's backing store per batch is an ArrayBuffer
    // V8 tracks one by one (cells/raft/codec.ts), which at one transfer per batch cost more than
    // the hashing it saves.
    fingerprints = new Array<number>(batch.commands.length).fill(-1);
    carrier.fingerprints = fingerprints;
  }
  return fingerprints;
}
