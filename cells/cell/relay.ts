// The cross-cell relay (docs/cells.md "Cross-cell transfers"): reads the COMMITTED outbox of its
// source cells (a ReadIndex read at the leader), delivers each open record's credit to the cell
// that owns the payee now (one injected lookup: the routing table, so a shard move redirects
// it), then settles the record at the source: `credited`, or `refused` after a PERMANENT refusal
// only. Anything else (a timeout, no leader, a moved shard, an overloaded cell) is retried with
// backoff; an unknown outcome is never compensated, because the credit may have applied.
//
// Stateless for correctness: what to deliver comes from the committed outbox alone, so a relay
// restarted after a crash, or another relay taking over, resumes where the ledger says, and two
// relays delivering the same record are harmless (the credit is idempotent by transfer id, the
// settlement closes a record once). Memory only paces the work: per-record backoff, a bound on
// deliveries in flight per cell pair, and the ids settled lately (skipped if a stale read shows
// them again).

import type { Clock, Random, TimerHandle } from "../../ground/ports.js";
import { CREDIT_REFUSAL_REASONS, type CreditIn, type CreditRefusalReason, type SettleTransfer } from "../ledger/commands.js";
import type { OutboxRecord } from "../ledger/cross-cell.js";
import type { LedgerOutcome } from "../ledger/outcome.js";
import type { ClientRequestKind } from "./protocol.js";
import type { CellOutcome } from "./client.js";

/** What the relay needs of a CellClient. */
export interface CellSubmitter {
  submit(cell: string, requestId: string, kind: ClientRequestKind, payload: unknown, callback: (outcome: CellOutcome) => void): void;
}

/**
 * Where an account lives now. `retry`: not known at this instant (a shard being moved, a routing
 * table being rebuilt): try again later, never refund on it.
 */
export type DestinationLookup = { readonly kind: "cell"; readonly cell: string } | { readonly kind: "retry"; readonly reason: string };

export interface RelayOptions {
  /** Distinguishes this relay's request ids (and those of its next incarnation: add a nonce). */
  readonly name: string;
  /** Cells whose outbox this relay reads, with the age a record must reach before this relay delivers it. */
  readonly sources: readonly { readonly cell: string; readonly takeoverAfterUs: number }[];
  readonly pollIntervalUs: number;
  readonly outboxReadRecordsMax: number;
  /** Deliveries in flight per (source, destination) pair. */
  readonly inflightPerPairMax: number;
  readonly retryBackoffUsMin: number;
  readonly retryBackoffUsMax: number;
  /**
   * BUG INJECTION for the harness's own tests only: refund a transfer whose credit TIMED OUT (its
   * outcome is unknown: the credit may have applied). Never set outside tests.
   */
  readonly unsafeRefundOnTimeout?: boolean;
}

export const defaultRelayOptions: Omit<RelayOptions, "name" | "sources"> = {
  pollIntervalUs: 100_000,
  outboxReadRecordsMax: 256,
  inflightPerPairMax: 64,
  retryBackoffUsMin: 50_000,
  retryBackoffUsMax: 2_000_000,
};

/** Ids remembered as settled lately (a read answered before the settlement may show them again). */
const RECENTLY_SETTLED_MAX = 4096;
/** Records tracked per source cell (at most one outbox read's worth, plus those in flight). */
const TRACKED_PER_SOURCE_MAX = 4096;

export interface RelayDependencies {
  readonly clock: Clock;
  readonly random: Random;
  readonly client: CellSubmitter;
  readonly lookup: (account: string) => DestinationLookup;
}

export interface RelayStats {
  delivered: number;
  settled: number;
  refunded: number;
  retries: number;
  duplicateCredits: number;
}

interface Tracked {
  readonly record: OutboxRecord;
  readonly source: string;
  readonly firstSeenUs: number;
  attempts: number;
  nextAttemptUs: number;
  /** The pair key while a delivery or settlement is in flight. */
  inflightPair: string | null;
}

