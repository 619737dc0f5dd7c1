// Entry point: loads the snapshot over REST, follows the WebSocket event stream, and redraws the
// views that changed through one throttled frame scheduler (lib/frame.js).
import { getJson, getToken, setToken, setTokenPrompt } from "./lib/api.js";
import { createFrameScheduler } from "./lib/frame.js";
import {
  applyEvent,
  applyHistory,
  createStore,
  setAudit,
  setCells,
  setMoves,
  setFaults,
  setRegions,
  setRouting,
  setTopology,
  upsertRun,
  addTraffic,
  CHART_RANGES_MS,
} from "./lib/store.js";
import { drawPlacement } from "./views/placement.js";
import { drawElastic } from "./views/elastic.js";
import { drawTopology } from "./views/topology.js";
import { renderLegend } from "./views/glyphs.js";
import { drawFlow } from "./views/flow.js";
import { drawCharts, setupCharts } from "./views/charts.js";
import { createActionDialog } from "./views/dialog.js";
import { drawActions } from "./views/actions.js";
import { drawFaultList, setupChaos, tickCountdowns } from "./views/chaos.js";
import { setupDrills } from "./views/drills.js";
import { drawAudit } from "./views/audit.js";
import { drawCrossCell } from "./views/cross-cell.js";
import { CONTROL_PLANE_STALE_MS, drawClock, drawControlPlane, drawControlPlaneAge, drawHeader } from "./views/header.js";
import { setupSafety } from "./views/safety.js";

/** Redraws at most 5 times a second: enough to watch a failover, cheap at --speed 10. */
const REDRAW_INTERVAL_MS_MIN = 200;
/** WebSocket reconnect backoff bounds. */
const RECONNECT_DELAY_MS_MIN = 500;
const RECONNECT_DELAY_MS_MAX = 10_000;
/** After an action, events normally carry the outcome; a re-fetch covers a missed event. */
const REFRESH_DELAY_MS = 300;
const AUDIT_FETCH_LIMIT = 100;
const CHART_RANGE_KEY = "ldc.chartRangeMs";
const TOAST_VISIBLE_MS = 6000;

const store = createStore();
const byId = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));

// ---- token prompt ---------------------------------------------------------------------------
const tokenDialog = /** @type {HTMLDialogElement} */ (byId("token-dialog"));
const tokenInput = /** @type {HTMLInputElement} */ (byId("token-input"));
/** @type {((saved: boolean) => void) | null} */
let tokenResolve = null;

/** @param {string} message @returns {Promise<boolean>} */
function promptForToken(message) {
  byId("token-message").textContent = `${message} It is kept in this tab's session storage only.`;
  tokenInput.value = "";
  if (!tokenDialog.open) tokenDialog.showModal();
  tokenInput.focus();
  return new Promise((resolve) => {
    tokenResolve?.(false);
    tokenResolve = resolve;
  });
}
byId("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const value = tokenInput.value.trim();
  if (value === "") return;
  setToken(value);
  tokenDialog.close();
  updateTokenButton();
  tokenResolve?.(true);
  tokenResolve = null;
});
byId("token-cancel").addEventListener("click", () => tokenDialog.close());
tokenDialog.addEventListener("close", () => {
  tokenResolve?.(getToken() !== null);
  tokenResolve = null;
});
function updateTokenButton() {
  byId("token-button").textContent = getToken() === null ? "Set token" : "Token ✓";
}
byId("token-button").addEventListener("click", () => void promptForToken("Enter the controller's API token."));
setTokenPrompt(promptForToken);
updateTokenButton();

// ---- toast ----------------------------------------------------------------------------------
/** @type {ReturnType<typeof setTimeout> | undefined} */
let toastTimer;
/** @param {string} message */
function toast(message) {
  const element = byId("toast");
  element.textContent = message;
  element.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    element.hidden = true;
  }, TOAST_VISIBLE_MS);
}

