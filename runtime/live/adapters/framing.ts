// Length-prefixed frames for TCP: a 4-byte big-endian payload length, then the payload.
// A frame above `frameBytesMax` is a protocol error (the connection is dropped), not an
// allocation: a corrupt length field must not make a replica allocate gigabytes.
//
// Payloads are UTF-8 JSON, except a Raft append carrying log entries: its payload is a byte 0x01
// (no JSON text starts with it), a u32 length and the JSON of the message without its entries,
// then the entries in the WAL's binary batch layout (cells/raft/codec.ts). The entries' JSON is
// the bytes the leader already made for its own WAL (entryDataBytes caches them on the entry),
// so a leader serialises each entry once for its disk and every follower, and the message
// around them is a few dozen bytes of JSON instead of a stringify of the whole batch.

import { CodecError, decodeEntries, encodeEntries } from "../../../cells/raft/codec.js";
import type { Entry } from "../../../cells/raft/types.js";

export const FRAME_LENGTH_BYTES = 4;
export const FRAME_BYTES_MAX_DEFAULT = 32 * 1024 * 1024;
/** First payload byte of an append with binary entries. */
export const BINARY_APPEND_TAG = 0x01;
/**
 * First payload byte of a message whose `payload` field is bytes (a client's ledger batch,
 * cells/ledger/codec.ts): the JSON of the message without it, then the bytes as they are.
 */
export const BINARY_PAYLOAD_TAG = 0x02;
const BINARY_APPEND_PREFIX_BYTES = 1 + 4;

export class FrameError extends Error {
  constructor(
    readonly code: "TOO_LARGE" | "MALFORMED",
    message: string,
  ) {
    super(message);
  }
}

interface AppendLike {
  readonly type: "append";
  readonly entries: readonly Entry[];
}

function isAppendWithEntries(value: unknown): value is AppendLike {
  if (typeof value !== "object" || value === null || (value as { type?: unknown }).type !== "append") return false;
  const entries = (value as { entries?: unknown }).entries;
  if (!Array.isArray(entries) || entries.length === 0) return false;
  // Raft entries only: anything else called "append" keeps the plain JSON path.
  for (const entry of entries as unknown[]) {
    const candidate = entry as { kind?: unknown; term?: unknown; index?: unknown } | null;
    if (typeof candidate !== "object" || candidate === null || typeof candidate.term !== "number" || typeof candidate.index !== "number")
      return false;
    if (candidate.kind !== "normal" && candidate.kind !== "noop" && candidate.kind !== "config") return false;
  }
  return true;
}

function checkSize(payloadBytes: number, frameBytesMax: number): void {
  if (payloadBytes > frameBytesMax)
    throw new FrameError("TOO_LARGE", `frame of ${payloadBytes} bytes exceeds frameBytesMax=${frameBytesMax}`);
}

function encodeAppend(value: AppendLike, frameBytesMax: number): Buffer {
  const header = Buffer.from(JSON.stringify({ ...value, entries: undefined }), "utf8");
  const entries = encodeEntries(value.entries);
  const payloadBytes = BINARY_APPEND_PREFIX_BYTES + header.length + entries.length;
  checkSize(payloadBytes, frameBytesMax);
  const frame = Buffer.allocUnsafe(FRAME_LENGTH_BYTES + payloadBytes);
  frame.writeUInt32BE(payloadBytes, 0);
  frame[FRAME_LENGTH_BYTES] = BINARY_APPEND_TAG;
  frame.writeUInt32BE(header.length, FRAME_LENGTH_BYTES + 1);
  header.copy(frame, FRAME_LENGTH_BYTES + BINARY_APPEND_PREFIX_BYTES);
  frame.set(entries, FRAME_LENGTH_BYTES + BINARY_APPEND_PREFIX_BYTES + header.length);
  return frame;
}

function hasBinaryPayload(value: unknown): value is { readonly payload: Uint8Array } {
  return typeof value === "object" && value !== null && (value as { payload?: unknown }).payload instanceof Uint8Array;
}

function encodeBinaryPayload(value: { readonly payload: Uint8Array }, frameBytesMax: number): Buffer {
  const header = Buffer.from(JSON.stringify({ ...value, payload: undefined }), "utf8");
  const payloadBytes = BINARY_APPEND_PREFIX_BYTES + header.length + value.payload.length;
  checkSize(payloadBytes, frameBytesMax);
  const frame = Buffer.allocUnsafe(FRAME_LENGTH_BYTES + payloadBytes);
  frame.writeUInt32BE(payloadBytes, 0);
  frame[FRAME_LENGTH_BYTES] = BINARY_PAYLOAD_TAG;
  frame.writeUInt32BE(header.length, FRAME_LENGTH_BYTES + 1);
  header.copy(frame, FRAME_LENGTH_BYTES + BINARY_APPEND_PREFIX_BYTES);
  frame.set(value.payload, FRAME_LENGTH_BYTES + BINARY_APPEND_PREFIX_BYTES + header.length);
  return frame;
}

