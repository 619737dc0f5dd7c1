// What a user sends and what carries it: the workload (sim/workload) produces UserRequests, and
// a RequestSink carries each to its cell: the runtime's direct region clients, or the
// controller's regional gateways (controller/gateway.ts). Both sides import this, not each other.
import type { CellOutcome } from "../cells/cell/client.js";

export interface UserRequest {
  readonly requestId: string;
  readonly uid: number;
  readonly shard: number;
  readonly cell: string;
  /** "batch": the payload is `{linked?, commands}` of the user's own (cells/cell/client.ts). */
  readonly kind: "command" | "read" | "batch";
  /** A ledger command (cells/ledger/commands.ts), a read, or a batch. */
  readonly payload: unknown;
}

export interface RequestSink {
  submit(request: UserRequest, callback: (outcome: CellOutcome) => void): void;
}
