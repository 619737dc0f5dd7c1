// decide(command, state) -> event: the business rules, as a function that only reads. Every
// client mistake (a float amount, an unknown account, an overdraft) becomes a rejection event,
// never an exception: the same bad command reaches all five replicas, and it must not crash them.

import type { IdempotentCommand, OpenAccount } from "./commands.js";
import { assertLedger, LedgerError } from "./errors.js";
import type { LedgerEventBody } from "./events.js";
import { hashString } from "../../ground/hash.js";
import { commandFingerprint, type IdempotencyTable, type RecordedOutcome } from "./idempotency.js";
import type { LedgerState } from "./state.js";

export interface DecideLimits {
  readonly accountsMax: number;
}

export type Decision =
  | {
      readonly kind: "event";
      readonly event: LedgerEventBody;
      /** Set when the outcome must enter the idempotency table. */
      readonly record?: { readonly id: string; readonly fingerprint: number; readonly outcome: RecordedOutcome };
    }
  /** A retry of an id already decided: nothing happens, the first outcome is returned. */
  | { readonly kind: "duplicate"; readonly id: string; readonly first: RecordedOutcome }
  /** An id already used for a different operation: nothing happens, the client gets ID_REUSED. */
  | { readonly kind: "conflict"; readonly id: string };

export function isValidAmount(amount: number): boolean {
  return Number.isSafeInteger(amount) && amount > 0;
}

/** `fingerprint`: commandFingerprint(command) when the caller already has it. */
export function decide(
  command: OpenAccount | IdempotentCommand,
  state: LedgerState,
  table: IdempotencyTable,
  limits: DecideLimits,
  fingerprint = command.type === "OpenAccount" ? 0 : commandFingerprint(command),
): Decision {
  if (command.type === "OpenAccount") return decideOpenAccount(command, state, table, limits);

  const previous = table.lookup(command.id);
  if (previous !== undefined) {
    return previous.fingerprint === fingerprint
      ? { kind: "duplicate", id: command.id, first: previous.outcome }
      : { kind: "conflict", id: command.id };
  }
  const event = table.isFull ? rejectForFullTable(command) : decideFresh(command, state);
  if (table.isFull) return { kind: "event", event };
  return { kind: "event", event, record: { id: command.id, fingerprint, outcome: recordedOutcome(event) } };
}

function decideFresh(command: IdempotentCommand, state: LedgerState): LedgerEventBody {
  const balances = state.balances;
  switch (command.type) {
    case "Transfer": {
      const { id, from, to, amount } = command;
      if (!isValidAmount(amount)) return { type: "TransferRejected", id, from, to, amount, reason: "INVALID_AMOUNT" };
      if (from === to) return { type: "TransferRejected", id, from, to, amount, reason: "SAME_ACCOUNT" };
      const fromBalance = balances.get(from);
      if (fromBalance === undefined || !balances.has(to))
        return { type: "TransferRejected", id, from, to, amount, reason: "UNKNOWN_ACCOUNT" };
      if (fromBalance < amount) return { type: "TransferRejected", id, from, to, amount, reason: "INSUFFICIENT_FUNDS" };
      // No overflow check: the total is a safe integer and bounds every balance, and a transfer
      // does not change the total.
      return { type: "TransferPosted", id, from, to, amount };
    }
    case "TransferOut": {
      // `to` lives in another cell: only the source side is judged here; the destination judges
      // the credit (and a permanent refusal there is refunded).
      const { id, from, to, toCell, amount } = command;
      if (!isValidAmount(amount)) return { type: "TransferRejected", id, from, to, amount, reason: "INVALID_AMOUNT" };
      const fromBalance = balances.get(from);
      if (fromBalance === undefined) return { type: "TransferRejected", id, from, to, amount, reason: "UNKNOWN_ACCOUNT" };
      if (balances.has(to)) return { type: "TransferRejected", id, from, to, amount, reason: "SAME_CELL" };
      if (fromBalance < amount) return { type: "TransferRejected", id, from, to, amount, reason: "INSUFFICIENT_FUNDS" };
      return { type: "TransferSent", id, from, to, toCell, amount };
    }
    case "Deposit": {
      const { id, account, amount } = command;
      if (!isValidAmount(amount)) return { type: "DepositRejected", id, account, amount, reason: "INVALID_AMOUNT" };
      if (!balances.has(account)) return { type: "DepositRejected", id, account, amount, reason: "UNKNOWN_ACCOUNT" };
      if (!Number.isSafeInteger(state.totalBalance + amount))
        return { type: "DepositRejected", id, account, amount, reason: "BALANCE_OVERFLOW" };
      return { type: "Deposited", id, account, amount };
    }
    case "Withdraw": {
      const { id, account, amount } = command;
      if (!isValidAmount(amount)) return { type: "WithdrawRejected", id, account, amount, reason: "INVALID_AMOUNT" };
      const balance = balances.get(account);
      if (balance === undefined) return { type: "WithdrawRejected", id, account, amount, reason: "UNKNOWN_ACCOUNT" };
      if (balance < amount) return { type: "WithdrawRejected", id, account, amount, reason: "INSUFFICIENT_FUNDS" };
      return { type: "Withdrawn", id, account, amount };
    }
  }
}

