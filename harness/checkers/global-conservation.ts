// Global conservation across cells, and exactly-once per cross-cell transfer (issue 17).
//
// Input: every cell's event log in applied order, each event with the time the first replica
// applied it (a prefix of the cell's committed log at every instant). Two properties:
//   1. at every check point (each instant some event applied, or only the end when the logs carry
//      no times): sum of all balances + money in flight = opened + deposits - withdrawals, where
//      in flight is what left a source (TransferSent) and neither arrived (CreditReceived) nor
//      came back (TransferRefunded). This holds at any cut of first-applied prefixes, because a
//      credit is caused by a committed debit (the relay reads the committed outbox) and applies
//      strictly after it;
//   2. per transfer id: debited at most once, credited at most once, never credited without a
//      debit, never refunded after (or beside) a credit, refunded only after a permanent refusal,
//      settled only after a credit, for the amount debited.
// At the end, after heal and drain, nothing may be in flight (no outbox record open).
// Shard moves (cells/ledger/shard-move.ts) carry money too: a fence takes the range's balances out
// of the source, an import (or, rolled back, the source's unfence) brings the same sum in; between
// them it is carried, counted beside the money in flight, and each move lands once, whole.
// A violation names the transfer id and the history index of its first invocation.

import type { LedgerEventBody } from "../../cells/ledger/events.js";
import type { Op } from "../history.js";
import { isJsonObject } from "../../ground/json.js";
import { percentile } from "./availability.js";

/** A cell's whole event log from its first event, with first-applied times when known. */
export type TimedCellLog =
  | { readonly complete: true; readonly events: readonly LedgerEventBody[]; readonly appliedUs?: readonly number[] }
  | { readonly complete: false; readonly reason: string };

export type GlobalViolationKind =
  | "not-conserved"
  | "double-debit"
  | "double-credit"
  | "credit-without-debit"
  | "refund-after-credit"
  | "refund-without-refusal"
  | "settle-without-credit"
  | "amount-mismatch"
  | "in-flight-at-end";

export interface GlobalViolation {
  readonly kind: GlobalViolationKind;
  readonly transferId: string;
  /** Index of the transfer's first invocation in the history (null: no client of this history invoked it). */
  readonly historyIndex: number | null;
  readonly message: string;
}

export interface CrossCellFigures {
  readonly initiated: number;
  readonly settled: number;
  readonly refunded: number;
  readonly inFlightAtEnd: number;
  /** From the user's invocation to the settlement applied at the source; null without times or settlements. */
  readonly settleMsP50: number | null;
  readonly settleMsP99: number | null;
}

export interface GlobalConservationVerdict {
  readonly valid: boolean | "unknown";
  readonly reason?: string;
  readonly checkPoints: number;
  readonly crossCell: CrossCellFigures;
  readonly violationCount: number;
  /** The first VIOLATIONS_REPORTED_MAX, earliest history index first. */
  readonly violations: readonly GlobalViolation[];
  readonly first: GlobalViolation | null;
}

export interface GlobalConservationOptions {
  /** After heal and drain: an open outbox record is a violation (in-flight-at-end). */
  readonly requireDrained: boolean;
}

const VIOLATIONS_REPORTED_MAX = 32;

interface TransferFacts {
  sentCell: string | null;
  sentAmount: number;
  sentCount: number;
  credits: number;
  creditAmount: number;
  refusals: number;
  settled: number;
  refunded: number;
  settledAtUs: number | null;
}

interface TimedEvent {
  readonly cell: string;
  readonly atUs: number;
  readonly event: LedgerEventBody;
}

const EMPTY_FIGURES: CrossCellFigures = { initiated: 0, settled: 0, refunded: 0, inFlightAtEnd: 0, settleMsP50: null, settleMsP99: null };