// ---- views ----------------------------------------------------------------------------------
renderLegend(byId("legend"));
const savedRange = Number(sessionStorage.getItem(CHART_RANGE_KEY));
if (CHART_RANGES_MS.includes(savedRange)) store.chartRangeMs = savedRange;
setupCharts(byId("charts"), {
  onRange(rangeMs) {
    store.chartRangeMs = rangeMs;
    sessionStorage.setItem(CHART_RANGE_KEY, String(rangeMs));
    frames.request("charts");
    void loadHistory();
  },
});
const hooks = { onChange: () => scheduleRefresh(), toast, redraw: () => frames.request("drills") };
const dialog = createActionDialog({
  onDone: (message) => {
    toast(message);
    scheduleRefresh();
  },
});
const chaos = setupChaos(store, hooks, dialog);
const drills = setupDrills(store, dialog, hooks);
const safety = setupSafety(store, dialog);

const frames = createFrameScheduler({
  minIntervalMs: REDRAW_INTERVAL_MS_MIN,
  draw(dirty) {
    const views = {
      topology: () => drawTopology(/** @type {any} */ (byId("topology")), store),
      actions: () => drawActions({ regions: byId("regions"), cellRows: byId("cell-rows") }, store, dialog),
      header: () => drawHeader(store),
      crossCell: () => drawCrossCell(byId("cross-cell"), store),
      faults: () => drawFaultList(byId("fault-list"), store, hooks),
      chaos: () => chaos.draw(),
      flow: () => drawFlow(/** @type {any} */ (byId("flow")), store),
      charts: () => drawCharts(byId("charts"), store),
      drills: () => drills.draw(),
      placement: () => drawPlacement(byId("placement"), store, dialog),
      moves: () => drawElastic(byId("elastic"), store, dialog),
      audit: () => drawAudit(byId("audit-rows"), store),
      safety: () => safety.draw(),
    };
    for (const name of dirty) {
      const draw = views[/** @type {keyof typeof views} */ (name)];
      if (!draw) continue;
      // One broken view must not freeze the others.
      try {
        draw();
      } catch (error) {
        console.error(`draw ${name} failed`, error);
      }
    }
  },
});
const ALL_VIEWS = [
  "topology",
  "actions",
  "header",
  "crossCell",
  "faults",
  "chaos",
  "flow",
  "charts",
  "drills",
  "audit",
  "placement",
  "safety",
  "moves",
];

// Readiness follows the measured load: re-read it every few seconds for the region cards.
const READINESS_REFRESH_MS = 5000;
setInterval(
  () =>
    void load("/api/v1/readiness", (data) => {
      store.readiness = data;
      frames.request("actions");
    }),
  READINESS_REFRESH_MS,
);

