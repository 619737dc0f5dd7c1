import { describe, expect, it } from "vitest";
import type { LedgerEventBody } from "../../cells/ledger/events.js";
import { checkLedgerWitness, type WitnessVerdict } from "../../harness/checkers/ledger-witness.js";
import { HistoryBuilder, generateWitnessCase, opened, posted, rejected } from "./witness-fixture.js";

const CELL = "cell-1";
const t = (id: string, from: string, to: string, amount: number) => ({ id, from, to, amount, cell: CELL });

/** Two accounts of 100 opened, one after the other. */
function base(): { history: HistoryBuilder; events: LedgerEventBody[] } {
  const history = new HistoryBuilder()
    .call(0, "open", { account: "a", initialBalance: 100, cell: CELL }, { outcome: "posted" })
    .call(0, "open", { account: "b", initialBalance: 100, cell: CELL }, { outcome: "posted" });
  return { history, events: [opened("a", 100), opened("b", 100)] };
}

function check(history: HistoryBuilder, events: LedgerEventBody[]): WitnessVerdict {
  return checkLedgerWitness(history.ops, { complete: true, events });
}

function kinds(verdict: WitnessVerdict): string[] {
  return verdict.violations.map((violation) => violation.kind);
}

describe("ledger witness checker", () => {
  it("accepts a read after a completed transfer that sees it, and catches its stale twin", () => {
    const build = (seen: Record<string, number>) => {
      const { history, events } = base();
      history.call(1, "transfer", t("t1", "a", "b", 30), { outcome: "posted" }).call(2, "read", { cell: CELL }, { balances: seen });
      return check(history, [...events, posted("t1", "a", "b", 30)]);
    };
    const valid = build({ a: 70, b: 130 });
    expect(valid).toMatchObject({ valid: true, method: "witness", events: 3, reads: 1, violationCount: 0 });
    const stale = build({ a: 100, b: 100 });
    expect(stale.valid).toBe(false);
    expect(kinds(stale)).toEqual(["stale-read"]);
    expect(stale.violations[0]?.position).toBe(2);
    expect(stale.violations[0]?.ops.map((op) => op.f)).toEqual(["read", "transfer"]);
    expect(stale.violations[0]?.window?.map((entry) => entry.position)).toEqual([0, 1, 2]);
  });

  it("lets a read concurrent with a transfer see either side of it", () => {
    for (const seen of [
      { a: 100, b: 100 },
      { a: 70, b: 130 },
    ]) {
      const { history, events } = base();
      history
        .invoke(1, "transfer", t("t1", "a", "b", 30))
        .call(2, "read", { cell: CELL }, { balances: seen })
        .complete(1, "ok", "transfer", { ...t("t1", "a", "b", 30), outcome: "posted" });
      expect(check(history, [...events, posted("t1", "a", "b", 30)]).valid).toBe(true);
    }
  });

  it("catches a read that saw a transfer invoked only after it completed", () => {
    const { history, events } = base();
    history
      .call(2, "read", { cell: CELL }, { balances: { a: 70, b: 130 } })
      .call(1, "transfer", t("t1", "a", "b", 30), { outcome: "posted" });
    expect(kinds(check(history, [...events, posted("t1", "a", "b", 30)]))).toEqual(["future-read"]);
  });

  it("catches reads that go back in time against each other (and balances never held)", () => {
    const { history, events } = base();
    history
      .invoke(1, "transfer", t("t1", "a", "b", 30))
      .call(2, "read", { cell: CELL }, { balances: { a: 70, b: 130 } })
      .call(3, "read", { cell: CELL }, { balances: { a: 100, b: 100 } })
      .complete(1, "ok", "transfer", { ...t("t1", "a", "b", 30), outcome: "posted" });
    expect(kinds(check(history, [...events, posted("t1", "a", "b", 30)]))).toEqual(["read-order"]);
    const unexplained = base();
    unexplained.history.call(2, "read", { cell: CELL }, { balances: { a: 99, b: 101 } });
    expect(kinds(check(unexplained.history, unexplained.events))).toEqual(["read-unexplained"]);
  });

  it("catches a lost acknowledged transfer; its twin with the event passes", () => {
    const { history, events } = base();
    history.call(1, "transfer", t("t1", "a", "b", 30), { outcome: "posted" });
    const lost = check(history, events);
    expect(kinds(lost)).toEqual(["lost"]);
    expect(lost.violations[0]?.ops[0]?.value).toMatchObject({ id: "t1" });
    expect(check(history, [...events, posted("t1", "a", "b", 30)]).valid).toBe(true);
  });

  it("catches a pair applied against real time", () => {
    const { history, events } = base();
    history
      .call(1, "transfer", t("t1", "a", "b", 30), { outcome: "posted" })
      .call(2, "transfer", t("t2", "b", "a", 5), { outcome: "posted" });
    const reordered = check(history, [...events, posted("t2", "b", "a", 5), posted("t1", "a", "b", 30)]);
    expect(kinds(reordered)).toEqual(["real-time"]);
    expect(reordered.violations[0]?.ops.map((op) => (op.value as { id: string }).id)).toEqual(["t1", "t2"]);
    expect(check(history, [...events, posted("t1", "a", "b", 30), posted("t2", "b", "a", 5)]).valid).toBe(true);
  });

  it("catches an outcome the client was told but the log does not hold", () => {
    const { history, events } = base();
    history.call(1, "transfer", t("t1", "a", "b", 30), { outcome: "rejected", reason: "INSUFFICIENT_FUNDS" });
    expect(kinds(check(history, [...events, posted("t1", "a", "b", 30)]))).toEqual(["outcome-mismatch"]);
    // A rejection the ledger could not have made is caught on the log itself.
    expect(kinds(check(history, [...events, rejected("t1", "a", "b", 30)]))).toEqual(["illegal-event"]);
    const poor = base();
    poor.history.call(1, "transfer", t("t1", "a", "b", 300), { outcome: "rejected", reason: "INSUFFICIENT_FUNDS" });
    expect(check(poor.history, [...poor.events, rejected("t1", "a", "b", 300)]).valid).toBe(true);
  });

  it("catches a double-applied transfer id", () => {
    const { history, events } = base();
    history.call(1, "transfer", t("t1", "a", "b", 30), { outcome: "posted" });
    const twice = check(history, [...events, posted("t1", "a", "b", 30), posted("t1", "a", "b", 30)]);
    expect(kinds(twice)).toContain("duplicated");
    expect(twice.violations.find((violation) => violation.kind === "duplicated")?.position).toBe(3);
  });

  it("resolves an info transfer by the log: present or absent are both accepted", () => {
    const build = () => {
      const { history, events } = base();
      history.invoke(1, "transfer", t("t1", "a", "b", 30)).complete(1, "info", "transfer", { ...t("t1", "a", "b", 30), error: "TIMEOUT" });
      return { history, events };
    };
    const present = build();
    present.history.call(2, "read", { cell: CELL }, { balances: { a: 70, b: 130 } });
    expect(check(present.history, [...present.events, posted("t1", "a", "b", 30)])).toMatchObject({
      valid: true,
      infoResolved: { present: 1, absent: 0 },
    });
    const absent = build();
    absent.history.call(2, "read", { cell: CELL }, { balances: { a: 100, b: 100 } });
    expect(check(absent.history, absent.events)).toMatchObject({ valid: true, infoResolved: { present: 0, absent: 1 } });
  });

  it("catches a failed command that is in the log, and a log that changes what was sent", () => {
    const { history, events } = base();
    history.invoke(1, "transfer", t("t1", "a", "b", 30)).complete(1, "fail", "transfer", { ...t("t1", "a", "b", 30), error: "OVERLOADED" });
    expect(kinds(check(history, [...events, posted("t1", "a", "b", 30)]))).toEqual(["failed-but-present"]);
    expect(check(history, events).valid).toBe(true);
    const changed = base();
    changed.history.call(1, "transfer", t("t1", "a", "b", 30), { outcome: "posted" });
    expect(kinds(check(changed.history, [...changed.events, posted("t1", "a", "b", 31)]))).toEqual(["command-mismatch"]);
  });

  it("catches an overdraft in the log", () => {
    const { history, events } = base();
    history.call(1, "transfer", t("t1", "a", "b", 300), { outcome: "posted" });
    expect(kinds(check(history, [...events, posted("t1", "a", "b", 300)]))).toEqual(["illegal-event", "negative-balance"]);
  });

  it("says unknown, not a guess, without a complete log", () => {
    const { history } = base();
    const verdict = checkLedgerWitness(history.ops, { complete: false, reason: "restored from a snapshot" });
    expect(verdict).toMatchObject({ valid: "unknown", method: "witness", reason: "restored from a snapshot" });
  });

  it("accepts generated linearizable histories and catches a swapped pair of their events", () => {
    for (const seed of [1, 2, 3]) {
      const { history, events } = generateWitnessCase(seed, 2_000, 8);
      const verdict = checkLedgerWitness(history, { complete: true, events });
      expect(verdict.violations).toEqual([]);
      expect(verdict.valid).toBe(true);
      expect(verdict.reads).toBeGreaterThan(300);
      // Moving the last event to the front breaks real time or a read (or the ledger's rules).
      const moved = [...events];
      moved.splice(8, 0, moved.pop() as LedgerEventBody);
      expect(checkLedgerWitness(history, { complete: true, events: moved }).valid).toBe(false);
    }
  });

  it("checks a 100k-op history with 20 clients quickly", () => {
    const { history, events } = generateWitnessCase(7, 100_000, 20);
    const startedMs = performance.now();
    const verdict = checkLedgerWitness(history, { complete: true, events });
    const elapsedMs = performance.now() - startedMs;
    expect(verdict.valid).toBe(true);
    expect(verdict.ops).toBe(100_008);
    // A coarse guard against an accidental quadratic (the figure itself is in docs/BENCHMARKS.md).
    expect(elapsedMs).toBeLessThan(10_000);
  });
});
