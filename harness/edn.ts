// A small EDN reader, enough for real Jepsen/Knossos histories, mapped onto JSON:
// keywords and symbols become strings (":ok" -> "ok"), vectors, lists and sets become arrays,
// map keys become strings (Jepsen bank reads are maps with integer keys), nil becomes null.
// Anything it does not understand is an error naming line and column, never a guess.
import type { Json, JsonObject } from "../ground/json.js";

export class EdnError extends Error {
  readonly code = "EDN_SYNTAX";
  constructor(
    readonly detail: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`EDN ${line}:${column}: ${detail}`);
  }
}

export interface EdnOptions {
  /** Tagged literals (#inst "...", #uuid "..."): "skip" keeps the tagged value, "reject" errors. */
  taggedLiterals?: "skip" | "reject";
}

/** Nesting deeper than this is surely not a history; it would also overflow the JS stack. */
const EDN_DEPTH_MAX = 512;

const DELIMITERS = new Set(["(", ")", "[", "]", "{", "}", '"', ";"]);
const STRING_ESCAPES: Record<string, string> = { '"': '"', "\\": "\\", n: "\n", t: "\t", r: "\r", b: "\b", f: "\f", "/": "/" };
const CHARACTER_NAMES: Record<string, string> = { newline: "\n", space: " ", tab: "\t", return: "\r", backspace: "\b", formfeed: "\f" };

class Reader {
  private offset = 0;
  private line = 1;
  private column = 1;

  constructor(
    private readonly text: string,
    private readonly options: Required<EdnOptions>,
  ) {}

  fail(detail: string, line = this.line, column = this.column): never {
    throw new EdnError(detail, line, column);
  }

  private peek(): string | undefined {
    return this.text[this.offset];
  }

  private advance(): string {
    const ch = this.text[this.offset++] as string;
    if (ch === "\n") {
      this.line++;
      this.column = 1;
    } else {
      this.column++;
    }
    return ch;
  }

  skipWhitespace(): void {
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) return;
      if (ch === ";") {
        while (this.peek() !== undefined && this.peek() !== "\n") this.advance();
      } else if (ch === "," || /\s/.test(ch)) {
        this.advance();
      } else if (ch === "#" && this.text[this.offset + 1] === "_") {
        // #_ discards the next form.
        this.advance();
        this.advance();
        this.readForm(0);
      } else {
        return;
      }
    }
  }

  atEnd(): boolean {
    this.skipWhitespace();
    return this.offset >= this.text.length;
  }

  readForm(depth: number): Json {
    if (depth > EDN_DEPTH_MAX) this.fail(`nesting deeper than ${EDN_DEPTH_MAX}`);
    this.skipWhitespace();
    const line = this.line;
    const column = this.column;
    const ch = this.peek();
    if (ch === undefined) this.fail("unexpected end of input, expected a value");
    switch (ch) {
      case "[":
        this.advance();
        return this.readSequence("]", depth, line, column);
      case "(":
        this.advance();
        return this.readSequence(")", depth, line, column);
      case "{":
        this.advance();
        return this.readMap(depth, line, column);
      case '"':
        this.advance();
        return this.readString(line, column);
      case "\\":
        this.advance();
        return this.readCharacter(line, column);
      case "#":
        return this.readDispatch(depth, line, column);
      case ")":
      case "]":
      case "}":
        this.fail(`unexpected "${ch}"`);
    }
    return this.readAtom(line, column);
  }

  private readSequence(close: string, depth: number, line: number, column: number): Json[] {
    const items: Json[] = [];
    for (;;) {
      this.skipWhitespace();
      const ch = this.peek();
      if (ch === undefined) this.fail(`unclosed "${close === "]" ? "[" : close === ")" ? "(" : "#{"}" opened here`, line, column);
      if (ch === close) {
        this.advance();
        return items;
      }
      if (ch === ")" || ch === "]" || ch === "}") this.fail(`expected "${close}", got "${ch}"`);
      items.push(this.readForm(depth + 1));
    }
  }

  private readMap(depth: number, line: number, column: number): JsonObject {
    const map: JsonObject = {};
    for (;;) {
      this.skipWhitespace();
      const ch = this.peek();
      if (ch === undefined) this.fail('unclosed "{" opened here', line, column);
      if (ch === "}") {
        this.advance();
        return map;
      }
      const keyLine = this.line;
      const keyColumn = this.column;
      const key = this.readForm(depth + 1);
      this.skipWhitespace();
      if (this.peek() === "}") this.fail("map has a key without a value", keyLine, keyColumn);
      const value = this.readForm(depth + 1);
      if (typeof key === "object" && key !== null)
        this.fail("map keys must be scalars (keyword, string, number, symbol, nil, boolean)", keyLine, keyColumn);
      map[String(key)] = value;
    }
  }

  private readString(line: number, column: number): string {
    let out = "";
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) this.fail("unterminated string opened here", line, column);
      this.advance();
      if (ch === '"') return out;
      if (ch !== "\\") {
        out += ch;
        continue;
      }
      const escapeLine = this.line;
      const escapeColumn = this.column - 1;
      const escape = this.peek();
      if (escape === undefined) this.fail("unterminated string opened here", line, column);
      this.advance();
      if (escape === "u") {
        const hex = this.text.slice(this.offset, this.offset + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail("bad \\u escape, expected 4 hex digits", escapeLine, escapeColumn);
        for (let i = 0; i < 4; i++) this.advance();
        out += String.fromCharCode(parseInt(hex, 16));
        continue;
      }
      const replacement = STRING_ESCAPES[escape];
      if (replacement === undefined) this.fail(`unknown string escape "\\${escape}"`, escapeLine, escapeColumn);
      out += replacement;
    }
  }

  private readCharacter(line: number, column: number): string {
    const token = this.readToken();
    if (token.length === 1) return token;
    const named = CHARACTER_NAMES[token];
    if (named !== undefined) return named;
    if (/^u[0-9a-fA-F]{4}$/.test(token)) return String.fromCharCode(parseInt(token.slice(1), 16));
    return this.fail(`unknown character literal "\\${token}"`, line, column);
  }

  private readDispatch(depth: number, line: number, column: number): Json {
    this.advance(); // '#'
    const next = this.peek();
    if (next === "{") {
      this.advance();
      const items = this.readSequence("}", depth, line, column);
      return items;
    }
    if (next === undefined || !/[A-Za-z]/.test(next)) this.fail(`unsupported dispatch "#${next ?? ""}"`, line, column);
    const tag = this.readToken();
    if (this.options.taggedLiterals === "reject") this.fail(`tagged literal #${tag} not supported`, line, column);
    return this.readForm(depth + 1);
  }

  private readToken(): string {
    let token = "";
    for (;;) {
      const ch = this.peek();
      if (ch === undefined || ch === "," || /\s/.test(ch) || DELIMITERS.has(ch)) return token;
      token += this.advance();
    }
  }

  private readAtom(line: number, column: number): Json {
    const token = this.readToken();
    if (token === "") this.fail(`unexpected "${this.peek() ?? "end of input"}"`);
    if (token === "nil") return null;
    if (token === "true") return true;
    if (token === "false") return false;
    if (token.startsWith(":")) {
      if (token.length === 1) this.fail('keyword ":" has no name', line, column);
      return token.slice(1);
    }
    if (/^[+-]?\d/.test(token)) return parseNumber(token, () => this.fail(`malformed number "${token}"`, line, column));
    if (/^[A-Za-z*!_?$%&=<>.+\-/][^]*$/.test(token)) return token; // symbol
    return this.fail(`unexpected token "${token}"`, line, column);
  }
}

