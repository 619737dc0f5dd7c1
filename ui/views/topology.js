// The map: regions as boxes placed roughly like the real geography (hangzhou and shanghai side
// by side, shenzhen far to the south), datacenters as columns inside them, and each cell as a
// row of its replicas, one per datacenter. Links between regions carry their state and the ids of
// the faults acting on them. Region, datacenter, replica and link states are the controller's
// (a correct observer's): a region is down only when its datacenters are; a replica names whom it
// is cut from and whether it is on its cell's majority side; a link is down when nothing passes.
import { stateStyle, LINK_STYLES, CUT_RING, CONTROL_STATES, glyphPath, linkStateName } from "./glyphs.js";
import { formatDuration, naturalCompare } from "./format.js";
import { drainedRegions, simNowMs } from "../lib/store.js";
import { CONTROL_PLANE_STALE_MS } from "./header.js";

const d3 = /** @type {any} */ (globalThis).d3;

const ROW_HEIGHT_PX = 24;
const DC_WIDTH_PX = 96;
/** Region name, then a status line (down / partitioned / cut from whom), then the datacenters. */
const REGION_STATUS_PX = 12;
const REGION_HEADER_PX = 46 + REGION_STATUS_PX;
const REGION_PADDING_PX = 10;
const ROW_LABEL_WIDTH_PX = 54;
/** Gaps chosen to echo distance: hangzhou–shanghai is 6 ms apart, either to shenzhen 30 ms. */
const NEAR_GAP_PX = 34;
const FAR_GAP_PX = 64;
const GLYPH_AREA_PX2 = 120;
/** Room above the boxes for the label of the short hangzhou–shanghai link. */
const TOP_MARGIN_PX = 20;

/**
 * @param {any[]} regions [{name, datacenters}]
 * @param {number} rowCount
 * @returns {Map<string, {x: number, y: number, width: number, height: number, datacenters: string[]}>}
 */
export function layoutRegions(regions, rowCount) {
  const height = REGION_HEADER_PX + rowCount * ROW_HEIGHT_PX + REGION_PADDING_PX;
  const size = (/** @type {any} */ region) => ({ width: region.datacenters.length * DC_WIDTH_PX + 2 * REGION_PADDING_PX, height });
  /** @type {Map<string, any>} */
  const boxes = new Map();
  const byName = new Map(regions.map((region) => [region.name, region]));
  const hangzhou = byName.get("hangzhou");
  const shanghai = byName.get("shanghai");
  const shenzhen = byName.get("shenzhen");
  let nextX = ROW_LABEL_WIDTH_PX;
  if (hangzhou) {
    boxes.set("hangzhou", { x: nextX, y: TOP_MARGIN_PX, ...size(hangzhou), datacenters: hangzhou.datacenters });
    nextX += size(hangzhou).width + NEAR_GAP_PX;
  }
  if (shanghai) {
    boxes.set("shanghai", { x: nextX, y: TOP_MARGIN_PX, ...size(shanghai), datacenters: shanghai.datacenters });
    nextX += size(shanghai).width + NEAR_GAP_PX;
  }
  if (shenzhen) {
    const top = [...boxes.values()];
    const centerX = top.length ? (top[0].x + top[top.length - 1].x + top[top.length - 1].width) / 2 : nextX;
    const width = size(shenzhen).width;
    boxes.set("shenzhen", {
      x: centerX - width / 2,
      y: TOP_MARGIN_PX + height + FAR_GAP_PX,
      ...size(shenzhen),
      datacenters: shenzhen.datacenters,
    });
  }
  // Any other world: the rest in a row to the right, so a custom config still draws.
  for (const region of regions) {
    if (boxes.has(region.name)) continue;
    boxes.set(region.name, { x: nextX, y: TOP_MARGIN_PX, ...size(region), datacenters: region.datacenters });
    nextX += size(region).width + NEAR_GAP_PX;
  }
  return boxes;
}

/**
 * @param {SVGSVGElement} svgElement
 * @param {import("../lib/store.js").Store} store
 */
