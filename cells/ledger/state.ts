// The ledger's business state and the one function that changes it. applyEvent is the only
// writer: decide() reads the state and proposes an event, applyEvent makes it so. The state is
// mutated in place (one owner, no copies per event) because apply runs on five replicas for
// every transfer of the simulation.

import { assertLedger } from "./errors.js";
import { assertNever, type LedgerEventBody } from "./events.js";
import { ReceivedTable, type OutboxRecord } from "./cross-cell.js";
import { shardOfAccountId } from "./shard-move.js";

export interface LedgerState {
  /** Account -> balance in minor units. Insertion order is event order, hence equal on replicas. */
  readonly balances: Map<string, number>;
  /** Running sum of balances, kept so conservation is checked in O(1) per event. */
  totalBalance: number;
  /** Sum of opening balances. */
  openedTotal: number;
  depositedTotal: number;
  withdrawnTotal: number;
  /**
   * Open outbox records by transfer id, in opening order (cells/ledger/cross-cell.ts).
   * Invariant: outboxOpenTotal = sum of their amounts = sentTotal - settledTotal - refundedTotal
   * + outboxMovedInTotal - outboxMovedOutTotal.
   */
  readonly outbox: Map<string, OutboxRecord>;
  outboxOpenTotal: number;
  /** Debited into the outbox (TransferSent), closed as arrived (TransferSettled), credited back (TransferRefunded). */
  sentTotal: number;
  settledTotal: number;
  refundedTotal: number;
  /** Credited from other cells (CreditReceived). */
  receivedTotal: number;
  /** Transfer id -> first outcome of its credit here. */
  readonly received: ReceivedTable;
  /** Money that arrived with shards moved in (imports, unfences) and left with shards moved out (fences). */
  movedInTotal: number;
  movedOutTotal: number;
  /** Open outbox records' money that arrived with moved ranges and left with them (shard-move.ts). */
  outboxMovedInTotal: number;
  outboxMovedOutTotal: number;
}

export function createLedgerState(receivedWindowEntries?: number): LedgerState {
  return {
    balances: new Map(),
    totalBalance: 0,
    openedTotal: 0,
    depositedTotal: 0,
    withdrawnTotal: 0,
    outbox: new Map(),
    outboxOpenTotal: 0,
    sentTotal: 0,
    settledTotal: 0,
    refundedTotal: 0,
    receivedTotal: 0,
    received: new ReceivedTable(receivedWindowEntries),
    movedInTotal: 0,
    movedOutTotal: 0,
    outboxMovedInTotal: 0,
    outboxMovedOutTotal: 0,
  };
}

/**
 * What the balances must sum to: what entered the ledger minus what left it, other cells (sent,
 * refunded, received) and shard moves (moved in, moved out) included.
 */
export function expectedTotal(state: LedgerState): number {
  return (
    state.openedTotal +
    state.depositedTotal -
    state.withdrawnTotal -
    state.sentTotal +
    state.refundedTotal +
    state.receivedTotal +
    state.movedInTotal -
    state.movedOutTotal
  );
}

