// Ledger events: what happened, in log order. Rejections are events too, so the chain records
// every decision a replica made, not only the ones that moved money. The hash input is the binary
// encoding of cells/ledger/codec.ts; encodeEvent below is a readable canonical string for logs
// and tests (length-prefixed, so no two events encode alike).

import type { AccountId, CreditRefusalReason, OperationId } from "./commands.js";
import type { ShardsMoved } from "./shard-move.js";

export type { ShardsMoved };

/** SAME_CELL: a TransferOut whose payee is an account of this very cell (use Transfer). */
export type TransferRejectReason =
  | "INSUFFICIENT_FUNDS"
  | "UNKNOWN_ACCOUNT"
  | "SAME_ACCOUNT"
  | "INVALID_AMOUNT"
  | "IDEMPOTENCY_TABLE_FULL"
  | "LINKED_EVENT_FAILED"
  | "SAME_CELL";
/** LINKED_EVENT_FAILED: a linked batch-mate failed, so this one (valid on its own) did not take effect. */
export type DepositRejectReason =
  "UNKNOWN_ACCOUNT" | "INVALID_AMOUNT" | "BALANCE_OVERFLOW" | "IDEMPOTENCY_TABLE_FULL" | "LINKED_EVENT_FAILED";
export type WithdrawRejectReason =
  "INSUFFICIENT_FUNDS" | "UNKNOWN_ACCOUNT" | "INVALID_AMOUNT" | "IDEMPOTENCY_TABLE_FULL" | "LINKED_EVENT_FAILED";
export type OpenAccountRejectReason = "ACCOUNT_EXISTS" | "INVALID_AMOUNT" | "BALANCE_OVERFLOW" | "ACCOUNTS_FULL" | "LINKED_EVENT_FAILED";
export type RejectReason = TransferRejectReason | DepositRejectReason | WithdrawRejectReason | OpenAccountRejectReason;

export interface AccountOpened {
  readonly type: "AccountOpened";
  readonly account: AccountId;
  readonly initialBalance: number;
}
export interface AccountOpenRejected {
  readonly type: "AccountOpenRejected";
  readonly account: AccountId;
  readonly initialBalance: number;
  readonly reason: OpenAccountRejectReason;
}
export interface TransferPosted {
  readonly type: "TransferPosted";
  readonly id: OperationId;
  readonly from: AccountId;
  readonly to: AccountId;
  readonly amount: number;
}
export interface TransferRejected {
  readonly type: "TransferRejected";
  readonly id: OperationId;
  readonly from: AccountId;
  readonly to: AccountId;
  /** As the client sent it (may be a float or negative: that is why it was rejected). */
  readonly amount: number;
  readonly reason: TransferRejectReason;
}
export interface Deposited {
  readonly type: "Deposited";
  readonly id: OperationId;
  readonly account: AccountId;
  readonly amount: number;
}
export interface DepositRejected {
  readonly type: "DepositRejected";
  readonly id: OperationId;
  readonly account: AccountId;
  readonly amount: number;
  readonly reason: DepositRejectReason;
}
export interface Withdrawn {
  readonly type: "Withdrawn";
  readonly id: OperationId;
  readonly account: AccountId;
  readonly amount: number;
}
export interface WithdrawRejected {
  readonly type: "WithdrawRejected";
  readonly id: OperationId;
  readonly account: AccountId;
  readonly amount: number;
  readonly reason: WithdrawRejectReason;
}

/** Source cell: `from` debited and an outbox record opened, in one event (cells/ledger/cross-cell.ts). */
export interface TransferSent {
  readonly type: "TransferSent";
  readonly id: OperationId;
  readonly from: AccountId;
  readonly to: AccountId;
  readonly toCell: string;
  readonly amount: number;
}
/** Destination cell: `to` credited, the id entered in the received table. */
export interface CreditReceived {
  readonly type: "CreditReceived";
  readonly id: OperationId;
  readonly from: AccountId;
  readonly fromCell: string;
  readonly to: AccountId;
  readonly amount: number;
}
/** Destination cell: the credit refused for good (recorded, so every redelivery learns the same). */
export interface CreditRefused {
  readonly type: "CreditRefused";
  readonly id: OperationId;
  readonly from: AccountId;
  readonly fromCell: string;
  readonly to: AccountId;
  readonly amount: number;
  readonly reason: CreditRefusalReason;
}
/** Source cell: the outbox record closed, the money arrived. */
export interface TransferSettled {
  readonly type: "TransferSettled";
  readonly id: OperationId;
  readonly from: AccountId;
  readonly to: AccountId;
  readonly toCell: string;
  readonly amount: number;
}
/** Source cell: the outbox record closed after a permanent refusal, `from` credited back. */
export interface TransferRefunded {
  readonly type: "TransferRefunded";
  readonly id: OperationId;
  readonly from: AccountId;
  readonly to: AccountId;
  readonly toCell: string;
  readonly amount: number;
  readonly reason: CreditRefusalReason;
}

