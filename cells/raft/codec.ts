// Bytes for the WAL and the wire. A frame is [u32 payloadLength | u32 crc32(type+payload) |
// u8 type | payload]; the reader can tell a torn frame (too short) from a corrupt one (bad
// checksum). Entries have a binary header (kind, term, index, data length) and a JSON payload.
// Messages are JSON inside a frame: compact enough for now, and the checksum catches damage.

import { crc32 } from "./crc32.js";
import type { Entry, EntryKind, Message } from "./types.js";
import { logIndex, term } from "./types.js";

export const FRAME_HEADER_BYTES = 9;
/** Frames larger than this are rejected as corrupt rather than allocated. */
export const FRAME_PAYLOAD_BYTES_MAX = 64 * 1024 * 1024;

export type CodecErrorCode = "TORN" | "CHECKSUM" | "MALFORMED" | "TOO_LARGE";

export class CodecError extends Error {
  constructor(
    readonly code: CodecErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "CodecError";
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function encodeFrame(type: number, payload: Uint8Array): Uint8Array {
  if (payload.length > FRAME_PAYLOAD_BYTES_MAX) throw new CodecError("TOO_LARGE", `frame payload ${payload.length} bytes exceeds ${FRAME_PAYLOAD_BYTES_MAX}`);
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  const view = new DataView(frame.buffer);
  view.setUint32(0, payload.length);
  frame[8] = type;
  frame.set(payload, FRAME_HEADER_BYTES);
  view.setUint32(4, crc32(frame, 8, frame.length));
  return frame;
}

export interface DecodedFrame {
  readonly type: number;
  readonly payload: Uint8Array;
  /** Offset just past this frame. */
  readonly end: number;
}

/** Decodes the frame at `offset`; throws CodecError TORN if the bytes end early, CHECKSUM if damaged. */
export function decodeFrame(bytes: Uint8Array, offset: number): DecodedFrame {
  if (bytes.length - offset < FRAME_HEADER_BYTES) throw new CodecError("TORN", `frame header at ${offset} cut short`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const payloadLength = view.getUint32(offset);
  if (payloadLength > FRAME_PAYLOAD_BYTES_MAX) throw new CodecError("TOO_LARGE", `frame at ${offset} claims ${payloadLength} bytes`);
  const end = offset + FRAME_HEADER_BYTES + payloadLength;
  if (end > bytes.length) throw new CodecError("TORN", `frame at ${offset} needs ${end - bytes.length} more bytes`);
  if (crc32(bytes, offset + 8, end) !== view.getUint32(offset + 4)) throw new CodecError("CHECKSUM", `frame at ${offset} fails its checksum`);
  return { type: bytes[offset + 8] as number, payload: bytes.subarray(offset + FRAME_HEADER_BYTES, end), end };
}

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value ?? null));
}

export function decodeJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch (error) {
    throw new CodecError("MALFORMED", `bad JSON payload: ${(error as Error).message}`);
  }
}

const KIND_CODES: Record<EntryKind, number> = { normal: 0, noop: 1, config: 2 };
const KINDS: readonly EntryKind[] = ["normal", "noop", "config"];
const ENTRY_HEADER_BYTES = 1 + 8 + 8 + 4;

function setUint53(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, Math.floor(value / 0x1_0000_0000));
  view.setUint32(offset + 4, value >>> 0);
}

function getUint53(view: DataView, offset: number): number {
  return view.getUint32(offset) * 0x1_0000_0000 + view.getUint32(offset + 4);
}

/**
 * Entries are immutable and, in the simulator, shared by reference between the leader and its
 * followers: each entry's payload is serialised once, not once per replica's WAL, and its size
 * (batch limits, link bandwidth) comes from the same bytes. The cache rides on the entry under a
 * symbol (JSON and the wire ignore it): a WeakMap lookup per use cost 5 % of a saturated run.
 */
const ENCODED_DATA: unique symbol = Symbol("ldc.entry.encodedData");
type CachedEntry = Entry & { [ENCODED_DATA]?: Uint8Array };

export function entryDataBytes(entry: Entry): Uint8Array {
  const cached = (entry as CachedEntry)[ENCODED_DATA];
  if (cached !== undefined) return cached;
  const bytes = encodeJson(entry.data);
  cacheEncoding(entry, bytes);
  return bytes;
}

/** Not enumerable: equality checks, spreads and JSON see the entry as the plain data it is. */
function cacheEncoding(entry: Entry, bytes: Uint8Array): void {
  Object.defineProperty(entry, ENCODED_DATA, { value: bytes, enumerable: false, writable: false, configurable: false });
}

