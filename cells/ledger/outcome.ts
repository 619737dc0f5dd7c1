// What a client learns from applying its command: the value a replica hands back through Raft.

import type { RejectReason } from "./events.js";
import type { ShardMoveStep, ShardRecord } from "./shard-move.js";

/** Rejections that are not events: nothing happened, so nothing enters the chain. */
/** UNKNOWN_TRANSFER: a settlement for a transfer id this cell never sent (or no longer remembers). */
export type NonEventRejectReason = "ID_REUSED" | "MALFORMED_COMMAND" | "UNKNOWN_TRANSFER" | ShardRoutingReason;

/**
 * A command on a moving range (cells/ledger/shard-move.ts), not applied here: MOVED (the range
 * belongs to `owner` now: send it there), MOVE_PENDING (the range is on its way here: retry),
 * CROSS_CELL (its accounts are now in two cells).
 */
export type ShardRoutingReason = "MOVED" | "MOVE_PENDING" | "CROSS_CELL";

export interface AccountBalance {
  readonly account: string;
  readonly balance: number;
}

export type LedgerOutcome =
  | {
      readonly requestId: string;
      /** The operation id, or the account for OpenAccount. */
      readonly id: string;
      readonly outcome: "posted";
      /** True when this was a retry of an id already applied: the first outcome, nothing new happened. */
      readonly duplicate: boolean;
      /** The event this command produced (absent for a duplicate). */
      readonly eventIndex?: number;
      /**
       * Balances of the accounts touched, after the event (absent for a duplicate). An array of
       * fixed-shape records, not a Record keyed by account: building a dynamic-key object per
       * transfer cost a quarter of apply's time.
       */
      readonly balancesAfter?: readonly AccountBalance[];
    }
  | {
      readonly requestId: string;
      readonly id: string;
      readonly outcome: "rejected";
      readonly reason: RejectReason | NonEventRejectReason;
      readonly duplicate: boolean;
      readonly eventIndex?: number;
      /** For MALFORMED_COMMAND: the offending field and the expected form. */
      readonly field?: string;
      readonly expected?: string;
      /** For MOVED and CROSS_CELL: the cell that owns the range now. */
      readonly owner?: string;
    }
  | {
      readonly requestId: string;
      /** The move id. */
      readonly id: string;
      readonly outcome: "shard-move";
      readonly step: ShardMoveStep;
      /** done: the step took effect (now or, with duplicate, before); refused: it cannot (reason). */
      readonly status: "done" | "refused";
      readonly reason?: string;
      readonly duplicate: boolean;
      /** fence: what the move carries to the destination. */
      readonly record?: ShardRecord;
    }
  | {
      readonly requestId: string;
      readonly id: string;
      readonly outcome: "read";
      /** Known accounts only: an unknown account is absent from the record. */
      readonly balances: Readonly<Record<string, number>>;
    };

/** What applying one batch entry returns: an outcome per command, in the batch's order. */
/** The answer to a command that does not parse: nothing happened; it names the field and the form expected. */
export function malformedOutcome(requestId: string, error: { readonly field: string; readonly expected: string }): LedgerOutcome {
  return {
    requestId,
    id: "",
    outcome: "rejected",
    reason: "MALFORMED_COMMAND",
    duplicate: false,
    field: error.field,
    expected: error.expected,
  };
}

export interface LedgerBatchOutcome {
  readonly requestId: string;
  readonly outcomes: readonly LedgerOutcome[];
}