export function checkGlobalConservation(
  logs: Readonly<Record<string, TimedCellLog>>,
  history: readonly Op[],
  options: GlobalConservationOptions,
): GlobalConservationVerdict {
  for (const [cell, log] of Object.entries(logs)) {
    if (!log.complete)
      return {
        valid: "unknown",
        reason: `${cell}: ${log.reason}`,
        checkPoints: 0,
        crossCell: EMPTY_FIGURES,
        violationCount: 0,
        violations: [],
        first: null,
      };
  }
  const invoked = firstInvocations(history);
  const violations: GlobalViolation[] = [];
  const violate = (kind: GlobalViolationKind, transferId: string, message: string): void => {
    violations.push({ kind, transferId, historyIndex: invoked.get(transferId)?.index ?? null, message });
  };

  const merged = mergeByTime(logs as Readonly<Record<string, Extract<TimedCellLog, { complete: true }>>>);
  const timed = merged.timed;
  const facts = new Map<string, TransferFacts>();
  const factsOf = (id: string): TransferFacts => {
    let entry = facts.get(id);
    if (entry === undefined)
      facts.set(
        id,
        (entry = {
          sentCell: null,
          sentAmount: 0,
          sentCount: 0,
          credits: 0,
          creditAmount: 0,
          refusals: 0,
          settled: 0,
          refunded: 0,
          settledAtUs: null,
        }),
      );
    return entry;
  };
  let balances = 0;
  let entered = 0;
  let inFlight = 0;
  let checkPoints = 0;
  let conservationBroken = false;
  /** Fenced moves not yet imported or unfenced: moveId -> the sum they carry. */
  const carried = new Map<string, number>();
  let carriedTotal = 0;
  for (let i = 0; i < merged.events.length; i++) {
    const { cell, atUs, event } = merged.events[i] as TimedEvent;
    switch (event.type) {
      case "AccountOpened":
        balances += event.initialBalance;
        entered += event.initialBalance;
        break;
      case "Deposited":
        balances += event.amount;
        entered += event.amount;
        break;
      case "Withdrawn":
        balances -= event.amount;
        entered -= event.amount;
        break;
      case "TransferSent": {
        const transfer = factsOf(event.id);
        transfer.sentCount++;
        if (transfer.sentCount > 1) violate("double-debit", event.id, `transfer ${event.id} debited twice (again in ${cell})`);
        transfer.sentCell = cell;
        transfer.sentAmount = event.amount;
        balances -= event.amount;
        if (transfer.credits === 0) inFlight += event.amount;
        break;
      }
      case "CreditReceived": {
        const transfer = factsOf(event.id);
        transfer.credits++;
        transfer.creditAmount = event.amount;
        balances += event.amount;
        if (transfer.sentCount === 0)
          violate("credit-without-debit", event.id, `transfer ${event.id} credited in ${cell} before any cell debited it`);
        else if (transfer.credits === 1 && transfer.refunded === 0) inFlight -= transfer.sentAmount;
        if (transfer.credits > 1)
          violate("double-credit", event.id, `transfer ${event.id} credited ${transfer.credits} times (again in ${cell})`);
        if (transfer.refunded > 0) violate("refund-after-credit", event.id, `transfer ${event.id} credited in ${cell} after its refund`);
        if (transfer.sentCount > 0 && event.amount !== transfer.sentAmount)
          violate("amount-mismatch", event.id, `transfer ${event.id} debited ${transfer.sentAmount}, credited ${event.amount}`);
        break;
      }
      case "CreditRefused":
        factsOf(event.id).refusals++;
        break;
      case "TransferSettled": {
        const transfer = factsOf(event.id);
        transfer.settled++;
        transfer.settledAtUs ??= atUs;
        if (transfer.credits === 0)
          violate("settle-without-credit", event.id, `transfer ${event.id} settled in ${cell} though no cell credited it`);
        break;
      }
      case "TransferRefunded": {
        const transfer = factsOf(event.id);
        transfer.refunded++;
        balances += event.amount;
        if (transfer.credits === 0 && transfer.refunded === 1) inFlight -= event.amount;
        if (transfer.credits > 0)
          violate("refund-after-credit", event.id, `transfer ${event.id} refunded in ${cell} after a cell credited it`);
        else if (transfer.refusals === 0)
          violate("refund-without-refusal", event.id, `transfer ${event.id} refunded in ${cell} without a permanent refusal`);
        break;
      }
      case "ShardsMoved": {
        let sum = 0;
        for (const [, balance] of event.accounts) sum += balance;
        if (event.step === "fence") {
          balances -= sum;
          carried.set(event.moveId, sum);
          carriedTotal += sum;
        } else if (event.step === "import" || event.step === "unfence") {
          balances += sum;
          const fenced = carried.get(event.moveId);
          if (fenced === undefined) {
            // An unfence of a move never fenced (a tombstone) carries nothing; anything else lands twice or from nowhere.
            if (sum !== 0)
              violate("amount-mismatch", event.moveId, `move ${event.moveId} ${event.step} in ${cell} brings ${sum} no fence carried`);
          } else {
            carried.delete(event.moveId);
            carriedTotal -= fenced;
            if (fenced !== sum)
              violate(
                "amount-mismatch",
                event.moveId,
                `move ${event.moveId} ${event.step} in ${cell} brings ${sum}, its fence carried ${fenced}`,
              );
          }
        }
        break;
      }
      default:
        break;
    }
    const next = merged.events[i + 1];
    const boundary = next === undefined || (timed && next.atUs !== atUs);
    if (!boundary || (!timed && next !== undefined)) continue;
    checkPoints++;
    if (!conservationBroken && balances + inFlight + carriedTotal !== entered) {
      conservationBroken = true;
      const id = "id" in event ? event.id : "moveId" in event ? event.moveId : "";
      violate(
        "not-conserved",
        id,
        `at ${timed ? `${(atUs / 1000).toFixed(3)} ms` : "the end"} (after ${event.type} ${id} in ${cell}): balances ${balances} + in flight ${inFlight} + carried by moves ${carriedTotal} != opened + deposited - withdrawn ${entered}`,
      );
    }
  }

  let initiated = 0;
  let settled = 0;
  let refunded = 0;
  let open = 0;
  let firstOpen: string | null = null;
  const settleUs: number[] = [];
  for (const [id, transfer] of facts) {
    if (transfer.sentCount > 0) initiated++;
    settled += Math.min(1, transfer.settled);
    refunded += Math.min(1, transfer.refunded);
    if (transfer.sentCount > 0 && transfer.settled === 0 && transfer.refunded === 0) {
      open++;
      firstOpen ??= id;
    }
    const invokedAt = invoked.get(id)?.timeUs;
    if (timed && transfer.settledAtUs !== null && invokedAt !== undefined) settleUs.push(transfer.settledAtUs - invokedAt);
  }
  if (options.requireDrained && open > 0 && firstOpen !== null)
    violate("in-flight-at-end", firstOpen, `${open} cross-cell transfers still in flight after heal and drain (the first: ${firstOpen})`);
  settleUs.sort((a, b) => a - b);
  const ms = (us: number | null): number | null => (us === null ? null : Math.round(us) / 1000);
  violations.sort((a, b) => (a.historyIndex ?? Infinity) - (b.historyIndex ?? Infinity));
  return {
    valid: violations.length === 0,
    checkPoints,
    crossCell: {
      initiated,
      settled,
      refunded,
      inFlightAtEnd: open,
      settleMsP50: ms(percentile(settleUs, 0.5)),
      settleMsP99: ms(percentile(settleUs, 0.99)),
    },
    violationCount: violations.length,
    violations: violations.slice(0, VIOLATIONS_REPORTED_MAX),
    first: violations[0] ?? null,
  };
}

