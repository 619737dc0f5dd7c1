// Ledger commands: what a client asks for. They arrive as `unknown` (they crossed a log, a socket
// or a file), so parsing never throws: a command of the wrong shape becomes a typed
// MALFORMED_COMMAND rejection. Value checks (amount ranges, known accounts) belong to decide(),
// where they become rejection events in the chain.

import type { ShardMoveCommand } from "./shard-move.js";

export type AccountId = string;
/** A client-chosen id of a transfer, deposit or withdrawal: the idempotency key. */
export type OperationId = string;

export interface OpenAccount {
  readonly type: "OpenAccount";
  readonly account: AccountId;
  /** Minor units; 0 when absent. */
  readonly initialBalance?: number;
}

export interface Transfer {
  readonly type: "Transfer";
  readonly id: OperationId;
  readonly from: AccountId;
  readonly to: AccountId;
  /** Minor units, a safe positive integer (checked by decide, not by the parser). */
  readonly amount: number;
}

export interface Deposit {
  readonly type: "Deposit";
  readonly id: OperationId;
  readonly account: AccountId;
  readonly amount: number;
}

export interface Withdraw {
  readonly type: "Withdraw";
  readonly id: OperationId;
  readonly account: AccountId;
  readonly amount: number;
}

export interface ReadBalances {
  readonly type: "ReadBalances";
  /** All accounts when absent. */
  readonly accounts?: readonly AccountId[];
}

/**
 * A transfer to an account of another cell (cells/ledger/cross-cell.ts): debits `from` and opens
 * an outbox record in the same event; a relay then credits `to` in `toCell` and settles the record.
 */
export interface TransferOut {
  readonly type: "TransferOut";
  readonly id: OperationId;
  readonly from: AccountId;
  readonly to: AccountId;
  /** The destination cell when the transfer was accepted (the relay looks it up again at delivery: shards move). */
  readonly toCell: string;
  readonly amount: number;
}

/** The destination side of a cross-cell transfer: credits `to` at most once per transfer id. */
export interface CreditIn {
  readonly type: "CreditIn";
  readonly id: OperationId;
  readonly from: AccountId;
  readonly fromCell: string;
  readonly to: AccountId;
  readonly amount: number;
}

/** Why a destination refuses a credit for good (the source then refunds). */
export type CreditRefusalReason = "UNKNOWN_ACCOUNT" | "INVALID_AMOUNT" | "BALANCE_OVERFLOW";

/** Closes an outbox record: `credited` (the money arrived) or `refused` (a permanent refusal: refund). */
export interface SettleTransfer {
  readonly type: "SettleTransfer";
  readonly id: OperationId;
  readonly result: "credited" | "refused";
  /** With `refused`: the destination's reason. */
  readonly reason?: CreditRefusalReason;
}

export type CrossCellCommand = TransferOut | CreditIn | SettleTransfer;

/** Commands that carry an idempotency id: applied at most once per id. */
export type IdempotentCommand = Transfer | Deposit | Withdraw | TransferOut;
export type LedgerCommand = OpenAccount | IdempotentCommand | ReadBalances | CreditIn | SettleTransfer;

/**
 * What the replica puts in a log entry's `data` (the JSON form before batches; still applied, so
 * a WAL written by an older version replays).
 */
export interface LedgerRequest {
  readonly requestId: string;
  readonly command: LedgerCommand;
}

/**
 * Any command a batch may carry. A batch is an ordered list of typed commands, so later kinds
 * (cross-cell transfers out and in, shard fences and moves) join this union and the codec
 * (cells/ledger/codec.ts) without a new entry shape.
 */
export type BatchCommand = LedgerCommand | ShardMoveCommand;

/**
 * One Raft entry's worth of commands: applied in order, each with its own id, idempotency and
 * outcome. Not atomic unless `linked` (TigerBeetle's flag): then every command takes effect or
 * none does (a failure rejects the rest with LINKED_EVENT_FAILED).
 */
export interface LedgerBatchRequest {
  readonly requestId: string;
  readonly linked: boolean;
  readonly commands: readonly BatchCommand[];
}

export const commandLimits = {
  idLengthMax: 128,
  accountLengthMax: 128,
  cellLengthMax: 128,
  requestIdLengthMax: 256,
  /** A read through the log names at most this many accounts (omit `accounts` to read all). */
  readAccountsMax: 10_000,
} as const;

export interface MalformedCommand {
  readonly code: "MALFORMED_COMMAND";
  readonly field: string;
  readonly expected: string;
}

export type ParsedCommand =
  { readonly ok: true; readonly command: LedgerCommand } | { readonly ok: false; readonly error: MalformedCommand };

