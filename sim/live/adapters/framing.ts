// Length-prefixed JSON frames for TCP: a 4-byte big-endian payload length, then UTF-8 JSON.
// A frame above `frameBytesMax` is a protocol error (the connection is dropped), not an
// allocation: a corrupt length field must not make a replica allocate gigabytes.

export const FRAME_LENGTH_BYTES = 4;
export const FRAME_BYTES_MAX_DEFAULT = 32 * 1024 * 1024;

export class FrameError extends Error {
  constructor(
    readonly code: "TOO_LARGE" | "MALFORMED",
    message: string,
  ) {
    super(message);
  }
}

/**
 * JSON of objects sent many times: a Raft leader sends the same log entries to every follower
 * (and again on retransmission), so each entry is stringified once, not once per message.
 * Entries are immutable once appended, which is what makes caching by identity sound.
 */
const entryJson = new WeakMap<object, string>();
/** Stands in for the entries while the rest of the message is stringified (NULs: no real value has it). */
const ENTRIES_SENTINEL = "\u0000ldc:entries\u0000";
const ENTRIES_SENTINEL_JSON = `"entries":${JSON.stringify(ENTRIES_SENTINEL)}`;

function stringifyMessage(value: unknown): string {
  const entries = (value as { entries?: unknown } | null)?.entries;
  if (!Array.isArray(entries) || entries.length === 0) return JSON.stringify(value);
  const parts: string[] = [];
  for (const entry of entries as unknown[]) {
    if (typeof entry !== "object" || entry === null) {
      parts.push(JSON.stringify(entry));
      continue;
    }
    let json = entryJson.get(entry);
    if (json === undefined) entryJson.set(entry, (json = JSON.stringify(entry)));
    parts.push(json);
  }
  const rest = JSON.stringify({ ...(value as object), entries: ENTRIES_SENTINEL });
  return rest.replace(ENTRIES_SENTINEL_JSON, `"entries":[${parts.join(",")}]`);
}

export function encodeFrame(value: unknown, frameBytesMax = FRAME_BYTES_MAX_DEFAULT): Buffer {
  const payload = Buffer.from(stringifyMessage(value), "utf8");
  if (payload.length > frameBytesMax) throw new FrameError("TOO_LARGE", `frame of ${payload.length} bytes exceeds frameBytesMax=${frameBytesMax}`);
  const frame = Buffer.allocUnsafe(FRAME_LENGTH_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  payload.copy(frame, FRAME_LENGTH_BYTES);
  return frame;
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
      if (length > this.frameBytesMax) throw new FrameError("TOO_LARGE", `incoming frame claims ${length} bytes, frameBytesMax=${this.frameBytesMax}`);
      const end = offset + FRAME_LENGTH_BYTES + length;
      if (end > buffer.length) {
        this.neededBytes = end - offset;
        break;
      }
      const text = buffer.toString("utf8", offset + FRAME_LENGTH_BYTES, end);
      try {
        values.push(JSON.parse(text));
      } catch (error) {
        throw new FrameError("MALFORMED", `frame is not JSON: ${(error as Error).message}`);
      }
      offset = end;
    }
    buffer = buffer.subarray(offset);
    if (buffer.length < FRAME_LENGTH_BYTES || buffer.length >= this.neededBytes) this.neededBytes = FRAME_LENGTH_BYTES;
    this.pending = buffer.length > 0 ? [buffer] : [];
    this.pendingBytes = buffer.length;
    return values;
  }
}
