// Rolling per-cell charts: transfers/s, p50/p99 latency, error rate, over the points the store
// keeps (a bounded ring buffer per cell, see lib/store.js), with fault windows shaded. One line
// per cell per chart keeps the number of SVG nodes fixed however long the page runs.
import { cellColor } from "./flow.js";
import { naturalCompare } from "./format.js";

const d3 = /** @type {any} */ (globalThis).d3;

const WIDTH_PX = 520;
const HEIGHT_PX = 96;
const MARGIN = { top: 14, right: 8, bottom: 16, left: 40 };

/** @type {{ id: string, title: string, lines: { key: "tps" | "p50Ms" | "p99Ms" | "errorRate", dash: string | null }[], format: (v: number) => string }[]} */
const CHARTS = [
  { id: "tps", title: "transfers/s per cell", lines: [{ key: "tps", dash: null }], format: (v) => d3.format("~s")(v) },
  { id: "latency", title: "latency ms (p99 solid, p50 dashed)", lines: [{ key: "p99Ms", dash: null }, { key: "p50Ms", dash: "3 3" }], format: (v) => d3.format("~g")(v) },
  { id: "errors", title: "error rate", lines: [{ key: "errorRate", dash: null }], format: (v) => d3.format(".0%")(v) },
];

/** @param {HTMLElement} container */
export function setupCharts(container) {
  container.innerHTML = CHARTS.map((chart) =>
    `<figure class="chart"><figcaption>${chart.title}</figcaption>` +
    `<svg id="chart-${chart.id}" data-testid="chart-${chart.id}" viewBox="0 0 ${WIDTH_PX} ${HEIGHT_PX}" role="img" aria-label="${chart.title}">` +
    `<g class="windows"></g><g class="x-axis" transform="translate(0,${HEIGHT_PX - MARGIN.bottom})"></g>` +
    `<g class="y-axis" transform="translate(${MARGIN.left},0)"></g><g class="lines"></g></svg></figure>`).join("") +
    `<div class="cell-key" id="cell-key" aria-label="Cell colours"></div>`;
}

/** @param {HTMLElement} container @param {import("../lib/store.js").Store} store */
export function drawCharts(container, store) {
  const cellIds = [...store.series.keys()].sort(naturalCompare);
  const data = cellIds.map((id) => ({ id, points: /** @type {any} */ (store.series.get(id)).toArray() }));
  const allPoints = data.flatMap((series) => series.points);
  if (allPoints.length === 0) return;
  const xMax = d3.max(allPoints, (/** @type {any} */ p) => p.atMs);
  const xMin = d3.min(allPoints, (/** @type {any} */ p) => p.atMs);
  const x = d3.scaleLinear().domain([xMin, Math.max(xMax, xMin + 1)]).range([MARGIN.left, WIDTH_PX - MARGIN.right]);
  // Simulated seconds; a short window (page just opened) needs a decimal to tell ticks apart.
  const decimals = xMax - xMin < 10_000 ? 1 : 0;
  const xAxis = d3.axisBottom(x).ticks(6).tickFormat((/** @type {number} */ ms) => `${(ms / 1000).toFixed(decimals)}s`);

  for (const chart of CHARTS) {
    const svg = d3.select(container).select(`#chart-${chart.id}`);
    const yMax = d3.max(allPoints, (/** @type {any} */ p) => d3.max(chart.lines, (/** @type {any} */ line) => p[line.key])) || 1;
    const y = d3.scaleLinear().domain([0, yMax * 1.1]).nice().range([HEIGHT_PX - MARGIN.bottom, MARGIN.top]);
    svg.select("g.x-axis").call(xAxis);
    svg.select("g.y-axis").call(d3.axisLeft(y).ticks(3).tickFormat(chart.format));

    const windows = store.faultWindows
      .map((window) => ({ ...window, from: Math.max(window.startMs, xMin), to: Math.min(window.endMs ?? xMax, xMax) }))
      .filter((window) => window.to > window.from);
    svg.select("g.windows").selectAll("rect").data(windows, (/** @type {any} */ d) => d.id)
      .join((/** @type {any} */ enter) => enter.append("rect").attr("class", "fault-window").call((/** @type {any} */ r) => r.append("title")))
      .attr("x", (/** @type {any} */ d) => x(d.from)).attr("width", (/** @type {any} */ d) => Math.max(1, x(d.to) - x(d.from)))
      .attr("y", MARGIN.top).attr("height", HEIGHT_PX - MARGIN.top - MARGIN.bottom)
      .select("title").text((/** @type {any} */ d) => `${d.id} ${d.type}`);

    const lineData = data.flatMap((series) => chart.lines.map((line) => ({ key: `${series.id}/${line.key}`, cellId: series.id, line, points: series.points })));
    svg.select("g.lines").selectAll("path").data(lineData, (/** @type {any} */ d) => d.key)
      .join("path")
      .attr("fill", "none").attr("stroke-width", 1.4)
      .attr("stroke", (/** @type {any} */ d) => cellColor(d.cellId))
      .attr("stroke-dasharray", (/** @type {any} */ d) => d.line.dash)
      .attr("d", (/** @type {any} */ d) => d3.line().x((/** @type {any} */ p) => x(p.atMs)).y((/** @type {any} */ p) => y(p[d.line.key]))(d.points));
  }
  const key = container.querySelector("#cell-key");
  if (key) {
    key.innerHTML = cellIds.map((id) => `<span class="legend-item"><span class="swatch" style="background:${cellColor(id)}"></span>${id}</span>`).join("") +
      `<span class="legend-item"><span class="swatch fault-swatch"></span>fault window</span>`;
  }
}
