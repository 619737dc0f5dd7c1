// Ledger snapshots: plain JSON data (they cross TCP in InstallSnapshot and land in files), with a
// sha256 checksum over the content so a corrupt or truncated snapshot is refused, not restored.
// Events are not in a snapshot: their effect is in the balances and the idempotency table, and
// the chain continues from `headHash` at `eventCount`.

import { createHash } from "node:crypto";
import { LedgerError } from "./errors.js";
import { isHashHex, type ChainCheckpoint } from "./hash-chain.js";
import { unpackEntry } from "./idempotency.js";
import { receivedOutcomeOf } from "./cross-cell.js";
import { invalidShardMovesField, isCarriedOutboxRecord, type ShardMovesJson } from "./shard-move.js";
import { jsonObjectText, withEncodedJson } from "../encoded-json.js";

/** /2: the checksum covers the ids through their own sha256 (one line), so it can be carried forward. */
export const LEDGER_SNAPSHOT_FORMAT = "ldc-ledger-snapshot/2";

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
  /** Absent while the cell never sent or received a cross-cell transfer (cells/ledger/cross-cell.ts). */
  readonly crossCell?: CrossCellSnapshot;
  /** The ledger's side of shard moves (shard-move.ts); absent until a move touched it. */
  readonly shardMoves?: ShardMovesJson;
  /** sha256 (hex) over everything above (the ids through the sha256 of their lines). */
  readonly checksum: string;
}

export type LedgerSnapshotContent = Omit<LedgerSnapshot, "checksum">;

/** The outbox and the received table: a snapshot-restored replica must neither forget a debit in flight nor credit twice. */
export interface CrossCellSnapshot {
  readonly sentTotal: number;
  readonly settledTotal: number;
  readonly refundedTotal: number;
  readonly receivedTotal: number;
  /** Open records [id, from, to, toCell, amount] in opening order. */
  readonly outbox: readonly (readonly [string, string, string, string, number])[];
  /**
   * [transfer id, received outcome code (cross-cell.ts), payee shard] in applied order; the shard
   * is absent when the payee has none and in snapshots written before entries recorded it.
   */
  readonly received: readonly (readonly [string, number, number?])[];
}

// The checksum's input, line by line; the encoder, the builder and the verifier all use these.
// The ids go in as one line holding their own sha256, so the digest of a table that only ever
// grows can be carried forward from one snapshot to the next instead of recomputed.
function headerLine(content: Omit<LedgerSnapshotContent, "accounts" | "idempotency" | "checkpoints">): string {
  return `${content.format}|${content.eventCount}|${content.headHash}|${content.openedTotal}|${content.depositedTotal}|${content.withdrawnTotal}\n`;
}
const accountLine = (account: string, balance: number): string => `a${account.length}:${account}|${balance}\n`;
const idLine = (id: string, packed: number): string => `i${id.length}:${id}|${packed}\n`;
const idsLine = (count: number, idsDigest: string): string => `I${count}|${idsDigest}\n`;
const checkpointLine = (checkpoint: ChainCheckpoint): string => `c${checkpoint.eventCount}|${checkpoint.hash}\n`;

function contentChecksum(content: Omit<LedgerSnapshotContent, "idempotency">, idsCount: number, idsDigest: string): string {
  let text = headerLine(content);
  for (const [account, balance] of content.accounts) text += accountLine(account, balance);
  text += idsLine(idsCount, idsDigest);
  for (const checkpoint of content.checkpoints) text += checkpointLine(checkpoint);
  const crossCell = content.crossCell;
  if (crossCell !== undefined) {
    text += `x${crossCell.sentTotal}|${crossCell.settledTotal}|${crossCell.refundedTotal}|${crossCell.receivedTotal}\n`;
    for (const [id, from, to, toCell, amount] of crossCell.outbox)
      text += `o${id.length}:${id}|${from.length}:${from}|${to.length}:${to}|${toCell.length}:${toCell}|${amount}\n`;
    for (const [id, code] of crossCell.received) text += `r${id.length}:${id}|${code}\n`;
  }
  if (content.shardMoves !== undefined) text += `m${JSON.stringify(content.shardMoves)}\n`;
  return createHash("sha256").update(text).digest("hex");
}