export function drawTopology(svgElement, store) {
  const topology = store.topology;
  if (!topology) return;
  const cells = [...store.cells.values()].sort((a, b) => naturalCompare(a.id, b.id));
  const boxes = layoutRegions(topology.regions, Math.max(cells.length, 1));
  /** @type {Map<string, {x: number, region: string}>} */
  const dcPosition = new Map();
  for (const [name, box] of boxes) {
    box.datacenters.forEach((dc, index) =>
      dcPosition.set(dc, { x: box.x + REGION_PADDING_PX + (index + 0.5) * DC_WIDTH_PX, region: name }),
    );
  }
  const extentX = Math.max(...[...boxes.values()].map((box) => box.x + box.width)) + 10;
  const extentY = Math.max(...[...boxes.values()].map((box) => box.y + box.height)) + 10;
  const svg = d3.select(svgElement).attr("viewBox", `0 0 ${extentX} ${extentY}`);

  const faultsByDc = faultIdsByDatacenter(store, boxes);
  const evacuated = drainedRegions(store);
  const status = regionStatusByName(store);
  const regionState = (/** @type {string} */ name) => status.get(name)?.state ?? "up";
  const regionTitle = (/** @type {string} */ name) => `${name}${evacuated.has(name) ? " (evacuated)" : ""}`;
  /** The status line: what is wrong, and whom the region cannot reach (a down region's cuts go without saying). */
  const regionStatusLine = (/** @type {string} */ name) => {
    const state = regionState(name);
    const cut = status.get(name)?.cutFrom ?? [];
    if (state === "down") return "DOWN";
    if (state === "unreachable") return "UNREACHABLE (no probe answers)";
    const cutText = cut.length ? `cut: ${cut.join(", ")}` : "";
    return state === "partitioned" ? `PARTITIONED${cutText ? ` · ${cutText}` : ""}` : cutText;
  };
  /** @type {Map<string, string>} */
  const dcState = new Map();
  for (const region of status.values()) for (const dc of region.datacenterStatus ?? []) dcState.set(dc.name, dc.state);

  drawLinks(svg, store, boxes);

  const regionGroups = svg
    .selectAll("g.region")
    .data([...boxes.entries()], (/** @type {any} */ d) => d[0])
    .join((/** @type {any} */ enter) => {
      const g = enter.append("g").attr("class", "region");
      g.append("rect").attr("class", "region-box").attr("rx", 10);
      g.append("text").attr("class", "region-name");
      g.append("text").attr("class", "region-status");
      return g;
    });
  regionGroups
    .attr("data-testid", (/** @type {any} */ d) => `region-${d[0]}`)
    .attr("data-evacuated", (/** @type {any} */ d) => String(evacuated.has(d[0])))
    .attr("data-state", (/** @type {any} */ d) => regionState(d[0]))
    .attr("data-cut-from", (/** @type {any} */ d) => (status.get(d[0])?.cutFrom ?? []).join(" "))
    .classed("evacuated", (/** @type {any} */ d) => evacuated.has(d[0]))
    .classed("down", (/** @type {any} */ d) => regionState(d[0]) === "down")
    .classed("partitioned", (/** @type {any} */ d) => regionState(d[0]) === "partitioned")
    .classed("unreachable", (/** @type {any} */ d) => regionState(d[0]) === "unreachable");
  regionGroups
    .select("rect.region-box")
    .attr("x", (/** @type {any} */ d) => d[1].x)
    .attr("y", (/** @type {any} */ d) => d[1].y)
    .attr("width", (/** @type {any} */ d) => d[1].width)
    .attr("height", (/** @type {any} */ d) => d[1].height);
  regionGroups
    .select("text.region-name")
    .attr("x", (/** @type {any} */ d) => d[1].x + 8)
    .attr("y", (/** @type {any} */ d) => d[1].y + 15)
    .text((/** @type {any} */ d) => regionTitle(d[0]));
  regionGroups
    .select("text.region-status")
    .attr("x", (/** @type {any} */ d) => d[1].x + 8)
    .attr("y", (/** @type {any} */ d) => d[1].y + 15 + REGION_STATUS_PX)
    .classed("bad", (/** @type {any} */ d) => regionState(d[0]) !== "up")
    .text((/** @type {any} */ d) => regionStatusLine(d[0]));

  drawControlReplicas(svg, store, boxes);

  const dcData = [...dcPosition.entries()].map(([dc, position]) => ({ dc, ...position, box: boxes.get(position.region) }));
  const dcGroups = svg
    .selectAll("g.dc")
    .data(dcData, (/** @type {any} */ d) => d.dc)
    .join((/** @type {any} */ enter) => {
      const g = enter.append("g").attr("class", "dc");
      g.append("rect").attr("class", "dc-box").attr("rx", 5);
      g.append("text").attr("class", "dc-name");
      g.append("text").attr("class", "dc-faults");
      return g;
    });
  dcGroups
    .attr("data-testid", (/** @type {any} */ d) => `dc-${d.dc}`)
    .attr("data-state", (/** @type {any} */ d) => dcState.get(d.dc) ?? "up")
    .classed("down", (/** @type {any} */ d) => dcState.get(d.dc) === "down");
  dcGroups
    .select("rect.dc-box")
    .attr("x", (/** @type {any} */ d) => d.x - DC_WIDTH_PX / 2 + 3)
    .attr("y", (/** @type {any} */ d) => d.box.y + 20 + REGION_STATUS_PX)
    .attr("width", DC_WIDTH_PX - 6)
    .attr("height", (/** @type {any} */ d) => d.box.height - 26 - REGION_STATUS_PX)
    .classed("faulted", (/** @type {any} */ d) => (faultsByDc.get(d.dc) ?? []).length > 0);
  dcGroups
    .select("text.dc-name")
    .attr("x", (/** @type {any} */ d) => d.x)
    .attr("y", (/** @type {any} */ d) => d.box.y + 33 + REGION_STATUS_PX)
    .text((/** @type {any} */ d) => d.dc);
  dcGroups
    .select("text.dc-faults")
    .attr("x", (/** @type {any} */ d) => d.x)
    .attr("y", (/** @type {any} */ d) => d.box.y + 44 + REGION_STATUS_PX)
    .text((/** @type {any} */ d) =>
      (faultsByDc.get(d.dc) ?? []).map((fault) => `⚡${fault.id} ${formatDuration(fault.expiresMs - simNowMs(store))}`).join(" "),
    );

  // Row labels: one set left of the top band, one inside the southern region's left margin.
  const rowY = (/** @type {number} */ index, /** @type {any} */ box) => box.y + REGION_HEADER_PX + (index + 0.5) * ROW_HEIGHT_PX;
  const labelData = [];
  for (const [name, box] of boxes) {
    if (name === "shenzhen" || box.x === ROW_LABEL_WIDTH_PX) {
      cells.forEach((cell, index) =>
        labelData.push({ key: `${name}/${cell.id}`, text: cell.id.replace("cell-", "c"), x: box.x - 4, y: rowY(index, box) }),
      );
    }
  }
  svg
    .selectAll("text.row-label")
    .data(labelData, (/** @type {any} */ d) => d.key)
    .join("text")
    .attr("class", "row-label")
    .attr("x", (/** @type {any} */ d) => d.x)
    .attr("y", (/** @type {any} */ d) => d.y + 4)
    .text((/** @type {any} */ d) => d.text);

  const cellGroups = svg
    .selectAll("g.cell")
    .data(cells, (/** @type {any} */ d) => d.id)
    .join((/** @type {any} */ enter) => enter.append("g").attr("class", "cell"));
  cellGroups
    .attr("data-testid", (/** @type {any} */ d) => `cell-${d.id.replace(/^cell-/, "")}`)
    .attr("data-cell", (/** @type {any} */ d) => d.id)
    .attr("data-leader-region", (/** @type {any} */ d) => d.leader?.region ?? "")
    .attr("data-quorum", (/** @type {any} */ d) => String(d.quorumAvailable !== false));

  cellGroups.each(function (/** @type {any} */ cell, /** @type {number} */ index) {
    const replicas = (cell.replicas ?? []).filter((/** @type {any} */ replica) => dcPosition.has(replica.datacenter));
    const groups = d3
      .select(this)
      .selectAll("g.replica")
      .data(replicas, (/** @type {any} */ d) => d.id)
      .join((/** @type {any} */ enter) => {
        const g = enter.append("g").attr("class", "replica");
        g.append("circle").attr("class", "leader-ring").attr("r", 10.5);
        g.append("circle")
          .attr("class", "cut-ring")
          .attr("r", 8)
          .attr("fill", "none")
          .attr("stroke", CUT_RING.color)
          .attr("stroke-width", 1.5)
          .attr("stroke-dasharray", CUT_RING.dash);
        g.append("path").attr("class", "glyph");
        g.append("title");
        return g;
      });
    groups
      .attr("data-testid", (/** @type {any} */ d) => `replica-${d.id}`)
      .attr("data-state", (/** @type {any} */ d) => d.state)
      .attr("data-role", (/** @type {any} */ d) => d.role)
      .attr("data-cut-from", (/** @type {any} */ d) => (d.cutFromRegions ?? []).join(" "))
      .attr("data-in-majority", (/** @type {any} */ d) => String(d.inMajority !== false))
      .attr("transform", (/** @type {any} */ d) => {
        const position = dcPosition.get(d.datacenter);
        return `translate(${position.x},${rowY(index, boxes.get(position.region))})`;
      });
    groups.select("circle.leader-ring").attr("visibility", (/** @type {any} */ d) => (d.role === "leader" ? "visible" : "hidden"));
    // Cut from some peers but still with its quorum: not "partitioned", yet worth seeing.
    groups
      .select("circle.cut-ring")
      .attr("visibility", (/** @type {any} */ d) =>
        (d.cutFrom ?? []).length > 0 && d.state !== "partitioned" && d.state !== "crashed" ? "visible" : "hidden",
      );
    groups
      .select("path.glyph")
      .attr("d", (/** @type {any} */ d) => glyphPath(d.state, GLYPH_AREA_PX2))
      .attr("fill", (/** @type {any} */ d) => stateStyle(d.state).color)
      .attr("transform", (/** @type {any} */ d) => `rotate(${stateStyle(d.state).rotate})`);
    groups
      .select("title")
      .text(
        (/** @type {any} */ d) =>
          `${d.id}: ${d.role}, ${d.state}, term ${d.term ?? "?"}, commit ${d.commitIndex ?? "?"}, applied ${d.appliedIndex ?? "?"}, lag ${d.lag ?? "?"}` +
          ((d.cutFrom ?? []).length
            ? `\ncut from ${(d.cutFromRegions ?? []).join(", ")} (${d.cutFrom.join(", ")}); ${d.inMajority ? "on the majority side: its cell keeps a quorum here" : "on a minority side"}`
            : ""),
      );
  });
}

