// Binary encodings of ledger batches (the Raft entry's data, the client's request payload) and of
// ledger events (the hash chain's input). A batch crosses the log, the WAL and the wire once and
// is decoded by every replica, so it is bytes with a checksum, not JSON per transfer per replica.
//
// Batch v1:  u8 version | u32 crc32(everything after it) | u8 flags | str requestId | u16 count |
//            count x command
// command:   u8 type | fields (str = u16 byte length + UTF-8; amounts are f64, so a client's 1.5
//            or NaN arrives as sent and decide() rejects it as the JSON path did)
// Batch v2:  the same layout; it may also hold the cross-cell commands (TransferOut 6, CreditIn
//            7, SettleTransfer 8). A batch without them is still written as v1, byte for byte as
//            before, so old WALs and old traces are unchanged; v1 bytes with a code >= 6 are refused.
//
// The decoder trusts nothing: a wrong version, a checksum mismatch, a length past the end, bad
// UTF-8, an unknown type or trailing bytes each throw LedgerCodecError with its own code, and the
// checksum makes a flipped bit an error rather than a different amount.

import { allocBytes, entryBytes } from "../raft/codec.js";
import { crc32 } from "../raft/crc32.js";
import {
  commandLimits,
  CREDIT_REFUSAL_REASONS,
  isCrossCellCommand,
  type BatchCommand,
  type CreditRefusalReason,
  type LedgerBatchRequest,
} from "./commands.js";
import { assertNever, type LedgerEventBody } from "./events.js";
import { invalidShardMoveField, type CarriedOutboxRecord, type ShardMoveCommand, type ShardMoveStep } from "./shard-move.js";
import { smallIntegerIfExact } from "../../ground/small-integer.js";

export const LEDGER_BATCH_VERSION = 1;
/** The version of a batch holding cross-cell commands. */
export const LEDGER_BATCH_VERSION_CROSS_CELL = 2;
/**
 * The version of a batch holding a shard move (code 9; the controller sends a move's step alone).
 * Versions are levels: a decoder of version 3 reads 1 and 2; a shard move in a batch of a lower
 * version is refused, as is a cross-cell step in a version 1 batch.
 */
export const LEDGER_BATCH_VERSION_SHARD_MOVE = 3;
/** Commands per batch (TigerBeetle's 8,190 per request is the same idea; ours fits a u16). */
export const BATCH_COMMANDS_MAX = 8_190;
const HEADER_BYTES = 1 + 4;
const FLAG_LINKED = 1;

export type LedgerCodecErrorCode =
  "TRUNCATED" | "BAD_VERSION" | "CHECKSUM" | "BAD_TYPE" | "BAD_UTF8" | "TOO_LONG" | "TOO_MANY" | "TRAILING_BYTES" | "BAD_FLAGS";

export class LedgerCodecError extends Error {
  constructor(
    readonly code: LedgerCodecErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "LedgerCodecError";
  }
}

const COMMAND_CODES = {
  Transfer: 1,
  Deposit: 2,
  Withdraw: 3,
  OpenAccount: 4,
  ReadBalances: 5,
  TransferOut: 6,
  CreditIn: 7,
  SettleTransfer: 8,
  ShardMove: 9,
} as const;
const FIRST_CROSS_CELL_COMMAND_CODE = 6;
const SETTLE_RESULT_CODES = { credited: 0, refused: 1 } as const;
/** A move's carried record is JSON behind a u32 length (it may exceed a u16 string); bounded here. */
export const SHARD_MOVE_TEXT_BYTES_MAX = 64 * 1024 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** A growable scratch buffer, reused between encodings (one encoder per thread of control). */
class Writer {
  bytes = new Uint8Array(4096);
  view = new DataView(this.bytes.buffer);
  offset = 0;

  reset(): void {
    this.offset = 0;
  }

  private room(extra: number): void {
    if (this.offset + extra <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.offset + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.offset));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  u8(value: number): void {
    this.room(1);
    this.bytes[this.offset++] = value;
  }

  u16(value: number): void {
    this.room(2);
    this.view.setUint16(this.offset, value);
    this.offset += 2;
  }

  u32(value: number): void {
    this.room(4);
    this.view.setUint32(this.offset, value);
    this.offset += 4;
  }

  f64(value: number): void {
    this.room(8);
    this.view.setFloat64(this.offset, value);
    this.offset += 8;
  }

