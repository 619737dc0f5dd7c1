// Bytes for the WAL and the wire. A frame is [u32 payloadLength | u32 crc32(type+payload) |
// u8 type | payload]; the reader can tell a torn frame (too short) from a corrupt one (bad
// checksum). Entries have a binary header (kind, term, index, data length) and a payload: the
// data's own bytes when it is a Uint8Array (a ledger batch, cells/ledger/codec.ts; flagged in the
// kind byte), JSON otherwise (Raft's tests, and WALs from before batches).
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

/**
 * Small encodings are carved out of a shared 64 KiB slab, as Node's Buffer pool does: V8 tracks
 * every ArrayBuffer for the garbage collector, and a fresh one per WAL append and per entry made
 * that tracking a measurable share of a simulated run (docs/BENCHMARKS.md, session 4). The bytes
 * are plain Uint8Array views: readers must honour byteOffset (every DataView here does), and a
 * retained view keeps its slab alive: what is kept long copies itself out (log entries into
 * their own slab, `entryBytes`; the simulated disk into its own arena, sim/world/disk.ts).
 */
const SLAB_BYTES = 64 * 1024;
const SLAB_CARVED_BYTES_MAX = 4 * 1024;

interface Slab {
  buffer: ArrayBuffer;
  offset: number;
}

/** The slab of everything encoded: messages, frames, WAL records (most of them short-lived). */
const shared: Slab = { buffer: new ArrayBuffer(SLAB_BYTES), offset: 0 };
/**
 * The slab of bytes kept as long as their log entry (until compaction): a live entry carved from
 * the shared slab kept the whole 64 KiB alive, mostly messages long dead (issue 15: the 30
 * replicas' logs pinned ~25 MB of slabs at the default load). Entries of this slab live and die
 * at about the same pace, so a slab here is mostly live until it is freed whole.
 */
const entries: Slab = { buffer: new ArrayBuffer(SLAB_BYTES), offset: 0 };

/** `length` zeroed bytes: a view into the current slab when small, a buffer of its own otherwise. */
export function allocBytes(length: number): Uint8Array {
  if (length > SLAB_CARVED_BYTES_MAX) return new Uint8Array(length);
  return carve(shared, length, length);
}

/**
 * A copy of `bytes` to keep in the log (an entry's data): from the entries' slab when small, a
 * buffer of its own otherwise. Whatever is cached on the bytes (a decoded batch) is the caller's
 * to carry over.
 */
export function entryBytes(bytes: Uint8Array): Uint8Array {
  const copy = bytes.length > SLAB_CARVED_BYTES_MAX ? new Uint8Array(bytes.length) : carve(entries, bytes.length, bytes.length);
  copy.set(bytes);
  return copy;
}

/** UTF-8 of `text` (TextEncoder.encode, but small results come from the slab). */
export function utf8Bytes(text: string): Uint8Array {
  const worstCase = text.length * 3;
  if (worstCase > SLAB_CARVED_BYTES_MAX) return encoder.encode(text);
  return carve(shared, worstCase, (room) => encoder.encodeInto(text, room).written);
}

/**
 * The next `reserve` bytes of `slab` (a fresh slab when they do not fit), of which `fill` says
 * how many were used; only those are handed out. Slab bytes are handed out once, never reused.
 */
function carve(slab: Slab, reserve: number, fill: number | ((room: Uint8Array) => number)): Uint8Array {
  if (slab.offset + reserve > SLAB_BYTES) {
    slab.buffer = new ArrayBuffer(SLAB_BYTES);
    slab.offset = 0;
  }
  const used = typeof fill === "number" ? fill : fill(new Uint8Array(slab.buffer, slab.offset, reserve));
  const bytes = new Uint8Array(slab.buffer, slab.offset, used);
  slab.offset = (slab.offset + used + 7) & ~7; // 8-byte aligned starts keep DataView reads aligned
  return bytes;
}

export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function encodeFrame(type: number, payload: Uint8Array): Uint8Array {
  const frame = allocBytes(frameBytes(payload.length));
  writeFrame(frame, viewOf(frame), 0, type, payload);
  return frame;
}

/** A frame whose payload is `parts` one after another (encodeFrame of their concatenation, without making it). */
export function encodeFrameOfParts(type: number, parts: readonly Uint8Array[]): Uint8Array {
  let payloadBytes = 0;
  for (const part of parts) payloadBytes += part.length;
  const frame = allocBytes(frameBytes(payloadBytes));
  let offset = FRAME_HEADER_BYTES;
  for (const part of parts) {
    frame.set(part, offset);
    offset += part.length;
  }
  const view = viewOf(frame);
  view.setUint32(0, payloadBytes);
  frame[8] = type;
  view.setUint32(4, crc32(frame, 8, offset));
  return frame;
}

/** Size of a frame around `payloadBytes`; throws CodecError TOO_LARGE past FRAME_PAYLOAD_BYTES_MAX. */
export function frameBytes(payloadBytes: number): number {
  if (payloadBytes > FRAME_PAYLOAD_BYTES_MAX)
    throw new CodecError("TOO_LARGE", `frame payload ${payloadBytes} bytes exceeds ${FRAME_PAYLOAD_BYTES_MAX}`);
  return FRAME_HEADER_BYTES + payloadBytes;
}

