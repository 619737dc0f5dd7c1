// The ledger of a world that runs indefinitely (`ldc start`) keeps a window of operation ids
// (issue 15: the table, its snapshots and the WAL they bound grew with every transfer, and past a
// million ids per cell every write would have been rejected).
import { describe, expect, it } from "vitest";
import { Ledger } from "../../../cells/ledger/ledger.js";

const WINDOW = 100;

function ledgerWithTransfers(count: number, options = { idempotencyWindowEntries: WINDOW }): Ledger {
  const ledger = new Ledger(options);
  ledger.execute({ type: "OpenAccount", account: "a", initialBalance: 1_000_000 });
  ledger.execute({ type: "OpenAccount", account: "b", initialBalance: 0 });
  for (let index = 0; index < count; index++) ledger.execute({ type: "Transfer", id: `t${index}`, from: "a", to: "b", amount: 1 });
  return ledger;
}

describe("idempotency window", () => {
  it("keeps the most recent ids after many more operations, and never rejects for room", () => {
    const ledger = ledgerWithTransfers(10_000);
    expect(ledger.idempotencyEntries).toBe(WINDOW);
    expect(ledger.balance("b")).toBe(10_000);
    // A retry of a recent id is still recognised and not applied twice.
    expect(ledger.execute({ type: "Transfer", id: "t9999", from: "a", to: "b", amount: 1 })).toMatchObject({
      outcome: "posted",
      duplicate: true,
    });
    expect(ledger.execute({ type: "Transfer", id: "t9999", from: "a", to: "b", amount: 2 })).toMatchObject({
      outcome: "rejected",
      reason: "ID_REUSED",
    });
    expect(ledger.balance("b")).toBe(10_000);
    expect(ledger.hasCommand(`t${10_000 - WINDOW}`)).toBe(true);
    expect(ledger.hasCommand(`t${10_000 - WINDOW - 1}`)).toBe(false);
  });

  it("snapshots hold only the window, as of the snapshot, even while the ledger goes on during a stepped build", () => {
    const ledger = ledgerWithTransfers(1_000);
    const builder = ledger.beginSnapshot();
    for (let index = 1_000; index < 1_050; index++) ledger.execute({ type: "Transfer", id: `t${index}`, from: "a", to: "b", amount: 1 });
    while (!builder.step(7)) {
      // stepped, as a replica builds it between Readies
    }
    const snapshot = builder.result();
    expect(snapshot.idempotency.map(([id]) => id)).toEqual(Array.from({ length: WINDOW }, (_, index) => `t${900 + index}`));
    // Restored, it behaves as the original did at that point: same ids, same evictions after.
    const restored = Ledger.fromSnapshot(snapshot, { idempotencyWindowEntries: WINDOW });
    const original = ledgerWithTransfers(1_000);
    for (const ledgerNow of [restored, original])
      for (let index = 1_000; index < 1_300; index++)
        ledgerNow.execute({ type: "Transfer", id: `t${index}`, from: "a", to: "b", amount: 1 });
    expect(restored.headHash).toBe(original.headHash);
    expect(restored.idempotencyEntries).toBe(WINDOW);
    expect(restored.snapshot().idempotency).toEqual(original.snapshot().idempotency);
  });

  it("without a window the table still fills up and rejects (finite runs keep every id)", () => {
    const ledger = ledgerWithTransfers(20, { idempotencyEntriesMax: 10 } as never);
    expect(ledger.idempotencyEntries).toBe(10);
    expect(ledger.execute({ type: "Transfer", id: "x", from: "a", to: "b", amount: 1 })).toMatchObject({
      outcome: "rejected",
      reason: "IDEMPOTENCY_TABLE_FULL",
    });
  });
});