  /** u16 byte length + UTF-8 (at most 3 bytes per UTF-16 unit). */
  str(value: string): void {
    this.room(2 + value.length * 3);
    const bytes = this.bytes;
    const start = this.offset + 2;
    let written = 0;
    // Ids and accounts are ASCII in practice: a byte per character, no encoder call (~0.15 µs each).
    for (; written < value.length; written++) {
      const code = value.charCodeAt(written);
      if (code > 0x7f) break;
      bytes[start + written] = code;
    }
    if (written < value.length) written = encoder.encodeInto(value, bytes.subarray(start)).written;
    bytes[this.offset] = written >>> 8;
    bytes[this.offset + 1] = written & 0xff;
    this.offset = start + written;
  }

  /** u32 byte length + UTF-8: a move's JSON, which may exceed a u16 string. */
  text32(value: string): void {
    const bytes = encoder.encode(value);
    this.u32(bytes.length);
    this.room(bytes.length);
    this.bytes.set(bytes, this.offset);
    this.offset += bytes.length;
  }

  /** ASCII text as is (the previous hash's hex in the chain input). */
  ascii(value: string): void {
    this.room(value.length);
    for (let i = 0; i < value.length; i++) this.bytes[this.offset + i] = value.charCodeAt(i) & 0x7f;
    this.offset += value.length;
  }
}

/** Buffer's latin1 decoding applied to a plain Uint8Array: for ASCII, ~10x TextDecoder on short strings. */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice?: (this: Uint8Array, start: number, end: number) => string }).latin1Slice;
/** f64 reads without a DataView per batch: big-endian bytes reversed into a little-endian scratch. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const f64Bytes = new Uint8Array(8);
const f64Value = new Float64Array(f64Bytes.buffer);

/**
 * Reads a batch. No DataView or Buffer is made per batch: at one transfer per batch their
 * construction cost more than the decoding (bench/ledger.ts at batch size 1).
 */
class Reader {
  offset: number;

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
  ) {
    this.offset = start;
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  private need(count: number, what: string): void {
    if (this.offset + count > this.bytes.length)
      throw new LedgerCodecError(
        "TRUNCATED",
        `${what} at byte ${this.offset} needs ${count} bytes, ${this.bytes.length - this.offset} left`,
      );
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.offset++] as number;
  }

  u16(what: string): number {
    this.need(2, what);
    const bytes = this.bytes;
    const value = ((bytes[this.offset] as number) << 8) | (bytes[this.offset + 1] as number);
    this.offset += 2;
    return value;
  }

  f64(what: string): number {
    this.need(8, what);
    const bytes = this.bytes;
    const at = this.offset;
    this.offset += 8;
    if (!LITTLE_ENDIAN) return new DataView(bytes.buffer, bytes.byteOffset + at, 8).getFloat64(0);
    for (let i = 0; i < 8; i++) f64Bytes[7 - i] = bytes[at + i] as number;
    return smallIntegerIfExact(f64Value[0] as number);
  }

  u32(what: string): number {
    this.need(4, what);
    const value = readUint32(this.bytes, this.offset);
    this.offset += 4;
    return value;
  }

  /** u32 byte length + UTF-8 (a move's JSON). */
  text32(what: string): string {
    const length = this.u32(`${what} length`);
    if (length > SHARD_MOVE_TEXT_BYTES_MAX)
      throw new LedgerCodecError("TOO_LONG", `${what}: ${length} bytes exceeds ${SHARD_MOVE_TEXT_BYTES_MAX}`);
    this.need(length, what);
    const start = this.offset;
    this.offset += length;
    try {
      return decoder.decode(this.bytes.subarray(start, start + length));
    } catch {
      throw new LedgerCodecError("BAD_UTF8", `${what} at byte ${start} is not UTF-8`);
    }
  }

  str(what: string, charsMax: number): string {
    const length = this.u16(`${what} length`);
    this.need(length, what);
    const start = this.offset;
    const end = start + length;
    const bytes = this.bytes;
    let ascii = true;
    for (let i = start; i < end; i++) {
      if ((bytes[i] as number) > 0x7f) {
        ascii = false;
        break;
      }
    }
    let value: string;
    if (ascii && latin1Slice !== undefined) value = latin1Slice.call(bytes, start, end);
    else {
      try {
        value = decoder.decode(bytes.subarray(start, end));
      } catch {
        throw new LedgerCodecError("BAD_UTF8", `${what} at byte ${start} is not UTF-8`);
      }
    }
    this.offset = end;
    if (value.length === 0 || value.length > charsMax)
      throw new LedgerCodecError("TOO_LONG", `${what}: expected 1 to ${charsMax} characters, got ${value.length}`);
    return value;
  }
}