/** A batch of entries: [u32 count] then per entry [u8 kind | u64 term | u64 index | u32 dataLength | JSON]. */
export function encodeEntries(entries: readonly Entry[]): Uint8Array {
  const datas = entryDatas(entries);
  const bytes = new Uint8Array(entriesPayloadBytes(datas));
  writeEntries(bytes, new DataView(bytes.buffer), 0, entries, datas);
  return bytes;
}

/** `entries` as one frame of `type`, built in a single allocation (the WAL's hot path). */
export function encodeEntriesFrame(type: number, entries: readonly Entry[]): Uint8Array {
  const datas = entryDatas(entries);
  const payloadBytes = entriesPayloadBytes(datas);
  if (payloadBytes > FRAME_PAYLOAD_BYTES_MAX) throw new CodecError("TOO_LARGE", `frame payload ${payloadBytes} bytes exceeds ${FRAME_PAYLOAD_BYTES_MAX}`);
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payloadBytes);
  const view = new DataView(frame.buffer);
  view.setUint32(0, payloadBytes);
  frame[8] = type;
  writeEntries(frame, view, FRAME_HEADER_BYTES, entries, datas);
  view.setUint32(4, crc32(frame, 8, frame.length));
  return frame;
}

function entryDatas(entries: readonly Entry[]): Uint8Array[] {
  const datas: Uint8Array[] = new Array<Uint8Array>(entries.length);
  for (let i = 0; i < entries.length; i++) datas[i] = entryDataBytes(entries[i] as Entry);
  return datas;
}

function entriesPayloadBytes(datas: readonly Uint8Array[]): number {
  let size = 4;
  for (const data of datas) size += ENTRY_HEADER_BYTES + data.length;
  return size;
}

function writeEntries(bytes: Uint8Array, view: DataView, start: number, entries: readonly Entry[], datas: readonly Uint8Array[]): void {
  view.setUint32(start, entries.length);
  let offset = start + 4;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as Entry;
    const data = datas[i] as Uint8Array;
    bytes[offset] = KIND_CODES[entry.kind];
    setUint53(view, offset + 1, entry.term);
    setUint53(view, offset + 9, entry.index);
    view.setUint32(offset + 17, data.length);
    bytes.set(data, offset + ENTRY_HEADER_BYTES);
    offset += ENTRY_HEADER_BYTES + data.length;
  }
}

export function decodeEntries(bytes: Uint8Array): Entry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4) throw new CodecError("MALFORMED", "entries batch shorter than its count");
  const count = view.getUint32(0);
  const entries: Entry[] = [];
  let offset = 4;
  for (let i = 0; i < count; i++) {
    if (offset + ENTRY_HEADER_BYTES > bytes.length) throw new CodecError("MALFORMED", `entry ${i} header cut short`);
    const kind = KINDS[view.getUint8(offset)];
    if (kind === undefined) throw new CodecError("MALFORMED", `entry ${i} has unknown kind ${view.getUint8(offset)}`);
    const dataLength = view.getUint32(offset + 17);
    const dataStart = offset + ENTRY_HEADER_BYTES;
    if (dataStart + dataLength > bytes.length) throw new CodecError("MALFORMED", `entry ${i} data cut short`);
    const dataBytes = bytes.subarray(dataStart, dataStart + dataLength);
    const entry: Entry = {
      kind,
      term: term(getUint53(view, offset + 1)),
      index: logIndex(getUint53(view, offset + 9)),
      data: decodeJson(dataBytes),
    };
    // The bytes just decoded are this entry's encoding: a follower's own WAL write and any
    // re-send reuse them instead of stringifying again (a copy, so the entry does not keep the
    // whole WAL file or wire frame alive).
    cacheEncoding(entry, dataBytes.slice());
    entries.push(entry);
    offset = dataStart + dataLength;
  }
  return entries;
}

export const MESSAGE_FRAME_TYPE = 0x20;

export function encodeMessage(message: Message): Uint8Array {
  return encodeFrame(MESSAGE_FRAME_TYPE, encodeJson(message));
}

/** Decodes one message frame. Shape is trusted to the checksum and the sender's codec version. */
export function decodeMessage(bytes: Uint8Array, offset = 0): { message: Message; end: number } {
  const frame = decodeFrame(bytes, offset);
  if (frame.type !== MESSAGE_FRAME_TYPE) throw new CodecError("MALFORMED", `frame type ${frame.type} is not a message`);
  const value = decodeJson(frame.payload);
  if (typeof value !== "object" || value === null || typeof (value as { type?: unknown }).type !== "string") {
    throw new CodecError("MALFORMED", "message payload is not a message object");
  }
  return { message: value as Message, end: frame.end };
}
