// The HTML failure report (harness/failure-report.ts) on a history whose violation is known: a
// read invoked after a transfer was acknowledged still sees the balances before it. The report
// must name the read as the op that cannot be placed, count the prefix the search linearized,
// show the conflicting transfer, keep the window tight (a far earlier op is left out) and escape
// what it prints.
import { describe, expect, it } from "vitest";
import { failureFocus, failureReportHtml, type FailureReportInput } from "../../harness/failure-report.js";
import { checkHistory } from "../../harness/check.js";
import type { Op } from "../../harness/history.js";

function staleReadHistory(): Op[] {
  const ops: Op[] = [];
  let index = 0;
  const add = (process: number, type: Op["type"], f: string, value: Op["value"], timeUs: number): void => {
    ops.push({ process, type, f, value, time: timeUs, index: index++ });
  };
  add(1, "invoke", "open", { cell: "cell-1", account: "a", initialBalance: 100 }, 0);
  add(1, "ok", "open", { cell: "cell-1", account: "a", initialBalance: 100 }, 1_000);
  add(2, "invoke", "open", { cell: "cell-1", account: "b", initialBalance: 100 }, 0);
  add(2, "ok", "open", { cell: "cell-1", account: "b", initialBalance: 100 }, 1_000);
  // Long before the violation: must stay out of the window.
  add(3, "invoke", "read", { cell: "cell-1" }, 2_000);
  add(3, "ok", "read", { cell: "cell-1", balances: { a: 100, b: 100 } }, 3_000);
  add(1, "invoke", "transfer", { cell: "cell-1", id: "t<1>", from: "a", to: "b", amount: 10 }, 1_000_000);
  add(1, "ok", "transfer", { cell: "cell-1", id: "t<1>", from: "a", to: "b", amount: 10, outcome: "posted" }, 1_010_000);
  add(2, "invoke", "read", { cell: "cell-1" }, 1_020_000);
  add(2, "ok", "read", { cell: "cell-1", balances: { a: 100, b: 100 } }, 1_030_000);
  return ops;
}

function inputOf(history: Op[]): FailureReportInput {
  const verdict = checkHistory(history, { model: "ledger" });
  if (verdict.checker !== "linearizable") throw new Error("expected the linearizable checker");
  expect(verdict.valid).toBe(false);
  return {
    history,
    checkers: { linearizable: { valid: false, cells: { "cell-1": { ...verdict } } } },
    invariantViolations: [],
    title: "seed 7 <stale read>",
    reproduce: "ldc sim --seed 7 --check",
  };
}

describe("failure report", () => {
  it("names the read that cannot be placed, the prefix before it and the transfer it conflicts with", () => {
    const input = inputOf(staleReadHistory());
    const focus = failureFocus(input);
    expect(focus).not.toBeNull();
    if (focus === null) return;
    expect(focus.checker).toBe("linearizable");
    expect(focus.cell).toBe("cell-1");
    expect(focus.method).toBe("search");
    expect(focus.unplaceable?.f).toBe("read");
    expect(focus.unplaceable?.process).toBe("2");
    // The two opens, the early read and the transfer linearize; the late read does not.
    const search = checkHistory(input.history, { model: "ledger" });
    expect(search.checker === "linearizable" ? search.failure?.linearizedCount : null).toBe(focus.prefixLength);
    expect(focus.prefixLength).toBe(4);
    // The window: the transfer and the read, with a margin; the read at 2 ms is far outside it.
    expect(focus.windowStartUs).toBeGreaterThan(3_000);
    expect(focus.ops.some((op) => op.f === "transfer")).toBe(true);
    expect(focus.ops.some((op) => op.process === "3")).toBe(false);
  });

  it("renders a page readable without the JSON: one row per client, the roles coloured, text escaped", () => {
    const html = failureReportHtml(inputOf(staleReadHistory()));
    expect(html).not.toBeNull();
    const page = html as string;
    expect(page).toContain("<svg");
    expect(page).toMatch(/client 1<\/text>/);
    expect(page).toMatch(/client 2<\/text>/);
    expect(page).toContain('id="unplaceable">client 2: read');
    expect(page).toContain('id="prefix">4 operations');
    expect(page).toContain("seed 7 &lt;stale read&gt;");
    expect(page).not.toContain("<stale read>");
    expect(page).toContain('class="op unplaceable"');
    expect(page).toContain("ldc sim --seed 7 --check");
  });

  it("has nothing to report for a run without a violation", () => {
    const history = staleReadHistory().slice(0, 8);
    expect(
      failureReportHtml({ history, checkers: { linearizable: { valid: true } }, invariantViolations: [], title: "t", reproduce: "r" }),
    ).toBeNull();
  });
});
