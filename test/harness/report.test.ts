import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateLedgerHistory } from "../../harness/generate.js";
import { parseHistory } from "../../harness/history.js";
import { balanceTotals, latencyPoints, writeReport } from "../../harness/report.js";

describe("writeReport", () => {
  it("writes the history, the verdicts and a self-contained HTML page", () => {
    const history = generateLedgerHistory({ seed: 5, ops: 300, clients: 4, cells: 2 });
    const dir = mkdtempSync(join(tmpdir(), "ldc-report-"));
    const paths = writeReport(dir, {
      history,
      verdicts: { bank: { valid: true } },
      faultWindows: [{ id: "w1", kind: "region-outage", startUs: 1000, endUs: 5000 }],
      meta: { seed: 5 },
    });
    expect(parseHistory(readFileSync(paths.historyPath, "utf8"))).toEqual(history);
    expect(JSON.parse(readFileSync(paths.verdictsPath, "utf8"))).toMatchObject({ meta: { seed: 5 }, verdicts: { bank: { valid: true } } });
    const html = readFileSync(paths.htmlPath, "utf8");
    expect(html).toContain("d3js.org"); // the inlined d3 bundle's own header
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
  });
  it("plots one dot per op and one total per ok read", () => {
    const history = generateLedgerHistory({ seed: 5, ops: 200, clients: 3 });
    const invokes = history.filter((op) => op.type === "invoke").length;
    expect(latencyPoints(history)).toHaveLength(invokes);
    const totals = balanceTotals(history);
    expect(totals.length).toBe(history.filter((op) => op.type === "ok" && op.f === "read").length);
    expect(totals.every((point) => Number.isInteger(point.total) && point.total >= 0)).toBe(true);
  });
});
