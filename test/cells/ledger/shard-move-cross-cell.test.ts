// Shard moves and cross-cell transfers together (issues 17 + 18): codec versions, the range's open
// outbox records carried by the fence, the received table carried with the range, and
// global conservation across a move.
import { describe, expect, it } from "vitest";
import { cellWith, moveStep, run } from "./shard-move-fixtures.js";
import type { BatchCommand } from "../../../cells/ledger/commands.js";
import {
  decodeBatch,
  decodeEvents,
  encodeBatch,
  encodeEvents,
  LEDGER_BATCH_VERSION_CROSS_CELL,
  LEDGER_BATCH_VERSION_SHARD_MOVE,
  LEDGER_EVENTS_VERSION_SHARD_MOVE,
  LedgerCodecError,
} from "../../../cells/ledger/codec.js";
import { crc32 } from "../../../cells/raft/crc32.js";
import { Ledger } from "../../../cells/ledger/ledger.js";
import type { LedgerOutcome } from "../../../cells/ledger/outcome.js";
import type { LedgerEventBody } from "../../../cells/ledger/events.js";
import { OUTBOX_EXTENSION, RECEIVED_EXTENSION, type ShardMoveCommand, type ShardRecord } from "../../../cells/ledger/shard-move.js";
import { checkGlobalConservation } from "../../../harness/checkers/global-conservation.js";
import { ReplayedLog } from "../../../harness/checkers/ledger-witness-replay.js";

const step = (name: ShardMoveCommand["step"], peer: string, record?: ShardRecord): ShardMoveCommand =>
  moveStep({ first: 17, last: 17 }, name, peer, record);

/** The bytes with their version byte replaced and the checksum made right again (so only the version is wrong). */
function withVersion(bytes: Uint8Array, version: number): Uint8Array {
  const copy = bytes.slice();
  copy[0] = version;
  new DataView(copy.buffer).setUint32(1, crc32(copy, 5, copy.length));
  return copy;
}

