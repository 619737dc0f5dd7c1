import { describe, expect, it } from "vitest";
import { Ledger } from "../../../cells/ledger/ledger.js";
import { decodeBatch, decodeEvents, encodeBatch, encodeEvents, LedgerCodecError } from "../../../cells/ledger/codec.js";
import type { LedgerCommand } from "../../../cells/ledger/commands.js";
import { parseBatch } from "../../../cells/ledger/commands.js";
import type { LedgerEventBody } from "../../../cells/ledger/events.js";

function opened(accounts: Record<string, number>, options: ConstructorParameters<typeof Ledger>[0] = {}): Ledger {
  const ledger = new Ledger(options);
  for (const [account, initialBalance] of Object.entries(accounts)) ledger.execute({ type: "OpenAccount", account, initialBalance });
  return ledger;
}

const out = (id: string, amount: number): LedgerCommand => ({ type: "TransferOut", id, from: "a", to: "z", toCell: "cell-2", amount });
const credit = (id: string, amount: number, to = "z"): LedgerCommand => ({
  type: "CreditIn",
  id,
  from: "a",
  fromCell: "cell-1",
  to,
  amount,
});

describe("cross-cell transfers in the ledger", () => {
  it("debits and opens the outbox record in one event; a retry answers the first outcome", () => {
    const source = opened({ a: 100 });
    const first = source.execute(out("x1", 30));
    expect(first).toMatchObject({ outcome: "posted", duplicate: false, balancesAfter: [{ account: "a", balance: 70 }] });
    expect(source.execute(out("x1", 30))).toMatchObject({ outcome: "posted", duplicate: true });
    expect(source.balance("a")).toBe(70);
    expect(source.openOutbox(10)).toEqual([{ id: "x1", from: "a", to: "z", toCell: "cell-2", amount: 30 }]);
    expect(source.crossCellTotals()).toMatchObject({ sent: 30, outboxOpen: 30, outboxOpenCount: 1 });
    expect(source.totals().crossCellNet).toBe(-30);
    expect(source.verify().ok).toBe(true);
  });

  it("refuses an overdraft, an unknown payer and a payee of this very cell before any debit", () => {
    const source = opened({ a: 10, b: 0 });
    expect(source.execute(out("x1", 11))).toMatchObject({ outcome: "rejected", reason: "INSUFFICIENT_FUNDS" });
    expect(source.execute({ type: "TransferOut", id: "x2", from: "nobody", to: "z", toCell: "c", amount: 1 })).toMatchObject({
      reason: "UNKNOWN_ACCOUNT",
    });
    expect(source.execute({ type: "TransferOut", id: "x3", from: "a", to: "b", toCell: "c", amount: 1 })).toMatchObject({
      reason: "SAME_CELL",
    });
    expect(source.balance("a")).toBe(10);
    expect(source.openOutbox(10)).toEqual([]);
  });

  it("credits once per transfer id: a second delivery changes nothing and answers the first outcome", () => {
    const destination = opened({ z: 0 });
    expect(destination.execute(credit("x1", 30))).toMatchObject({ outcome: "posted", duplicate: false });
    expect(destination.execute(credit("x1", 30))).toMatchObject({ outcome: "posted", duplicate: true });
    expect(destination.balance("z")).toBe(30);
    expect(destination.execute(credit("x2", 5, "gone"))).toMatchObject({
      outcome: "rejected",
      reason: "UNKNOWN_ACCOUNT",
      duplicate: false,
    });
    // The account opens later: the refusal stands (the source may have refunded already).
    destination.execute({ type: "OpenAccount", account: "gone", initialBalance: 0 });
    expect(destination.execute(credit("x2", 5, "gone"))).toMatchObject({ outcome: "rejected", reason: "UNKNOWN_ACCOUNT", duplicate: true });
    expect(destination.balance("gone")).toBe(0);
    expect(destination.totals().crossCellNet).toBe(30);
    expect(destination.verify().ok).toBe(true);
  });

  it("the unsafe switch credits a redelivery twice (what the global checker must catch)", () => {
    const destination = opened({ z: 0 }, { unsafeCreditWithoutIdempotency: true });
    destination.execute(credit("x1", 30));
    destination.execute(credit("x1", 30));
    expect(destination.balance("z")).toBe(60);
  });

  it("settles (record closed) or refunds (record closed, payer credited back), each once", () => {
    const source = opened({ a: 100 });
    source.execute(out("x1", 30));
    source.execute(out("x2", 20));
    expect(source.execute({ type: "SettleTransfer", id: "x1", result: "credited" })).toMatchObject({ outcome: "posted", duplicate: false });
    expect(source.execute({ type: "SettleTransfer", id: "x1", result: "credited" })).toMatchObject({ outcome: "posted", duplicate: true });
    expect(source.execute({ type: "SettleTransfer", id: "x2", result: "refused", reason: "UNKNOWN_ACCOUNT" })).toMatchObject({
      outcome: "posted",
      balancesAfter: [{ account: "a", balance: 70 }],
    });
    expect(source.execute({ type: "SettleTransfer", id: "x2", result: "refused", reason: "UNKNOWN_ACCOUNT" })).toMatchObject({
      duplicate: true,
    });
    expect(source.balance("a")).toBe(70);
    expect(source.execute({ type: "SettleTransfer", id: "never", result: "credited" })).toMatchObject({
      outcome: "rejected",
      reason: "UNKNOWN_TRANSFER",
    });
    expect(source.crossCellTotals()).toEqual({ sent: 50, settled: 30, refunded: 20, received: 0, outboxOpen: 0, outboxOpenCount: 0 });
    expect(source.verify().ok).toBe(true);
  });

  it("a snapshot carries the outbox and the received table", () => {
    const ledger = opened({ a: 100, w: 0 });
    ledger.execute(out("x1", 30));
    ledger.execute({ type: "TransferOut", id: "x9", from: "a", to: "y", toCell: "cell-3", amount: 5 });
    ledger.execute({ type: "SettleTransfer", id: "x9", result: "credited" });
    ledger.execute(credit("in1", 7, "w"));
    const restored = Ledger.fromSnapshot(JSON.parse(JSON.stringify(ledger.snapshot())));
    expect(restored.openOutbox(10)).toEqual(ledger.openOutbox(10));
    expect(restored.openOutbox(10)).toHaveLength(1);
    expect(restored.execute(credit("in1", 7, "w"))).toMatchObject({ outcome: "posted", duplicate: true });
    expect(restored.balance("w")).toBe(7);
    expect(restored.execute({ type: "SettleTransfer", id: "x1", result: "credited" })).toMatchObject({ duplicate: false });
    expect(restored.crossCellTotals()).toMatchObject({ sent: 35, settled: 35, received: 7, outboxOpen: 0 });
    const tampered = JSON.parse(JSON.stringify(ledger.snapshot()));
    tampered.crossCell.outbox[0][4] = 31;
    expect(() => Ledger.fromSnapshot(tampered)).toThrow(/crossCell\.outbox/);
  });

  it("two ledgers fed the same cross-cell commands agree on the head hash, and the events round-trip", () => {
    const commands: LedgerCommand[] = [out("x1", 30), credit("in1", 4, "a"), { type: "SettleTransfer", id: "x1", result: "credited" }];
    const one = opened({ a: 100 });
    const two = opened({ a: 100 });
    for (const command of commands) {
      one.execute(command);
      two.execute(command);
    }
    expect(one.headHash).toBe(two.headHash);
    const events = one.eventBodies() as LedgerEventBody[];
    expect(decodeEvents(encodeEvents(events))).toEqual(events);
  });
});

describe("cross-cell commands in batches", () => {
  it("round-trip through the codec as a version-2 batch; a plain batch stays version 1", () => {
    const batch = {
      requestId: "r",
      linked: false,
      commands: [out("x1", 30), credit("in1", 4), { type: "SettleTransfer", id: "x1", result: "refused", reason: "INVALID_AMOUNT" }],
    } as const;
    const bytes = encodeBatch(batch);
    expect(bytes[0]).toBe(2);
    expect(decodeBatch(bytes).commands).toEqual(batch.commands);
    expect(encodeBatch({ requestId: "r", linked: false, commands: [{ type: "Deposit", id: "d", account: "a", amount: 1 }] })[0]).toBe(1);
  });

  it("are refused in a linked batch, by the parser and by the decoder", () => {
    expect(parseBatch({ linked: true, commands: [out("x1", 1)] }, 10)).toMatchObject({
      ok: false,
      error: { field: "batch.commands[0].type" },
    });
    const bytes = encodeBatch({ requestId: "r", linked: false, commands: [out("x1", 1)] });
    bytes[5] = 1; // the linked flag (the checksum no longer matches either: either error refuses it)
    expect(() => decodeBatch(bytes)).toThrow(LedgerCodecError);
  });
});
