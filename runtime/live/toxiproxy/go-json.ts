// Request bodies decoded the way Toxiproxy's Go server decodes them (encoding/json with a
// json.Decoder): only the first JSON value counts (trailing bytes are ignored), keys match
// struct fields case-insensitively, unknown keys and nulls are ignored, and a value of the
// wrong type is a "cannot unmarshal" error. Matching this keeps clients that work against the
// real server working here, bad requests included.
import { badRequestBody, type ApiError } from "./errors.js";

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export type JsonObject = { [key: string]: JsonValue };

/** Largest request body the API accepts; Toxiproxy bodies are a few hundred bytes. */
export const requestBodyBytesMax = 1024 * 1024;

export function decodeFirstValue(text: string): JsonValue {
  if (text.trim().length === 0) throw badRequestBody("EOF");
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const trailing = /non-whitespace character after JSON at position (\d+)/.exec(message);
    if (trailing) return JSON.parse(text.slice(0, Number(trailing[1]))) as JsonValue;
    throw badRequestBody(describeSyntaxError(text, message));
  }
}

function describeSyntaxError(text: string, message: string): string {
  if (/end of JSON input/.test(message)) return "unexpected EOF";
  const position = /position (\d+)/.exec(message);
  const index = position ? Number(position[1]) : text.search(/\S/);
  const character = text.charAt(index);
  if (character === "") return "unexpected EOF";
  const before = text.slice(0, index).trimEnd();
  const wanted = before.endsWith("{") ? "beginning of object key string" : "beginning of value";
  return `invalid character '${character}' looking for ${wanted}`;
}

export function jsonKind(value: JsonValue): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "object") return "object";
  if (typeof value === "boolean") return "bool";
  return typeof value;
}

export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Go matches an exact key first, then any key equal under case folding. */
export function lookupField(object: JsonObject, name: string): JsonValue | undefined {
  if (Object.hasOwn(object, name)) return object[name];
  const folded = name.toLowerCase();
  for (const key of Object.keys(object)) if (key.toLowerCase() === folded) return object[key];
  return undefined;
}

export type GoFieldKind = "string" | "bool" | "float32" | "int64" | "int";

function cannotUnmarshal(value: JsonValue, where: string, goType: string): ApiError {
  const shown = typeof value === "number" ? `number ${value}` : jsonKind(value);
  return badRequestBody(`json: cannot unmarshal ${shown} into ${where} of type ${goType}`);
}

/**
 * Reads one field; undefined when absent or null (Go leaves the field as it was).
 * `structPath` names the Go field in errors, e.g. "Proxy.name".
 */
export function readField(object: JsonObject, name: string, kind: "string", structPath: string): string | undefined;
export function readField(object: JsonObject, name: string, kind: "bool", structPath: string): boolean | undefined;
export function readField(object: JsonObject, name: string, kind: "float32" | "int64" | "int", structPath: string): number | undefined;
export function readField(object: JsonObject, name: string, kind: GoFieldKind, structPath: string): string | boolean | number | undefined {
  const value = lookupField(object, name);
  if (value === undefined || value === null) return undefined;
  const where = `Go struct field ${structPath}`;
  switch (kind) {
    case "string":
      if (typeof value !== "string") throw cannotUnmarshal(value, where, "string");
      return value;
    case "bool":
      if (typeof value !== "boolean") throw cannotUnmarshal(value, where, "bool");
      return value;
    case "float32":
      if (typeof value !== "number") throw cannotUnmarshal(value, where, "float32");
      return value;
    case "int64":
    case "int":
      if (typeof value !== "number" || !Number.isSafeInteger(value)) throw cannotUnmarshal(value, where, kind);
      return value;
    default:
      return assertNever(kind);
  }
}

/** The top-level value must be an object (or null, which Go treats as "no fields"). */
export function expectObject(value: JsonValue, goType: string): JsonObject {
  if (value === null) return {};
  if (!isJsonObject(value)) throw cannotUnmarshal(value, "Go value", goType);
  return value;
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}