describe("codec versions with both cross-cell steps and shard moves", () => {
  it("a shard move is command code 9 in a version 3 batch; a lower version holding it is refused", () => {
    const batch = { requestId: "x", linked: false, commands: [step("expect", "cell-1")] };
    const bytes = encodeBatch(batch);
    expect(bytes[0]).toBe(LEDGER_BATCH_VERSION_SHARD_MOVE);
    expect(decodeBatch(bytes).commands).toEqual(batch.commands);
    for (const version of [1, LEDGER_BATCH_VERSION_CROSS_CELL]) {
      let caught: unknown = null;
      try {
        decodeBatch(withVersion(bytes, version));
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(LedgerCodecError);
      expect((caught as LedgerCodecError).message).toMatch(/needs batch version 3/);
    }
    expect(() => decodeBatch(withVersion(bytes, LEDGER_BATCH_VERSION_SHARD_MOVE + 1))).toThrow(/batch version 4/);
    // A cross-cell batch is still version 2, and a version 3 decoder reads it.
    const credit: BatchCommand = { type: "CreditIn", id: "x1", from: "a", fromCell: "cell-1", to: "acct-17-0", amount: 3 };
    const crossCell = encodeBatch({ requestId: "y", linked: false, commands: [credit] });
    expect(crossCell[0]).toBe(LEDGER_BATCH_VERSION_CROSS_CELL);
    expect(decodeBatch(crossCell).commands).toEqual([credit]);
  });

  it("a chain link with a ShardsMoved event (code 14) is events version 3, cross-cell events beside it included", () => {
    const ledger = cellWith(["acct-17-0", "acct-3-0"]);
    run(ledger, { type: "TransferOut", id: "x1", from: "acct-3-0", to: "acct-40-0", toCell: "cell-2", amount: 10 });
    run(ledger, step("fence", "cell-7"));
    const events = ledger.eventBodies();
    const bytes = encodeEvents(events);
    expect(bytes[0]).toBe(LEDGER_EVENTS_VERSION_SHARD_MOVE);
    expect(decodeEvents(bytes)).toEqual(events);
    expect(() => decodeEvents(withVersion(bytes, 2))).toThrow(/needs events version 3/);
    const crossOnly = encodeEvents(events.filter((event) => event.type !== "ShardsMoved"));
    expect(crossOnly[0]).toBe(2);
  });
});

describe("a move of a range whose accounts pay and are paid across cells", () => {
  it("the fence carries the range's open outbox records: the destination settles or refunds them, the source redirects", () => {
    const source = cellWith(["acct-17-0", "acct-3-0"]);
    const out = (id: string, from: string, amount: number): BatchCommand => ({
      type: "TransferOut",
      id,
      from,
      to: "acct-40-0",
      toCell: "cell-2",
      amount,
    });
    expect(run(source, out("x1", "acct-17-0", 10))[0]).toMatchObject({ outcome: "posted" });
    run(source, out("x2", "acct-17-0", 4));
    run(source, out("x3", "acct-3-0", 5));
    const destination = new Ledger();
    run(destination, step("expect", "cell-1"));
    // Open records of the range's payer do not hold the fence (before, it was refused OPEN_CROSS_CELL).
    const fenced = run(source, step("fence", "cell-7"))[0] as LedgerOutcome & { record?: ShardRecord };
    expect(fenced).toMatchObject({ status: "done" });
    expect(fenced.record?.extensions?.[OUTBOX_EXTENSION]).toEqual([
      ["x1", "acct-17-0", "acct-40-0", "cell-2", 10],
      ["x2", "acct-17-0", "acct-40-0", "cell-2", 4],
    ]);
    // A retried fence answers the same record, carried records included.
    expect((run(source, step("fence", "cell-7"))[0] as { record?: ShardRecord }).record).toEqual(fenced.record);
    // The source keeps the record of the payer that stayed, and no longer lists the carried ones.
    expect(source.openOutbox(10).map((record) => record.id)).toEqual(["x3"]);
    expect(source.crossCellTotals()).toMatchObject({ sent: 19, outboxOpen: 5, outboxOpenCount: 1 });
    // A settlement sent to the source after the fence goes where the record went; before the import the destination asks for patience.
    const settle = (id: string, result: "credited" | "refused"): BatchCommand =>
      result === "credited" ? { type: "SettleTransfer", id, result } : { type: "SettleTransfer", id, result, reason: "UNKNOWN_ACCOUNT" };
    expect(run(source, settle("x1", "credited"))[0]).toMatchObject({ outcome: "rejected", reason: "MOVED", owner: "cell-7" });
    expect(run(destination, settle("x1", "credited"))[0]).toMatchObject({ outcome: "rejected", reason: "MOVE_PENDING" });
    // The payer that stayed settles at the source as before.
    expect(run(source, settle("x3", "credited"))[0]).toMatchObject({ outcome: "posted", duplicate: false });
    run(destination, step("import", "cell-1", fenced.record));
    expect(destination.openOutbox(10).map((record) => record.id)).toEqual(["x1", "x2"]);
    expect(destination.crossCellTotals()).toMatchObject({ outboxOpen: 14, outboxOpenCount: 2 });
    // The destination closes them: one credited, one refunded to the payer (who is here now).
    expect(run(destination, settle("x1", "credited"))[0]).toMatchObject({ outcome: "posted", duplicate: false });
    expect(run(destination, settle("x2", "refused"))[0]).toMatchObject({ outcome: "posted", duplicate: false });
    expect(destination.balance("acct-17-0")).toBe(90);
    // Repeats are answered, not applied again: at the destination from its table, at the source by redirect.
    expect(run(destination, settle("x2", "refused"))[0]).toMatchObject({ outcome: "posted", duplicate: true });
    expect(run(destination, out("x1", "acct-17-0", 10))[0]).toMatchObject({ outcome: "posted", duplicate: true });
    expect(run(source, settle("x2", "refused"))[0]).toMatchObject({ reason: "MOVED", owner: "cell-7" });
    expect(destination.balance("acct-17-0")).toBe(90);
    // A new debit of a moved payer is redirected, not applied.
    expect(run(source, out("x9", "acct-17-0", 1))[0]).toMatchObject({ reason: "MOVED", owner: "cell-7" });
    expect(source.verify()).toMatchObject({ ok: true });
    expect(destination.verify()).toMatchObject({ ok: true });
    // Snapshots keep both sides: the source still redirects, the destination's outbox sums hold.
    const restoredSource = Ledger.fromSnapshot(JSON.parse(JSON.stringify(source.snapshot())));
    expect(run(restoredSource, settle("x1", "credited"))[0]).toMatchObject({ reason: "MOVED", owner: "cell-7" });
    const restored = Ledger.fromSnapshot(JSON.parse(JSON.stringify(destination.snapshot())));
    expect(restored.crossCellTotals()).toEqual(destination.crossCellTotals());
    expect(run(restored, settle("x1", "credited"))[0]).toMatchObject({ outcome: "posted", duplicate: true });
    // The events (with the carried records) survive the codec, and money is conserved across the two logs.
    expect(decodeEvents(encodeEvents(source.eventBodies()))).toEqual(source.eventBodies());
    expect(decodeEvents(encodeEvents(destination.eventBodies()))).toEqual(destination.eventBodies());
    const payee = cellWith(["acct-40-0"]);
    run(payee, { type: "CreditIn", id: "x1", from: "acct-17-0", fromCell: "cell-1", to: "acct-40-0", amount: 10 });
    run(payee, { type: "CreditIn", id: "x3", from: "acct-3-0", fromCell: "cell-1", to: "acct-40-0", amount: 5 });
    run(payee, { type: "CreditIn", id: "x2", from: "acct-17-0", fromCell: "cell-1", to: "acct-40-9", amount: 4 });
    const verdict = checkGlobalConservation(
      {
        "cell-1": { complete: true, events: source.eventBodies() },
        "cell-2": { complete: true, events: payee.eventBodies() },
        "cell-7": { complete: true, events: destination.eventBodies() },
      },
      [],
      { requireDrained: true },
    );
    expect(verdict).toMatchObject({ valid: true, violationCount: 0 });
  });

  it("the witness replay follows carried records and accepts SAME_CELL once a move put the payee beside the payer", () => {
    const source = cellWith(["acct-17-0"]);
    run(source, { type: "TransferOut", id: "x1", from: "acct-17-0", to: "acct-40-0", toCell: "cell-2", amount: 10 });
    const destination = cellWith(["acct-40-0"]);
    run(destination, step("expect", "cell-1"));
    const fenced = run(source, step("fence", "cell-2"))[0] as { record: ShardRecord };
    run(destination, step("import", "cell-1", fenced.record));
    // A user's cross-cell transfer sent before it learnt that its payee is now in the payer's cell.
    expect(
      run(destination, { type: "TransferOut", id: "x2", from: "acct-17-0", to: "acct-40-0", toCell: "cell-2", amount: 5 })[0],
    ).toMatchObject({ outcome: "rejected", reason: "SAME_CELL" });
    run(destination, { type: "SettleTransfer", id: "x1", result: "refused", reason: "UNKNOWN_ACCOUNT" });
    expect(destination.balance("acct-17-0")).toBe(100);
    for (const ledger of [source, destination]) expect(new ReplayedLog(ledger.eventBodies()).violations).toEqual([]);
  });

  it("a rolled-back move gives the carried outbox records back to the source", () => {
    const source = cellWith(["acct-17-0"]);
    run(source, { type: "TransferOut", id: "x1", from: "acct-17-0", to: "acct-40-0", toCell: "cell-2", amount: 10 });
    run(source, step("fence", "cell-7"));
    expect(source.openOutbox(10)).toEqual([]);
    run(source, step("unfence", "cell-7"));
    expect(source.openOutbox(10).map((record) => record.id)).toEqual(["x1"]);
    expect(run(source, { type: "SettleTransfer", id: "x1", result: "refused", reason: "UNKNOWN_ACCOUNT" })[0]).toMatchObject({
      outcome: "posted",
      duplicate: false,
    });
    expect(source.balance("acct-17-0")).toBe(100);
    expect(source.verify()).toMatchObject({ ok: true });
    const restored = Ledger.fromSnapshot(JSON.parse(JSON.stringify(source.snapshot())));
    expect(restored.crossCellTotals()).toEqual(source.crossCellTotals());
  });

  it("credits decided for the range's payees travel with it: a relay's retry after the move is answered, never credited twice", () => {
    const source = cellWith(["acct-17-0", "acct-3-0"]);
    const credit = (id: string, to = "acct-17-0"): BatchCommand => ({
      type: "CreditIn",
      id,
      from: "acct-40-0",
      fromCell: "cell-2",
      to,
      amount: 7,
    });
    expect(run(source, credit("c1"))[0]).toMatchObject({ outcome: "posted", duplicate: false });
    expect(run(source, credit("c2", "acct-17-9"))[0]).toMatchObject({ outcome: "rejected", reason: "UNKNOWN_ACCOUNT" });
    run(source, credit("c3", "acct-3-0"));
    const destination = new Ledger();
    // Before the import the destination answers the range's credits MOVE_PENDING (the relay retries).
    run(destination, step("expect", "cell-1"));
    expect(run(destination, credit("c4"))[0]).toMatchObject({ outcome: "rejected", reason: "MOVE_PENDING" });
    const fenced = run(source, step("fence", "cell-7"))[0] as LedgerOutcome & { record: ShardRecord };
    // [id, outcome code, payee shard]
    expect(fenced.record.extensions?.[RECEIVED_EXTENSION]).toEqual([
      ["c1", 0, 17],
      ["c2", expect.any(Number), 17],
    ]);
    // The old owner answers a credit it decided from its received table, and redirects a new one.
    expect(run(source, credit("c1"))[0]).toMatchObject({ outcome: "posted", duplicate: true });
    expect(run(source, credit("c4"))[0]).toMatchObject({ outcome: "rejected", reason: "MOVED", owner: "cell-7" });
    run(destination, step("import", "cell-1", fenced.record));
    expect(run(destination, credit("c1"))[0]).toMatchObject({ outcome: "posted", duplicate: true });
    expect(run(destination, credit("c2", "acct-17-9"))[0]).toMatchObject({
      outcome: "rejected",
      reason: "UNKNOWN_ACCOUNT",
      duplicate: true,
    });
    expect(destination.balance("acct-17-0")).toBe(107);
    expect(run(destination, credit("c4"))[0]).toMatchObject({ outcome: "posted", duplicate: false });
    expect(destination.balance("acct-17-0")).toBe(114);
    // The snapshot carries both the received table (the carried entries included) and the move.
    const restored = Ledger.fromSnapshot(JSON.parse(JSON.stringify(destination.snapshot())));
    expect(run(restored, credit("c1"))[0]).toMatchObject({ outcome: "posted", duplicate: true });
    expect(restored.totalBalance()).toBe(destination.totalBalance());
    expect(restored.verify()).toMatchObject({ ok: true });
    const restoredSource = Ledger.fromSnapshot(JSON.parse(JSON.stringify(source.snapshot())));
    expect(run(restoredSource, credit("c5"))[0]).toMatchObject({ reason: "MOVED", owner: "cell-7" });
    expect(restoredSource.totals()).toMatchObject({ crossCellNet: 14 });
    expect(restoredSource.movedTotals()).toEqual({ movedIn: 0, movedOut: 107 });
  });

  it("global conservation counts a move's carried money, and catches a range landing twice", () => {
    const source = cellWith(["acct-17-0", "acct-3-0"]);
    const destination = new Ledger();
    run(destination, step("expect", "cell-1"));
    const record = (run(source, step("fence", "cell-7"))[0] as { record: ShardRecord }).record;
    run(destination, step("import", "cell-1", record));
    const timed = (ledger: Ledger, at: number[]): { complete: true; events: readonly LedgerEventBody[]; appliedUs: number[] } => {
      const events = ledger.eventBodies();
      return { complete: true, events, appliedUs: events.map((_, i) => at[i] ?? at[at.length - 1] ?? 0) };
    };
    // source: open, open, fence at 10; destination: expect at 5, import at 20.
    const good = checkGlobalConservation({ "cell-1": timed(source, [0, 0, 10]), "cell-7": timed(destination, [5, 20]) }, [], {
      requireDrained: true,
    });
    expect(good).toMatchObject({ valid: true, violationCount: 0 });
    expect(good.checkPoints).toBeGreaterThanOrEqual(3);
    // The source also unfences (the move both completed and rolled back): the range's money doubles.
    run(source, step("unfence", "cell-7"));
    const doubled = checkGlobalConservation({ "cell-1": timed(source, [0, 0, 10, 30]), "cell-7": timed(destination, [5, 20]) }, [], {
      requireDrained: true,
    });
    expect(doubled.valid).toBe(false);
    expect(doubled.violations.map((violation) => [violation.kind, violation.transferId])).toEqual(
      expect.arrayContaining([
        ["amount-mismatch", "m1"],
        ["not-conserved", "m1"],
      ]),
    );
  });
});

describe("global conservation over untimed logs (final ledgers only)", () => {
  it("matches a move's import in an earlier-listed cell to its fence in a later one", () => {
    const source = cellWith(["acct-17-0"]);
    const destination = new Ledger();
    run(destination, step("expect", "cell-7"));
    const record = (run(source, step("fence", "cell-2"))[0] as { record: ShardRecord }).record;
    run(destination, step("import", "cell-7", record));
    // The destination is listed first: without times its import would otherwise come before the fence.
    const verdict = checkGlobalConservation(
      { "cell-2": { complete: true, events: destination.eventBodies() }, "cell-7": { complete: true, events: source.eventBodies() } },
      [],
      { requireDrained: true },
    );
    expect(verdict).toMatchObject({ valid: true, violationCount: 0 });
  });
});