function readUint32(bytes: Uint8Array, at: number): number {
  return (
    (bytes[at] as number) * 0x1000000 + (((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number))
  );
}

function writeUint32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = (value >>> 16) & 0xff;
  bytes[at + 2] = (value >>> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
}

const batchWriter = new Writer();

function writeCommand(writer: Writer, command: BatchCommand): void {
  switch (command.type) {
    case "Transfer":
      writer.u8(COMMAND_CODES.Transfer);
      writer.str(command.id);
      writer.str(command.from);
      writer.str(command.to);
      writer.f64(command.amount);
      return;
    case "Deposit":
    case "Withdraw":
      writer.u8(COMMAND_CODES[command.type]);
      writer.str(command.id);
      writer.str(command.account);
      writer.f64(command.amount);
      return;
    case "OpenAccount":
      writer.u8(COMMAND_CODES.OpenAccount);
      writer.str(command.account);
      writer.f64(command.initialBalance ?? 0);
      return;
    case "ReadBalances": {
      writer.u8(COMMAND_CODES.ReadBalances);
      const accounts = command.accounts;
      if (accounts === undefined) {
        writer.u8(0);
        return;
      }
      writer.u8(1);
      writer.u16(accounts.length);
      for (const account of accounts) writer.str(account);
      return;
    }
    case "TransferOut":
      writer.u8(COMMAND_CODES.TransferOut);
      writer.str(command.id);
      writer.str(command.from);
      writer.str(command.to);
      writer.str(command.toCell);
      writer.f64(command.amount);
      return;
    case "CreditIn":
      writer.u8(COMMAND_CODES.CreditIn);
      writer.str(command.id);
      writer.str(command.from);
      writer.str(command.fromCell);
      writer.str(command.to);
      writer.f64(command.amount);
      return;
    case "SettleTransfer":
      writer.u8(COMMAND_CODES.SettleTransfer);
      writer.str(command.id);
      writer.u8(SETTLE_RESULT_CODES[command.result]);
      writer.u8(command.result === "refused" ? reasonCode(command.reason ?? "UNKNOWN_ACCOUNT") : 0);
      return;
    case "ShardMove":
      writer.u8(COMMAND_CODES.ShardMove);
      writer.text32(JSON.stringify(command));
      return;
    default:
      assertNever(command);
  }
}

/**
 * The bytes of a batch (fresh, owned by the caller). Commands must be parsed ones (parseBatch /
 * parseCommand): their strings are within commandLimits, so every length fits its u16.
 */
function batchVersion(commands: readonly BatchCommand[]): number {
  let version = LEDGER_BATCH_VERSION;
  for (const command of commands) {
    if (command.type === "ShardMove") return LEDGER_BATCH_VERSION_SHARD_MOVE;
    if (isCrossCellCommand(command)) version = LEDGER_BATCH_VERSION_CROSS_CELL;
  }
  return version;
}

export function encodeBatch(batch: LedgerBatchRequest): Uint8Array {
  if (batch.commands.length > BATCH_COMMANDS_MAX)
    throw new LedgerCodecError("TOO_MANY", `batch of ${batch.commands.length} commands exceeds ${BATCH_COMMANDS_MAX}`);
  const writer = batchWriter;
  writer.reset();
  writer.u8(batchVersion(batch.commands));
  writer.u32(0); // checksum, written last
  writer.u8(batch.linked ? FLAG_LINKED : 0);
  writer.str(batch.requestId);
  writer.u16(batch.commands.length);
  for (const command of batch.commands) writeCommand(writer, command);
  // Carved from the shared slab (a fresh ArrayBuffer per batch is a GC cost: cells/raft/codec.ts).
  const bytes = allocBytes(writer.offset);
  bytes.set(writer.bytes.subarray(0, writer.offset));
  writeUint32(bytes, 1, crc32(bytes, HEADER_BYTES, bytes.length));
  return bytes;
}

/** A string's encoded size at most: its length prefix and three UTF-8 bytes per UTF-16 unit. */
function encodedTextBytesMax(value: string): number {
  return 2 + value.length * 3;
}

/** Exact encoded size of one command, for a client's byte bound (encodeBatch is the reference). */
export function commandEncodedBytesMax(command: BatchCommand): number {
  const text = encodedTextBytesMax;
  switch (command.type) {
    case "Transfer":
      return 1 + text(command.id) + text(command.from) + text(command.to) + 8;
    case "Deposit":
    case "Withdraw":
      return 1 + text(command.id) + text(command.account) + 8;
    case "OpenAccount":
      return 1 + text(command.account) + 8;
    case "ReadBalances":
      return 2 + 2 + (command.accounts ?? []).reduce((sum, account) => sum + text(account), 0);
    case "TransferOut":
      return 1 + text(command.id) + text(command.from) + text(command.to) + text(command.toCell) + 8;
    case "CreditIn":
      return 1 + text(command.id) + text(command.from) + text(command.fromCell) + text(command.to) + 8;
    case "SettleTransfer":
      return 1 + text(command.id) + 2;
    case "ShardMove":
      return 1 + 4 + JSON.stringify(command).length * 3;
    default:
      return assertNever(command);
  }
}

/** Bytes of a batch around its commands (version, checksum, flags, request id, count). */
export function batchOverheadBytesMax(requestId: string): number {
  return HEADER_BYTES + 1 + 2 + requestId.length * 3 + 2;
}

function readCommand(reader: Reader, field: string, version: number, linked: boolean): BatchCommand {
  const code = reader.u8(`${field}.type`);
  if (code >= FIRST_CROSS_CELL_COMMAND_CODE && code <= COMMAND_CODES.SettleTransfer) {
    if (version < LEDGER_BATCH_VERSION_CROSS_CELL)
      throw new LedgerCodecError("BAD_TYPE", `${field}.type: command code ${code} needs batch version ${LEDGER_BATCH_VERSION_CROSS_CELL}`);
    if (linked) throw new LedgerCodecError("BAD_FLAGS", `${field}.type: a linked batch holds no cross-cell steps`);
  }
  if (code === COMMAND_CODES.ShardMove) {
    if (version < LEDGER_BATCH_VERSION_SHARD_MOVE)
      throw new LedgerCodecError("BAD_TYPE", `${field}.type: command code ${code} needs batch version ${LEDGER_BATCH_VERSION_SHARD_MOVE}`);
    if (linked) throw new LedgerCodecError("BAD_FLAGS", `${field}.type: a linked batch holds no shard moves`);
  }
  switch (code) {
    case COMMAND_CODES.Transfer: {
      const id = reader.str(`${field}.id`, commandLimits.idLengthMax);
      const from = reader.str(`${field}.from`, commandLimits.accountLengthMax);
      const to = reader.str(`${field}.to`, commandLimits.accountLengthMax);
      return { type: "Transfer", id, from, to, amount: reader.f64(`${field}.amount`) };
    }
    case COMMAND_CODES.Deposit:
    case COMMAND_CODES.Withdraw: {
      const id = reader.str(`${field}.id`, commandLimits.idLengthMax);
      const account = reader.str(`${field}.account`, commandLimits.accountLengthMax);
      return { type: code === COMMAND_CODES.Deposit ? "Deposit" : "Withdraw", id, account, amount: reader.f64(`${field}.amount`) };
    }
    case COMMAND_CODES.OpenAccount: {
      const account = reader.str(`${field}.account`, commandLimits.accountLengthMax);
      return { type: "OpenAccount", account, initialBalance: reader.f64(`${field}.initialBalance`) };
    }
    case COMMAND_CODES.ReadBalances: {
      const present = reader.u8(`${field}.accounts`);
      if (present === 0) return { type: "ReadBalances" };
      if (present !== 1) throw new LedgerCodecError("BAD_FLAGS", `${field}.accounts: presence byte ${present}`);
      const count = reader.u16(`${field}.accounts count`);
      if (count > commandLimits.readAccountsMax)
        throw new LedgerCodecError("TOO_MANY", `${field}.accounts: ${count} exceeds ${commandLimits.readAccountsMax}`);
      const accounts: string[] = [];
      for (let i = 0; i < count; i++) accounts.push(reader.str(`${field}.accounts[${i}]`, commandLimits.accountLengthMax));
      return { type: "ReadBalances", accounts };
    }
    case COMMAND_CODES.TransferOut: {
      const id = reader.str(`${field}.id`, commandLimits.idLengthMax);
      const from = reader.str(`${field}.from`, commandLimits.accountLengthMax);
      const to = reader.str(`${field}.to`, commandLimits.accountLengthMax);
      const toCell = reader.str(`${field}.toCell`, commandLimits.cellLengthMax);
      return { type: "TransferOut", id, from, to, toCell, amount: reader.f64(`${field}.amount`) };
    }
    case COMMAND_CODES.CreditIn: {
      const id = reader.str(`${field}.id`, commandLimits.idLengthMax);
      const from = reader.str(`${field}.from`, commandLimits.accountLengthMax);
      const fromCell = reader.str(`${field}.fromCell`, commandLimits.cellLengthMax);
      const to = reader.str(`${field}.to`, commandLimits.accountLengthMax);
      return { type: "CreditIn", id, from, fromCell, to, amount: reader.f64(`${field}.amount`) };
    }
    case COMMAND_CODES.SettleTransfer: {
      const id = reader.str(`${field}.id`, commandLimits.idLengthMax);
      const result = reader.u8(`${field}.result`);
      const reasonByte = reader.u8(`${field}.reason`);
      if (result === SETTLE_RESULT_CODES.credited) {
        if (reasonByte !== 0) throw new LedgerCodecError("BAD_FLAGS", `${field}.reason: ${reasonByte} with result credited`);
        return { type: "SettleTransfer", id, result: "credited" };
      }
      if (result !== SETTLE_RESULT_CODES.refused) throw new LedgerCodecError("BAD_FLAGS", `${field}.result: unknown code ${result}`);
      const reason = REASONS[reasonByte];
      if (reason === undefined || !(CREDIT_REFUSAL_REASONS as readonly string[]).includes(reason))
        throw new LedgerCodecError("BAD_TYPE", `${field}.reason: code ${reasonByte} is not a refusal reason`);
      return { type: "SettleTransfer", id, result: "refused", reason: reason as CreditRefusalReason };
    }
    case COMMAND_CODES.ShardMove: {
      const text = reader.text32(field);
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw new LedgerCodecError("BAD_TYPE", `${field}: a shard move that is not JSON`);
      }
      const command = value as ShardMoveCommand;
      if (typeof value !== "object" || value === null || command.type !== "ShardMove")
        throw new LedgerCodecError("BAD_TYPE", `${field}: not a shard move`);
      const bad = invalidShardMoveField(command);
      if (bad !== null) throw new LedgerCodecError("BAD_TYPE", `${field}.${bad}: not a valid shard move field`);
      return command;
    }
    default:
      throw new LedgerCodecError("BAD_TYPE", `${field}.type: unknown command code ${code}`);
  }
}