// The control group's leader and quorum, and the endpoint that served us (its own header). During
// an outage the answer can be slow (the default endpoint is tried first) or fail: the pill keeps
// the last answer but says how old it is (drawControlPlaneAge), never passes it off as current.
const CONTROL_PLANE_REFRESH_MS = 1000;
let controlPlaneInFlight = false;
async function refreshControlPlane() {
  if (controlPlaneInFlight) return;
  controlPlaneInFlight = true;
  try {
    const response = await fetch("/api/v1/control-plane", { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const status = await response.json();
    store.controlPlaneAnsweredAtMs = performance.now();
    store.controlPlane = status?.enabled === false ? null : status;
    drawControlPlane(store.controlPlane, response.headers.get("X-LDC-Served-By"));
    frames.request("topology");
  } catch (error) {
    console.warn("GET /api/v1/control-plane failed", error);
  } finally {
    controlPlaneInFlight = false;
  }
}
void refreshControlPlane();
setInterval(() => {
  const ageMs = performance.now() - store.controlPlaneAnsweredAtMs;
  drawControlPlaneAge(ageMs);
  // The map's control replicas are the same answer: they turn stale with the pill, not later (an
  // answer redraws them fresh: refreshControlPlane requests the topology frame).
  if (ageMs > CONTROL_PLANE_STALE_MS) frames.request("topology");
  void refreshControlPlane();
}, CONTROL_PLANE_REFRESH_MS);

// Lease countdowns and the clock tick every second without a full redraw.
setInterval(() => {
  drawClock(store);
  tickCountdowns(byId("fault-list"), store);
  drills.tick();
}, 1000);

// ---- REST snapshot --------------------------------------------------------------------------
/** @param {string} path @param {(data: any) => void} apply */
async function load(path, apply) {
  try {
    apply(await getJson(path));
  } catch (error) {
    console.warn(`GET ${path} failed`, error);
  }
}

async function refresh() {
  await Promise.all([
    load("/api/v1/topology?view=truth", (data) => setTopology(store, data)),
    // The map is the truth panel: the world as the checkers see it (the controller's probes: GET /api/v1/cells).
    load("/api/v1/cells?view=truth", (data) => setCells(store, data)),
    load("/api/v1/shards/moves", (data) => setMoves(store, data)),
    load("/api/v1/regions?view=truth", (data) => setRegions(store, data)),
    load("/api/v1/routing", (data) => setRouting(store, data)),
    load("/api/v1/faults", (data) => setFaults(store, data)),
    load("/api/v1/consistency", (data) => {
      store.consistency = data;
    }),
    load("/api/v1/traffic", (data) => addTraffic(store, data)),
    load("/api/v1/drills", (data) => {
      store.drills = data.drills ?? [];
    }),
    load("/api/v1/drills/runs", (data) => {
      for (const run of data.runs ?? []) upsertRun(store, run);
    }),
    load("/api/v1/schedules", (data) => {
      store.schedules = data.schedules ?? [];
    }),
    load(`/api/v1/audit?limit=${AUDIT_FETCH_LIMIT}`, (data) => setAudit(store, data.entries ?? [])),
    load("/api/v1/halt", (data) => {
      store.halt = data;
    }),
    load("/api/v1/resilience", (data) => {
      store.resilience = data;
    }),
    load("/api/v1/readiness", (data) => {
      store.readiness = data;
    }),
  ]);
  for (const view of ALL_VIEWS) frames.request(view);
}

/** The charts' past from the server's bounded ring, for the range on show. */
async function loadHistory() {
  await load(`/api/v1/traffic/history?windowMs=${store.chartRangeMs}`, (data) => applyHistory(store, data));
  frames.request("charts");
}

/** @type {ReturnType<typeof setTimeout> | undefined} */
let refreshTimer;
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => void refresh(), REFRESH_DELAY_MS);
}

/** @type {ReturnType<typeof setTimeout> | undefined} */
let topologyTimer;
function scheduleTopologyRefresh() {
  clearTimeout(topologyTimer);
  topologyTimer = setTimeout(
    () =>
      void load("/api/v1/topology?view=truth", (data) => {
        setTopology(store, data);
        frames.request("topology");
      }),
    REFRESH_DELAY_MS,
  );
}

// ---- event stream ---------------------------------------------------------------------------
let reconnectDelayMs = RECONNECT_DELAY_MS_MIN;
function connect() {
  const connection = byId("connection");
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${location.host}/api/v1/events`);
  socket.addEventListener("open", () => {
    // After a drop, the stream's gap is filled from the server's ring.
    if (connection.dataset.state === "down") void loadHistory();
    connection.textContent = "live";
    connection.dataset.state = "live";
    reconnectDelayMs = RECONNECT_DELAY_MS_MIN;
  });
  socket.addEventListener("message", (message) => {
    /** @type {any} */
    let event;
    try {
      event = JSON.parse(String(message.data));
    } catch {
      return;
    }
    for (const view of applyEvent(store, event)) frames.request(view);
    // A finished drill changes the resilience score: re-read it (debounced with the rest).
    if (event.type === "drill" && event.run?.state === "done") scheduleRefresh();
    // Link states live in the topology snapshot, which no event carries: re-read it after a
    // fault comes or goes (debounced, so a drill's burst of faults costs one request).
    if (event.type === "fault") scheduleTopologyRefresh();
  });
  socket.addEventListener("close", () => {
    connection.textContent = "reconnecting…";
    connection.dataset.state = "down";
    setTimeout(connect, reconnectDelayMs);
    reconnectDelayMs = Math.min(reconnectDelayMs * 2, RECONNECT_DELAY_MS_MAX);
  });
}

void refresh().then(() => loadHistory());
connect();