function rejectForFullTable(command: IdempotentCommand): LedgerEventBody {
  return rejectionEvent(command, "IDEMPOTENCY_TABLE_FULL");
}

/** The rejection event of `command` for a reason every command kind can have. */
export function rejectionEvent(
  command: OpenAccount | IdempotentCommand,
  reason: "IDEMPOTENCY_TABLE_FULL" | "LINKED_EVENT_FAILED",
): LedgerEventBody {
  switch (command.type) {
    case "Transfer":
    case "TransferOut":
      return { type: "TransferRejected", id: command.id, from: command.from, to: command.to, amount: command.amount, reason };
    case "Deposit":
      return { type: "DepositRejected", id: command.id, account: command.account, amount: command.amount, reason };
    case "Withdraw":
      return { type: "WithdrawRejected", id: command.id, account: command.account, amount: command.amount, reason };
    case "OpenAccount":
      assertLedger(reason === "LINKED_EVENT_FAILED", "an account opening is never refused for a full idempotency table");
      return { type: "AccountOpenRejected", account: command.account, initialBalance: command.initialBalance ?? 0, reason };
  }
}

export function recordedOutcome(event: LedgerEventBody): RecordedOutcome {
  switch (event.type) {
    case "TransferPosted":
    case "TransferSent":
    case "Deposited":
    case "Withdrawn":
      return "posted";
    case "TransferRejected":
    case "DepositRejected":
    case "WithdrawRejected":
      assertLedger(event.reason !== "IDEMPOTENCY_TABLE_FULL", "a full-table rejection is never recorded");
      return event.reason;
    case "AccountOpened":
    case "AccountOpenRejected":
      throw new LedgerError("INVARIANT_VIOLATED", "account events carry no idempotency id");
    case "CreditReceived":
    case "CreditRefused":
    case "TransferSettled":
    case "TransferRefunded":
      throw new LedgerError(
        "INVARIANT_VIOLATED",
        `${event.type} is recorded in the received table or the outbox, not the idempotency table`,
      );
    case "ShardsMoved":
      throw new LedgerError("INVARIANT_VIOLATED", "move events carry no idempotency id");
  }
}

/**
 * Opening is idempotent too: a client retrying an open that already took effect (its answer was
 * lost) must learn "posted", not ACCOUNT_EXISTS, or it believes the account was never opened.
 * The idempotency key is `open:<account>`, the fingerprint the initial balance; a different
 * initial balance for an existing account is a real ACCOUNT_EXISTS.
 */
export function openAccountKey(account: string): string {
  return `open:${account}`;
}

function decideOpenAccount(command: OpenAccount, state: LedgerState, table: IdempotencyTable, limits: DecideLimits): Decision {
  const account = command.account;
  const initialBalance = command.initialBalance ?? 0;
  const key = openAccountKey(account);
  const fingerprint = hashString(`O|${initialBalance}`);
  const previous = table.lookup(key);
  if (previous !== undefined && previous.fingerprint === fingerprint && state.balances.has(account))
    return { kind: "duplicate", id: account, first: previous.outcome };
  const reject = (reason: "ACCOUNT_EXISTS" | "INVALID_AMOUNT" | "BALANCE_OVERFLOW" | "ACCOUNTS_FULL"): Decision => ({
    kind: "event",
    event: { type: "AccountOpenRejected", account, initialBalance, reason },
  });
  if (!Number.isSafeInteger(initialBalance) || initialBalance < 0) return reject("INVALID_AMOUNT");
  if (state.balances.has(account)) return reject("ACCOUNT_EXISTS");
  if (state.balances.size >= limits.accountsMax) return reject("ACCOUNTS_FULL");
  if (!Number.isSafeInteger(state.totalBalance + initialBalance)) return reject("BALANCE_OVERFLOW");
  const event: LedgerEventBody = { type: "AccountOpened", account, initialBalance };
  return table.isFull ? { kind: "event", event } : { kind: "event", event, record: { id: key, fingerprint, outcome: "posted" } };
}