/** Decodes a batch; throws LedgerCodecError (never returns a value the bytes do not hold). */
export function decodeBatch(bytes: Uint8Array): LedgerBatchRequest {
  if (bytes.length < HEADER_BYTES) throw new LedgerCodecError("TRUNCATED", `batch of ${bytes.length} bytes is shorter than its header`);
  const version = bytes[0] as number;
  if (version !== LEDGER_BATCH_VERSION && version !== LEDGER_BATCH_VERSION_CROSS_CELL && version !== LEDGER_BATCH_VERSION_SHARD_MOVE)
    throw new LedgerCodecError(
      "BAD_VERSION",
      `batch version ${version}, expected ${LEDGER_BATCH_VERSION}, ${LEDGER_BATCH_VERSION_CROSS_CELL} or ${LEDGER_BATCH_VERSION_SHARD_MOVE}`,
    );
  if (crc32(bytes, HEADER_BYTES, bytes.length) !== readUint32(bytes, 1)) throw new LedgerCodecError("CHECKSUM", "batch fails its checksum");
  const reader = new Reader(bytes, HEADER_BYTES);
  const flags = reader.u8("batch.flags");
  if ((flags & ~FLAG_LINKED) !== 0) throw new LedgerCodecError("BAD_FLAGS", `batch.flags: unknown bits ${flags}`);
  const requestId = reader.str("batch.requestId", commandLimits.requestIdLengthMax);
  const count = reader.u16("batch.count");
  if (count > BATCH_COMMANDS_MAX) throw new LedgerCodecError("TOO_MANY", `batch.count ${count} exceeds ${BATCH_COMMANDS_MAX}`);
  const commands: BatchCommand[] = new Array<BatchCommand>(count);
  const linked = (flags & FLAG_LINKED) !== 0;
  for (let i = 0; i < count; i++) commands[i] = readCommand(reader, `batch.commands[${i}]`, version, linked);
  if (reader.remaining !== 0)
    throw new LedgerCodecError("TRAILING_BYTES", `batch has ${reader.remaining} bytes after its ${count} commands`);
  // `fingerprints` and `events` are the ledger's cache slots (ledger.ts), present from the start so every batch has one shape.
  return { requestId, linked, commands, fingerprints: undefined, events: undefined } as LedgerBatchRequest;
}

