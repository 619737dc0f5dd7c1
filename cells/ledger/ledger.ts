// The event-sourced ledger of one cell: command -> decide -> event -> hash chain -> apply.
// Single-threaded and deterministic: two ledgers fed the same commands hold the same balances and
// the same head hash, which is what lets five replicas prove they agree.

import {
  parseCommand,
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
import { commandFingerprint, IdempotencyTable } from "./idempotency.js";
import type { LedgerOutcome } from "./outcome.js";
import {
  IdempotencyEncoder,
  LEDGER_SNAPSHOT_FORMAT,
  LedgerSnapshotBuilder,
  parseLedgerSnapshot,
  type LedgerSnapshot,
  type LedgerSnapshotContent,
} from "./snapshot.js";
import { applyEvent, assertConservation, createLedgerState, recountBalances, type LedgerState } from "./state.js";

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
  /** A chain checkpoint (kept for the whole run) every this many events. */
  readonly checkpointEventsInterval: number;
  /** Every this many events, recount all balances against the running total. */
  readonly conservationRecountEventsInterval: number;
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
      readonly code:
        "EVENT_HASH_MISMATCH" | "PREVIOUS_HASH_MISMATCH" | "INDEX_GAP" | "HEAD_MISMATCH" | "CHECKPOINT_MISMATCH" | "BALANCES_NOT_CONSERVED";
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
    if (name === "idempotencyWindowEntries" && value === undefined) continue;
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`ledger option ${name}: expected a positive safe integer, got ${String(value)}`);
    }
  }
  return options;
}

export class Ledger {
  private readonly options: LedgerOptions;
  private readonly state: LedgerState = createLedgerState();
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

  constructor(options: Partial<LedgerOptions> = {}) {
    this.options = validateOptions({ ...defaultLedgerOptions, ...options });
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
    ledger.state.totalBalance = parsed.openedTotal + parsed.depositedTotal - parsed.withdrawnTotal;
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
    if (!parsed.ok) {
      return {
        requestId,
        id: "",
        outcome: "rejected",
        reason: "MALFORMED_COMMAND",
        duplicate: false,
        field: parsed.error.field,
        expected: parsed.error.expected,
      };
    }
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
      const command = commands[i] as LedgerCommand;
      if (command.type === "ReadBalances") {
        if (answer) outcomes[i] = { requestId, id: requestId, outcome: "read", balances: this.readBalances(command.accounts) };
        continue;
      }
      let fingerprint: number | undefined;
      if (command.type !== "OpenAccount") {
        fingerprint = fingerprints[i] as number;
        if (fingerprint < 0) fingerprints[i] = fingerprint = commandFingerprint(command);
      }
      const decision = decide(command, this.state, this.table, this.options, fingerprint);
      if (decision.kind !== "event") {
        if (answer) outcomes[i] = this.nonEventOutcome(decision, requestId);
        continue;
      }
      let event = decision.event;
      const first = shared[i];
      if (first === undefined) shared[i] = event;
      else if (sameEvent(first, event)) event = first;
      applyEvent(this.state, event);
      if (decision.record !== undefined) this.table.record(decision.record.id, decision.record.fingerprint, decision.record.outcome);
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
    const undo: [string, number | undefined][] = [];
    const decisions: Decision[] = [];
    const outcomes: LedgerOutcome[] = [];
    const seen = new Set<string>();
    let failed = -1;
    for (let i = 0; i < commands.length && failed < 0; i++) {
      const command = commands[i] as LedgerCommand;
      assertLedger(command.type !== "ReadBalances", "a linked batch holds no reads (parseBatch and the codec refuse them)");
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
      for (const decision of decisions) {
        if (decision.kind === "event" && decision.record !== undefined)
          this.table.record(decision.record.id, decision.record.fingerprint, decision.record.outcome);
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
      if (decision.record !== undefined) this.table.record(decision.record.id, decision.record.fingerprint, decision.record.outcome);
      rejected[i] = this.outcomeOf(decision.event, this.count + events.length, requestId);
      events.push(decision.event);
    }
    return rejected;
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

  /** What entered and left the ledger, for the bank checker's expected total. */
  totals(): { readonly opened: number; readonly deposited: number; readonly withdrawn: number } {
    return { opened: this.state.openedTotal, deposited: this.state.depositedTotal, withdrawn: this.state.withdrawnTotal };
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
      if (link.previousHash !== running)
        return {
          ok: false,
          code: "PREVIOUS_HASH_MISMATCH",
          eventIndex: link.firstIndex,
          message: `event ${link.firstIndex} does not link to its predecessor`,
        };
      const recomputed = chainHash(running, events, link.firstIndex - base, end - base);
      if (recomputed !== link.hash)
        return {
          ok: false,
          code: "EVENT_HASH_MISMATCH",
          eventIndex: link.firstIndex,
          message: `events ${link.firstIndex}..${end - 1} do not match their link's hash`,
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
    if (sum !== this.state.totalBalance || sum !== this.state.openedTotal + this.state.depositedTotal - this.state.withdrawnTotal) {
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
    };
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

  /** One chain link for a batch's events (already applied to the balances). */
  private link(events: readonly LedgerEventBody[]): void {
    const firstIndex = this.count;
    const previousHash = this.head;
    const hash = chainHash(previousHash, events);
    this.store.appendLink({ firstIndex, previousHash, hash }, events);
    this.head = hash;
    this.count = firstIndex + events.length;
    const { checkpointEventsInterval, conservationRecountEventsInterval } = this.options;
    if (Math.floor(this.count / checkpointEventsInterval) > Math.floor(firstIndex / checkpointEventsInterval))
      this.chainCheckpoints.push({ eventCount: this.count, hash });
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
        return {
          requestId,
          id: event.id,
          outcome: "posted",
          duplicate: false,
          eventIndex,
          balancesAfter: [
            { account: event.from, balance: balances.get(event.from) ?? 0 },
            { account: event.to, balance: balances.get(event.to) ?? 0 },
          ],
        };
      case "Deposited":
      case "Withdrawn":
        return {
          requestId,
          id: event.id,
          outcome: "posted",
          duplicate: false,
          eventIndex,
          balancesAfter: [{ account: event.account, balance: balances.get(event.account) ?? 0 }],
        };
      case "AccountOpened":
        return {
          requestId,
          id: event.account,
          outcome: "posted",
          duplicate: false,
          eventIndex,
          balancesAfter: [{ account: event.account, balance: event.initialBalance }],
        };
      case "TransferRejected":
      case "DepositRejected":
      case "WithdrawRejected":
        return { requestId, id: event.id, outcome: "rejected", reason: event.reason, duplicate: false, eventIndex };
      case "AccountOpenRejected":
        return { requestId, id: event.account, outcome: "rejected", reason: event.reason, duplicate: false, eventIndex };
      default:
        return assertNever(event);
    }
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