const CONTROL_GLYPH_PX = 11;
const CONTROL_GAP_PX = 15;

/**
 * The control group on the map: each control replica as a small square on its region's name line
 * (right-aligned), coloured by its Raft state, the leader ringed; without a quorum every square
 * is outlined red and a warning stands above the map. When the control group has not answered
 * for CONTROL_PLANE_STALE_MS (its endpoint is down or slow), the squares are its last answer:
 * drawn faded with data-stale and a title that says how old, as the header's pill says.
 * @param {any} svg @param {import("../lib/store.js").Store} store @param {Map<string, any>} boxes
 */
function drawControlReplicas(svg, store, boxes) {
  const status = store.controlPlane;
  const replicas = (status?.replicas ?? []).filter((/** @type {any} */ replica) => boxes.has(replica.region));
  /** @type {Map<string, number>} */
  const slot = new Map();
  const placed = replicas.map((/** @type {any} */ replica) => {
    const index = slot.get(replica.region) ?? 0;
    slot.set(replica.region, index + 1);
    const box = boxes.get(replica.region);
    return { ...replica, x: box.x + box.width - 10 - CONTROL_GLYPH_PX - index * CONTROL_GAP_PX, y: box.y + 5 };
  });
  const quorum = status?.quorum === true;
  const ageMs = performance.now() - store.controlPlaneAnsweredAtMs;
  const stale = ageMs > CONTROL_PLANE_STALE_MS;
  const staleNote = stale ? `\nSTALE: the control group has not answered for ${Math.floor(ageMs / 1000)} s; this is its last answer` : "";
  const groups = svg
    .selectAll("g.control-replica")
    .data(placed, (/** @type {any} */ d) => d.id)
    .join((/** @type {any} */ enter) => {
      const g = enter.append("g").attr("class", "control-replica");
      g.append("rect").attr("class", "control-ring").attr("rx", 3);
      g.append("rect").attr("class", "control-glyph").attr("rx", 2);
      g.append("title");
      return g;
    });
  groups
    .attr("data-testid", (/** @type {any} */ d) => `control-replica-${d.id}`)
    .attr("data-state", (/** @type {any} */ d) => d.state)
    .attr("data-control-region", (/** @type {any} */ d) => d.region)
    .classed("no-quorum", !quorum)
    .classed("stale", stale)
    .attr("data-stale", stale ? "true" : null)
    .attr("transform", (/** @type {any} */ d) => `translate(${d.x},${d.y})`);
  groups
    .select("rect.control-ring")
    .attr("x", -2)
    .attr("y", -2)
    .attr("width", CONTROL_GLYPH_PX + 4)
    .attr("height", CONTROL_GLYPH_PX + 4)
    .attr("fill", "none")
    .attr("stroke", (/** @type {any} */ d) => (!quorum ? "#d62728" : d.state === "leader" ? CONTROL_STATES.leader.color : "none"))
    .attr("stroke-width", 2)
    .attr("stroke-dasharray", quorum ? null : "2 2");
  groups
    .select("rect.control-glyph")
    .attr("width", CONTROL_GLYPH_PX)
    .attr("height", CONTROL_GLYPH_PX)
    .attr(
      "fill",
      (/** @type {any} */ d) => (CONTROL_STATES[/** @type {keyof typeof CONTROL_STATES} */ (d.state)] ?? CONTROL_STATES.down).color,
    );
  groups
    .select("title")
    .text(
      (/** @type {any} */ d) =>
        `${d.id} (${d.region}): ${d.state}${d.state === "leader" ? ` · term ${status?.term ?? "?"}` : ""} · match ${d.matchIndex ?? "–"}` +
        (status?.controller?.host === d.id ? "\nthe controller's decision loop runs here" : "") +
        (quorum ? "" : "\nthe control group has NO QUORUM: changes answer 503 control-quorum") +
        staleNote,
    );
  svg
    .selectAll("text.control-quorum")
    .data(status && !quorum ? [status] : [])
    .join("text")
    .attr("class", "control-quorum")
    .attr("data-testid", "map-control-no-quorum")
    .attr("x", 4)
    .attr("y", 13)
    .text(`⚠ control plane: NO QUORUM (${replicas.filter((/** @type {any} */ r) => r.state !== "down").length}/${replicas.length} up)`);
}

