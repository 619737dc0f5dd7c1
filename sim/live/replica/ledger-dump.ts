// What the checkers need of one replica's ledger: the commands it holds (durability) and its
// event hash chain (replica agreement). Shared by the replica process and tests.
import type { LedgerStateMachine } from "../../../cells/ledger/state-machine.js";
import type { AppliedCommand } from "../../../harness/checkers/durability.js";
import type { ChainPoint } from "../../../harness/checkers/replica-agreement.js";
import type { LedgerDump } from "./admin.js";

export function dumpLedger(stateMachine: LedgerStateMachine): LedgerDump {
  const ledger = stateMachine.ledger;
  const commands: AppliedCommand[] = [];
  for (const stored of ledger.events()) {
    const event = stored.event;
    switch (event.type) {
      case "TransferPosted":
      case "Deposited":
      case "Withdrawn":
        commands.push({ id: event.id, outcome: "posted" });
        break;
      case "TransferRejected":
      case "DepositRejected":
      case "WithdrawRejected":
        commands.push({ id: event.id, outcome: "rejected" });
        break;
      default:
        break;
    }
  }
  const chain: ChainPoint[] = ledger.checkpoints().map((checkpoint) => ({ index: checkpoint.eventCount, hash: checkpoint.hash }));
  const last = chain[chain.length - 1];
  if (ledger.eventCount > 0 && (last === undefined || last.index < ledger.eventCount)) chain.push({ index: ledger.eventCount, hash: ledger.headHash });
  return { commands, chain, firstRetainedEventIndex: ledger.firstRetainedEventIndex, eventCount: ledger.eventCount, events: ledger.events().map((stored) => stored.event) };
}