/** Applies an accepted or rejected event. Rejections change nothing here (the table records them). */
export function applyEvent(state: LedgerState, event: LedgerEventBody): void {
  const balances = state.balances;
  switch (event.type) {
    case "TransferPosted": {
      const fromBefore = balances.get(event.from);
      const toBefore = balances.get(event.to);
      assertLedger(fromBefore !== undefined && toBefore !== undefined, () => `transfer ${event.id} between unknown accounts`);
      assertLedger(event.from !== event.to, () => `transfer ${event.id} to the same account`);
      assertLedger(Number.isSafeInteger(event.amount) && event.amount > 0, () => `transfer ${event.id} has amount ${event.amount}`);
      assertLedger(fromBefore >= event.amount, () => `transfer ${event.id} overdraws ${event.from}`);
      const fromAfter = fromBefore - event.amount;
      const toAfter = toBefore + event.amount;
      assertLedger(Number.isSafeInteger(toAfter), () => `transfer ${event.id} overflows ${event.to}`);
      // Pair assertion: a transfer moves money, it never creates or destroys it.
      assertLedger(fromAfter + toAfter === fromBefore + toBefore, () => `transfer ${event.id} does not conserve money`);
      balances.set(event.from, fromAfter);
      balances.set(event.to, toAfter);
      return;
    }
    case "Deposited": {
      const before = balances.get(event.account);
      assertLedger(before !== undefined, () => `deposit ${event.id} to unknown account`);
      assertLedger(Number.isSafeInteger(event.amount) && event.amount > 0, () => `deposit ${event.id} has amount ${event.amount}`);
      assertLedger(Number.isSafeInteger(state.totalBalance + event.amount), () => `deposit ${event.id} overflows the total`);
      balances.set(event.account, before + event.amount);
      state.totalBalance += event.amount;
      state.depositedTotal += event.amount;
      return;
    }
    case "Withdrawn": {
      const before = balances.get(event.account);
      assertLedger(before !== undefined, () => `withdrawal ${event.id} from unknown account`);
      assertLedger(Number.isSafeInteger(event.amount) && event.amount > 0, () => `withdrawal ${event.id} has amount ${event.amount}`);
      assertLedger(before >= event.amount, () => `withdrawal ${event.id} overdraws ${event.account}`);
      balances.set(event.account, before - event.amount);
      state.totalBalance -= event.amount;
      state.withdrawnTotal += event.amount;
      return;
    }
    case "AccountOpened": {
      assertLedger(!balances.has(event.account), () => `account ${event.account} opened twice`);
      assertLedger(
        Number.isSafeInteger(event.initialBalance) && event.initialBalance >= 0,
        () => `account ${event.account} opens with ${event.initialBalance}`,
      );
      assertLedger(Number.isSafeInteger(state.totalBalance + event.initialBalance), () => `opening ${event.account} overflows the total`);
      balances.set(event.account, event.initialBalance);
      state.totalBalance += event.initialBalance;
      state.openedTotal += event.initialBalance;
      return;
    }
    case "TransferSent": {
      const before = balances.get(event.from);
      assertLedger(before !== undefined, () => `cross-cell transfer ${event.id} from unknown account`);
      assertLedger(isAmount(event.amount), () => `cross-cell transfer ${event.id} has amount ${event.amount}`);
      assertLedger(before >= event.amount, () => `cross-cell transfer ${event.id} overdraws ${event.from}`);
      assertLedger(!state.outbox.has(event.id), () => `cross-cell transfer ${event.id} sent twice`);
      balances.set(event.from, before - event.amount);
      state.totalBalance -= event.amount;
      state.sentTotal += event.amount;
      state.outbox.set(event.id, { id: event.id, from: event.from, to: event.to, toCell: event.toCell, amount: event.amount });
      state.outboxOpenTotal += event.amount;
      return;
    }
    case "CreditReceived": {
      const before = balances.get(event.to);
      assertLedger(before !== undefined, () => `credit ${event.id} to unknown account`);
      assertLedger(isAmount(event.amount), () => `credit ${event.id} has amount ${event.amount}`);
      assertLedger(Number.isSafeInteger(state.totalBalance + event.amount), () => `credit ${event.id} overflows the total`);
      balances.set(event.to, before + event.amount);
      state.totalBalance += event.amount;
      state.receivedTotal += event.amount;
      recordReceived(state, event.id, event.to, "credited");
      return;
    }
    case "CreditRefused":
      recordReceived(state, event.id, event.to, event.reason);
      return;
    case "TransferSettled":
    case "TransferRefunded": {
      const record = state.outbox.get(event.id);
      assertLedger(record !== undefined, () => `settlement of ${event.id}, which has no open outbox record`);
      assertLedger(record.amount === event.amount && record.from === event.from, () => `settlement of ${event.id} differs from its record`);
      state.outbox.delete(event.id);
      state.outboxOpenTotal -= event.amount;
      if (event.type === "TransferSettled") {
        state.settledTotal += event.amount;
        return;
      }
      const before = balances.get(event.from);
      assertLedger(before !== undefined, () => `refund ${event.id} to unknown account`);
      balances.set(event.from, before + event.amount);
      state.totalBalance += event.amount;
      state.refundedTotal += event.amount;
      return;
    }
    case "ShardsMoved": {
      if (event.step === "fence") {
        let sum = 0;
        for (const [account, balance] of event.accounts) {
          assertLedger(balances.get(account) === balance, () => `move ${event.moveId} carries ${account} with ${balance}, not its balance`);
          balances.delete(account);
          sum += balance;
        }
        state.totalBalance -= sum;
        state.movedOutTotal += sum;
        // The range's open outbox records leave with their payers (no balance changes: their money is in flight).
        for (const [id, from, , , amount] of event.outbox ?? []) {
          const record = state.outbox.get(id);
          assertLedger(
            record !== undefined && record.from === from && record.amount === amount,
            () => `move ${event.moveId} carries outbox record ${id}, which is not open here as carried`,
          );
          state.outbox.delete(id);
          state.outboxOpenTotal -= amount;
          state.outboxMovedOutTotal += amount;
        }
      } else if (event.step === "import" || event.step === "unfence") {
        let sum = 0;
        for (const [account, balance] of event.accounts) {
          assertLedger(!balances.has(account), () => `move ${event.moveId} brings ${account}, which is already here`);
          assertLedger(Number.isSafeInteger(balance) && balance >= 0, () => `move ${event.moveId} brings ${account} with ${balance}`);
          balances.set(account, balance);
          sum += balance;
        }
        assertLedger(Number.isSafeInteger(state.totalBalance + sum), () => `move ${event.moveId} overflows the total`);
        state.totalBalance += sum;
        state.movedInTotal += sum;
        for (const [id, from, to, toCell, amount] of event.outbox ?? []) {
          assertLedger(!state.outbox.has(id), () => `move ${event.moveId} brings outbox record ${id}, which is already open here`);
          assertLedger(isAmount(amount), () => `move ${event.moveId} brings outbox record ${id} of ${amount}`);
          state.outbox.set(id, { id, from, to, toCell, amount });
          state.outboxOpenTotal += amount;
          state.outboxMovedInTotal += amount;
        }
      }
      return;
    }
    case "TransferRejected":
    case "DepositRejected":
    case "WithdrawRejected":
    case "AccountOpenRejected":
      return;
    default:
      assertNever(event);
  }
}