/** @param {any} svg @param {import("../lib/store.js").Store} store @param {Map<string, any>} boxes */
function drawLinks(svg, store, boxes) {
  const links = (store.topology.links ?? []).filter((/** @type {any} */ link) => boxes.has(link.source) && boxes.has(link.target));
  const center = (/** @type {any} */ box) => ({ x: box.x + box.width / 2, y: box.y + box.height / 2 });
  const anchors = (/** @type {any} */ link) => {
    const a = boxes.get(link.source);
    const b = boxes.get(link.target);
    // Attach to the facing edges so lines do not cross the replica grid.
    if (Math.abs(a.y - b.y) < 1) {
      const [left, right] = a.x < b.x ? [a, b] : [b, a];
      const y = left.y + 16;
      return a === left ? [left.x + left.width, y, right.x, y] : [right.x, y, left.x + left.width, y];
    }
    const [upper, lower] = a.y < b.y ? [a, b] : [b, a];
    const ux = Math.min(Math.max(center(lower).x, upper.x + 20), upper.x + upper.width - 20);
    const lx = ux < center(lower).x ? lower.x + 20 : ux > center(lower).x ? lower.x + lower.width - 20 : center(lower).x;
    const points = [ux, upper.y + upper.height, lx, lower.y];
    return a === upper ? points : [points[2], points[3], points[0], points[1]];
  };
  const faultIdsOnLink = (/** @type {any} */ link) => {
    const ids = new Set(link.faults ?? []);
    for (const fault of store.faults.values()) {
      for (const pair of fault.affects?.links ?? []) {
        if ((pair[0] === link.source && pair[1] === link.target) || (pair[0] === link.target && pair[1] === link.source)) ids.add(fault.id);
      }
    }
    return [...ids];
  };
  const groups = svg
    .selectAll("g.link")
    .data(links, (/** @type {any} */ d) => `${d.source}-${d.target}`)
    .join((/** @type {any} */ enter) => {
      const g = enter.insert("g", ":first-child").attr("class", "link");
      g.append("line");
      g.append("text").attr("class", "link-label");
      g.append("title");
      return g;
    });
  // The controller judges a link by what passes (health events refresh it every period). Between
  // two refreshes a new latency/loss-type fault is already known here: draw that link degraded at
  // once. Cuts and outages are left to the controller: whether anything still passes depends on
  // every replica pair, which only it sees (an outage's links are down, not degraded).
  const linkState = (/** @type {any} */ link) => {
    const state = linkStateName(link.state);
    if (state !== "up") return state;
    for (const fault of store.faults.values()) {
      if (!LINK_DEGRADING_TYPES.has(fault.type)) continue;
      const acts = (fault.affects?.links ?? []).some(
        (pair) => (pair[0] === link.source && pair[1] === link.target) || (pair[0] === link.target && pair[1] === link.source),
      );
      if (acts) return "degraded";
    }
    return state;
  };
  for (const link of links) link.drawnState = linkState(link);
  groups.select("title").text((/** @type {any} */ d) => `${d.source} ↔ ${d.target}: ${d.drawnState}${d.reason ? ` (${d.reason})` : ""}`);
  groups
    .attr("data-testid", (/** @type {any} */ d) => `link-${d.source}-${d.target}`)
    .attr("data-state", (/** @type {any} */ d) => d.drawnState)
    .attr("data-reason", (/** @type {any} */ d) => d.reason ?? "")
    .attr("data-faults", (/** @type {any} */ d) => faultIdsOnLink(d).join(" "));
  groups.select("line").each(function (/** @type {any} */ d) {
    const [x1, y1, x2, y2] = anchors(d);
    const style = LINK_STYLES[/** @type {"up"} */ (d.drawnState)] ?? LINK_STYLES.up;
    d3.select(this)
      .attr("x1", x1)
      .attr("y1", y1)
      .attr("x2", x2)
      .attr("y2", y2)
      .attr("stroke", style.color)
      .attr("stroke-width", style.width)
      .attr("stroke-dasharray", style.dash);
  });
  groups.select("text.link-label").each(function (/** @type {any} */ d) {
    const [x1, y1, x2, y2] = anchors(d);
    const horizontal = Math.abs(y1 - y2) < 1;
    // Long links to the south converge on one box: put each label on its own outer side.
    const a = boxes.get(d.source);
    const b = boxes.get(d.target);
    const [upper, lower] = a.y < b.y ? [a, b] : [b, a];
    const leftSide = center(upper).x < center(lower).x;
    const faults = faultIdsOnLink(d);
    d3.select(this)
      .attr("x", (x1 + x2) / 2)
      .attr("y", horizontal ? TOP_MARGIN_PX - 6 : (y1 + y2) / 2)
      .attr("text-anchor", horizontal ? "middle" : leftSide ? "end" : "start")
      .attr("dx", horizontal ? 0 : leftSide ? -6 : 6)
      .classed("bad", d.drawnState !== "up")
      .text(`${d.rttMs ?? "?"}ms${d.drawnState !== "up" ? ` ${d.drawnState}` : ""}${faults.length ? ` ⚡${faults.join(",")}` : ""}`);
  });
}

