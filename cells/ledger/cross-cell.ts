// Cross-cell transfers, the ledger's side (docs/cells.md "Cross-cell transfers"). No lock spans
// two cells; money moves in three committed steps, each idempotent on its own:
//   1. source: TransferOut -> TransferSent: debit `from` and open an outbox record, one event, so
//      the debit and the promise to deliver commit together or not at all;
//   2. destination: CreditIn -> CreditReceived (credit `to`) or CreditRefused (a permanent
//      refusal), recorded by transfer id in the received table: a second delivery changes
//      nothing and answers the first outcome;
//   3. source: SettleTransfer -> TransferSettled (record closed) or, after a refusal only,
//      TransferRefunded (record closed, `from` credited back). A timeout is never a refusal: the
//      relay retries an unknown outcome, it never compensates one.
// Invariant per cell (asserted per batch in state.ts):
//   sum(balances) = opened + deposited - withdrawn - sent + refunded + received
//   outboxOpen   = sent - settled - refunded
// and across cells the global-conservation checker (harness/checkers/global-conservation.ts)
// counts an open record as in flight until its credit applies.

import type { CreditIn, CreditRefusalReason, SettleTransfer } from "./commands.js";
import { CREDIT_REFUSAL_REASONS } from "./commands.js";
import { assertLedger } from "./errors.js";
import type { LedgerEventBody } from "./events.js";
import type { LedgerState } from "./state.js";
import { isValidAmount } from "./decide.js";
import { IdWindow } from "./id-window.js";

/** An open outbox record: money debited here, not yet known to have arrived. */
export interface OutboxRecord {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly toCell: string;
  readonly amount: number;
}

/** What the received table remembers per transfer id. */
export type ReceivedOutcome = "credited" | CreditRefusalReason;

const RECEIVED_CODES: readonly ReceivedOutcome[] = ["credited", ...CREDIT_REFUSAL_REASONS];

export function receivedCode(outcome: ReceivedOutcome): number {
  const code = RECEIVED_CODES.indexOf(outcome);
  assertLedger(code >= 0, () => `unknown received outcome ${outcome}`);
  return code;
}

export function receivedOutcomeOf(code: number): ReceivedOutcome | undefined {
  return Number.isInteger(code) ? RECEIVED_CODES[code] : undefined;
}

/** A received entry is one number: the outcome code plus RECEIVED_HOME_UNIT * (the payee's shard + 1), 0 = none. */
const RECEIVED_HOME_UNIT = 16;

/**
 * Transfer id -> first outcome of its credit, in applied order, with the payee's shard (a shard
 * move carries the entries of its range's payees). Without a window it only grows
 * (exactly-once forever); with one (a world that runs indefinitely, the same window as the
 * idempotency table) the oldest ids are evicted: safe while no redelivery of an id comes more
 * than `windowEntries` credits later (the relay redelivers only records still open at the source).
 */
export class ReceivedTable {
  /** id -> received code and payee shard, in applied order (compact: id-window.ts). */
  private readonly entries: IdWindow;

  constructor(readonly windowEntries?: number) {
    this.entries = new IdWindow(windowEntries);
  }

  get size(): number {
    return this.entries.size;
  }

  lookup(id: string): ReceivedOutcome | undefined {
    const packed = this.entries.get(id);
    return packed === undefined ? undefined : RECEIVED_CODES[packed % RECEIVED_HOME_UNIT];
  }

  /** `payeeShard`: the shard of the credited account (-1: none, or not known). */
  record(id: string, outcome: ReceivedOutcome, payeeShard = -1): void {
    const packed = receivedCode(outcome) + (payeeShard >= 0 ? (payeeShard + 1) * RECEIVED_HOME_UNIT : 0);
    assertLedger(this.entries.add(id, packed), () => `transfer ${id} received twice`);
  }

  /** [transfer id, outcome code, payee shard (-1: none)] in applied order. */
  *entriesInOrder(): IterableIterator<[string, number, number]> {
    for (const [id, packed] of this.entries.entries()) yield [id, packed % RECEIVED_HOME_UNIT, Math.floor(packed / RECEIVED_HOME_UNIT) - 1];
  }
}

export type CrossCellDecision =
  | { readonly kind: "event"; readonly event: LedgerEventBody }
  /** A redelivery or a repeated settlement: nothing happens, the first outcome is answered. */
  | { readonly kind: "duplicate"; readonly id: string; readonly posted: boolean; readonly reason?: CreditRefusalReason }
  /** A settlement for an id this cell never sent (or no longer remembers). */
  | { readonly kind: "unknown"; readonly id: string };

export interface CreditOptions {
  /**
   * BUG INJECTION for the harness's own tests only: credit without looking the id up in the
   * received table, so a redelivered credit applies twice. Never set outside tests.
   */
  readonly unsafeCreditWithoutIdempotency?: boolean;
}

export function decideCredit(command: CreditIn, state: LedgerState, options: CreditOptions = {}): CrossCellDecision {
  const { id, from, fromCell, to, amount } = command;
  const previous = options.unsafeCreditWithoutIdempotency === true ? undefined : state.received.lookup(id);
  if (previous !== undefined)
    return previous === "credited" ? { kind: "duplicate", id, posted: true } : { kind: "duplicate", id, posted: false, reason: previous };
  const refuse = (reason: CreditRefusalReason): CrossCellDecision => ({
    kind: "event",
    event: { type: "CreditRefused", id, from, fromCell, to, amount, reason },
  });
  if (!isValidAmount(amount)) return refuse("INVALID_AMOUNT");
  if (!state.balances.has(to)) return refuse("UNKNOWN_ACCOUNT");
  if (!Number.isSafeInteger(state.totalBalance + amount)) return refuse("BALANCE_OVERFLOW");
  return { kind: "event", event: { type: "CreditReceived", id, from, fromCell, to, amount } };
}

/**
 * `sentBefore`: whether the idempotency table says this cell accepted a TransferOut with this id
 * (then a record no longer open was closed already: the settlement is a repeat).
 */
export function decideSettle(command: SettleTransfer, state: LedgerState, sentBefore: boolean): CrossCellDecision {
  const record = state.outbox.get(command.id);
  if (record === undefined) return sentBefore ? { kind: "duplicate", id: command.id, posted: true } : { kind: "unknown", id: command.id };
  const { id, from, to, toCell, amount } = record;
  if (command.result === "credited") return { kind: "event", event: { type: "TransferSettled", id, from, to, toCell, amount } };
  return { kind: "event", event: { type: "TransferRefunded", id, from, to, toCell, amount, reason: command.reason ?? "UNKNOWN_ACCOUNT" } };
}

/** Net money that entered this cell's balances from other cells: received + refunded - sent. */
export function crossCellNet(state: LedgerState): number {
  return state.receivedTotal + state.refundedTotal - state.sentTotal;
}
