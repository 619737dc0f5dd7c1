// Rolling charts over the range the operator picks (1, 5 or 15 min of simulated time): per cell
// transfers/s, p50/p99 latency and error rate, and p99 latency per region (what each region's
// users see through its gateway). Back-filled from the server on load (lib/store.js
// applyHistory), so a reload mid-drill still shows the minutes before it. Marked on every chart:
// fault windows (shaded), routing versions (dashed lines, "v9") and operator actions (solid
// ticks with the action's name). One line per series keeps the SVG node count fixed.
import { cellColor } from "./flow.js";
import { escapeHtml, formatErrorRate, naturalCompare } from "./format.js";
import { CHART_RANGES_MS } from "../lib/store.js";

const d3 = /** @type {any} */ (globalThis).d3;

const WIDTH_PX = 520;
const HEIGHT_PX = 84;
const MARGIN = { top: 12, right: 8, bottom: 16, left: 40 };
/** Marker labels closer than this are dropped (the line stays): a burst of versions stays legible. */
const MARK_LABEL_GAP_PX = 22;
const REGION_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b"];

/**
 * @typedef {{ id: string, title: string, source: "cells" | "regions",
 *   lines: { key: "tps" | "p50Ms" | "p99Ms" | "errorRate", dash: string | null }[], format: (v: number) => string }} ChartSpec
 */
/** @type {ChartSpec[]} */
const CHARTS = [
  { id: "tps", title: "transfers/s per cell", source: "cells", lines: [{ key: "tps", dash: null }], format: (v) => d3.format("~s")(v) },
  {
    id: "latency",
    title: "latency ms per cell (p99 solid, p50 dashed)",
    source: "cells",
    lines: [
      { key: "p99Ms", dash: null },
      { key: "p50Ms", dash: "3 3" },
    ],
    format: (v) => d3.format("~g")(v),
  },
  {
    id: "region-latency",
    title: "latency ms per region's users (p99 solid, p50 dashed)",
    source: "regions",
    lines: [
      { key: "p99Ms", dash: null },
      { key: "p50Ms", dash: "3 3" },
    ],
    format: (v) => d3.format("~g")(v),
  },
  { id: "errors", title: "error rate per cell", source: "cells", lines: [{ key: "errorRate", dash: null }], format: formatErrorRate },
];

/** Above this many points a line is decimated: about one min/max pair per horizontal pixel. */
const LINE_POINTS_MAX = 2 * (WIDTH_PX - MARGIN.left - MARGIN.right);

/**
 * Min/max decimation: per bucket of consecutive points keep the lowest and the highest (in time
 * order), so a 15-minute line costs ~900 path points and a one-sample spike still shows.
 * @param {any[]} points @param {string} key @returns {any[]}
 */
export function decimate(points, key) {
  if (points.length <= LINE_POINTS_MAX) return points;
  const size = Math.ceil(points.length / (LINE_POINTS_MAX / 2));
  const out = [];
  for (let start = 0; start < points.length; start += size) {
    let low = points[start];
    let high = points[start];
    for (let index = start + 1; index < Math.min(points.length, start + size); index += 1) {
      const point = points[index];
      if (point[key] < low[key]) low = point;
      if (point[key] > high[key]) high = point;
    }
    if (low === high) out.push(low);
    else if (low.atMs < high.atMs) out.push(low, high);
    else out.push(high, low);
  }
  return out;
}

/** @param {string} region @param {string[]} regions */
export function regionColor(region, regions) {
  const index = Math.max(0, regions.indexOf(region));
  return REGION_COLORS[index % REGION_COLORS.length];
}

/** @param {number} ms */
const rangeLabel = (ms) => `${Math.round(ms / 60_000)} m`;

/**
 * @param {HTMLElement} container
 * @param {{ onRange: (rangeMs: number) => void }} hooks
 */
export function setupCharts(container, hooks) {
  container.innerHTML =
    `<div class="chart-range" role="group" aria-label="Chart range">range ` +
    CHART_RANGES_MS.map(
      (ms) => `<button type="button" data-range="${ms}" data-testid="chart-range-${ms}" aria-pressed="false">${rangeLabel(ms)}</button>`,
    ).join("") +
    ` <span class="muted" id="chart-span" data-testid="chart-span"></span></div>` +
    CHARTS.map(
      (chart) =>
        `<figure class="chart"><figcaption>${chart.title}</figcaption>` +
        `<svg id="chart-${chart.id}" data-testid="chart-${chart.id}" viewBox="0 0 ${WIDTH_PX} ${HEIGHT_PX}" role="img" aria-label="${chart.title}">` +
        `<g class="windows"></g><g class="x-axis" transform="translate(0,${HEIGHT_PX - MARGIN.bottom})"></g>` +
        `<g class="y-axis" transform="translate(${MARGIN.left},0)"></g><g class="lines"></g><g class="marks"></g></svg></figure>`,
    ).join("") +
    `<div class="cell-key" id="cell-key" aria-label="Chart key"></div>`;
  for (const button of container.querySelectorAll("button[data-range]")) {
    button.addEventListener("click", () => hooks.onRange(Number(/** @type {HTMLElement} */ (button).dataset.range)));
  }
}