/** Fault types that slow or thin a link without cutting it (controller/link-state.ts). */
const LINK_DEGRADING_TYPES = new Set(["latency", "loss", "duplicate", "reorder", "bandwidth"]);

/**
 * The controller's region status by name (from /regions and health events).
 * @param {import("../lib/store.js").Store} store
 * @returns {Map<string, any>}
 */
function regionStatusByName(store) {
  return new Map(store.regions.map((region) => [region.name, region]));
}

/**
 * Faults listed at the datacenters they act on: a host is a replica id (`cell-1/hz-a`), a
 * datacenter or a region name.
 * @param {import("../lib/store.js").Store} store @param {Map<string, any>} boxes
 */
function faultIdsByDatacenter(store, boxes) {
  /** @type {Map<string, any[]>} */
  const result = new Map();
  const add = (/** @type {string} */ dc, /** @type {any} */ fault) => {
    const list = result.get(dc) ?? [];
    if (!list.includes(fault)) list.push(fault);
    result.set(dc, list);
  };
  for (const fault of store.faults.values()) {
    for (const host of fault.affects?.hosts ?? []) {
      const dc = host.includes("/") ? host.split("/")[1] : host;
      if (boxes.has(dc)) for (const regionDc of boxes.get(dc).datacenters) add(regionDc, fault);
      else add(dc, fault);
    }
  }
  return result;
}