export function encodeFrame(value: unknown, frameBytesMax = FRAME_BYTES_MAX_DEFAULT): Buffer {
  if (isAppendWithEntries(value)) return encodeAppend(value, frameBytesMax);
  if (hasBinaryPayload(value)) return encodeBinaryPayload(value, frameBytesMax);
  const text = JSON.stringify(value);
  // One allocation: the length prefix and the UTF-8 bytes written in place.
  const payloadBytes = Buffer.byteLength(text, "utf8");
  checkSize(payloadBytes, frameBytesMax);
  const frame = Buffer.allocUnsafe(FRAME_LENGTH_BYTES + payloadBytes);
  frame.writeUInt32BE(payloadBytes, 0);
  frame.write(text, FRAME_LENGTH_BYTES, "utf8");
  return frame;
}

/** The JSON header of a binary frame (append or binary payload) and where its bytes start. */
function binaryHeader(buffer: Buffer, start: number, end: number, what: string): { message: Record<string, unknown>; bytesStart: number } {
  if (end - start < BINARY_APPEND_PREFIX_BYTES) throw new FrameError("MALFORMED", `${what} shorter than its header length`);
  const headerBytes = buffer.readUInt32BE(start + 1);
  const bytesStart = start + BINARY_APPEND_PREFIX_BYTES + headerBytes;
  if (bytesStart > end) throw new FrameError("MALFORMED", `${what} header claims ${headerBytes} bytes, frame has ${end - start}`);
  let message: unknown;
  try {
    message = JSON.parse(buffer.toString("utf8", start + BINARY_APPEND_PREFIX_BYTES, bytesStart));
  } catch (error) {
    throw new FrameError("MALFORMED", `${what} header is not JSON: ${(error as Error).message}`);
  }
  if (typeof message !== "object" || message === null || Array.isArray(message))
    throw new FrameError("MALFORMED", `${what} header is not an object`);
  return { message: message as Record<string, unknown>, bytesStart };
}

function decodePayload(buffer: Buffer, start: number, end: number): unknown {
  if (end > start && buffer[start] === BINARY_PAYLOAD_TAG) {
    const { message, bytesStart } = binaryHeader(buffer, start, end, "binary payload");
    // A copy: the message outlives the receive buffer it arrived in.
    message.payload = new Uint8Array(buffer.subarray(bytesStart, end));
    return message;
  }
  if (end > start && buffer[start] === BINARY_APPEND_TAG) {
    if (end - start < BINARY_APPEND_PREFIX_BYTES) throw new FrameError("MALFORMED", "binary append shorter than its header length");
    const headerBytes = buffer.readUInt32BE(start + 1);
    const entriesStart = start + BINARY_APPEND_PREFIX_BYTES + headerBytes;
    if (entriesStart > end) throw new FrameError("MALFORMED", `binary append header claims ${headerBytes} bytes, frame has ${end - start}`);
    let message: unknown;
    try {
      message = JSON.parse(buffer.toString("utf8", start + BINARY_APPEND_PREFIX_BYTES, entriesStart));
    } catch (error) {
      throw new FrameError("MALFORMED", `binary append header is not JSON: ${(error as Error).message}`);
    }
    if (typeof message !== "object" || message === null || Array.isArray(message))
      throw new FrameError("MALFORMED", "binary append header is not an object");
    try {
      (message as { entries?: Entry[] }).entries = decodeEntries(buffer.subarray(entriesStart, end));
    } catch (error) {
      if (error instanceof CodecError) throw new FrameError("MALFORMED", `binary append entries: ${error.message}`);
      throw error;
    }
    return message;
  }
  try {
    return JSON.parse(buffer.toString("utf8", start, end));
  } catch (error) {
    throw new FrameError("MALFORMED", `frame is not JSON: ${(error as Error).message}`);
  }
}

/** Reassembles frames from arbitrary TCP chunks. */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes the pending data must reach before decoding can make progress. */
  private neededBytes = FRAME_LENGTH_BYTES;

  constructor(private readonly frameBytesMax = FRAME_BYTES_MAX_DEFAULT) {}

  /** Feeds a chunk; returns every complete frame's value. Throws FrameError on a bad frame. */
  push(chunk: Buffer): unknown[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const values: unknown[] = [];
    // A large frame arrives in many chunks: join them once it is whole, not at every chunk.
    if (this.pendingBytes < this.neededBytes) return values;
    let buffer = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending, this.pendingBytes);
    let offset = 0;
    while (buffer.length - offset >= FRAME_LENGTH_BYTES) {
      const length = buffer.readUInt32BE(offset);
      if (length > this.frameBytesMax)
        throw new FrameError("TOO_LARGE", `incoming frame claims ${length} bytes, frameBytesMax=${this.frameBytesMax}`);
      const end = offset + FRAME_LENGTH_BYTES + length;
      if (end > buffer.length) {
        this.neededBytes = end - offset;
        break;
      }
      values.push(decodePayload(buffer, offset + FRAME_LENGTH_BYTES, end));
      offset = end;
    }
    buffer = buffer.subarray(offset);
    if (buffer.length < FRAME_LENGTH_BYTES || buffer.length >= this.neededBytes) this.neededBytes = FRAME_LENGTH_BYTES;
    this.pending = buffer.length > 0 ? [buffer] : [];
    this.pendingBytes = buffer.length;
    return values;
  }
}
