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
 * JSON.stringify of it is the text's value (toJSON parses it back); jsonOf returns the text as is;
 * decodedJson turns it back into the value.
 */
export class EncodedJson {
  constructor(readonly json: string) {}

  toJSON(): unknown {
    return JSON.parse(this.json) as unknown;
  }
}

/** The value itself: parsed back from an EncodedJson, as is otherwise. */
export function decodedJson(value: unknown): unknown {
  return value instanceof EncodedJson ? value.toJSON() : value;
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
