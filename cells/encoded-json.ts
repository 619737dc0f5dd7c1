// A value's JSON text kept alongside it, for large immutable values built piecewise (a ledger
// snapshot is encoded a few thousand entries at a time between other work, not in one
// JSON.stringify that stalls the replica). The text is under a symbol key, so JSON.stringify of
// the value itself ignores it; it must be exactly what JSON.stringify(value) would produce.

const ENCODED_JSON = Symbol("ldc.encodedJson");

/** Attaches `json` (which must equal JSON.stringify(value)) to the immutable `value`. */
export function withEncodedJson<T extends object>(value: T, json: string): T {
  Object.defineProperty(value, ENCODED_JSON, { value: json, enumerable: false });
  return value;
}

/**
 * A value kept ONLY as its JSON text: a replica's latest snapshot is held for months of uptime and
 * read back only by a rare InstallSnapshot or restore, so keeping its object form beside the text
 * doubled the largest item of a running world's heap (docs/BENCHMARKS.md "soak, session 6").
 * The text is held as a string or as its UTF-8 bytes (`ofUtf8`): a snapshot whose file has been
 * written holds a view of the file's own bytes, so the replica keeps one copy, not the file's and
 * a string beside it (~0.7 MB per replica at the default load; docs/BENCHMARKS.md, session 11).
 * JSON.stringify of it is the text's value (toJSON parses it back); jsonOf returns the text;
 * decodedJson turns it back into the value.
 */
export class EncodedJson {
  private constructor(
    private readonly text: string | null,
    private readonly utf8: Uint8Array | null,
  ) {}

  /** Text that must equal JSON.stringify of some value. */
  static of(json: string): EncodedJson {
    return new EncodedJson(json, null);
  }

  /**
   * The UTF-8 bytes of such a text, held as given (the caller never changes them after): a view
   * keeps its whole buffer alive, so pass bytes whose buffer is what they are a part of anyway.
   */
  static ofUtf8(bytes: Uint8Array): EncodedJson {
    return new EncodedJson(null, bytes);
  }

  /** The JSON text (decoded afresh from the bytes each time when held as bytes: read rarely). */
  get json(): string {
    return this.text ?? utf8Decoder.decode(this.utf8 as Uint8Array);
  }

  /** The text's UTF-8: the held bytes themselves (do not change them), or a fresh encoding. */
  utf8Bytes(): Uint8Array {
    return this.utf8 ?? utf8Encoder.encode(this.text as string);
  }

  /** Size of the text: its length when held as a string, its UTF-8 size otherwise (equal for ASCII, as JSON of ids and numbers is). */
  get size(): number {
    return this.text !== null ? this.text.length : (this.utf8 as Uint8Array).length;
  }

  toJSON(): unknown {
    return JSON.parse(this.json) as unknown;
  }
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/** The value itself: parsed back from an EncodedJson, as is otherwise. */
export function decodedJson(value: unknown): unknown {
  return value instanceof EncodedJson ? value.toJSON() : value;
}

/** Size of `value`'s JSON text (EncodedJson.size for an EncodedJson; the text's length otherwise). */
export function jsonSize(value: unknown): number {
  return value instanceof EncodedJson ? value.size : jsonOf(value).length;
}

/** JSON text of `value`: the attached encoding when there is one, JSON.stringify otherwise. */
export function jsonOf(value: unknown): string {
  if (value instanceof EncodedJson) return value.json;
  if (typeof value === "object" && value !== null) {
    const cached = (value as { [ENCODED_JSON]?: string })[ENCODED_JSON];
    if (cached !== undefined) return cached;
  }
  return JSON.stringify(value ?? null);
}

/**
 * JSON text of an object: the fields of `plain` (JSON.stringify'd, in their order), then `raw`
 * fields whose values are already JSON text, in the order given. Equal to JSON.stringify of the
 * object those fields make, without re-encoding the raw values.
 */
export function jsonObjectText(plain: object, raw: readonly (readonly [string, string])[]): string {
  const head = JSON.stringify(plain);
  const rest = raw.map(([key, json]) => `${JSON.stringify(key)}:${json}`).join(",");
  if (rest.length === 0) return head;
  return head === "{}" ? `{${rest}}` : `${head.slice(0, -1)},${rest}}`;
}