/**
 * Decodings of the most recently decoded batches, by their bytes (which are immutable once
 * encoded): in the simulator the five replicas of a cell share one entry's bytes by reference and
 * decode it once between them, as a live replica decodes it once for itself. They apply an entry
 * within milliseconds of each other, so the last BATCH_DECODINGS_KEPT decodings (first in, first
 * out; ~10 s of the default world's entries) serve them. The decoding used to ride on the bytes
 * (a symbol property) for as long as the log kept the entry: ~450 bytes per entry, ~10 MB over a
 * running world's 30 logs (issue 15; docs/BENCHMARKS.md session 11). A replica that applies an
 * entry later (one catching up) decodes it again: same bytes, same batch.
 */
export const BATCH_DECODINGS_KEPT = 4_096;
const decodings = new Map<Uint8Array, LedgerBatchRequest | LedgerCodecError>();

function keepDecoding(bytes: Uint8Array, decoded: LedgerBatchRequest | LedgerCodecError): void {
  if (decodings.size >= BATCH_DECODINGS_KEPT) decodings.delete(decodings.keys().next().value as Uint8Array);
  decodings.set(bytes, decoded);
}

/** decodeBatch, remembered for the next replicas that apply the same bytes. */
export function decodeBatchCached(bytes: Uint8Array): LedgerBatchRequest {
  let decoded = decodings.get(bytes);
  if (decoded === undefined) {
    try {
      decoded = decodeBatch(bytes);
    } catch (error) {
      if (!(error instanceof LedgerCodecError)) throw error;
      decoded = error;
    }
    keepDecoding(bytes, decoded);
  }
  if (decoded instanceof LedgerCodecError) throw decoded;
  return decoded;
}