export class CrossCellRelay {
  private readonly tracked = new Map<string, Tracked>();
  private readonly inflightByPair = new Map<string, number>();
  private readonly pollInFlight = new Set<string>();
  private readonly recentlySettled = new Set<string>();
  private timer: TimerHandle | null = null;
  private sequence = 0;
  private running = false;
  /** The sources: those of the options, then cells added while this relay runs (elastic cells). */
  private readonly sources: { readonly cell: string; readonly takeoverAfterUs: number }[];
  readonly stats: RelayStats = { delivered: 0, settled: 0, refunded: 0, retries: 0, duplicateCredits: 0 };

  constructor(
    private readonly options: RelayOptions,
    private readonly dependencies: RelayDependencies,
  ) {
    if (!(options.inflightPerPairMax >= 1 && options.outboxReadRecordsMax >= 1 && options.pollIntervalUs >= 1))
      throw new RangeError("relay: inflightPerPairMax, outboxReadRecordsMax and pollIntervalUs must be positive");
    this.sources = [...options.sources];
  }

  /** Reads the outbox of `cell` too from now on (a cell added while the relay runs); idempotent. */
  addSource(cell: string, takeoverAfterUs: number): void {
    if (!this.sources.some((source) => source.cell === cell)) this.sources.push({ cell, takeoverAfterUs });
  }

  /** Deliveries and settlements in flight now. */
  get inflight(): number {
    let count = 0;
    for (const value of this.inflightByPair.values()) count += value;
    return count;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== null) this.dependencies.clock.cancelTimer(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = this.dependencies.clock.setTimer(this.options.pollIntervalUs, () => {
      this.timer = null;
      this.tick();
      this.schedule();
    });
  }

  private tick(): void {
    for (const source of this.sources) {
      if (this.pollInFlight.has(source.cell)) continue;
      this.pollInFlight.add(source.cell);
      this.dependencies.client.submit(
        source.cell,
        this.nextRequestId("o"),
        "read",
        { outbox: { limit: this.options.outboxReadRecordsMax } },
        (outcome) => {
          this.pollInFlight.delete(source.cell);
          if (!this.running || !outcome.ok) return;
          const result = outcome.result as { outcome?: string; records?: readonly OutboxRecord[] } | undefined;
          if (result?.outcome !== "outbox" || !Array.isArray(result.records)) return;
          this.onOutbox(source.cell, source.takeoverAfterUs, result.records);
        },
      );
    }
  }

  private onOutbox(source: string, takeoverAfterUs: number, records: readonly OutboxRecord[]): void {
    const now = this.dependencies.clock.nowUs();
    const open = new Set<string>();
    for (const record of records) {
      open.add(record.id);
      if (this.recentlySettled.has(record.id)) continue;
      let tracked = this.tracked.get(record.id);
      if (tracked === undefined) {
        if (this.trackedOf(source) >= TRACKED_PER_SOURCE_MAX) continue;
        tracked = { record, source, firstSeenUs: now, attempts: 0, nextAttemptUs: now + takeoverAfterUs, inflightPair: null };
        this.tracked.set(record.id, tracked);
      }
      if (tracked.inflightPair === null && now >= tracked.nextAttemptUs) this.deliver(tracked);
    }
    // A complete read (fewer than asked for) lists every open record: the rest were closed.
    if (records.length < this.options.outboxReadRecordsMax) {
      for (const [id, tracked] of this.tracked)
        if (tracked.source === source && tracked.inflightPair === null && !open.has(id)) this.tracked.delete(id);
    }
  }

  private trackedOf(source: string): number {
    let count = 0;
    for (const tracked of this.tracked.values()) if (tracked.source === source) count++;
    return count;
  }

