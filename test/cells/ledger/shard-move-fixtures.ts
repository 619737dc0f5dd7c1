// What the shard-move ledger tests share: a batch runner, a cell with opened accounts, and a move step.
import type { BatchCommand } from "../../../cells/ledger/commands.js";
import { Ledger } from "../../../cells/ledger/ledger.js";
import type { LedgerOutcome } from "../../../cells/ledger/outcome.js";
import type { ShardMoveCommand, ShardRecord } from "../../../cells/ledger/shard-move.js";

export function run(ledger: Ledger, ...commands: BatchCommand[]): LedgerOutcome[] {
  return ledger.executeBatch({ requestId: "r", linked: false, commands });
}

/** A ledger with each account opened at 100. */
export function cellWith(accounts: string[]): Ledger {
  const ledger = new Ledger();
  run(ledger, ...accounts.map((account): BatchCommand => ({ type: "OpenAccount", account, initialBalance: 100 })));
  return ledger;
}

/** One step of move m1 over shards first..last. */
export function moveStep(
  range: { readonly first: number; readonly last: number },
  step: ShardMoveCommand["step"],
  peer: string,
  record?: ShardRecord,
): ShardMoveCommand {
  return { type: "ShardMove", step, moveId: "m1", first: range.first, last: range.last, peer, ...(record !== undefined && { record }) };
}
