// Always-on assertions (TigerBeetle style): a broken invariant is a bug, and a loud crash at the
// point it breaks beats a silent divergence found later by a checker. They only read state, so
// they leave the simulation (and its trace hash) as it is; they stay on in production.

export class AssertionError extends Error {
  readonly code = "ASSERTION";
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

/** Throws AssertionError when `condition` is false; `message` may be a function so the happy path builds no string. */
export function assert(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new AssertionError(typeof message === "string" ? message : message());
}

/** Entries numbered one after another from the first: what a log slice must be. */
export function assertContiguous(indexes: readonly { readonly index: number }[], what: string): void {
  for (let i = 1; i < indexes.length; i++) {
    const previous = (indexes[i - 1] as { index: number }).index;
    const index = (indexes[i] as { index: number }).index;
    if (index !== previous + 1) throw new AssertionError(`${what}: index ${index} follows ${previous}`);
  }
}
