import { describe, expect, it } from "vitest";
import type { LedgerEventBody } from "../../../cells/ledger/events.js";
import { checkGlobalConservation, type TimedCellLog } from "../../../harness/checkers/global-conservation.js";
import type { Op } from "../../../harness/history.js";

const opened = (account: string, initialBalance: number): LedgerEventBody => ({ type: "AccountOpened", account, initialBalance });
const sent = (id: string, amount: number): LedgerEventBody => ({ type: "TransferSent", id, from: "a", to: "z", toCell: "c2", amount });
const credited = (id: string, amount: number): LedgerEventBody => ({
  type: "CreditReceived",
  id,
  from: "a",
  fromCell: "c1",
  to: "z",
  amount,
});
const refused = (id: string, amount: number): LedgerEventBody => ({
  type: "CreditRefused",
  id,
  from: "a",
  fromCell: "c1",
  to: "z",
  amount,
  reason: "UNKNOWN_ACCOUNT",
});
const settled = (id: string, amount: number): LedgerEventBody => ({
  type: "TransferSettled",
  id,
  from: "a",
  to: "z",
  toCell: "c2",
  amount,
});
const refunded = (id: string, amount: number): LedgerEventBody => ({
  type: "TransferRefunded",
  id,
  from: "a",
  to: "z",
  toCell: "c2",
  amount,
  reason: "UNKNOWN_ACCOUNT",
});

/** A log whose i-th event applied at times[i] µs. */
function log(events: LedgerEventBody[], times: number[]): TimedCellLog {
  return { complete: true, events, appliedUs: times };
}

/** The history of two transfers x1, x2 invoked at 5 and 6 µs (indexes 0..3). */
const history: Op[] = [
  { index: 0, type: "invoke", f: "transfer", process: 0, time: 5, value: { id: "x1", from: "a", to: "z", amount: 10, cell: "c1" } },
  { index: 1, type: "invoke", f: "transfer", process: 1, time: 6, value: { id: "x2", from: "a", to: "z", amount: 5, cell: "c1" } },
  { index: 2, type: "ok", f: "transfer", process: 0, time: 7, value: { id: "x1", outcome: "posted", cell: "c1" } },
  { index: 3, type: "ok", f: "transfer", process: 1, time: 8, value: { id: "x2", outcome: "posted", cell: "c1" } },
];

describe("global conservation across cells", () => {
  it("accepts a credited-and-settled transfer and a refused-and-refunded one, and counts them", () => {
    const verdict = checkGlobalConservation(
      {
        c1: log([opened("a", 100), sent("x1", 10), sent("x2", 5), settled("x1", 10), refunded("x2", 5)], [0, 6, 7, 30, 31]),
        c2: log([opened("z", 0), credited("x1", 10), refused("x2", 5)], [0, 20, 21]),
      },
      history,
      { requireDrained: true },
    );
    expect(verdict.valid).toBe(true);
    expect(verdict.crossCell).toMatchObject({ initiated: 2, settled: 1, refunded: 1, inFlightAtEnd: 0 });
    expect(verdict.crossCell.settleMsP50).toBe(0.025); // x1: invoked at 5 µs, settled at 30 µs
    expect(verdict.checkPoints).toBe(7);
  });

  it("finds a double credit, naming the transfer and its first history index", () => {
    const verdict = checkGlobalConservation(
      {
        c1: log([opened("a", 100), sent("x1", 10), settled("x1", 10)], [0, 6, 30]),
        c2: log([opened("z", 0), credited("x1", 10), credited("x1", 10)], [0, 20, 25]),
      },
      history,
      { requireDrained: true },
    );
    expect(verdict.valid).toBe(false);
    expect(verdict.first).toMatchObject({ kind: "double-credit", transferId: "x1", historyIndex: 0 });
    expect(verdict.violations.map((violation) => violation.kind)).toContain("not-conserved");
  });

  it("finds a refund after a credit (the refund-on-timeout bug) and money created by it", () => {
    const verdict = checkGlobalConservation(
      {
        c1: log([opened("a", 100), sent("x2", 5), refunded("x2", 5)], [0, 6, 40]),
        c2: log([opened("z", 0), credited("x2", 5)], [0, 20]),
      },
      history,
      { requireDrained: true },
    );
    expect(verdict.valid).toBe(false);
    expect(verdict.first).toMatchObject({ kind: "refund-after-credit", transferId: "x2", historyIndex: 1 });
    expect(verdict.violations.find((violation) => violation.kind === "not-conserved")?.message).toMatch(/40\.000 ms|0\.040 ms/);
  });

  it("finds a credit with no debit anywhere and a refund without a refusal", () => {
    const verdict = checkGlobalConservation(
      {
        c1: log([opened("a", 100), sent("x2", 5), refunded("x2", 5)], [0, 6, 9]),
        c2: log([opened("z", 0), credited("ghost", 7)], [0, 20]),
      },
      history,
      { requireDrained: true },
    );
    const kinds = verdict.violations.map((violation) => violation.kind);
    expect(kinds).toContain("credit-without-debit");
    expect(kinds).toContain("refund-without-refusal");
    expect(verdict.violations.find((violation) => violation.transferId === "ghost")?.historyIndex).toBeNull();
  });

  it("counts money in flight as present, and an open record at the end as a violation only after a drain", () => {
    const logs = { c1: log([opened("a", 100), sent("x1", 10)], [0, 6]), c2: log([opened("z", 0)], [0]) };
    expect(checkGlobalConservation(logs, history, { requireDrained: false })).toMatchObject({
      valid: true,
      crossCell: { inFlightAtEnd: 1 },
    });
    expect(checkGlobalConservation(logs, history, { requireDrained: true }).first).toMatchObject({
      kind: "in-flight-at-end",
      transferId: "x1",
    });
  });

  it("checks only the end without times, and answers unknown for an incomplete log", () => {
    const verdict = checkGlobalConservation(
      {
        c1: { complete: true, events: [opened("a", 100), sent("x1", 10), settled("x1", 10)] },
        c2: { complete: true, events: [opened("z", 0)] },
      },
      history,
      { requireDrained: true },
    );
    expect(verdict.checkPoints).toBe(1);
    // Settled without a credit anywhere: the 10 count as still in flight, and the settlement is named.
    expect(verdict.violations.map((violation) => violation.kind)).toEqual(["settle-without-credit"]);
    expect(checkGlobalConservation({ c1: { complete: false, reason: "folded" } }, history, { requireDrained: true }).valid).toBe("unknown");
  });

  it("without times, a destination's log listed before its source's is still judged in causal order", () => {
    const logs = {
      c2: { complete: true, events: [opened("z", 0), credited("x1", 10), credited("x2", 5)] },
      c1: { complete: true, events: [opened("a", 100), sent("x1", 10), sent("x2", 5), settled("x1", 10), refunded("x2", 5)] },
    } as const;
    const verdict = checkGlobalConservation(logs, history, { requireDrained: true });
    // x1 is fine; x2 was refunded beside its credit: that and the money it made are named.
    expect(verdict.violations.map((violation) => [violation.kind, violation.transferId])).toEqual([
      ["refund-after-credit", "x2"],
      ["not-conserved", "x2"],
    ]);
  });
});
