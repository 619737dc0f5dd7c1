// Typed errors of the ledger. A client's bad command is never an exception (it becomes a typed
// rejection in the outcome, because one bad command must not crash five replicas); these errors
// are for a broken invariant (a bug: crash loudly, TigerBeetle style) or untrusted input the
// replica itself loads, such as a snapshot.

export type LedgerErrorCode = "INVARIANT_VIOLATED" | "SNAPSHOT_INVALID" | "APPLY_OUT_OF_ORDER";

export class LedgerError extends Error {
  constructor(
    readonly code: LedgerErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(`${code}: ${message}`);
    this.name = "LedgerError";
  }
}

/**
 * An always-on assertion: a false condition is a bug in the ledger, never a client's fault. A
 * message that interpolates goes in a function, built only on failure: these run several times
 * per applied event on every replica, and eager template strings were a share of each apply.
 */
export function assertLedger(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new LedgerError("INVARIANT_VIOLATED", typeof message === "string" ? message : message());
}