/** An encoded batch copied into a log entry's own bytes (raft codec `entryBytes`), its decoding carried along. */
export function batchEntryBytes(bytes: Uint8Array): Uint8Array {
  const copy = entryBytes(bytes);
  const decoded = decodings.get(bytes);
  if (decoded !== undefined) {
    // Moved, not shared: `bytes` is a view of a shared slab (a wire frame's), which a key here would keep alive.
    decodings.delete(bytes);
    keepDecoding(copy, decoded);
  }
  return copy;
}

/** The request id of an encoded batch, or null when the bytes are not a batch. */
export function batchRequestId(bytes: Uint8Array): string | null {
  try {
    return decodeBatchCached(bytes).requestId;
  } catch (error) {
    if (error instanceof LedgerCodecError) return null;
    throw error;
  }
}

// ----- events: the chain's hash input -------------------------------------------------------

export const LEDGER_EVENTS_VERSION = 1;
/** Chain input holding cross-cell events (codes 9-13); a link without them keeps version 1, so old chains hash as before. */
export const LEDGER_EVENTS_VERSION_CROSS_CELL = 2;
/** Chain input holding a shard move's event (code 14); levels as for batches (3 reads 1 and 2). */
export const LEDGER_EVENTS_VERSION_SHARD_MOVE = 3;

const EVENT_CODES = {
  TransferPosted: 1,
  TransferRejected: 2,
  Deposited: 3,
  DepositRejected: 4,
  Withdrawn: 5,
  WithdrawRejected: 6,
  AccountOpened: 7,
  AccountOpenRejected: 8,
  TransferSent: 9,
  CreditReceived: 10,
  CreditRefused: 11,
  TransferSettled: 12,
  TransferRefunded: 13,
  ShardsMoved: 14,
} as const;
const FIRST_CROSS_CELL_EVENT_CODE = 9;
const SHARD_MOVE_EVENT_CODE = EVENT_CODES.ShardsMoved;
const EVENT_TYPES = Object.fromEntries(Object.entries(EVENT_CODES).map(([type, code]) => [code, type])) as Record<
  number,
  LedgerEventBody["type"]
>;

const REASONS = [
  "INSUFFICIENT_FUNDS",
  "UNKNOWN_ACCOUNT",
  "SAME_ACCOUNT",
  "INVALID_AMOUNT",
  "IDEMPOTENCY_TABLE_FULL",
  "BALANCE_OVERFLOW",
  "ACCOUNT_EXISTS",
  "ACCOUNTS_FULL",
  "LINKED_EVENT_FAILED",
  "SAME_CELL",
] as const;
type Reason = (typeof REASONS)[number];
const REASON_CODES = new Map<string, number>(REASONS.map((reason, code) => [reason, code]));

function reasonCode(reason: string): number {
  const code = REASON_CODES.get(reason);
  if (code === undefined) throw new LedgerCodecError("BAD_TYPE", `unknown reason ${reason}`);
  return code;
}

