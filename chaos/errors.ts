// Typed chaos errors. Every one names the field it is about, because operators write fault specs
// and drill files by hand and need to be told exactly which value is wrong and what was expected.

export type ChaosErrorCode =
  | "INVALID_FAULT" // a fault spec does not match the catalogue
  | "NO_SUCH_TARGET" // a named host/datacenter/region/cell does not exist
  | "NO_SUCH_FAULT" // heal(id) of an unknown or already healed fault
  | "NO_LEADER" // a `leader` target while the cell has none
  | "INVALID_DRILL" // a drill file does not match the format
  | "UNKNOWN_DRILL"; // neither a built-in drill nor a readable file

export class ChaosError extends Error {
  constructor(
    readonly code: ChaosErrorCode,
    /** Path of the offending value, e.g. `steps[2].inject.type`. */
    readonly field: string,
    readonly reason: string,
    /** 1-based line in the source file, when the value came from one. */
    readonly line?: number,
  ) {
    super(`${field}${line === undefined ? "" : ` (line ${line})`}: ${reason}`);
    this.name = "ChaosError";
  }
}

/** ["steps", 2, "inject", "type"] -> "steps[2].inject.type". */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

export function joinField(prefix: string, field: string): string {
  if (prefix === "") return field;
  if (field === "") return prefix;
  return field.startsWith("[") ? `${prefix}${field}` : `${prefix}.${field}`;
}
