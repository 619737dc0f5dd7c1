// A run's report directory: history.jsonl, verdicts.json and report.html, a self-contained
// page (d3 inlined, no network) with Jepsen's latency-raw plot (one dot per op, coloured by
// ok/fail/info, fault windows shaded) and the balance total read over time.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { FaultWindow } from "./checkers/availability.js";
import { pairHistory, toJsonl, type Op } from "./history.js";
import { isJsonObject, type Json } from "../ground/json.js";

export interface ReportInput {
  history: readonly Op[];
  verdicts: Readonly<Record<string, unknown>>;
  faultWindows?: readonly FaultWindow[];
  meta?: Readonly<Record<string, Json>>;
}

export interface LatencyPoint {
  invokeUs: number;
  latencyUs: number;
  type: "ok" | "fail" | "info";
  f: string;
  process: number | string;
}

export interface TotalPoint {
  timeUs: number;
  total: number;
  cell: string;
}

/** Ops without times are plotted at their history index, so imported Knossos files still draw. */
export function latencyPoints(history: readonly Op[]): LatencyPoint[] {
  const points: LatencyPoint[] = [];
  for (const op of pairHistory(history)) {
    const invokeUs = op.invoke.time ?? op.invoke.index;
    const completion = op.completion;
    const endUs = completion === null ? invokeUs : (completion.time ?? completion.index);
    points.push({ invokeUs, latencyUs: endUs - invokeUs, type: op.type, f: op.f, process: op.process });
  }
  return points;
}

export function balanceTotals(history: readonly Op[]): TotalPoint[] {
  const points: TotalPoint[] = [];
  for (const op of history) {
    if (op.type !== "ok" || op.f !== "read" || !isJsonObject(op.value)) continue;
    const balances = isJsonObject(op.value.balances ?? null)
      ? (op.value.balances as Record<string, Json>)
      : (op.value as Record<string, Json>);
    let total = 0;
    for (const amount of Object.values(balances)) if (typeof amount === "number") total += amount;
    points.push({ timeUs: op.time ?? op.index, total, cell: typeof op.value.cell === "string" ? op.value.cell : "" });
  }
  return points;
}

function d3Source(): string {
  const require = createRequire(import.meta.url);
  // d3's exports map hides package.json; its entry point lives in dist/ next to the bundle.
  return readFileSync(join(dirname(require.resolve("d3")), "d3.min.js"), "utf8");
}

/** JSON safe to embed in a <script> element. */
function embed(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

const PAGE_SCRIPT = `
const data = JSON.parse(document.getElementById("data").textContent);
const colour = { ok: "#2b8a3e", fail: "#c92a2a", info: "#e67700" };
function plot(id, points, x, y, yLabel, fill, windows) {
  const width = 960, height = 320, m = { top: 10, right: 20, bottom: 40, left: 70 };
  const svg = d3.select(id).append("svg").attr("width", width).attr("height", height);
  const xs = d3.scaleLinear().domain(d3.extent(points.concat(windows.flatMap(w => [{ [x]: w.startUs }, { [x]: w.endUs }])), p => p[x]) ?? [0, 1]).range([m.left, width - m.right]);
  const yMax = d3.max(points, p => p[y]) ?? 1;
  const ys = (y === "latencyUs" ? d3.scaleSymlog() : d3.scaleLinear()).domain([0, yMax || 1]).range([height - m.bottom, m.top]);
  svg.selectAll("rect.fault").data(windows).join("rect").attr("class", "fault")
    .attr("x", w => xs(w.startUs)).attr("width", w => Math.max(1, xs(w.endUs) - xs(w.startUs)))
    .attr("y", m.top).attr("height", height - m.top - m.bottom).attr("fill", "#adb5bd").attr("opacity", 0.35)
    .append("title").text(w => w.kind + " " + w.id);
  svg.selectAll("circle").data(points).join("circle").attr("cx", p => xs(p[x])).attr("cy", p => ys(p[y])).attr("r", 1.8)
    .attr("fill", fill).append("title").text(p => JSON.stringify(p));
  svg.append("g").attr("transform", "translate(0," + (height - m.bottom) + ")").call(d3.axisBottom(xs));
  svg.append("g").attr("transform", "translate(" + m.left + ",0)").call(d3.axisLeft(ys).ticks(6));
  svg.append("text").attr("x", width / 2).attr("y", height - 5).attr("text-anchor", "middle").text("time (µs)");
  svg.append("text").attr("transform", "rotate(-90)").attr("x", -height / 2).attr("y", 14).attr("text-anchor", "middle").text(yLabel);
}
plot("#latency", data.latency, "invokeUs", "latencyUs", "latency (µs)", p => colour[p.type], data.faultWindows);
const cells = [...new Set(data.totals.map(p => p.cell))];
const cellColour = d3.scaleOrdinal(d3.schemeTableau10).domain(cells);
plot("#totals", data.totals, "timeUs", "total", "balance total", p => cellColour(p.cell), data.faultWindows);
`;

export function renderReportHtml(input: ReportInput): string {
  const data = { latency: latencyPoints(input.history), totals: balanceTotals(input.history), faultWindows: input.faultWindows ?? [] };
  const title = `ldc run report${input.meta?.seed !== undefined ? ` (seed ${String(input.meta.seed)})` : ""}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px}pre{background:#f1f3f5;padding:12px;overflow:auto;max-height:400px}
.legend span{margin-right:16px}</style></head><body>
<h1>${title}</h1>
<p class="legend"><span style="color:#2b8a3e">● ok</span><span style="color:#c92a2a">● fail</span><span style="color:#e67700">● info</span><span style="color:#868e96">▮ fault window</span></p>
<h2>Latency over time</h2><div id="latency"></div>
<h2>Balance total over time (ok reads)</h2><div id="totals"></div>
<h2>Verdicts</h2><pre id="verdicts"></pre>
<script id="data" type="application/json">${embed(data)}</script>
<script id="verdicts-data" type="application/json">${embed({ meta: input.meta ?? {}, verdicts: input.verdicts })}</script>
<script>${d3Source()}</script>
<script>document.getElementById("verdicts").textContent = JSON.stringify(JSON.parse(document.getElementById("verdicts-data").textContent), null, 2);
${PAGE_SCRIPT}</script>
</body></html>
`;
}

/** Writes history.jsonl, verdicts.json and report.html into `dir` (created if missing). */
export function writeReport(dir: string, input: ReportInput): { historyPath: string; verdictsPath: string; htmlPath: string } {
  mkdirSync(dir, { recursive: true });
  const historyPath = join(dir, "history.jsonl");
  const verdictsPath = join(dir, "verdicts.json");
  const htmlPath = join(dir, "report.html");
  writeFileSync(historyPath, toJsonl(input.history));
  writeFileSync(
    verdictsPath,
    `${JSON.stringify({ meta: input.meta ?? {}, verdicts: input.verdicts, faultWindows: input.faultWindows ?? [] }, null, 2)}\n`,
  );
  writeFileSync(htmlPath, renderReportHtml(input));
  return { historyPath, verdictsPath, htmlPath };
}
