// Ledger snapshots: plain JSON data (they cross TCP in InstallSnapshot and land in files), with a
// sha256 checksum over the content so a corrupt or truncated snapshot is refused, not restored.
// Events are not in a snapshot: their effect is in the balances and the idempotency table, and
// the chain continues from `headHash` at `eventCount`.

import { createHash } from "node:crypto";
import { LedgerError } from "./errors.js";
import { isHashHex, type ChainCheckpoint } from "./hash-chain.js";
import { unpackEntry } from "./idempotency.js";

export const LEDGER_SNAPSHOT_FORMAT = "ldc-ledger-snapshot/1";

export interface LedgerSnapshot {
  readonly format: typeof LEDGER_SNAPSHOT_FORMAT;
  readonly eventCount: number;
  readonly headHash: string;
  readonly openedTotal: number;
  readonly depositedTotal: number;
  readonly withdrawnTotal: number;
  /** [account, balance] in event order. */
  readonly accounts: readonly (readonly [string, number])[];
  /** [operation id, packed fingerprint and outcome] in event order. */
  readonly idempotency: readonly (readonly [string, number])[];
  readonly checkpoints: readonly ChainCheckpoint[];
  /** sha256 (hex) over everything above. */
  readonly checksum: string;
}

export type LedgerSnapshotContent = Omit<LedgerSnapshot, "checksum">;

export function snapshotChecksum(content: LedgerSnapshotContent): string {
  const digest = createHash("sha256");
  digest.update(`${content.format}|${content.eventCount}|${content.headHash}|${content.openedTotal}|${content.depositedTotal}|${content.withdrawnTotal}\n`);
  for (const [account, balance] of content.accounts) digest.update(`a${account.length}:${account}|${balance}\n`);
  for (const [id, packed] of content.idempotency) digest.update(`i${id.length}:${id}|${packed}\n`);
  for (const checkpoint of content.checkpoints) digest.update(`c${checkpoint.eventCount}|${checkpoint.hash}\n`);
  return digest.digest("hex");
}

function invalid(field: string, expected: string): LedgerError {
  return new LedgerError("SNAPSHOT_INVALID", `${field}: expected ${expected}`, field);
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function isName(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

/** Validates untrusted snapshot data field by field; throws SNAPSHOT_INVALID naming the field. */
export function parseLedgerSnapshot(value: unknown, field = "snapshot"): LedgerSnapshot {
  if (typeof value !== "object" || value === null) throw invalid(field, "an object");
  const record = value as Record<string, unknown>;
  if (record.format !== LEDGER_SNAPSHOT_FORMAT) throw invalid(`${field}.format`, JSON.stringify(LEDGER_SNAPSHOT_FORMAT));
  for (const name of ["eventCount", "openedTotal", "depositedTotal", "withdrawnTotal"] as const) {
    if (!isCount(record[name])) throw invalid(`${field}.${name}`, "a non-negative safe integer");
  }
  if (!isHashHex(record.headHash)) throw invalid(`${field}.headHash`, "64 lowercase hex digits");
  if (!isHashHex(record.checksum)) throw invalid(`${field}.checksum`, "64 lowercase hex digits");

  const accounts = record.accounts;
  if (!Array.isArray(accounts)) throw invalid(`${field}.accounts`, "an array of [account, balance]");
  const seenAccounts = new Set<string>();
  let total = 0;
  for (let i = 0; i < accounts.length; i++) {
    const entry: unknown = accounts[i];
    if (!Array.isArray(entry) || entry.length !== 2 || !isName(entry[0]) || !isCount(entry[1]) || seenAccounts.has(entry[0])) {
      throw invalid(`${field}.accounts[${i}]`, "a unique [account, non-negative safe integer balance]");
    }
    seenAccounts.add(entry[0]);
    total += entry[1];
  }
  const idempotency = record.idempotency;
  if (!Array.isArray(idempotency)) throw invalid(`${field}.idempotency`, "an array of [id, packed outcome]");
  const seenIds = new Set<string>();
  for (let i = 0; i < idempotency.length; i++) {
    const entry: unknown = idempotency[i];
    if (!Array.isArray(entry) || entry.length !== 2 || !isName(entry[0]) || typeof entry[1] !== "number" || unpackEntry(entry[1]) === undefined || seenIds.has(entry[0])) {
      throw invalid(`${field}.idempotency[${i}]`, "a unique [id, packed fingerprint and outcome]");
    }
    seenIds.add(entry[0]);
  }
  const checkpoints = record.checkpoints;
  if (!Array.isArray(checkpoints)) throw invalid(`${field}.checkpoints`, "an array of {eventCount, hash}");
  for (let i = 0; i < checkpoints.length; i++) {
    const checkpoint: unknown = checkpoints[i];
    const ok =
      typeof checkpoint === "object" &&
      checkpoint !== null &&
      isCount((checkpoint as Record<string, unknown>).eventCount) &&
      isHashHex((checkpoint as Record<string, unknown>).hash);
    if (!ok) throw invalid(`${field}.checkpoints[${i}]`, "{eventCount, hash}");
  }

  const snapshot = value as LedgerSnapshot;
  if (total !== snapshot.openedTotal + snapshot.depositedTotal - snapshot.withdrawnTotal) {
    throw invalid(`${field}.accounts`, "balances summing to openedTotal + depositedTotal - withdrawnTotal");
  }
  if (snapshotChecksum(snapshot) !== snapshot.checksum) throw invalid(`${field}.checksum`, "the sha256 of the snapshot content");
  return snapshot;
}
