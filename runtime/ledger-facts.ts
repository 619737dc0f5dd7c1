// What the checkers need of one replica's ledger, in both runtimes: the commands it holds
// (durability) and its event hash chain at its checkpoints and head (replica agreement).
import type { Ledger } from "../cells/ledger/ledger.js";
import type { LedgerEventBody } from "../cells/ledger/events.js";
import type { AppliedCommand } from "../harness/checkers/durability.js";
import type { ChainPoint } from "../harness/checkers/replica-agreement.js";

export function appliedCommands(ledger: Ledger): AppliedCommand[] {
  return appliedCommandsOf(ledger.eventBodies());
}

export function appliedCommandsOf(events: readonly LedgerEventBody[]): AppliedCommand[] {
  const commands: AppliedCommand[] = [];
  for (const event of events) {
    switch (event.type) {
      case "TransferPosted":
      case "TransferSent":
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
  return commands;
}

export function chainPoints(ledger: Ledger): ChainPoint[] {
  const points: ChainPoint[] = ledger.checkpoints().map((checkpoint) => ({ index: checkpoint.eventCount, hash: checkpoint.hash }));
  const last = points[points.length - 1];
  if (ledger.eventCount > 0 && (last === undefined || last.index < ledger.eventCount))
    points.push({ index: ledger.eventCount, hash: ledger.headHash });
  return points;
}
