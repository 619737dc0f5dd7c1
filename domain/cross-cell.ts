// Cross-cell money as the controller shows it while serving (docs/cells.md "Cross-cell transfers"):
// the record GET /api/v1/consistency carries as `crossCell`, /metrics exports and the UI draws.

/** Cross-cell money as the controller shows it (GET /api/v1/consistency `crossCell`, /metrics). */
export interface CrossCellStatus {
  /** Whether this world sends cross-cell transfers at all. */
  readonly enabled: boolean;
  readonly initiated: number;
  readonly settled: number;
  readonly refunded: number;
  /** Open outbox records whose credit has not applied yet, and their money. */
  readonly inFlight: number;
  readonly inFlightAmount: number;
  /** In flight per (source cell, destination cell). */
  readonly flows: readonly { readonly from: string; readonly to: string; readonly count: number; readonly amount: number }[];
  readonly settleMsP50: number | null;
  readonly settleMsP99: number | null;
  /** Sum of balances + in flight = opened + deposits - withdrawals, across every cell (null: some cell has no live replica). */
  readonly globalMoneyConserved: boolean | null;
}