export type CrossCellEvent = TransferSent | CreditReceived | CreditRefused | TransferSettled | TransferRefunded;

export type LedgerEventBody =
  | AccountOpened
  | AccountOpenRejected
  | TransferPosted
  | TransferRejected
  | Deposited
  | DepositRejected
  | Withdrawn
  | WithdrawRejected
  | CrossCellEvent
  | ShardsMoved;

/**
 * An event as stored: its position and the chain link of the batch that holds it (every event of
 * one batch has the same previousHash and hash).
 */
export interface StoredEvent {
  /** 0-based position in the ledger's event sequence. */
  readonly index: number;
  /** The hash of the link before this event's batch. */
  readonly previousHash: string;
  /** chainHash(previousHash, the batch's events): lowercase hex (hash-chain.ts). */
  readonly hash: string;
  readonly event: LedgerEventBody;
}

export function assertNever(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}

// Length-prefixed so that no choice of ids or account names can make two events encode alike.
function text(value: string): string {
  return `${value.length}:${value}`;
}

// String(n) is deterministic for every number, including the NaN or 1.5 of a rejected command.
function num(value: number): string {
  return String(value);
}

/** The canonical encoding of an event: the hash input, identical on every replica. */
export function encodeEvent(event: LedgerEventBody): string {
  switch (event.type) {
    case "TransferPosted":
      return `TP|${text(event.id)}|${text(event.from)}|${text(event.to)}|${num(event.amount)}`;
    case "TransferRejected":
      return `TR|${text(event.id)}|${text(event.from)}|${text(event.to)}|${num(event.amount)}|${event.reason}`;
    case "Deposited":
      return `DP|${text(event.id)}|${text(event.account)}|${num(event.amount)}`;
    case "DepositRejected":
      return `DR|${text(event.id)}|${text(event.account)}|${num(event.amount)}|${event.reason}`;
    case "Withdrawn":
      return `WP|${text(event.id)}|${text(event.account)}|${num(event.amount)}`;
    case "WithdrawRejected":
      return `WR|${text(event.id)}|${text(event.account)}|${num(event.amount)}|${event.reason}`;
    case "AccountOpened":
      return `AO|${text(event.account)}|${num(event.initialBalance)}`;
    case "AccountOpenRejected":
      return `AR|${text(event.account)}|${num(event.initialBalance)}|${event.reason}`;
    case "TransferSent":
      return `XS|${text(event.id)}|${text(event.from)}|${text(event.to)}|${text(event.toCell)}|${num(event.amount)}`;
    case "CreditReceived":
      return `XC|${text(event.id)}|${text(event.from)}|${text(event.fromCell)}|${text(event.to)}|${num(event.amount)}`;
    case "CreditRefused":
      return `XR|${text(event.id)}|${text(event.from)}|${text(event.fromCell)}|${text(event.to)}|${num(event.amount)}|${event.reason}`;
    case "TransferSettled":
      return `XD|${text(event.id)}|${text(event.from)}|${text(event.to)}|${text(event.toCell)}|${num(event.amount)}`;
    case "TransferRefunded":
      return `XF|${text(event.id)}|${text(event.from)}|${text(event.to)}|${text(event.toCell)}|${num(event.amount)}|${event.reason}`;
    case "ShardsMoved":
      // The carried outbox records only when some moved: a move without them hashes as before.
      return `SM|${event.step}|${text(event.moveId)}|${num(event.first)}|${num(event.last)}|${text(event.peer)}|${text(JSON.stringify(event.accounts))}|${num(event.ids)}${event.outbox === undefined ? "" : `|${text(JSON.stringify(event.outbox))}`}`;
    default:
      return assertNever(event);
  }
}
