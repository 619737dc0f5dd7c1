// Where user traffic goes: region gateways on the left, cells on the right, bands as wide as the
// requests per second from that gateway to that cell (a small hand-made sankey; d3's bundle has
// no sankey layout and this one needs no iteration).
import { naturalCompare } from "./format.js";

const d3 = /** @type {any} */ (globalThis).d3;

const WIDTH_PX = 520;
const HEIGHT_PX = 190;
const NODE_WIDTH_PX = 12;
const NODE_GAP_PX = 8;
const LEFT_X_PX = 90;
const RIGHT_X_PX = WIDTH_PX - 110;

/** @param {string} cellId */
export function cellColor(cellId) {
  const index = Number(cellId.replace(/\D+/g, "")) || 0;
  return d3.schemeTableau10[(index - 1 + 10) % 10];
}

/** @param {SVGSVGElement} svgElement @param {import("../lib/store.js").Store} store */
export function drawFlow(svgElement, store) {
  const traffic = store.traffic;
  const svg = d3.select(svgElement);
  if (!traffic || !traffic.regions) {
    svg.selectAll("*").remove();
    svg.append("text").attr("x", 10).attr("y", 20).attr("class", "muted").text("waiting for traffic…");
    return;
  }
  svg.selectAll("text.muted").remove();
  const regionNames = Object.keys(traffic.regions);
  const cellIds = [
    ...new Set([...store.cells.keys(), ...regionNames.flatMap((name) => Object.keys(traffic.regions[name].toCells ?? {}))]),
  ].sort(naturalCompare);
  /** @type {{source: string, target: string, rps: number}[]} */
  const flows = [];
  for (const name of regionNames) {
    for (const [cellId, rps] of Object.entries(traffic.regions[name].toCells ?? {})) {
      if (typeof rps === "number" && rps > 0) flows.push({ source: name, target: cellId, rps });
    }
  }
  const regionTotal = (/** @type {string} */ name) => flows.filter((f) => f.source === name).reduce((sum, f) => sum + f.rps, 0);
  const cellTotal = (/** @type {string} */ id) => flows.filter((f) => f.target === id).reduce((sum, f) => sum + f.rps, 0);
  const total = flows.reduce((sum, f) => sum + f.rps, 0);
  const usable = HEIGHT_PX - 20 - NODE_GAP_PX * Math.max(regionNames.length, cellIds.length);
  const scale = total > 0 ? usable / total : 0;
  const minNodePx = 2;

  /** @param {string[]} names @param {(name: string) => number} totalOf @param {number} x */
  const stack = (names, totalOf, x) => {
    let y = 10;
    return names.map((name) => {
      const height = Math.max(minNodePx, totalOf(name) * scale);
      const node = { name, x, y, height, rps: totalOf(name), offset: 0 };
      y += height + NODE_GAP_PX;
      return node;
    });
  };
  const left = stack(regionNames, regionTotal, LEFT_X_PX);
  const right = stack(cellIds, cellTotal, RIGHT_X_PX);
  const leftBy = new Map(left.map((node) => [node.name, node]));
  const rightBy = new Map(right.map((node) => [node.name, node]));
  const bands = flows.map((flow) => {
    const a = /** @type {any} */ (leftBy.get(flow.source));
    const b = /** @type {any} */ (rightBy.get(flow.target));
    const width = flow.rps * scale;
    const y0 = a.y + a.offset;
    const y1 = b.y + b.offset;
    a.offset += width;
    b.offset += width;
    const x0 = a.x + NODE_WIDTH_PX;
    const x1 = b.x;
    const mid = (x0 + x1) / 2;
    const path = `M${x0},${y0}C${mid},${y0} ${mid},${y1} ${x1},${y1}L${x1},${y1 + width}C${mid},${y1 + width} ${mid},${y0 + width} ${x0},${y0 + width}Z`;
    return {
      key: `${flow.source}->${flow.target}`,
      path,
      color: cellColor(flow.target),
      title: `${flow.source} → ${flow.target}: ${flow.rps.toFixed(0)} req/s`,
    };
  });

  svg
    .selectAll("path.band")
    .data(bands, (/** @type {any} */ d) => d.key)
    .join((/** @type {any} */ enter) =>
      enter
        .append("path")
        .attr("class", "band")
        .call((/** @type {any} */ p) => p.append("title")),
    )
    .attr("d", (/** @type {any} */ d) => d.path)
    .attr("fill", (/** @type {any} */ d) => d.color)
    .attr("data-testid", (/** @type {any} */ d) => `flow-${d.key.replace("->", "-")}`)
    .select("title")
    .text((/** @type {any} */ d) => d.title);

  const drawNodes = (/** @type {string} */ cls, /** @type {any[]} */ nodes, /** @type {boolean} */ leftSide) => {
    const groups = svg
      .selectAll(`g.${cls}`)
      .data(nodes, (/** @type {any} */ d) => d.name)
      .join((/** @type {any} */ enter) => {
        const g = enter.append("g").attr("class", cls);
        g.append("rect");
        g.append("text");
        return g;
      });
    groups
      .select("rect")
      .attr("x", (/** @type {any} */ d) => d.x)
      .attr("y", (/** @type {any} */ d) => d.y)
      .attr("width", NODE_WIDTH_PX)
      .attr("height", (/** @type {any} */ d) => d.height)
      .attr("fill", (/** @type {any} */ d) => (leftSide ? "#34495e" : cellColor(d.name)));
    groups
      .select("text")
      .attr("x", (/** @type {any} */ d) => (leftSide ? d.x - 4 : d.x + NODE_WIDTH_PX + 4))
      .attr("y", (/** @type {any} */ d) => d.y + d.height / 2 + 4)
      .attr("text-anchor", leftSide ? "end" : "start")
      .text((/** @type {any} */ d) => `${d.name} ${d.rps.toFixed(0)}/s`);
  };
  drawNodes("flow-region", left, true);
  drawNodes("flow-cell", right, false);
}