/**
 * Marks on the time axis: routing versions and the operator's actions from the audit log.
 * @param {import("../lib/store.js").Store} store @param {number} xMin @param {number} xMax
 */
function marks(store, xMin, xMax) {
  const routing = store.routingMarks
    .filter((mark) => mark.atMs >= xMin && mark.atMs <= xMax)
    .map((mark) => ({
      key: `v${mark.version}`,
      kind: "routing",
      atMs: mark.atMs,
      label: `v${mark.version}`,
      title: `routing v${mark.version}: ${mark.reason}`,
    }));
  const actions = store.audit
    .filter(
      (entry) =>
        (entry.kind === "action" || entry.kind === "drill" || (entry.kind === "fault" && entry.action === "inject")) &&
        typeof entry.atMs === "number" &&
        entry.atMs >= xMin &&
        entry.atMs <= xMax,
    )
    .map((entry) => ({
      key: `a${entry.id}`,
      kind: "action",
      atMs: entry.atMs,
      label: entry.kind === "drill" ? `drill ${entry.action}` : entry.action,
      title: `${entry.actor}: ${entry.action} ${typeof entry.target === "object" ? JSON.stringify(entry.target) : entry.target} → ${entry.outcome}${entry.reason ? ` (${entry.reason})` : ""}`,
    }));
  return [...routing, ...actions].sort((a, b) => a.atMs - b.atMs);
}

