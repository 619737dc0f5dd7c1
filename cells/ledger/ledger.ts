// The event-sourced ledger of one cell: command -> decide -> event -> hash chain -> apply.
// Single-threaded and deterministic: two ledgers fed the same commands hold the same balances and
// the same head hash, which is what lets five replicas prove they agree.

import { parseCommand, type AccountId, type LedgerCommand } from "./commands.js";
import { decide } from "./decide.js";
import { assertLedger } from "./errors.js";
import { EventStore } from "./event-store.js";
import { assertNever, type LedgerEventBody, type StoredEvent } from "./events.js";
import { chainHash, GENESIS_HASH, type ChainCheckpoint } from "./hash-chain.js";
import { IdempotencyTable } from "./idempotency.js";
import type { LedgerOutcome } from "./outcome.js";
import { IdempotencyEncoder, LEDGER_SNAPSHOT_FORMAT, LedgerSnapshotBuilder, parseLedgerSnapshot, type LedgerSnapshot, type LedgerSnapshotContent } from "./snapshot.js";
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
      readonly code: "EVENT_HASH_MISMATCH" | "PREVIOUS_HASH_MISMATCH" | "INDEX_GAP" | "HEAD_MISMATCH" | "CHECKPOINT_MISMATCH" | "BALANCES_NOT_CONSERVED";
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
  private balancesTemplate: Record<string, number> | null = null;
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
      return { requestId, id: "", outcome: "rejected", reason: "MALFORMED_COMMAND", duplicate: false, field: parsed.error.field, expected: parsed.error.expected };
    }
    return this.execute(parsed.command, requestId);
  }

  /** Executes a parsed command (see parseCommand): reads answer, writes append one event or none. */
  execute(command: LedgerCommand, requestId = ""): LedgerOutcome {
    if (command.type === "ReadBalances") {
      return { requestId, id: requestId, outcome: "read", balances: this.readBalances(command.accounts) };
    }
    const decision = decide(command, this.state, this.table, this.options);
    switch (decision.kind) {
      case "duplicate":
        return decision.first === "posted"
          ? { requestId, id: decision.id, outcome: "posted", duplicate: true }
          : { requestId, id: decision.id, outcome: "rejected", reason: decision.first, duplicate: true };
      case "conflict":
        return { requestId, id: decision.id, outcome: "rejected", reason: "ID_REUSED", duplicate: false };
      case "event": {
        const eventIndex = this.append(decision.event);
        if (decision.record !== undefined) this.table.record(decision.record.id, decision.record.fingerprint, decision.record.outcome);
        return this.outcomeOf(decision.event, eventIndex, requestId);
      }
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
      const balances = this.state.balances;
      if (this.balancesTemplate === null || this.balancesTemplateSize !== balances.size) {
        this.balancesTemplate = Object.fromEntries(Array.from(balances.keys(), (account) => [account, 0]));
        this.balancesTemplateSize = balances.size;
      }
      const all: Record<string, number> = { ...this.balancesTemplate };
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
    const stored = this.store.at(eventIndex);
    if (stored !== undefined) return stored.hash;
    const eventCount = eventIndex + 1;
    if (eventCount % this.options.checkpointEventsInterval !== 0) return undefined;
    return this.chainCheckpoints.find((checkpoint) => checkpoint.eventCount === eventCount)?.hash;
  }

  checkpoints(): readonly ChainCheckpoint[] {
    return this.chainCheckpoints;
  }

  /** Retained events, oldest first (see EventStore for what is retained). */
  events(): readonly StoredEvent[] {
    return this.store.all();
  }

  /** Index of the oldest retained event; events before it were dropped from memory. */
  get firstRetainedEventIndex(): number {
    return this.store.firstIndex;
  }

  /** Posted transfers among the retained events, in order. */
  *transfersApplied(): Iterable<AppliedTransfer> {
    for (const stored of this.store.all()) {
      const event = stored.event;
      if (event.type === "TransferPosted") yield { id: event.id, from: event.from, to: event.to, amount: event.amount, eventIndex: stored.index };
    }
  }

  /**
   * Recomputes the chain over the retained events from the hash before the oldest one, checks it
   * ends at the head and agrees with the checkpoints, and recounts every balance.
   */
  verify(): VerifyResult {
    let running = this.store.firstPreviousHash;
    let expectedIndex = this.store.firstIndex;
    const checkpointByCount = new Map(this.chainCheckpoints.map((checkpoint) => [checkpoint.eventCount, checkpoint.hash]));
    for (const stored of this.store.all()) {
      if (stored.index !== expectedIndex) return { ok: false, code: "INDEX_GAP", eventIndex: expectedIndex, message: `expected event ${expectedIndex}, found ${stored.index}` };
      if (stored.previousHash !== running) return { ok: false, code: "PREVIOUS_HASH_MISMATCH", eventIndex: stored.index, message: `event ${stored.index} does not link to its predecessor` };
      const recomputed = chainHash(running, stored.event);
      if (recomputed !== stored.hash) return { ok: false, code: "EVENT_HASH_MISMATCH", eventIndex: stored.index, message: `event ${stored.index} does not match its hash` };
      const checkpoint = checkpointByCount.get(stored.index + 1);
      if (checkpoint !== undefined && checkpoint !== recomputed) return { ok: false, code: "CHECKPOINT_MISMATCH", eventIndex: stored.index, message: `event ${stored.index} disagrees with its checkpoint` };
      running = recomputed;
      expectedIndex++;
    }
    if (expectedIndex !== this.count || running !== this.head) {
      return { ok: false, code: "HEAD_MISMATCH", eventIndex: expectedIndex, message: `chain ends at ${expectedIndex} events, head says ${this.count}` };
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
      return new LedgerSnapshotBuilder(header, new IdempotencyEncoder(Array.from(this.table.packedEntries())[Symbol.iterator]()), this.table.size);
    }
    this.idempotencyEncoder ??= new IdempotencyEncoder(this.table.packedEntries());
    return new LedgerSnapshotBuilder(header, this.idempotencyEncoder, this.table.size);
  }

  private append(event: LedgerEventBody): number {
    const index = this.count;
    const previousHash = this.head;
    const hash = chainHash(previousHash, event);
    applyEvent(this.state, event);
    this.store.append({ index, previousHash, hash, event });
    this.head = hash;
    this.count = index + 1;
    if (this.count % this.options.checkpointEventsInterval === 0) this.chainCheckpoints.push({ eventCount: this.count, hash });
    assertConservation(this.state);
    if (this.count % this.options.conservationRecountEventsInterval === 0) {
      assertLedger(recountBalances(this.state) === this.state.totalBalance, () => `balances do not sum to the running total at event ${index}`);
    }
    return index;
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
        return { requestId, id: event.id, outcome: "posted", duplicate: false, eventIndex, balancesAfter: [{ account: event.account, balance: balances.get(event.account) ?? 0 }] };
      case "AccountOpened":
        return { requestId, id: event.account, outcome: "posted", duplicate: false, eventIndex, balancesAfter: [{ account: event.account, balance: event.initialBalance }] };
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