function writeEvent(writer: Writer, event: LedgerEventBody): void {
  writer.u8(EVENT_CODES[event.type]);
  switch (event.type) {
    case "TransferPosted":
    case "TransferRejected":
      writer.str(event.id);
      writer.str(event.from);
      writer.str(event.to);
      writer.f64(event.amount);
      if (event.type === "TransferRejected") writer.u8(reasonCode(event.reason));
      return;
    case "Deposited":
    case "DepositRejected":
    case "Withdrawn":
    case "WithdrawRejected":
      writer.str(event.id);
      writer.str(event.account);
      writer.f64(event.amount);
      if (event.type === "DepositRejected" || event.type === "WithdrawRejected") writer.u8(reasonCode(event.reason));
      return;
    case "AccountOpened":
    case "AccountOpenRejected":
      writer.str(event.account);
      writer.f64(event.initialBalance);
      if (event.type === "AccountOpenRejected") writer.u8(reasonCode(event.reason));
      return;
    case "TransferSent":
    case "TransferSettled":
    case "TransferRefunded":
      writer.str(event.id);
      writer.str(event.from);
      writer.str(event.to);
      writer.str(event.toCell);
      writer.f64(event.amount);
      if (event.type === "TransferRefunded") writer.u8(reasonCode(event.reason));
      return;
    case "CreditReceived":
    case "CreditRefused":
      writer.str(event.id);
      writer.str(event.from);
      writer.str(event.fromCell);
      writer.str(event.to);
      writer.f64(event.amount);
      if (event.type === "CreditRefused") writer.u8(reasonCode(event.reason));
      return;
    case "ShardsMoved":
      writer.text32(
        JSON.stringify(
          // An eighth part only when open outbox records moved: other moves encode as before.
          event.outbox === undefined
            ? [event.step, event.moveId, event.first, event.last, event.peer, event.accounts, event.ids]
            : [event.step, event.moveId, event.first, event.last, event.peer, event.accounts, event.ids, event.outbox],
        ),
      );
      return;
    default:
      assertNever(event);
  }
}

function eventsVersion(events: readonly LedgerEventBody[], from: number, to: number): number {
  let version = LEDGER_EVENTS_VERSION;
  for (let i = from; i < to; i++) {
    const code = EVENT_CODES[(events[i] as LedgerEventBody).type];
    if (code === SHARD_MOVE_EVENT_CODE) return LEDGER_EVENTS_VERSION_SHARD_MOVE;
    if (code >= FIRST_CROSS_CELL_EVENT_CODE) version = LEDGER_EVENTS_VERSION_CROSS_CELL;
  }
  return version;
}

const chainWriter = new Writer();

/**
 * The chain's hash input for one batch's events: the previous hash (hex), the events version,
 * then each event's binary form. A view of a shared scratch buffer, valid until the next call.
 */
export function chainInput(previousHash: string, events: readonly LedgerEventBody[], from = 0, to = events.length): Uint8Array {
  const writer = chainWriter;
  writer.reset();
  writer.ascii(previousHash);
  writer.u8(eventsVersion(events, from, to));
  for (let i = from; i < to; i++) writeEvent(writer, events[i] as LedgerEventBody);
  return writer.bytes.subarray(0, writer.offset);
}

/** Events as standalone bytes (version, checksum, count, events): for dumps and the wire. */
export function encodeEvents(events: readonly LedgerEventBody[]): Uint8Array {
  const writer = new Writer();
  writer.u8(eventsVersion(events, 0, events.length));
  writer.u32(0);
  writer.u32(events.length);
  for (const event of events) writeEvent(writer, event);
  const bytes = writer.bytes.slice(0, writer.offset);
  new DataView(bytes.buffer).setUint32(1, crc32(bytes, HEADER_BYTES, bytes.length));
  return bytes;
}