/** Writes a frame of `type` around `payload` at `offset`; returns the offset past it. */
export function writeFrame(bytes: Uint8Array, view: DataView, offset: number, type: number, payload: Uint8Array): number {
  const end = offset + FRAME_HEADER_BYTES + payload.length;
  view.setUint32(offset, payload.length);
  bytes[offset + 8] = type;
  bytes.set(payload, offset + FRAME_HEADER_BYTES);
  view.setUint32(offset + 4, crc32(bytes, offset + 8, end));
  return end;
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
  if (crc32(bytes, offset + 8, end) !== view.getUint32(offset + 4))
    throw new CodecError("CHECKSUM", `frame at ${offset} fails its checksum`);
  return { type: bytes[offset + 8] as number, payload: bytes.subarray(offset + FRAME_HEADER_BYTES, end), end };
}

export function encodeJson(value: unknown): Uint8Array {
  return utf8Bytes(JSON.stringify(value ?? null));
}

export function decodeJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch (error) {
    throw new CodecError("MALFORMED", `bad JSON payload: ${(error as Error).message}`);
  }
}

const KIND_CODES: Record<EntryKind, number> = { normal: 0, noop: 1, config: 2 };
/** Set in the kind byte when the payload is the data's raw bytes, not JSON. */
const RAW_DATA_FLAG = 0x80;
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
  if (entry.data instanceof Uint8Array) return entry.data;
  const cached = (entry as CachedEntry)[ENCODED_DATA];
  if (cached !== undefined) return cached;
  // A buffer of its own, not a view of a slab: the cache lives as long as the entry, and the JSON
  // entries (the control group's) live for minutes between its snapshots, so each pinned a 64 KiB
  // slab of otherwise dead bytes: one control replica held 42 MB of slabs through 1,358 entries
  // after five drills (issue 15, docs/BENCHMARKS.md session 11). Ledger entries are bytes already.
  const bytes = encodeJson(entry.data).slice();
  cacheEncoding(entry, bytes);
  return bytes;
}

/** Not enumerable: equality checks, spreads and JSON see the entry as the plain data it is. */
function cacheEncoding(entry: Entry, bytes: Uint8Array): void {
  Object.defineProperty(entry, ENCODED_DATA, { value: bytes, enumerable: false, writable: false, configurable: false });
}

/** A batch of entries: [u32 count] then per entry [u8 kind | u64 term | u64 index | u32 dataLength | JSON]. */
export function encodeEntries(entries: readonly Entry[]): Uint8Array {
  const bytes = allocBytes(entriesPayloadBytes(entries));
  writeEntries(bytes, viewOf(bytes), 0, entries);
  return bytes;
}

/** Size of `entries` as a batch payload (their data encodings are cached on them, see above). */
export function entriesPayloadBytes(entries: readonly Entry[]): number {
  let size = 4;
  for (let i = 0; i < entries.length; i++) size += ENTRY_HEADER_BYTES + entryDataBytes(entries[i] as Entry).length;
  return size;
}

/** Writes `entries` as one frame of `type` at `offset` (the WAL's hot path); returns the offset past it. */
export function writeEntriesFrame(bytes: Uint8Array, view: DataView, offset: number, type: number, entries: readonly Entry[]): number {
  const end = writeEntries(bytes, view, offset + FRAME_HEADER_BYTES, entries);
  view.setUint32(offset, end - offset - FRAME_HEADER_BYTES);
  bytes[offset + 8] = type;
  view.setUint32(offset + 4, crc32(bytes, offset + 8, end));
  return end;
}

function writeEntries(bytes: Uint8Array, view: DataView, start: number, entries: readonly Entry[]): number {
  view.setUint32(start, entries.length);
  let offset = start + 4;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as Entry;
    const data = entryDataBytes(entry);
    bytes[offset] = entry.data instanceof Uint8Array ? KIND_CODES[entry.kind] | RAW_DATA_FLAG : KIND_CODES[entry.kind];
    setUint53(view, offset + 1, entry.term);
    setUint53(view, offset + 9, entry.index);
    view.setUint32(offset + 17, data.length);
    bytes.set(data, offset + ENTRY_HEADER_BYTES);
    offset += ENTRY_HEADER_BYTES + data.length;
  }
  return offset;
}

export function decodeEntries(bytes: Uint8Array): Entry[] {
  const view = viewOf(bytes);
  if (bytes.length < 4) throw new CodecError("MALFORMED", "entries batch shorter than its count");
  const count = view.getUint32(0);
  const entries: Entry[] = [];
  let offset = 4;
  for (let i = 0; i < count; i++) {
    if (offset + ENTRY_HEADER_BYTES > bytes.length) throw new CodecError("MALFORMED", `entry ${i} header cut short`);
    const kindByte = view.getUint8(offset);
    const kind = KINDS[kindByte & ~RAW_DATA_FLAG];
    if (kind === undefined) throw new CodecError("MALFORMED", `entry ${i} has unknown kind ${kindByte}`);
    const dataLength = view.getUint32(offset + 17);
    const dataStart = offset + ENTRY_HEADER_BYTES;
    if (dataStart + dataLength > bytes.length) throw new CodecError("MALFORMED", `entry ${i} data cut short`);
    const dataBytes = bytes.subarray(dataStart, dataStart + dataLength);
    // A copy, so the entry does not keep the whole WAL file or wire frame alive.
    const copy = entryBytes(dataBytes);
    const raw = (kindByte & RAW_DATA_FLAG) !== 0;
    const entry: Entry = {
      kind,
      term: term(getUint53(view, offset + 1)),
      index: logIndex(getUint53(view, offset + 9)),
      data: raw ? copy : decodeJson(dataBytes),
    };
    // The bytes just decoded are this JSON entry's encoding: a follower's own WAL write and any
    // re-send reuse them instead of stringifying again.
    if (!raw) cacheEncoding(entry, copy);
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
