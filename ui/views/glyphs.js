// Replica states drawn by colour AND shape, so the map reads in greyscale and for colour-blind
// operators. The legend is generated from this same table, so the two cannot disagree.
const d3 = /** @type {any} */ (globalThis).d3;

/** @type {Record<string, { color: string, symbol: any, rotate: number, label: string }>} */
export const REPLICA_STATES = {
  up: { color: "#2e9d55", symbol: d3.symbolCircle, rotate: 0, label: "up" },
  lagging: { color: "#d9a400", symbol: d3.symbolTriangle, rotate: 0, label: "lagging" },
  crashed: { color: "#d62728", symbol: d3.symbolCross, rotate: 45, label: "crashed" },
  paused: { color: "#7f8c9a", symbol: d3.symbolSquare, rotate: 0, label: "paused" },
  partitioned: { color: "#8e44ad", symbol: d3.symbolDiamond, rotate: 0, label: "partitioned" },
  "disk-faulted": { color: "#e67e22", symbol: d3.symbolWye, rotate: 0, label: "disk-faulted" },
  corrupted: { color: "#a0185a", symbol: d3.symbolStar, rotate: 0, label: "corrupted" },
  repairing: { color: "#1f77b4", symbol: d3.symbolStar, rotate: 45, label: "repairing" },
  // The controller's probes got no answer: down, or cut off from the control leader (it cannot tell).
  unreachable: { color: "#9aa5b1", symbol: d3.symbolTriangle, rotate: 180, label: "unreachable (no probe answer)" },
};

/** Control replicas on the map: by their Raft state (GET /api/v1/control-plane). */
export const CONTROL_STATES = {
  leader: { color: "#c99700", label: "control leader" },
  follower: { color: "#2e9d55", label: "control follower" },
  candidate: { color: "#d9a400", label: "control candidate" },
  down: { color: "#d62728", label: "control replica down" },
};

export const UNKNOWN_STATE = { color: "#444", symbol: d3.symbolTimes ?? d3.symbolCross, rotate: 0, label: "unknown" };

/** @param {string} state */
export function stateStyle(state) {
  return REPLICA_STATES[state] ?? UNKNOWN_STATE;
}

/** @param {string} state @param {number} size area in px² */
export function glyphPath(state, size) {
  return d3.symbol().type(stateStyle(state).symbol).size(size)();
}

/** Link states as the controller reports them: up, degraded (latency/loss, or some pairs cut), down (nothing passes). */
export const LINK_STYLES = {
  up: { color: "#8a96a3", dash: null, width: 2, label: "link up" },
  degraded: { color: "#e67e22", dash: "6 4", width: 3, label: "link degraded (slow, lossy or partly cut)" },
  down: { color: "#d62728", dash: "4 4", width: 3.5, label: "link down (nothing passes)" },
};

/** Older controllers said "ok" and "partitioned". @param {unknown} state */
export function linkStateName(state) {
  if (state === "ok") return "up";
  if (state === "partitioned") return "down";
  return typeof state === "string" && state in LINK_STYLES ? state : "up";
}

/** A replica on its cell's majority side but cut from some peers: drawn with this ring. */
export const CUT_RING = { color: "#8e44ad", dash: "2 2", label: "cut from a region (majority side)" };

/** @param {HTMLElement} container */
export function renderLegend(container) {
  const items = Object.entries(REPLICA_STATES).map(
    ([state, style]) =>
      `<span class="legend-item"><svg width="16" height="16" viewBox="-8 -8 16 16" aria-hidden="true">` +
      `<path d="${glyphPath(state, 70)}" fill="${style.color}" transform="rotate(${style.rotate})"/></svg>${style.label}</span>`,
  );
  items.push(
    `<span class="legend-item"><svg width="16" height="16" viewBox="-8 -8 16 16" aria-hidden="true">` +
      `<circle r="6.5" fill="none" stroke="#c99700" stroke-width="2.5"/><path d="${glyphPath("up", 40)}" fill="${REPLICA_STATES.up.color}"/></svg>leader</span>`,
  );
  items.push(
    `<span class="legend-item"><svg width="16" height="16" viewBox="-8 -8 16 16" aria-hidden="true">` +
      `<circle r="6.5" fill="none" stroke="${CUT_RING.color}" stroke-width="1.5" stroke-dasharray="${CUT_RING.dash}"/><path d="${glyphPath("up", 40)}" fill="${REPLICA_STATES.up.color}"/></svg>${CUT_RING.label}</span>`,
  );
  for (const style of Object.values(CONTROL_STATES)) {
    items.push(
      `<span class="legend-item"><svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true">` +
        `<rect x="1.5" y="1.5" width="11" height="11" rx="2" fill="${style.color}"/></svg>${style.label}</span>`,
    );
  }
  for (const style of Object.values(LINK_STYLES)) {
    items.push(
      `<span class="legend-item"><svg width="26" height="10" aria-hidden="true"><line x1="1" y1="5" x2="25" y2="5" ` +
        `stroke="${style.color}" stroke-width="${style.width}" ${style.dash ? `stroke-dasharray="${style.dash}"` : ""}/></svg>${style.label}</span>`,
    );
  }
  container.innerHTML = items.join("");
}