  private deliver(tracked: Tracked): void {
    const { record, source } = tracked;
    const destination = this.dependencies.lookup(record.to);
    if (destination.kind === "retry") {
      this.backoff(tracked);
      return;
    }
    const pair = `${source}>${destination.cell}`;
    const inflight = this.inflightByPair.get(pair) ?? 0;
    if (inflight >= this.options.inflightPerPairMax) return; // next poll
    this.inflightByPair.set(pair, inflight + 1);
    tracked.inflightPair = pair;
    tracked.attempts++;
    this.stats.delivered++;
    const credit: CreditIn = { type: "CreditIn", id: record.id, from: record.from, fromCell: source, to: record.to, amount: record.amount };
    this.dependencies.client.submit(destination.cell, this.nextRequestId("c"), "command", credit, (outcome) => {
      if (!this.running) return this.release(tracked);
      if (!outcome.ok) {
        if (outcome.error.code === "TIMEOUT" && this.options.unsafeRefundOnTimeout === true) {
          this.settle(tracked, { type: "SettleTransfer", id: record.id, result: "refused", reason: "UNKNOWN_ACCOUNT" });
          return;
        }
        this.release(tracked);
        this.backoff(tracked);
        return;
      }
      const answer = outcome.result as LedgerOutcome;
      if (answer.outcome === "posted") {
        if (answer.duplicate) this.stats.duplicateCredits++;
        this.settle(tracked, { type: "SettleTransfer", id: record.id, result: "credited" });
        return;
      }
      if (answer.outcome === "rejected" && isRefusal(answer.reason)) {
        this.settle(tracked, { type: "SettleTransfer", id: record.id, result: "refused", reason: answer.reason });
        return;
      }
      // Not a permanent refusal (a malformed answer, a full table): the money stays in flight and is retried.
      this.release(tracked);
      this.backoff(tracked);
    });
  }

  private settle(tracked: Tracked, settlement: SettleTransfer): void {
    this.dependencies.client.submit(tracked.source, this.nextRequestId("s"), "command", settlement, (outcome) => {
      this.release(tracked);
      if (!this.running) return;
      const answer = outcome.ok ? (outcome.result as LedgerOutcome) : null;
      // UNKNOWN_TRANSFER: closed and forgotten at the source already.
      const closed =
        answer !== null && (answer.outcome === "posted" || (answer.outcome === "rejected" && answer.reason === "UNKNOWN_TRANSFER"));
      if (!closed) {
        // The next read shows the record still open; redelivering is safe (the credit answers its first outcome).
        this.backoff(tracked);
        return;
      }
      if (settlement.result === "credited") this.stats.settled++;
      else this.stats.refunded++;
      this.tracked.delete(tracked.record.id);
      this.recentlySettled.add(tracked.record.id);
      if (this.recentlySettled.size > RECENTLY_SETTLED_MAX)
        this.recentlySettled.delete(this.recentlySettled.values().next().value as string);
    });
  }

  private release(tracked: Tracked): void {
    const pair = tracked.inflightPair;
    if (pair === null) return;
    tracked.inflightPair = null;
    const left = (this.inflightByPair.get(pair) ?? 1) - 1;
    if (left <= 0) this.inflightByPair.delete(pair);
    else this.inflightByPair.set(pair, left);
  }

  private backoff(tracked: Tracked): void {
    this.stats.retries++;
    const { retryBackoffUsMin, retryBackoffUsMax } = this.options;
    const base = Math.min(retryBackoffUsMax, retryBackoffUsMin * 2 ** Math.min(20, Math.max(0, tracked.attempts - 1)));
    // Jitter in [base/2, base]: relays retrying the same cell do not march in step.
    tracked.nextAttemptUs = this.dependencies.clock.nowUs() + Math.round(base / 2 + this.dependencies.random.nextFloat() * (base / 2));
  }

  private nextRequestId(kind: string): string {
    return `relay-${this.options.name}-${kind}${++this.sequence}`;
  }
}

function isRefusal(reason: string): reason is CreditRefusalReason {
  return (CREDIT_REFUSAL_REASONS as readonly string[]).includes(reason);
}