export function snapshotChecksum(content: LedgerSnapshotContent): string {
  const ids = createHash("sha256");
  for (const [id, packed] of content.idempotency) ids.update(idLine(id, packed));
  return contentChecksum(content, content.idempotency.length, ids.digest("hex"));
}

/**
 * The idempotency table as snapshots need it, kept up to date incrementally: the [id, packed]
 * pairs, their JSON text in chunks, and the running sha256 of their lines. The table is
 * insertion-ordered and append-only (ids are never evicted or overwritten: idempotency.ts), so
 * the first n entries never change once encoded; each snapshot encodes only the ids recorded
 * since the one before (the per-id work of a long run's snapshots is O(new ids), not O(all ids);
 * what remains O(all ids) is copying: prefix()).
 */
export class IdempotencyEncoder {
  private readonly pairs: (readonly [string, number])[] = [];
  private readonly chunks: string[] = [];
  private readonly digest = createHash("sha256");

  /** `source` iterates the live table in insertion order; it is only advanced over entries known to exist. */
  constructor(private readonly source: Iterator<[string, number]>) {}

  get encoded(): number {
    return this.pairs.length;
  }

  /** Encodes up to `entries` more, never past the first `upTo`; true once `upTo` are encoded. */
  advance(upTo: number, entries: number): boolean {
    const slice: (readonly [string, number])[] = [];
    let text = "";
    while (this.pairs.length + slice.length < upTo && slice.length < entries) {
      const next = this.source.next();
      if (next.done === true) throw new LedgerError("SNAPSHOT_INVALID", `idempotency table has fewer than ${upTo} entries`, "idempotency");
      const [id, packed] = next.value;
      slice.push([id, packed]);
      text += idLine(id, packed);
    }
    if (slice.length > 0) {
      this.digest.update(text);
      this.chunks.push(JSON.stringify(slice).slice(1, -1));
      for (const pair of slice) this.pairs.push(pair);
    }
    return this.pairs.length >= upTo;
  }

  /**
   * The first `count` entries: pairs, JSON text of the array, sha256 of their lines. The JS work
   * (lines, JSON, digest) was done once per id in advance(); this only copies references and
   * joins the chunks (native, O(all ids) but memcpy-fast).
   */
  prefix(count: number): { readonly pairs: (readonly [string, number])[]; readonly json: string; readonly digest: string } {
    if (count === this.pairs.length)
      return { pairs: this.pairs.slice(), json: `[${this.chunks.join(",")}]`, digest: this.digest.copy().digest("hex") };
    // Encoded past `count` (a full snapshot was taken while a stepped one was being built):
    // recompute this prefix from the pairs, the rare slow path.
    if (count > this.pairs.length)
      throw new LedgerError("SNAPSHOT_INVALID", `snapshot of ${count} ids taken before they were encoded`, "idempotency");
    const pairs = this.pairs.slice(0, count);
    const digest = createHash("sha256");
    for (const [id, packed] of pairs) digest.update(idLine(id, packed));
    return { pairs, json: JSON.stringify(pairs), digest: digest.digest("hex") };
  }
}

/**
 * A ledger snapshot built a step at a time. The ledger hands over a frozen header (totals, head,
 * a copy of the balances and checkpoints) and the number of idempotency entries it had; each
 * step encodes some of those not encoded by an earlier snapshot, and the result carries its JSON
 * text (encoded-json.ts), byte-identical to JSON.stringify.
 */
export class LedgerSnapshotBuilder {
  private built: LedgerSnapshot | null = null;

  constructor(
    private readonly header: Omit<LedgerSnapshotContent, "idempotency">,
    private readonly encoder: IdempotencyEncoder,
    private readonly idempotencyCount: number,
  ) {}

  /** Encodes up to `entries` more idempotency entries; true once the snapshot is complete. */
  step(entries: number): boolean {
    return this.encoder.encoded >= this.idempotencyCount || this.encoder.advance(this.idempotencyCount, entries);
  }

