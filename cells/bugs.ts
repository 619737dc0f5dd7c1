// Deliberate bugs, for the harness's own tests only (docs/harness.md "The bug catalogue"). A
// checker that has never failed proves nothing: each name switches one known-wrong behaviour on
// in exactly one place, so a test can show that the checkers catch it. The switches are passed
// explicitly through options (ReplicaOptions.bugs, RaftOptions.bugs, LedgerOptions.bugs, the
// storage's, the cross-cell relay's and the controller's options) and default to none: nothing global, nothing a config
// file, the HTTP API or `ldc start` can reach. Only `ldc sim --bug`, `ldc swarm --bug`,
// `ldc bench mutants` and tests set them.

export const BUG_NAMES = [
  "ack-before-fsync",
  "commit-quorum-short",
  "vote-without-log-check",
  "append-from-stale-term",
  "stale-local-read",
  "idempotency-ignored",
  "wal-torn-tail-kept",
  "snapshot-drops-idempotency",
  "lease-read-unbounded-clock",
  "transfer-to-lagging",
  "credit-without-idempotency",
  "relay-refund-on-timeout",
] as const;

export type BugName = (typeof BUG_NAMES)[number];

/** The bugs switched on in one run; empty (or absent) in every normal run. */
export type InjectedBugs = ReadonlySet<BugName>;

export const NO_BUGS: InjectedBugs = new Set<BugName>();

export function isBugName(name: string): name is BugName {
  return (BUG_NAMES as readonly string[]).includes(name);
}

export function bugOn(bugs: InjectedBugs | undefined, name: BugName): boolean {
  return bugs !== undefined && bugs.has(name);
}
