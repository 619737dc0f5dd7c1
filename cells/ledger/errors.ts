// Typed errors of the ledger. A client's bad command is never an exception (it becomes a typed
// rejection in the outcome, because one bad command must not crash five replicas); these errors
// are for a broken invariant (a bug: crash loudly, TigerBeetle style) or untrusted input the
// replica itself loads, such as a snapshot.

export type LedgerErrorCode =
  | "INVARIANT_VIOLATED"
  | "SNAPSHOT_INVALID"
  | "APPLY_OUT_OF_ORDER";

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

/** An always-on assertion: a false condition is a bug in the ledger, never a client's fault. */
export function assertLedger(condition: boolean, message: string): asserts condition {
  if (!condition) throw new LedgerError("INVARIANT_VIOLATED", message);
}
