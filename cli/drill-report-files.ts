// `ldc drill run --out DIR`: the drill report (report.html, the same page the controller serves),
// the raw result (verdicts.json, also a download inside the page) and the history (history.jsonl).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DrillReport } from "../chaos/drill/report.js";
import { renderDrillReportHtml } from "../chaos/drill/report-html.js";
import { toJsonl, type Op } from "../harness/history.js";

export function writeDrillReportFiles(
  dir: string,
  report: DrillReport,
  history: readonly Op[],
  meta: Readonly<Record<string, unknown>>,
): { htmlPath: string } {
  mkdirSync(dir, { recursive: true });
  const htmlPath = join(dir, "report.html");
  writeFileSync(join(dir, "history.jsonl"), toJsonl(history));
  writeFileSync(join(dir, "verdicts.json"), `${JSON.stringify({ meta, result: report.raw }, null, 2)}\n`);
  writeFileSync(htmlPath, renderDrillReportHtml(report));
  return { htmlPath };
}