function isAmount(amount: number): boolean {
  return Number.isSafeInteger(amount) && amount > 0;
}

function recordReceived(
  state: LedgerState,
  id: string,
  to: string,
  outcome: "credited" | "UNKNOWN_ACCOUNT" | "INVALID_AMOUNT" | "BALANCE_OVERFLOW",
): void {
  // The unsafe switch (cross-cell.ts) lets a duplicate through decide: it must reach the checker, not crash here.
  if (state.received.lookup(id) === undefined) state.received.record(id, outcome, shardOfAccountId(to));
}

/** Conservation in O(1): the running total matches what entered and left the ledger, other cells included. */
export function assertConservation(state: LedgerState): void {
  assertLedger(
    state.totalBalance === expectedTotal(state),
    () =>
      `money not conserved: total ${state.totalBalance} != opened ${state.openedTotal} + deposited ${state.depositedTotal} - withdrawn ${state.withdrawnTotal} - sent ${state.sentTotal} + refunded ${state.refundedTotal} + received ${state.receivedTotal} + moved in ${state.movedInTotal} - moved out ${state.movedOutTotal}`,
  );
  assertLedger(
    state.outboxOpenTotal ===
      state.sentTotal - state.settledTotal - state.refundedTotal + state.outboxMovedInTotal - state.outboxMovedOutTotal,
    () =>
      `outbox holds ${state.outboxOpenTotal}, sent ${state.sentTotal} - settled ${state.settledTotal} - refunded ${state.refundedTotal} + moved in ${state.outboxMovedInTotal} - moved out ${state.outboxMovedOutTotal}`,
  );
}

/** Conservation in O(accounts): recounts every balance (run periodically and by verify()). */
export function recountBalances(state: LedgerState): number {
  let sum = 0;
  for (const balance of state.balances.values()) {
    assertLedger(Number.isSafeInteger(balance) && balance >= 0, () => `negative or non-integer balance ${balance}`);
    sum += balance;
  }
  return sum;
}
