// Turns a zod failure into the API's INVALID (HTTP 400): `{error: "<field>: <expected form>", field}`.
import type { z } from "zod";

export function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(body)" : out;
}

export function zodFailure(error: z.ZodError): { ok: false; code: "INVALID"; error: string; field: string } {
  const issue = error.issues[0];
  // An unknown field is named itself (not its parent object): the operator typed that key.
  const path =
    issue === undefined
      ? []
      : issue.code === "unrecognized_keys" && issue.keys[0] !== undefined
        ? [...issue.path, issue.keys[0]]
        : issue.path;
  const field = issue === undefined ? "(body)" : fieldPath(path);
  const detail =
    issue === undefined ? "invalid" : issue.code === "unrecognized_keys" ? `unknown field(s) ${issue.keys.join(", ")}` : issue.message;
  return { ok: false, code: "INVALID", error: `${field}: ${detail}`, field };
}
