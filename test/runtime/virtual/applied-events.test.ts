import { describe, expect, it } from "vitest";
import { AppliedEventLog } from "../../../runtime/virtual/applied-events.js";
import type { LedgerEventBody } from "../../../cells/ledger/events.js";

const opened = (account: string): LedgerEventBody => ({ type: "AccountOpened", account, initialBalance: 100 });

describe("the harness's applied-event log", () => {
  it("keeps the first applier's events and flags a replica that applied something else at the same index", () => {
    const divergences: string[] = [];
    const log = new AppliedEventLog("cell-1", 10, (message) => divergences.push(message));
    log.observe("a", 0, opened("x"), "h0");
    log.observe("b", 0, opened("x"), "h0");
    log.observe("a", 1, opened("y"), "h1");
    log.observe("b", 1, opened("z"), "hZ");
    expect(log.log()).toEqual({ complete: true, events: [opened("x"), opened("y")] });
    expect(divergences).toHaveLength(1);
    expect(divergences[0]).toContain("replica b applied event 1");
  });

  it("reports itself incomplete after a gap or past its bound, and says why", () => {
    const gap = new AppliedEventLog("cell-1", 10, () => {});
    gap.observe("a", 1, opened("x"), "h1");
    expect(gap.log()).toMatchObject({ complete: false, reason: expect.stringContaining("before anyone applied event 0") });
    const bounded = new AppliedEventLog("cell-1", 1, () => {});
    bounded.observe("a", 0, opened("x"), "h0");
    bounded.observe("a", 1, opened("y"), "h1");
    expect(bounded.log()).toMatchObject({ complete: false, reason: expect.stringContaining("more than 1 events") });
  });
});
