// A move carries the range's idempotency and received entries from the whole tables, not from the
// retained events: each entry records its home shard (the payer's, the account's; the payee's for
// a credit), so a retry of an operation acknowledged long before the move is answered at the
// destination with its first outcome, however many events ago it was applied.
import { describe, expect, it } from "vitest";
import { moveStep, run } from "./shard-move-fixtures.js";
import type { BatchCommand } from "../../../cells/ledger/commands.js";
import { Ledger } from "../../../cells/ledger/ledger.js";
import type { LedgerOutcome } from "../../../cells/ledger/outcome.js";
import { homeShardOfEntry, packEntry, unpackEntry } from "../../../cells/ledger/idempotency.js";
import { RECEIVED_EXTENSION, type ShardMoveCommand, type ShardRecord } from "../../../cells/ledger/shard-move.js";
import { snapshotChecksum, type LedgerSnapshot, type LedgerSnapshotContent } from "../../../cells/ledger/snapshot.js";

const step = (name: ShardMoveCommand["step"], peer: string, record?: ShardRecord): ShardMoveCommand =>
  moveStep({ first: 17, last: 17 }, name, peer, record);

/** A ledger keeping only 8 events: what a move finds among them is far less than what it must carry. */
function source(): Ledger {
  const ledger = new Ledger({ eventsRetainedMax: 8 });
  const open = (account: string): BatchCommand => ({ type: "OpenAccount", account, initialBalance: 100 });
  run(ledger, open("acct-17-0"), open("acct-17-1"), open("acct-3-0"));
  expect(run(ledger, { type: "Transfer", id: "t1", from: "acct-17-0", to: "acct-17-1", amount: 5 })[0]).toMatchObject({
    outcome: "posted",
  });
  run(ledger, { type: "Withdraw", id: "w1", account: "acct-17-1", amount: 500 }); // rejected: recorded all the same
  run(ledger, { type: "CreditIn", id: "c1", from: "acct-40-0", fromCell: "cell-2", to: "acct-17-0", amount: 7 });
  // Forty operations of another shard push every event of shard 17 out of the retained ones.
  for (let i = 0; i < 40; i++) run(ledger, { type: "Deposit", id: `d${i}`, account: "acct-3-0", amount: 1 });
  expect(ledger.eventBodies().some((event) => "id" in event && (event.id === "t1" || event.id === "c1"))).toBe(false);
  return ledger;
}

function moveTo(from: Ledger): { destination: Ledger; record: ShardRecord } {
  const destination = new Ledger();
  run(destination, step("expect", "cell-1"));
  const fenced = run(from, step("fence", "cell-7"))[0] as LedgerOutcome & { record: ShardRecord };
  expect(fenced).toMatchObject({ status: "done" });
  expect(run(destination, step("import", "cell-1", fenced.record))[0]).toMatchObject({ status: "done" });
  return { destination, record: fenced.record };
}

describe("the range's idempotency entries come from the whole table", () => {
  it("a retry of a transfer acknowledged before the move, its event long dropped, is a duplicate at the destination", () => {
    const { destination, record } = moveTo(source());
    // Exactly the range's entries: its openings, the transfer, the rejected withdrawal; no deposit of shard 3.
    expect(record.idempotency.map(([id]) => id).sort()).toEqual(["open:acct-17-0", "open:acct-17-1", "t1", "w1"].sort());
    expect(record.extensions?.[RECEIVED_EXTENSION]).toEqual([["c1", 0, 17]]);
    expect(run(destination, { type: "Transfer", id: "t1", from: "acct-17-0", to: "acct-17-1", amount: 5 })[0]).toMatchObject({
      outcome: "posted",
      duplicate: true,
    });
    expect(run(destination, { type: "Withdraw", id: "w1", account: "acct-17-1", amount: 500 })[0]).toMatchObject({
      outcome: "rejected",
      reason: "INSUFFICIENT_FUNDS",
      duplicate: true,
    });
    expect(
      run(destination, { type: "CreditIn", id: "c1", from: "acct-40-0", fromCell: "cell-2", to: "acct-17-0", amount: 7 })[0],
    ).toMatchObject({ outcome: "posted", duplicate: true });
    expect(destination.balance("acct-17-0")).toBe(102);
    expect(destination.balance("acct-17-1")).toBe(105);
    // The entries keep their shard at the destination: moved on again, they travel again.
    const onwards = new Ledger();
    run(onwards, { type: "ShardMove", step: "expect", moveId: "m2", first: 17, last: 17, peer: "cell-7" });
    const again = run(destination, { type: "ShardMove", step: "fence", moveId: "m2", first: 17, last: 17, peer: "cell-8" })[0] as {
      record: ShardRecord;
    };
    expect(again.record.idempotency.map(([id]) => id).sort()).toEqual(record.idempotency.map(([id]) => id).sort());
    expect(again.record.extensions?.[RECEIVED_EXTENSION]).toEqual([["c1", 0, 17]]);
  });

  it("a ledger restored from a snapshot (no events at all) carries the same entries", () => {
    const restored = Ledger.fromSnapshot(JSON.parse(JSON.stringify(source().snapshot())), { eventsRetainedMax: 8 });
    expect(restored.eventBodies()).toEqual([]);
    const { destination, record } = moveTo(restored);
    expect(record.idempotency.map(([id]) => id)).toContain("t1");
    expect(run(destination, { type: "Transfer", id: "t1", from: "acct-17-0", to: "acct-17-1", amount: 5 })[0]).toMatchObject({
      outcome: "posted",
      duplicate: true,
    });
  });

  it("reads a snapshot written before entries recorded their shard: it answers its retries, and a move carries what records a shard", () => {
    const ledger = source();
    const current = JSON.parse(JSON.stringify(ledger.snapshot())) as LedgerSnapshot;
    // The old format: packed entries below 2^38 (no shard), received entries [id, code].
    const old: LedgerSnapshotContent = {
      ...current,
      idempotency: current.idempotency.map(([id, packed]) => [id, packed % 2 ** 38] as const),
      crossCell: current.crossCell && {
        ...current.crossCell,
        received: current.crossCell.received.map(([id, code]) => [id, code] as const),
      },
    };
    const legacy = Ledger.fromSnapshot({ ...old, checksum: snapshotChecksum(old) });
    expect(run(legacy, { type: "Transfer", id: "t1", from: "acct-17-0", to: "acct-17-1", amount: 5 })[0]).toMatchObject({
      duplicate: true,
    });
    run(legacy, { type: "Deposit", id: "new", account: "acct-17-0", amount: 1 });
    const fenced = run(legacy, step("fence", "cell-7"))[0] as { record: ShardRecord };
    expect(fenced.record.idempotency.map(([id]) => id)).toEqual(["new"]);
  });

  it("packs the home shard above the fingerprint and outcome, which read as before", () => {
    const packed = packEntry(0xffffffff, "SAME_CELL", 32_766);
    expect(Number.isSafeInteger(packed)).toBe(true);
    expect(unpackEntry(packed)).toEqual({ fingerprint: 0xffffffff, outcome: "SAME_CELL" });
    expect(homeShardOfEntry(packed)).toBe(32_766);
    expect(homeShardOfEntry(packEntry(7, "posted"))).toBe(-1);
    expect(homeShardOfEntry(packEntry(7, "posted", 32_767))).toBe(-1); // beyond the field: recorded as none
    expect(unpackEntry(packEntry(7, "posted", 0))).toEqual({ fingerprint: 7, outcome: "posted" });
  });
});