/** Per transfer id, its first invocation in the history (index and time). */
function firstInvocations(history: readonly Op[]): Map<string, { index: number; timeUs: number }> {
  const result = new Map<string, { index: number; timeUs: number }>();
  for (const op of history) {
    if (op.type !== "invoke" || op.f !== "transfer" || !isJsonObject(op.value)) continue;
    const id = op.value.id;
    if ((typeof id === "string" || typeof id === "number") && !result.has(String(id)))
      result.set(String(id), { index: op.index, timeUs: op.time ?? 0 });
  }
  return result;
}

function stepOf(event: LedgerEventBody): number {
  switch (event.type) {
    case "CreditReceived":
    case "CreditRefused":
      return 1;
    // A move's import or unfence follows its fence (each matched by move id, not by account).
    case "ShardsMoved":
      return event.step === "import" || event.step === "unfence" ? 1 : 0;
    case "TransferSettled":
    case "TransferRefunded":
      return 2;
    default:
      return 0;
  }
}

/**
 * Every cell's events in one sequence by first-applied time (ties: cell order, then log order);
 * without times for every cell, by step (debits, credits, settlements) and only the end is a check point.
 */
function mergeByTime(logs: Readonly<Record<string, Extract<TimedCellLog, { complete: true }>>>): {
  readonly events: TimedEvent[];
  readonly timed: boolean;
} {
  const entries = Object.entries(logs);
  const timed = entries.every(([, log]) => log.appliedUs !== undefined && log.appliedUs.length === log.events.length);
  const events: TimedEvent[] = [];
  for (const [cell, log] of entries) {
    for (let i = 0; i < log.events.length; i++)
      events.push({ cell, atUs: timed ? ((log.appliedUs as readonly number[])[i] as number) : 0, event: log.events[i] as LedgerEventBody });
  }
  // A stable sort: ties keep cell order, then each cell's log order.
  if (timed) events.sort((a, b) => a.atUs - b.atUs);
  // Without times the cells' logs have no order between them: take every debit first, then every
  // credit, then every settlement, which is the causal order of each transfer's steps (a step
  // taken out of it, such as a refund beside a credit, is still seen beside the other).
  else events.sort((a, b) => stepOf(a.event) - stepOf(b.event));
  return { events, timed };
}