export type ParsedRequest =
  | { readonly ok: true; readonly requestId: string; readonly command: LedgerCommand }
  | { readonly ok: false; readonly requestId: string; readonly error: MalformedCommand };

function malformed(field: string, expected: string): { ok: false; error: MalformedCommand } {
  return { ok: false, error: { code: "MALFORMED_COMMAND", field, expected } };
}

function isBoundedString(value: unknown, lengthMax: number): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= lengthMax;
}

const ID_EXPECTED = `a non-empty string of at most ${commandLimits.idLengthMax} characters`;
const ACCOUNT_EXPECTED = `a non-empty string of at most ${commandLimits.accountLengthMax} characters`;
const AMOUNT_EXPECTED = "a number of minor units";
const CELL_EXPECTED = `a non-empty string of at most ${commandLimits.cellLengthMax} characters`;
export const CREDIT_REFUSAL_REASONS: readonly CreditRefusalReason[] = ["UNKNOWN_ACCOUNT", "INVALID_AMOUNT", "BALANCE_OVERFLOW"];

export function isCrossCellCommand(command: LedgerCommand): command is CrossCellCommand {
  return command.type === "TransferOut" || command.type === "CreditIn" || command.type === "SettleTransfer";
}

/** Checks the shape of a command. `field` prefixes the names in errors (e.g. "command"). */
export function parseCommand(value: unknown, field = "command"): ParsedCommand {
  if (typeof value !== "object" || value === null) return malformed(field, "an object with a `type`");
  const record = value as Record<string, unknown>;
  switch (record.type) {
    case "Transfer": {
      if (!isBoundedString(record.id, commandLimits.idLengthMax)) return malformed(`${field}.id`, ID_EXPECTED);
      if (!isBoundedString(record.from, commandLimits.accountLengthMax)) return malformed(`${field}.from`, ACCOUNT_EXPECTED);
      if (!isBoundedString(record.to, commandLimits.accountLengthMax)) return malformed(`${field}.to`, ACCOUNT_EXPECTED);
      if (typeof record.amount !== "number") return malformed(`${field}.amount`, AMOUNT_EXPECTED);
      return { ok: true, command: { type: "Transfer", id: record.id, from: record.from, to: record.to, amount: record.amount } };
    }
    case "Deposit":
    case "Withdraw": {
      if (!isBoundedString(record.id, commandLimits.idLengthMax)) return malformed(`${field}.id`, ID_EXPECTED);
      if (!isBoundedString(record.account, commandLimits.accountLengthMax)) return malformed(`${field}.account`, ACCOUNT_EXPECTED);
      if (typeof record.amount !== "number") return malformed(`${field}.amount`, AMOUNT_EXPECTED);
      return { ok: true, command: { type: record.type, id: record.id, account: record.account, amount: record.amount } };
    }
    case "OpenAccount": {
      if (!isBoundedString(record.account, commandLimits.accountLengthMax)) return malformed(`${field}.account`, ACCOUNT_EXPECTED);
      const initial = record.initialBalance;
      if (initial !== undefined && typeof initial !== "number") return malformed(`${field}.initialBalance`, AMOUNT_EXPECTED);
      return { ok: true, command: { type: "OpenAccount", account: record.account, initialBalance: initial ?? 0 } };
    }
    case "TransferOut": {
      if (!isBoundedString(record.id, commandLimits.idLengthMax)) return malformed(`${field}.id`, ID_EXPECTED);
      if (!isBoundedString(record.from, commandLimits.accountLengthMax)) return malformed(`${field}.from`, ACCOUNT_EXPECTED);
      if (!isBoundedString(record.to, commandLimits.accountLengthMax)) return malformed(`${field}.to`, ACCOUNT_EXPECTED);
      if (!isBoundedString(record.toCell, commandLimits.cellLengthMax)) return malformed(`${field}.toCell`, CELL_EXPECTED);
      if (typeof record.amount !== "number") return malformed(`${field}.amount`, AMOUNT_EXPECTED);
      return {
        ok: true,
        command: { type: "TransferOut", id: record.id, from: record.from, to: record.to, toCell: record.toCell, amount: record.amount },
      };
    }
    case "CreditIn": {
      if (!isBoundedString(record.id, commandLimits.idLengthMax)) return malformed(`${field}.id`, ID_EXPECTED);
      if (!isBoundedString(record.from, commandLimits.accountLengthMax)) return malformed(`${field}.from`, ACCOUNT_EXPECTED);
      if (!isBoundedString(record.fromCell, commandLimits.cellLengthMax)) return malformed(`${field}.fromCell`, CELL_EXPECTED);
      if (!isBoundedString(record.to, commandLimits.accountLengthMax)) return malformed(`${field}.to`, ACCOUNT_EXPECTED);
      if (typeof record.amount !== "number") return malformed(`${field}.amount`, AMOUNT_EXPECTED);
      return {
        ok: true,
        command: { type: "CreditIn", id: record.id, from: record.from, fromCell: record.fromCell, to: record.to, amount: record.amount },
      };
    }
    case "SettleTransfer": {
      if (!isBoundedString(record.id, commandLimits.idLengthMax)) return malformed(`${field}.id`, ID_EXPECTED);
      if (record.result === "credited") return { ok: true, command: { type: "SettleTransfer", id: record.id, result: "credited" } };
      if (record.result !== "refused") return malformed(`${field}.result`, '"credited" or "refused"');
      if (!CREDIT_REFUSAL_REASONS.includes(record.reason as CreditRefusalReason))
        return malformed(`${field}.reason`, `one of ${CREDIT_REFUSAL_REASONS.join(", ")}`);
      return {
        ok: true,
        command: { type: "SettleTransfer", id: record.id, result: "refused", reason: record.reason as CreditRefusalReason },
      };
    }
    case "ReadBalances": {
      const accounts = record.accounts;
      if (accounts === undefined) return { ok: true, command: { type: "ReadBalances" } };
      if (!Array.isArray(accounts) || accounts.length > commandLimits.readAccountsMax) {
        return malformed(`${field}.accounts`, `an array of at most ${commandLimits.readAccountsMax} account ids`);
      }
      for (let i = 0; i < accounts.length; i++) {
        if (!isBoundedString(accounts[i], commandLimits.accountLengthMax)) return malformed(`${field}.accounts[${i}]`, ACCOUNT_EXPECTED);
      }
      return { ok: true, command: { type: "ReadBalances", accounts: accounts.slice() as string[] } };
    }
    default:
      return malformed(
        `${field}.type`,
        "one of OpenAccount, Transfer, Deposit, Withdraw, ReadBalances, TransferOut, CreditIn, SettleTransfer",
      );
  }
}