function parseNumber(token: string, malformed: () => never): number {
  const integer = /^([+-]?)(\d+)N?$/.exec(token);
  if (integer) {
    const value = Number(`${integer[1]}${integer[2]}`);
    // Beyond 2^53 a JS number silently rounds: refuse rather than compare wrong values.
    if (!Number.isSafeInteger(value)) return malformed();
    return value;
  }
  if (/^[+-]?\d+(\.\d*)?([eE][+-]?\d+)?M?$/.test(token)) return Number(token.replace(/M$/, ""));
  if (/^[+-]?\d+\/\d+$/.test(token)) {
    const [numerator, denominator] = token.split("/").map(Number) as [number, number];
    if (denominator === 0) return malformed();
    return numerator / denominator;
  }
  return malformed();
}

/** Reads exactly one EDN value (with optional surrounding whitespace and comments). */
export function readEdn(text: string, options: EdnOptions = {}): Json {
  const reader = new Reader(text, { taggedLiterals: options.taggedLiterals ?? "skip" });
  const value = reader.readForm(0);
  if (!reader.atEnd()) reader.fail("unexpected content after the first value");
  return value;
}

/** Reads every top-level EDN value (a file of one op map per line, as some Jepsen tools write). */
export function readEdnAll(text: string, options: EdnOptions = {}): Json[] {
  const reader = new Reader(text, { taggedLiterals: options.taggedLiterals ?? "skip" });
  const values: Json[] = [];
  while (!reader.atEnd()) values.push(reader.readForm(0));
  return values;
}

/** Writes EDN; strings listed in `keywordKeys`' values (type, f) and all map keys become keywords. */
export function writeEdn(value: Json, keywordValues: ReadonlySet<string> = new Set()): string {
  if (value === null) return "nil";
  if (typeof value === "boolean" || typeof value === "number") return String(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => writeEdn(item, keywordValues)).join(" ")}]`;
  const parts = Object.keys(value).map((key) => {
    const item = value[key] as Json;
    const written = typeof item === "string" && keywordValues.has(key) && isKeywordName(item) ? `:${item}` : writeEdn(item, keywordValues);
    return `${isKeywordName(key) ? `:${key}` : JSON.stringify(key)} ${written}`;
  });
  return `{${parts.join(", ")}}`;
}

function isKeywordName(text: string): boolean {
  return /^[A-Za-z*!_?$%&=<>][A-Za-z0-9*!_?$%&=<>.+\-/]*$/.test(text);
}
