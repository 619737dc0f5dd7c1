import { describe, expect, it } from "vitest";
import { AppliedEventLog } from "../../../runtime/virtual/applied-events.js";
import type { LedgerEventBody } from "../../../cells/ledger/events.js";

const opened = (account: string): LedgerEventBody => ({ type: "AccountOpened", account, initialBalance: 100 });

describe("the harness's applied-event log", () => {
  it("keeps the first applier's events and flags a replica that applied something else at the same index", () => {
    const divergences: string[] = [];
    const log = new AppliedEventLog("cell-1", 10, (message) => divergences.push(message));
    // Chain hashes are sha256 hex.
    log.observe("a", 0, opened("x"), "a0".repeat(32));
    log.observe("b", 0, opened("x"), "a0".repeat(32));
    log.observe("a", 1, opened("y"), "b1".repeat(32));
    log.observe("b", 1, opened("z"), "ff".repeat(32));
    expect(log.log()).toEqual({ complete: true, events: [opened("x"), opened("y")] });
    expect(divergences).toHaveLength(1);
    expect(divergences[0]).toContain("replica b applied event 1");
  });

  it("reports itself incomplete after a gap or past its bound, and says why", () => {
    const gap = new AppliedEventLog("cell-1", 10, () => {});
    gap.observe("a", 1, opened("x"), "h1");
    expect(gap.log()).toMatchObject({ complete: false, reason: expect.stringContaining("before anyone applied event 0") });
    const bounded = new AppliedEventLog("cell-1", 2, () => {});
    bounded.observe("a", 0, opened("x"), "h0");
    bounded.observe("a", 1, opened("y"), "h1");
    bounded.observe("a", 2, opened("z"), "h2");
    expect(bounded.log()).toMatchObject({ complete: false, reason: expect.stringContaining("appliedEventsMax") });
  });

  it("stays within its bound over a long run and still gives a window's checkers an exact log (issue 15: ldc start)", () => {
    let nowUs = 0;
    const log = new AppliedEventLog(
      "cell-1",
      1_000,
      () => {},
      () => nowUs,
    );
    const balances = new Map<string, number>([
      ["a", 0],
      ["b", 0],
    ]);
    const transfer = (index: number): LedgerEventBody =>
      index % 2 === 0
        ? { type: "TransferPosted", id: `t${index}`, from: "a", to: "b", amount: 3 }
        : { type: "TransferPosted", id: `t${index}`, from: "b", to: "a", amount: 1 };
    log.observe("r1", 0, { type: "AccountOpened", account: "a", initialBalance: 1_000_000 }, "00000000000000a0");
    log.observe("r1", 1, { type: "AccountOpened", account: "b", initialBalance: 0 }, "00000000000000b0");
    balances.set("a", 1_000_000);
    let balancesAtWindowStart: Map<string, number> | null = null;
    const windowFromUs = 99_000_000;
    for (let index = 2; index < 100_000; index++) {
      nowUs = index * 1_000;
      if (nowUs >= windowFromUs && balancesAtWindowStart === null) balancesAtWindowStart = new Map(balances);
      const event = transfer(index);
      log.observe("r1", index, event, index.toString(16).padStart(16, "0"));
      if (event.type === "TransferPosted") {
        balances.set(event.from, (balances.get(event.from) ?? 0) - event.amount);
        balances.set(event.to, (balances.get(event.to) ?? 0) + event.amount);
      }
    }
    // 100,000 events seen, at most 1,000 kept.
    expect(log.eventCount).toBe(100_000);
    expect(log.keptEvents).toBeLessThanOrEqual(1_000);
    // The whole run cannot be checked any more; the last second (1,000 events at 1 ms) can.
    expect(log.log(0).complete).toBe(false);
    const window = log.log(windowFromUs);
    if (!window.complete) throw new Error(window.reason);
    // Replaying the window's log from an empty ledger gives the final balances, and it holds every
    // event applied since the window began.
    const replayed = new Map<string, number>();
    for (const event of window.events) {
      if (event.type === "AccountOpened") replayed.set(event.account, event.initialBalance);
      if (event.type === "TransferPosted") {
        replayed.set(event.from, (replayed.get(event.from) ?? 0) - event.amount);
        replayed.set(event.to, (replayed.get(event.to) ?? 0) + event.amount);
      }
    }
    expect(replayed).toEqual(balances);
    const ids = new Set(window.events.flatMap((event) => (event.type === "TransferPosted" ? [event.id] : [])));
    for (let index = windowFromUs / 1_000; index < 100_000; index++) expect(ids.has(`t${index}`)).toBe(true);
    expect(balancesAtWindowStart).not.toBeNull();
  });

  it("keeps a pinned window past its bound (a drill), up to the pinned maximum, and folds back once released", () => {
    let nowUs = 0;
    const log = new AppliedEventLog(
      "cell-1",
      100,
      () => {},
      () => nowUs,
      1_000,
    );
    log.observe("r1", 0, { type: "AccountOpened", account: "a", initialBalance: 1_000_000 }, "a0");
    log.observe("r1", 1, { type: "AccountOpened", account: "b", initialBalance: 0 }, "b0");
    const transfer = (index: number): LedgerEventBody => ({ type: "TransferPosted", id: `t${index}`, from: "a", to: "b", amount: 1 });
    let index = 2;
    const advanceTo = (end: number): void => {
      for (; index < end; index++) {
        nowUs = index * 1_000;
        log.observe("r1", index, transfer(index), index.toString(16).padStart(16, "0"));
      }
    };
    advanceTo(1_000);
    expect(log.keptEvents).toBeLessThanOrEqual(100);
    const pinnedFromUs = nowUs - 20_000; // 20 events back: still kept
    log.pin(pinnedFromUs);
    advanceTo(1_500);
    // 500 events later: without the pin at most 100 would be kept, and the window would be folded.
    expect(log.keptEvents).toBeGreaterThan(500);
    const window = log.log(pinnedFromUs);
    if (!window.complete) throw new Error(window.reason);
    expect(window.events.filter((event) => event.type === "TransferPosted")).toHaveLength(1_500 - pinnedFromUs / 1_000);
    // The pinned maximum still bounds it.
    advanceTo(5_000);
    expect(log.keptEvents).toBeLessThanOrEqual(1_000);
    expect(log.log(pinnedFromUs).complete).toBe(false);
    // Released: back within the steady bound at the next event.
    log.pin(null);
    advanceTo(5_001);
    expect(log.keptEvents).toBeLessThanOrEqual(100);
  });

  it("still flags a divergence at an index it keeps after folding", () => {
    const divergences: string[] = [];
    const log = new AppliedEventLog("cell-1", 4, (message) => divergences.push(message));
    for (let index = 0; index < 10; index++) log.observe("a", index, opened(`x${index}`), `${index}`.padStart(16, "0"));
    log.observe("b", 9, opened("x9"), "ffffffffffffffff");
    log.observe("b", 1, opened("x1"), "ffffffffffffffff"); // folded: not comparable here
    expect(divergences).toHaveLength(1);
    expect(divergences[0]).toContain("replica b applied event 9");
  });
});