export function decodeEvents(bytes: Uint8Array): LedgerEventBody[] {
  if (bytes.length < HEADER_BYTES + 4)
    throw new LedgerCodecError("TRUNCATED", `events of ${bytes.length} bytes are shorter than their header`);
  const version = bytes[0] as number;
  if (version !== LEDGER_EVENTS_VERSION && version !== LEDGER_EVENTS_VERSION_CROSS_CELL && version !== LEDGER_EVENTS_VERSION_SHARD_MOVE)
    throw new LedgerCodecError(
      "BAD_VERSION",
      `events version ${version}, expected ${LEDGER_EVENTS_VERSION}, ${LEDGER_EVENTS_VERSION_CROSS_CELL} or ${LEDGER_EVENTS_VERSION_SHARD_MOVE}`,
    );
  if (crc32(bytes, HEADER_BYTES, bytes.length) !== readUint32(bytes, 1))
    throw new LedgerCodecError("CHECKSUM", "events fail their checksum");
  const count = readUint32(bytes, HEADER_BYTES);
  const reader = new Reader(bytes, HEADER_BYTES + 4);
  const events: LedgerEventBody[] = [];
  const reason = (field: string): Reason => {
    const code = reader.u8(field);
    const value = REASONS[code];
    if (value === undefined) throw new LedgerCodecError("BAD_TYPE", `${field}: unknown reason code ${code}`);
    return value;
  };
  const limit = commandLimits.idLengthMax;
  const accountMax = commandLimits.accountLengthMax;
  for (let i = 0; i < count; i++) {
    const field = `events[${i}]`;
    const code = reader.u8(`${field}.type`);
    const type = EVENT_TYPES[code];
    if (type === undefined) throw new LedgerCodecError("BAD_TYPE", `${field}.type: unknown event code ${code}`);
    if (code >= FIRST_CROSS_CELL_EVENT_CODE && version < LEDGER_EVENTS_VERSION_CROSS_CELL)
      throw new LedgerCodecError("BAD_TYPE", `${field}.type: event code ${code} needs events version ${LEDGER_EVENTS_VERSION_CROSS_CELL}`);
    if (code === SHARD_MOVE_EVENT_CODE && version < LEDGER_EVENTS_VERSION_SHARD_MOVE)
      throw new LedgerCodecError("BAD_TYPE", `${field}.type: event code ${code} needs events version ${LEDGER_EVENTS_VERSION_SHARD_MOVE}`);
    switch (type) {
      case "TransferPosted":
      case "TransferRejected": {
        const id = reader.str(`${field}.id`, limit);
        const from = reader.str(`${field}.from`, accountMax);
        const to = reader.str(`${field}.to`, accountMax);
        const amount = reader.f64(`${field}.amount`);
        // The reason's type is checked where events are decided; here it is whatever the bytes say.
        events.push(
          type === "TransferPosted"
            ? { type, id, from, to, amount }
            : ({ type, id, from, to, amount, reason: reason(`${field}.reason`) } as LedgerEventBody),
        );
        break;
      }
      case "Deposited":
      case "Withdrawn":
      case "DepositRejected":
      case "WithdrawRejected": {
        const id = reader.str(`${field}.id`, limit);
        const account = reader.str(`${field}.account`, accountMax);
        const amount = reader.f64(`${field}.amount`);
        events.push(
          type === "Deposited" || type === "Withdrawn"
            ? { type, id, account, amount }
            : ({ type, id, account, amount, reason: reason(`${field}.reason`) } as LedgerEventBody),
        );
        break;
      }
      case "AccountOpened":
      case "AccountOpenRejected": {
        const account = reader.str(`${field}.account`, accountMax);
        const initialBalance = reader.f64(`${field}.initialBalance`);
        events.push(
          type === "AccountOpened"
            ? { type, account, initialBalance }
            : ({ type, account, initialBalance, reason: reason(`${field}.reason`) } as LedgerEventBody),
        );
        break;
      }
      case "TransferSent":
      case "TransferSettled":
      case "TransferRefunded": {
        const id = reader.str(`${field}.id`, limit);
        const from = reader.str(`${field}.from`, accountMax);
        const to = reader.str(`${field}.to`, accountMax);
        const toCell = reader.str(`${field}.toCell`, commandLimits.cellLengthMax);
        const amount = reader.f64(`${field}.amount`);
        events.push(
          type === "TransferRefunded"
            ? ({ type, id, from, to, toCell, amount, reason: reason(`${field}.reason`) } as LedgerEventBody)
            : { type, id, from, to, toCell, amount },
        );
        break;
      }
      case "CreditReceived":
      case "CreditRefused": {
        const id = reader.str(`${field}.id`, limit);
        const from = reader.str(`${field}.from`, accountMax);
        const fromCell = reader.str(`${field}.fromCell`, commandLimits.cellLengthMax);
        const to = reader.str(`${field}.to`, accountMax);
        const amount = reader.f64(`${field}.amount`);
        events.push(
          type === "CreditRefused"
            ? ({ type, id, from, fromCell, to, amount, reason: reason(`${field}.reason`) } as LedgerEventBody)
            : { type, id, from, fromCell, to, amount },
        );
        break;
      }
      case "ShardsMoved": {
        const text = reader.text32(field);
        let parts: unknown;
        try {
          parts = JSON.parse(text);
        } catch {
          throw new LedgerCodecError("BAD_TYPE", `${field}: a shard move event that is not JSON`);
        }
        if (!Array.isArray(parts) || (parts.length !== 7 && parts.length !== 8))
          throw new LedgerCodecError("BAD_TYPE", `${field}: not a shard move event`);
        const [step, moveId, first, last, peer, accounts, ids, outbox] = parts as [
          ShardMoveStep,
          string,
          number,
          number,
          string,
          [string, number][],
          number,
          CarriedOutboxRecord[] | undefined,
        ];
        events.push({ type, step, moveId, first, last, peer, accounts, ids, ...(outbox !== undefined && { outbox }) });
        break;
      }
    }
  }
  if (reader.remaining !== 0)
    throw new LedgerCodecError("TRAILING_BYTES", `events have ${reader.remaining} bytes after their ${count} events`);
  return events;
}
