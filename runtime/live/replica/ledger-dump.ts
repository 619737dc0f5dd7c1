// What the checkers need of one replica's ledger: the commands it holds (durability) and its
// event hash chain (replica agreement). Shared by the replica process and tests.
import type { LedgerStateMachine } from "../../../cells/ledger/state-machine.js";
import { appliedCommands, chainPoints } from "../../ledger-facts.js";
import type { LedgerDump } from "./admin.js";

export function dumpLedger(stateMachine: LedgerStateMachine): LedgerDump {
  const ledger = stateMachine.ledger;
  return {
    commands: appliedCommands(ledger),
    chain: chainPoints(ledger),
    firstRetainedEventIndex: ledger.firstRetainedEventIndex,
    eventCount: ledger.eventCount,
    events: ledger.eventBodies(),
  };
}
