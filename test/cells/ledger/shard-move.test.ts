import { describe, expect, it } from "vitest";
import { cellWith, moveStep, run } from "./shard-move-fixtures.js";
import { decodeBatch, decodeEvents, encodeBatch, encodeEvents } from "../../../cells/ledger/codec.js";
import { Ledger } from "../../../cells/ledger/ledger.js";
import type { LedgerOutcome } from "../../../cells/ledger/outcome.js";
import type { ShardMoveCommand, ShardRecord } from "../../../cells/ledger/shard-move.js";
import { ReplayedLog } from "../../../harness/checkers/ledger-witness-replay.js";

const step = (name: ShardMoveCommand["step"], peer: string, record?: ShardRecord): ShardMoveCommand =>
  moveStep({ first: 17, last: 18 }, name, peer, record);

describe("shard moves in the ledger", () => {
  it("expect, fence, import: the range's accounts, balances and idempotency move; money is conserved across both ledgers", () => {
    const source = cellWith(["acct-17-0", "acct-17-1", "acct-18-0", "acct-3-0"]);
    const destination = cellWith(["acct-40-0"]);
    expect(run(source, { type: "Transfer", id: "t1", from: "acct-17-0", to: "acct-17-1", amount: 30 })[0]).toMatchObject({
      outcome: "posted",
    });
    expect(run(destination, step("expect", "cell-1"))[0]).toMatchObject({ outcome: "shard-move", status: "done" });
    // Before the fence the destination answers the range's commands MOVE_PENDING, applying nothing.
    expect(run(destination, { type: "Deposit", id: "d0", account: "acct-17-0", amount: 1 })[0]).toMatchObject({ reason: "MOVE_PENDING" });
    const fenced = run(source, step("fence", "cell-7"))[0] as LedgerOutcome & { record?: ShardRecord };
    expect(fenced).toMatchObject({ outcome: "shard-move", status: "done", duplicate: false });
    const record = fenced.record as ShardRecord;
    expect(record.accounts).toEqual([
      ["acct-17-0", 70],
      ["acct-17-1", 130],
      ["acct-18-0", 100],
    ]);
    expect(record.idempotency.map(([id]) => id)).toEqual(["open:acct-17-0", "open:acct-17-1", "open:acct-18-0", "t1"]);
    expect(source.readBalances()).toEqual({ "acct-3-0": 100 });
    // The source redirects the range, and a transfer split by the move is refused as cross-cell.
    expect(run(source, { type: "Transfer", id: "t2", from: "acct-17-0", to: "acct-18-0", amount: 5 })[0]).toMatchObject({
      reason: "MOVED",
      owner: "cell-7",
    });
    expect(run(source, { type: "Transfer", id: "t3", from: "acct-3-0", to: "acct-18-0", amount: 5 })[0]).toMatchObject({
      reason: "CROSS_CELL",
    });
    expect(run(destination, step("import", "cell-1", record))[0]).toMatchObject({ status: "done", duplicate: false });
    expect(destination.readBalances()).toEqual({ "acct-40-0": 100, "acct-17-0": 70, "acct-17-1": 130, "acct-18-0": 100 });
    // A retry of t1 at its new home learns the first outcome instead of applying twice.
    expect(run(destination, { type: "Transfer", id: "t1", from: "acct-17-0", to: "acct-17-1", amount: 30 })[0]).toMatchObject({
      outcome: "posted",
      duplicate: true,
    });
    expect(destination.balance("acct-17-0")).toBe(70);
    expect(source.totalBalance() + destination.totalBalance()).toBe(500);
    expect(source.verify()).toMatchObject({ ok: true });
    expect(destination.verify()).toMatchObject({ ok: true });
    // A second import of the same move is answered as done, changes nothing; an abort now is refused.
    expect(run(destination, step("import", "cell-1", record))[0]).toMatchObject({ status: "done", duplicate: true });
    expect(run(destination, step("abort", "cell-1"))[0]).toMatchObject({ status: "refused", reason: "MOVE_IMPORTED" });
  });

  it("abort at the destination, then unfence: the source takes its accounts back and a later import is refused", () => {
    const source = cellWith(["acct-17-0", "acct-3-0"]);
    const destination = new Ledger();
    run(destination, step("expect", "cell-1"));
    const record = (run(source, step("fence", "cell-7"))[0] as { record: ShardRecord }).record;
    expect(run(destination, step("abort", "cell-1"))[0]).toMatchObject({ status: "done" });
    expect(run(destination, step("import", "cell-1", record))[0]).toMatchObject({ status: "refused", reason: "MOVE_ABORTED" });
    expect(run(source, step("unfence", "cell-7"))[0]).toMatchObject({ status: "done" });
    expect(source.readBalances()).toEqual({ "acct-3-0": 100, "acct-17-0": 100 });
    expect(run(source, { type: "Deposit", id: "d1", account: "acct-17-0", amount: 5 })[0]).toMatchObject({ outcome: "posted" });
    expect(source.verify()).toMatchObject({ ok: true });
  });

  it("a snapshot keeps the ledger's side of a move: a restored replica redirects and conserves as the original", () => {
    const source = cellWith(["acct-17-0", "acct-3-0"]);
    run(source, step("fence", "cell-7"));
    const restored = Ledger.fromSnapshot(JSON.parse(JSON.stringify(source.snapshot())));
    expect(run(restored, { type: "Deposit", id: "d1", account: "acct-17-0", amount: 5 })[0]).toMatchObject({
      reason: "MOVED",
      owner: "cell-7",
    });
    expect(restored.totalBalance()).toBe(100);
    expect(restored.verify()).toMatchObject({ ok: true });
    const tampered = JSON.parse(JSON.stringify(source.snapshot())) as { shardMoves: { movedOutTotal: number } };
    tampered.shardMoves.movedOutTotal = 0;
    expect(() => Ledger.fromSnapshot(tampered)).toThrow(/accounts|checksum/);
  });

  it("move commands and events survive the binary codecs; the witness replay follows the accounts out and in", () => {
    const record: ShardRecord = { format: 1, accounts: [["acct-17-0", 5]], idempotency: [["t1", 64]] };
    const batch = { requestId: "x", linked: false, commands: [step("import", "cell-1", record)] };
    expect(decodeBatch(encodeBatch(batch)).commands).toEqual(batch.commands);
    const source = cellWith(["acct-17-0", "acct-3-0"]);
    run(source, step("fence", "cell-7"));
    const events = source.eventBodies();
    expect(decodeEvents(encodeEvents(events))).toEqual(events);
    const replayed = new ReplayedLog(events);
    expect(replayed.violations).toEqual([]);
    expect(replayed.stateEquals(events.length, { "acct-3-0": 100 })).toBe(true);
    // A fence that carries a balance the log does not give the account is caught.
    const forged = events.map((event) =>
      event.type === "ShardsMoved" ? { ...event, accounts: [["acct-17-0", 99]] as [string, number][] } : event,
    );
    expect(new ReplayedLog(forged).violations.map((violation) => violation.kind)).toContain("illegal-event");
  });
});