export type ParsedBatch =
  | { readonly ok: true; readonly linked: boolean; readonly commands: readonly BatchCommand[] }
  | { readonly ok: false; readonly error: MalformedCommand };

/**
 * Checks the shape of a client's batch `{linked?, commands}` (the HTTP API's and CellClient's
 * input). `commandsMax` bounds it; a linked batch holds only writes (a read cannot fail, so it
 * has no place in an all-or-nothing group).
 */
export function parseBatch(value: unknown, commandsMax: number, field = "batch"): ParsedBatch {
  if (typeof value !== "object" || value === null) return malformed(field, "an object {linked?, commands}");
  const record = value as Record<string, unknown>;
  const linked = record.linked ?? false;
  if (typeof linked !== "boolean") return malformed(`${field}.linked`, "a boolean");
  const commands = record.commands;
  if (!Array.isArray(commands) || commands.length === 0 || commands.length > commandsMax)
    return malformed(`${field}.commands`, `an array of 1 to ${commandsMax} commands`);
  const parsed: BatchCommand[] = [];
  for (let i = 0; i < commands.length; i++) {
    const one = parseCommand(commands[i], `${field}.commands[${i}]`);
    if (!one.ok) return one;
    if (linked && one.command.type === "ReadBalances")
      return malformed(`${field}.commands[${i}].type`, "a write (a linked batch holds no reads)");
    // A cross-cell step is its own unit of exactly-once: it never rides in an all-or-nothing group.
    if (linked && isCrossCellCommand(one.command))
      return malformed(`${field}.commands[${i}].type`, "a command of this cell alone (a linked batch holds no cross-cell steps)");
    parsed.push(one.command);
  }
  return { ok: true, linked, commands: parsed };
}

/** Parses a log entry's `data`: `{requestId, command}`. */
export function parseRequest(data: unknown): ParsedRequest {
  if (typeof data !== "object" || data === null) {
    return { ok: false, requestId: "", error: { code: "MALFORMED_COMMAND", field: "data", expected: "an object {requestId, command}" } };
  }
  const record = data as Record<string, unknown>;
  const requestId = record.requestId;
  if (!isBoundedString(requestId, commandLimits.requestIdLengthMax)) {
    return {
      ok: false,
      requestId: "",
      error: {
        code: "MALFORMED_COMMAND",
        field: "data.requestId",
        expected: `a non-empty string of at most ${commandLimits.requestIdLengthMax} characters`,
      },
    };
  }
  const parsed = parseCommand(record.command, "data.command");
  if (!parsed.ok) return { ok: false, requestId, error: parsed.error };
  return { ok: true, requestId, command: parsed.command };
}
