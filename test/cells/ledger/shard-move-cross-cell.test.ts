// Shard moves and cross-cell transfers together (issues 17 + 18): codec versions, the fence that
// waits for the range's open outbox records, the received table carried with the range, and
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
import { RECEIVED_EXTENSION, type ShardMoveCommand, type ShardRecord } from "../../../cells/ledger/shard-move.js";
import { checkGlobalConservation } from "../../../harness/checkers/global-conservation.js";

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
  it("the fence is refused while a payer of the range has an open outbox record, and done once it is settled", () => {
    const source = cellWith(["acct-17-0", "acct-3-0"]);
    expect(
      run(source, { type: "TransferOut", id: "x1", from: "acct-17-0", to: "acct-40-0", toCell: "cell-2", amount: 10 })[0],
    ).toMatchObject({ outcome: "posted" });
    expect(run(source, step("fence", "cell-7"))[0]).toMatchObject({ status: "refused", reason: "OPEN_CROSS_CELL" });
    // Refused: nothing changed, the range is still served here.
    expect(source.balance("acct-17-0")).toBe(90);
    expect(run(source, { type: "Deposit", id: "d1", account: "acct-17-0", amount: 1 })[0]).toMatchObject({ outcome: "posted" });
    // An open record of a payer outside the range does not hold the fence.
    run(source, { type: "SettleTransfer", id: "x1", result: "credited" });
    run(source, { type: "TransferOut", id: "x2", from: "acct-3-0", to: "acct-40-0", toCell: "cell-2", amount: 5 });
    const fenced = run(source, step("fence", "cell-7"))[0] as LedgerOutcome & { record?: ShardRecord };
    expect(fenced).toMatchObject({ status: "done" });
    // The TransferOut's id travels with its payer: a retry at the new owner answers the first outcome.
    expect(fenced.record?.idempotency.map(([id]) => id)).toEqual(expect.arrayContaining(["x1", "d1"]));
    // A new debit of a moved payer is redirected, not applied.
    expect(
      run(source, { type: "TransferOut", id: "x3", from: "acct-17-0", to: "acct-40-0", toCell: "cell-2", amount: 1 })[0],
    ).toMatchObject({
      reason: "MOVED",
      owner: "cell-7",
    });
    const destination = new Ledger();
    run(destination, step("expect", "cell-1"));
    run(destination, step("import", "cell-1", fenced.record));
    expect(
      run(destination, { type: "TransferOut", id: "x1", from: "acct-17-0", to: "acct-40-0", toCell: "cell-2", amount: 10 })[0],
    ).toMatchObject({ outcome: "posted", duplicate: true });
    expect(destination.balance("acct-17-0")).toBe(91);
    expect(source.verify()).toMatchObject({ ok: true });
    expect(destination.verify()).toMatchObject({ ok: true });
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
    expect(fenced.record.extensions?.[RECEIVED_EXTENSION]).toEqual([
      ["c1", 0],
      ["c2", expect.any(Number)],
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