  /** The snapshot, with its JSON text attached; only once step() has answered true. */
  result(): LedgerSnapshot {
    if (this.built !== null) return this.built;
    const ids = this.encoder.prefix(this.idempotencyCount);
    const checksum = contentChecksum(this.header, this.idempotencyCount, ids.digest);
    const { checkpoints, shardMoves, ...head } = this.header;
    const json = jsonObjectText(head, [
      ["idempotency", ids.json],
      ["checkpoints", JSON.stringify(checkpoints)],
      ...(shardMoves === undefined ? [] : ([["shardMoves", JSON.stringify(shardMoves)]] as [string, string][])),
      ["checksum", JSON.stringify(checksum)],
    ]);
    this.built = withEncodedJson(
      { ...head, idempotency: ids.pairs, checkpoints, ...(shardMoves !== undefined && { shardMoves }), checksum },
      json,
    );
    return this.built;
  }
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
    if (
      !Array.isArray(entry) ||
      entry.length !== 2 ||
      !isName(entry[0]) ||
      typeof entry[1] !== "number" ||
      unpackEntry(entry[1]) === undefined ||
      seenIds.has(entry[0])
    ) {
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

  let moved = 0;
  let outboxMoved = 0;
  if (record.shardMoves !== undefined) {
    const bad = invalidShardMovesField(record.shardMoves);
    if (bad !== null) throw invalid(`${field}.${bad}`, "the ledger's shard moves (redirects, expected, moves, totals)");
    const moves = record.shardMoves as ShardMovesJson;
    moved = moves.movedInTotal - moves.movedOutTotal;
    outboxMoved = (moves.outboxMovedInTotal ?? 0) - (moves.outboxMovedOutTotal ?? 0);
  }
  const snapshot = value as LedgerSnapshot;
  let crossCellNet = 0;
  if (record.crossCell !== undefined) {
    const crossCell = parseCrossCell(record.crossCell, `${field}.crossCell`, outboxMoved);
    crossCellNet = crossCell.receivedTotal + crossCell.refundedTotal - crossCell.sentTotal;
  }
  if (total !== snapshot.openedTotal + snapshot.depositedTotal - snapshot.withdrawnTotal + crossCellNet + moved) {
    throw invalid(
      `${field}.accounts`,
      "balances summing to openedTotal + depositedTotal - withdrawnTotal (+ received + refunded - sent across cells, + moved in - moved out)",
    );
  }
  if (snapshotChecksum(snapshot) !== snapshot.checksum) throw invalid(`${field}.checksum`, "the sha256 of the snapshot content");
  return snapshot;
}

/** `outboxMoved`: open records' money moved in minus moved out with shard ranges (shard-move.ts). */
function parseCrossCell(value: unknown, field: string, outboxMoved: number): CrossCellSnapshot {
  if (typeof value !== "object" || value === null) throw invalid(field, "an object");
  const record = value as Record<string, unknown>;
  for (const name of ["sentTotal", "settledTotal", "refundedTotal", "receivedTotal"] as const) {
    if (!isCount(record[name])) throw invalid(`${field}.${name}`, "a non-negative safe integer");
  }
  const outbox = record.outbox;
  if (!Array.isArray(outbox)) throw invalid(`${field}.outbox`, "an array of [id, from, to, toCell, amount]");
  const seen = new Set<string>();
  let open = 0;
  for (let i = 0; i < outbox.length; i++) {
    const entry: unknown = outbox[i];
    if (!isCarriedOutboxRecord(entry) || seen.has(entry[0]))
      throw invalid(`${field}.outbox[${i}]`, "a unique [id, from, to, toCell, positive amount]");
    seen.add(entry[0]);
    open += entry[4];
  }
  const parsed = value as CrossCellSnapshot;
  if (open !== parsed.sentTotal - parsed.settledTotal - parsed.refundedTotal + outboxMoved)
    throw invalid(
      `${field}.outbox`,
      "open records summing to sentTotal - settledTotal - refundedTotal (+ moved in - moved out with shard ranges)",
    );
  const received = record.received;
  if (!Array.isArray(received)) throw invalid(`${field}.received`, "an array of [transfer id, outcome code]");
  const ids = new Set<string>();
  for (let i = 0; i < received.length; i++) {
    const entry: unknown = received[i];
    if (
      !Array.isArray(entry) ||
      (entry.length !== 2 && entry.length !== 3) ||
      !isName(entry[0]) ||
      receivedOutcomeOf(entry[1] as number) === undefined ||
      (entry.length === 3 && !isCount(entry[2])) ||
      ids.has(entry[0])
    )
      throw invalid(`${field}.received[${i}]`, "a unique [transfer id, outcome code 0..3, payee shard?]");
    ids.add(entry[0]);
  }
  return parsed;
}