/** @param {HTMLElement} container @param {import("../lib/store.js").Store} store */
export function drawCharts(container, store) {
  for (const button of container.querySelectorAll("button[data-range]")) {
    button.setAttribute("aria-pressed", String(Number(/** @type {HTMLElement} */ (button).dataset.range) === store.chartRangeMs));
  }
  const regionNames = store.topology ? store.topology.regions.map((/** @type {any} */ r) => r.name) : [...store.regionSeries.keys()];
  const newest = Math.max(...[...store.series.values(), ...store.regionSeries.values()].map((ring) => ring.last()?.atMs ?? -Infinity));
  if (!Number.isFinite(newest)) return;
  const xMax = newest;
  // A world younger than the range starts at its first sample, not in empty space left of t=0.
  const oldest = Math.min(...[...store.series.values()].map((ring) => ring.toArray()[0]?.atMs ?? Infinity));
  const xMin = Math.max(xMax - store.chartRangeMs, Number.isFinite(oldest) ? Math.min(oldest, xMax - 1000) : -Infinity);
  /** @param {any} ring */
  const inRange = (ring) => ring.toArray().filter((/** @type {any} */ p) => p.atMs >= xMin);
  const cellIds = [...store.series.keys()].sort(naturalCompare);
  const sources = {
    cells: cellIds.map((id) => ({ id, color: cellColor(id), points: inRange(store.series.get(id)) })),
    regions: regionNames
      .filter((name) => store.regionSeries.has(name))
      .map((name) => ({ id: name, color: regionColor(name, regionNames), points: inRange(store.regionSeries.get(name)) })),
  };
  const drawn = sources.cells.flatMap((series) => series.points);
  const spanMs = drawn.length ? d3.max(drawn, (/** @type {any} */ p) => p.atMs) - d3.min(drawn, (/** @type {any} */ p) => p.atMs) : 0;
  const x = d3
    .scaleLinear()
    .domain([xMin, xMax])
    .range([MARGIN.left, WIDTH_PX - MARGIN.right]);
  const xAxis = d3
    .axisBottom(x)
    .ticks(6)
    .tickFormat((/** @type {number} */ ms) => `${Math.round(ms / 1000)}s`);
  const span = container.querySelector("#chart-span");
  if (span) {
    span.textContent = `last ${rangeLabel(store.chartRangeMs)} of simulated time; ${Math.round(spanMs / 1000)} s of samples`;
    /** @type {HTMLElement} */ (span).dataset.spanMs = String(spanMs);
  }
  const markList = marks(store, xMin, xMax);

  for (const chart of CHARTS) {
    const svg = d3.select(container).select(`#chart-${chart.id}`);
    svg.attr("data-span-ms", spanMs);
    const data = sources[chart.source];
    const points = data.flatMap((series) => series.points);
    const yMax = d3.max(points, (/** @type {any} */ p) => d3.max(chart.lines, (/** @type {any} */ line) => p[line.key])) || 1;
    const y = d3
      .scaleLinear()
      .domain([0, yMax * 1.1])
      .nice()
      .range([HEIGHT_PX - MARGIN.bottom, MARGIN.top]);
    svg.select("g.x-axis").call(xAxis);
    svg.select("g.y-axis").call(d3.axisLeft(y).ticks(3).tickFormat(chart.format));

    const windows = store.faultWindows
      .map((window) => ({ ...window, from: Math.max(window.startMs, xMin), to: Math.min(window.endMs ?? xMax, xMax) }))
      .filter((window) => window.to > window.from);
    svg
      .select("g.windows")
      .selectAll("rect")
      .data(windows, (/** @type {any} */ d) => d.id)
      .join((/** @type {any} */ enter) =>
        enter
          .append("rect")
          .attr("class", "fault-window")
          .call((/** @type {any} */ r) => r.append("title")),
      )
      .attr("data-fault", (/** @type {any} */ d) => d.id)
      .attr("x", (/** @type {any} */ d) => x(d.from))
      .attr("width", (/** @type {any} */ d) => Math.max(1, x(d.to) - x(d.from)))
      .attr("y", MARGIN.top)
      .attr("height", HEIGHT_PX - MARGIN.top - MARGIN.bottom)
      .select("title")
      .text((/** @type {any} */ d) => `${d.id} ${d.type}`);

    const lineData = data.flatMap((series) =>
      chart.lines.map((line) => ({ key: `${series.id}/${line.key}`, color: series.color, line, points: series.points })),
    );
    svg
      .select("g.lines")
      .selectAll("path")
      .data(lineData, (/** @type {any} */ d) => d.key)
      .join("path")
      .attr("data-series", (/** @type {any} */ d) => d.key)
      .attr("fill", "none")
      .attr("stroke-width", 1.4)
      .attr("stroke", (/** @type {any} */ d) => d.color)
      .attr("stroke-dasharray", (/** @type {any} */ d) => d.line.dash)
      .attr("d", (/** @type {any} */ d) =>
        d3
          .line()
          .x((/** @type {any} */ p) => x(p.atMs))
          .y((/** @type {any} */ p) => y(p[d.line.key]))(decimate(d.points, d.line.key)),
      );

    // Labels only on the first chart and only where they do not collide; every chart gets the lines.
    let lastLabelX = -Infinity;
    const labelled = new Set();
    for (const mark of markList) {
      const at = x(mark.atMs);
      if (at - lastLabelX >= MARK_LABEL_GAP_PX) {
        labelled.add(mark.key);
        lastLabelX = at;
      }
    }
    const showLabels = chart === CHARTS[0];
    const groups = svg
      .select("g.marks")
      .selectAll("g.mark")
      .data(markList, (/** @type {any} */ d) => d.key)
      .join((/** @type {any} */ enter) => {
        const g = enter.append("g");
        g.append("line");
        g.append("text");
        g.append("title");
        return g;
      })
      .attr("class", (/** @type {any} */ d) => `mark mark-${d.kind}`)
      .attr("data-mark", (/** @type {any} */ d) => d.label);
    groups
      .select("line")
      .attr("x1", (/** @type {any} */ d) => x(d.atMs))
      .attr("x2", (/** @type {any} */ d) => x(d.atMs))
      .attr("y1", MARGIN.top)
      .attr("y2", HEIGHT_PX - MARGIN.bottom);
    // Near the right edge a label runs leftwards so it is not cut off.
    const flip = (/** @type {any} */ d) => x(d.atMs) > WIDTH_PX - MARGIN.right - 40;
    groups
      .select("text")
      .attr("text-anchor", (/** @type {any} */ d) => (flip(d) ? "end" : "start"))
      .attr("x", (/** @type {any} */ d) => x(d.atMs) + (flip(d) ? -2 : 2))
      .attr("y", (/** @type {any} */ d) => (d.kind === "routing" ? MARGIN.top - 2 : MARGIN.top + 8))
      .text((/** @type {any} */ d) => (showLabels && labelled.has(d.key) ? d.label : ""));
    groups.select("title").text((/** @type {any} */ d) => d.title);
  }
  const key = container.querySelector("#cell-key");
  if (key) {
    key.innerHTML =
      cellIds
        .map((id) => `<span class="legend-item"><span class="swatch" style="background:${cellColor(id)}"></span>${escapeHtml(id)}</span>`)
        .join("") +
      sources.regions
        .map(
          (series) =>
            `<span class="legend-item"><span class="swatch" style="background:${series.color}"></span>${escapeHtml(series.id)} (region)</span>`,
        )
        .join("") +
      `<span class="legend-item"><span class="swatch fault-swatch"></span>fault window</span>` +
      `<span class="legend-item"><span class="swatch mark-swatch routing"></span>routing version</span>` +
      `<span class="legend-item"><span class="swatch mark-swatch action"></span>action</span>`;
  }
}
