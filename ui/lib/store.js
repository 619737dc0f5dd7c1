// The page's one model of the world, fed by REST snapshots and WebSocket events (docs/API.md).
// Views read it; only the functions here write it. Every collection that grows with time has a
// named bound, so a page left open through a week of drills uses the same memory as after a minute.
import { RingBuffer } from "./ring.js";

/**
 * Points per chart series: the widest range the operator can pick (15 min) at the controller's
 * 500 ms health period, the same bound as the server's ring (controller/traffic-history.ts).
 */
export const CHART_POINTS_MAX = 1800;
/** The ranges the charts offer; the server back-fills up to the widest. */
export const CHART_RANGES_MS = [60_000, 5 * 60_000, 15 * 60_000];
export const CHART_RANGE_MS_DEFAULT = 5 * 60_000;
/** Fault windows remembered for shading the charts. */
export const FAULT_WINDOWS_MAX = 64;
/** Routing versions remembered for marking the charts. */
export const ROUTING_MARKS_MAX = 64;
/** Leaderless spans remembered (a drill's live RTO measurement). */
export const LEADER_GAPS_MAX = 64;
/** Audit entries shown; the server keeps the full log. */
export const AUDIT_ENTRIES_MAX = 200;
/** Drill runs shown, newest first. */
export const DRILL_RUNS_MAX = 30;

/**
 * @typedef {{ atMs: number, tps: number, p50Ms: number, p99Ms: number, errorRate: number }} CellPoint
 * @typedef {{ atMs: number, rps: number, p50Ms: number, p99Ms: number, errorRate: number }} RegionPoint
 * @typedef {{ id: string, type: string, target: unknown, startedMs: number, leaseMs: number, expiresMs: number,
 *   remainingMs: number, affects?: { hosts?: string[], links?: [string, string][] } }} Fault
 */

export function createStore() {
  return {
    /** @type {any} */ topology: null,
    /** @type {Map<string, any>} */ cells: new Map(),
    /** @type {any[]} */ regions: [],
    /** @type {any} */ routing: null,
    /** @type {Map<string, Fault>} */ faults: new Map(),
    /** @type {any[]} */ catalogue: [],
    /** @type {any} */ consistency: null,
    /** @type {any} */ traffic: null,
    /** @type {Map<string, RingBuffer<CellPoint>>} */ series: new Map(),
    /** Latency and rate of what each region's gateway served. @type {Map<string, RingBuffer<RegionPoint>>} */ regionSeries: new Map(),
    /** Simulated ms shown by the charts (1, 5 or 15 min). */ chartRangeMs: CHART_RANGE_MS_DEFAULT,
    /** @type {{ version: number, atMs: number, reason: string }[]} */ routingMarks: [],
    /** @type {Map<string, number>} cell -> simulated ms its leader went */ leaderlessSince: new Map(),
    /** @type {{ cell: string, fromMs: number, toMs: number }[]} */ leaderGaps: [],
    /** @type {{ id: string, type: string, startMs: number, endMs: number | null }[]} */ faultWindows: [],
    /** @type {any[]} */ drills: [],
    /** @type {Map<string, any>} */ runs: new Map(),
    /** @type {any[]} */ schedules: [],
    /** @type {any[]} */ audit: [],
    /** Shard moves by id (GET /api/v1/shards/moves, then their audit entries). @type {Map<string, any>} */ moves: new Map(),
    /** The kill switch (GET /api/v1/halt, `halt` events). @type {{ halted: boolean, reason: string | null, actor: string | null, sinceMs: number | null }} */
    halt: { halted: false, reason: null, actor: null, sinceMs: null },
    /** GET /api/v1/resilience. @type {any} */ resilience: null,
    /** GET /api/v1/readiness: per region, could its loss be absorbed now. @type {any} */ readiness: null,
    /** GET /api/v1/control-plane's last answer (null: no control group). @type {any} */ controlPlane: null,
    /** When (performance.now()) the control group last answered: past CONTROL_PLANE_STALE_MS the map marks its replicas stale. */
    controlPlaneAnsweredAtMs: performance.now(),
    // Simulated time is only reported at events; between them it is extrapolated from the wall
    // clock and the world's speed so lease countdowns tick smoothly.
    simAtMs: 0,
    wallAtMs: 0,
    speed: 1,
  };
}

/** @typedef {ReturnType<typeof createStore>} Store */

/** @param {Store} store @param {number | undefined} atMs */
export function observeTime(store, atMs) {
  if (typeof atMs !== "number" || !Number.isFinite(atMs)) return;
  if (atMs < store.simAtMs) return;
  store.simAtMs = atMs;
  store.wallAtMs = performance.now();
}

/** @param {Store} store */
export function simNowMs(store) {
  if (store.wallAtMs === 0) return store.simAtMs;
  return store.simAtMs + (performance.now() - store.wallAtMs) * store.speed;
}

/** Collections arrive bare (`[...]`) in events and wrapped (`{cells: [...]}`) from REST. */
function unwrap(/** @type {any} */ value, /** @type {string} */ key) {
  if (Array.isArray(value)) return value;
  if (value && Array.isArray(value[key])) return value[key];
  return null;
}

/** @param {Store} store @param {any} topology */
export function setTopology(store, topology) {
  if (!topology || !Array.isArray(topology.regions)) return;
  store.topology = topology;
  if (typeof topology.speed === "number" && topology.speed > 0) store.speed = topology.speed;
  observeTime(store, topology.nowMs);
}

/** @param {Store} store @param {any} cells */
export function setCells(store, cells) {
  const list = unwrap(cells, "cells");
  if (!list) return;
  // The list is every cell (elastic cells: added and removed while the page is open): a cell no
  // longer in it was removed and leaves the map.
  const present = new Set(list.map((/** @type {any} */ cell) => cell.id));
  for (const id of [...store.cells.keys()]) if (!present.has(id)) store.cells.delete(id);
  for (const cell of list) {
    store.cells.set(cell.id, cell);
    trackLeader(store, cell.id, cell.leader ?? null, store.simAtMs);
  }
}

/**
 * Remembers when a cell had no leader: a running drill shows the longest such span beside its
 * RTO expectation before the checkers' own figure arrives at the end.
 * @param {Store} store @param {string} cellId @param {unknown} leader @param {number} atMs
 */
function trackLeader(store, cellId, leader, atMs) {
  const since = store.leaderlessSince.get(cellId);
  if (leader === null) {
    if (since === undefined) store.leaderlessSince.set(cellId, atMs);
    return;
  }
  if (since === undefined) return;
  store.leaderlessSince.delete(cellId);
  store.leaderGaps.push({ cell: cellId, fromMs: since, toMs: atMs });
  if (store.leaderGaps.length > LEADER_GAPS_MAX) store.leaderGaps.splice(0, store.leaderGaps.length - LEADER_GAPS_MAX);
}

/**
 * The longest leaderless span that started at or after `fromMs` (an open one counts until now).
 * @param {Store} store @param {number} fromMs @returns {{ cell: string, ms: number } | null}
 */
export function longestLeaderGap(store, fromMs) {
  /** @type {{ cell: string, ms: number } | null} */
  let longest = null;
  const now = simNowMs(store);
  const spans = [...store.leaderGaps, ...[...store.leaderlessSince].map(([cell, since]) => ({ cell, fromMs: since, toMs: now }))];
  for (const span of spans) {
    if (span.fromMs < fromMs) continue;
    const ms = span.toMs - span.fromMs;
    if (longest === null || ms > longest.ms) longest = { cell: span.cell, ms };
  }
  return longest;
}

/** @param {Store} store @param {any} regions */
export function setRegions(store, regions) {
  const list = unwrap(regions, "regions");
  if (list) store.regions = list;
}

/** @param {Store} store @param {any} faults */
export function setFaults(store, faults) {
  const list = unwrap(faults, "faults");
  if (!list) return;
  store.faults = new Map(list.map((/** @type {Fault} */ fault) => [fault.id, fault]));
  for (const fault of list) openFaultWindow(store, fault);
  if (faults && Array.isArray(faults.catalogue)) store.catalogue = faults.catalogue;
}

/** @param {Store} store @param {Fault} fault */
function openFaultWindow(store, fault) {
  if (store.faultWindows.some((window) => window.id === fault.id)) return;
  store.faultWindows.push({ id: fault.id, type: fault.type, startMs: fault.startedMs, endMs: null });
  if (store.faultWindows.length > FAULT_WINDOWS_MAX) store.faultWindows.splice(0, store.faultWindows.length - FAULT_WINDOWS_MAX);
}

/** @param {Store} store @param {string} id @param {number} atMs */
function closeFaultWindow(store, id, atMs) {
  const window = store.faultWindows.find((candidate) => candidate.id === id);
  if (window && window.endMs === null) window.endMs = atMs;
}

/** @param {Store} store @param {any} routing */
export function setRouting(store, routing) {
  if (!routing || typeof routing.version !== "number") return;
  // Events can race a REST re-fetch; routing versions only go up.
  if (store.routing && store.routing.version > routing.version) return;
  store.routing = { ...(store.routing ?? {}), ...routing };
  for (const entry of Array.isArray(routing.history) ? routing.history : []) addRoutingMark(store, entry);
  if (typeof routing.atMs === "number")
    addRoutingMark(store, { version: routing.version, atMs: routing.atMs, reason: routing.reason ?? "" });
}

/** @param {Store} store @param {any} entry */
function addRoutingMark(store, entry) {
  if (!entry || typeof entry.version !== "number" || typeof entry.atMs !== "number") return;
  if (store.routingMarks.some((mark) => mark.version === entry.version)) return;
  store.routingMarks.push({ version: entry.version, atMs: entry.atMs, reason: String(entry.reason ?? "") });
  store.routingMarks.sort((a, b) => a.version - b.version);
  if (store.routingMarks.length > ROUTING_MARKS_MAX) store.routingMarks.splice(0, store.routingMarks.length - ROUTING_MARKS_MAX);
}

/**
 * Regions drained of traffic. Routing is the source of truth and its events arrive at once;
 * the regions' own `evacuated` flag only refreshes with health events or a re-fetch.
 * @param {Store} store @returns {Set<string>}
 */
export function drainedRegions(store) {
  if (store.routing && Array.isArray(store.routing.drained)) return new Set(store.routing.drained);
  return new Set(store.regions.filter((region) => region.evacuated).map((region) => region.name));
}

/** @param {Store} store @param {any} traffic */
export function addTraffic(store, traffic) {
  if (!traffic || !traffic.cells) return;
  store.traffic = traffic;
  const atMs = typeof traffic.atMs === "number" ? traffic.atMs : simNowMs(store);
  for (const [cellId, metrics] of Object.entries(traffic.cells)) {
    let series = store.series.get(cellId);
    if (!series) {
      series = new RingBuffer(CHART_POINTS_MAX);
      store.series.set(cellId, series);
    }
    const previous = series.last();
    if (previous && previous.atMs >= atMs) continue;
    const m = /** @type {any} */ (metrics);
    series.push({ atMs, tps: num(m.tps), p50Ms: num(m.p50Ms), p99Ms: num(m.p99Ms), errorRate: num(m.errorRate) });
  }
  for (const [name, metrics] of Object.entries(traffic.regions ?? {})) {
    let series = store.regionSeries.get(name);
    if (!series) {
      series = new RingBuffer(CHART_POINTS_MAX);
      store.regionSeries.set(name, series);
    }
    const previous = series.last();
    if (previous && previous.atMs >= atMs) continue;
    const m = /** @type {any} */ (metrics);
    series.push({ atMs, rps: num(m.rps), p50Ms: num(m.p50Ms), p99Ms: num(m.p99Ms), errorRate: num(m.errorRate) });
  }
}

/**
 * Back-fill from GET /api/v1/traffic/history: the server's samples first, then whatever the
 * stream delivered that is newer than the last of them, so a reload mid-drill draws minutes.
 * @param {Store} store @param {any} history
 */
export function applyHistory(store, history) {
  if (!history || !Array.isArray(history.samples)) return;
  const samples = history.samples.filter((/** @type {any} */ sample) => sample && typeof sample.atMs === "number");
  const lastAtMs = samples.length ? samples[samples.length - 1].atMs : -Infinity;
  /** @template T @param {Map<string, RingBuffer<T>>} target @param {string} key @param {(sample: any) => any} pick */
  const rebuild = (target, key, pick) => {
    const names = new Set([...target.keys(), ...samples.flatMap((/** @type {any} */ sample) => Object.keys(sample[key] ?? {}))]);
    for (const name of names) {
      const live = target.get(name)?.toArray() ?? [];
      const ring = new RingBuffer(CHART_POINTS_MAX);
      for (const sample of samples) {
        const metrics = sample[key]?.[name];
        if (metrics) ring.push({ atMs: sample.atMs, ...pick(metrics) });
      }
      for (const point of live) if (/** @type {any} */ (point).atMs > lastAtMs) ring.push(point);
      target.set(name, /** @type {any} */ (ring));
    }
  };
  rebuild(store.series, "cells", (m) => ({ tps: num(m.tps), p50Ms: num(m.p50Ms), p99Ms: num(m.p99Ms), errorRate: num(m.errorRate) }));
  rebuild(store.regionSeries, "regions", (m) => ({
    rps: num(m.rps),
    p50Ms: num(m.p50Ms),
    p99Ms: num(m.p99Ms),
    errorRate: num(m.errorRate),
  }));
  for (const window of Array.isArray(history.faults) ? history.faults : []) {
    if (!window || typeof window.id !== "string") continue;
    const known = store.faultWindows.find((candidate) => candidate.id === window.id);
    if (known) {
      if (known.endMs === null && typeof window.endMs === "number") known.endMs = window.endMs;
      continue;
    }
    store.faultWindows.push({ id: window.id, type: String(window.type), startMs: window.startMs, endMs: window.endMs ?? null });
  }
  store.faultWindows.sort((a, b) => a.startMs - b.startMs);
  if (store.faultWindows.length > FAULT_WINDOWS_MAX) store.faultWindows.splice(0, store.faultWindows.length - FAULT_WINDOWS_MAX);
  for (const entry of Array.isArray(history.routing) ? history.routing : []) addRoutingMark(store, entry);
  observeTime(store, history.atMs);
}

function num(/** @type {unknown} */ value) {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

/** @param {Store} store @param {any} run */
export function upsertRun(store, run) {
  if (!run || typeof run.id !== "string") return;
  store.runs.set(run.id, { ...(store.runs.get(run.id) ?? {}), ...run });
  if (store.runs.size > DRILL_RUNS_MAX) {
    // Oldest by sequence (the number in the id): simulated start times restart with the controller.
    const seqOf = (/** @type {any} */ run) => (typeof run.seq === "number" ? run.seq : Number(/(\d+)$/.exec(String(run.id))?.[1] ?? 0));
    const oldest = [...store.runs.values()].sort((a, b) => seqOf(a) - seqOf(b))[0];
    store.runs.delete(oldest.id);
  }
}

/** @param {Store} store @param {any[]} entries newest first */
export function setAudit(store, entries) {
  // A fetched page is a snapshot: rows the WebSocket pushed after the server built it (ids are an
  // increasing sequence) stay, or a slow GET /audit would drop a refusal the operator just saw.
  const newest = entries.reduce((max, entry) => (typeof entry?.id === "number" && entry.id > max ? entry.id : max), -Infinity);
  const pushedSince = store.audit.filter((entry) => typeof entry?.id === "number" && entry.id > newest);
  store.audit = [...pushedSince, ...entries].slice(0, AUDIT_ENTRIES_MAX);
}

/** Moves kept for the panel (the API keeps 256; the page shows the newest few). */
export const MOVES_KEPT_MAX = 64;

/** @param {Store} store @param {any} data `{moves: [...]}` newest first, or a bare list */
export function setMoves(store, data) {
  const list = unwrap(data, "moves") ?? [];
  for (const move of [...list].reverse()) if (move && typeof move.id === "string") store.moves.set(move.id, { ...move });
  boundMoves(store);
}

/** @param {Store} store */
function boundMoves(store) {
  while (store.moves.size > MOVES_KEPT_MAX) {
    const oldest =
      [...store.moves.values()].find((move) => ["cut-over", "rolled-back"].includes(move.state)) ?? store.moves.values().next().value;
    store.moves.delete(oldest.id);
  }
}

/** The state a move's audit entry leaves it in (controller/elastic.ts writes one per step). */
const MOVE_STATE_AFTER = {
  "move-shards": "expecting",
  "move-shards:recover": "expecting",
  "move-shards:expect": "fencing",
  "move-shards:fence": "copying",
  "move-shards:import": "copying",
  "move-shards:cut-over": "cut-over",
  "move-shards:rolling-back": "rolling-back",
  "move-shards:rolled-back": "rolled-back",
  "move-shards:stuck": "stuck",
};

/**
 * A move's audit entry (`move-shards` started, `move-shards:<step>`) updates its progress; true when it was one.
 * @param {Store} store @param {any} entry
 */
export function applyMoveAudit(store, entry) {
  const action = String(entry?.action ?? "");
  const id = entry?.details?.move;
  if (!action.startsWith("move-shards") || typeof id !== "string" || entry.outcome === "refused") return false;
  const known = store.moves.get(id);
  /** @type {any} */
  let move = known;
  if (!move) {
    // "0..4 cell-1 -> cell-7"
    const match = /^(\d+)\.\.(\d+) (\S+) -> (\S+)$/.exec(String(entry.target ?? ""));
    if (!match) return false;
    move = {
      id,
      first: Number(match[1]),
      last: Number(match[2]),
      from: match[3],
      to: match[4],
      state: "expecting",
      steps: [],
      startedMs: entry.atMs,
    };
  } else move = { ...move, steps: [...(move.steps ?? [])] };
  const step = action === "move-shards" ? "started" : action.slice("move-shards:".length);
  if (!move.steps.some((/** @type {any} */ seen) => seen.step === step && seen.atMs === entry.atMs))
    move.steps.push({ step, atMs: entry.atMs, outcome: entry.outcome });
  const after = MOVE_STATE_AFTER[/** @type {keyof typeof MOVE_STATE_AFTER} */ (action)];
  const finished = ["cut-over", "rolled-back", "stuck"].includes(move.state);
  // An abort refused because the destination imported completes the move: it stays on its way to cut over.
  if (
    after !== undefined &&
    (!finished || action === "move-shards:recover") &&
    !(action === "move-shards:import" && entry.outcome !== "done")
  )
    move.state = after;
  if (action === "move-shards:fence" && String(entry.outcome).startsWith("done")) move.fenced = true;
  if (action === "move-shards:import" && entry.outcome === "done") move.imported = true;
  store.moves.set(id, move);
  boundMoves(store);
  return true;
}

/** @param {Store} store @param {any} entry */
export function addAudit(store, entry) {
  if (!entry || store.audit.some((existing) => existing.id === entry.id)) return;
  store.audit.unshift(entry);
  if (store.audit.length > AUDIT_ENTRIES_MAX) store.audit.length = AUDIT_ENTRIES_MAX;
}

/**
 * Applies one WebSocket event; returns the names of the views that need a redraw.
 * @param {Store} store @param {any} event @returns {string[]}
 */
export function applyEvent(store, event) {
  observeTime(store, event.atMs);
  switch (event.type) {
    case "hello":
      setTopology(store, event.topology);
      setCells(store, event.cells);
      setRegions(store, event.regions);
      setRouting(store, event.routing);
      setFaults(store, event.faults);
      if (event.consistency) store.consistency = event.consistency;
      if (event.halt) store.halt = event.halt;
      return ["topology", "actions", "header", "crossCell", "faults", "chaos", "flow", "placement", "safety", "moves"];
    case "health":
      setCells(store, event.cells);
      setRegions(store, event.regions);
      // Optional (docs/API.md, "UI needs"): link states ride along so the map needs no re-fetch.
      if (store.topology && Array.isArray(event.links)) store.topology = { ...store.topology, links: event.links };
      return ["topology", "actions", "placement", "moves"];
    case "traffic":
      addTraffic(store, event);
      return ["flow", "charts"];
    case "leader": {
      const cell = store.cells.get(event.cell);
      trackLeader(store, event.cell, event.leader ?? null, typeof event.atMs === "number" ? event.atMs : simNowMs(store));
      if (cell) {
        const leaderId = event.leader ? event.leader.replica : null;
        store.cells.set(event.cell, {
          ...cell,
          leader: event.leader ?? null,
          term: event.term ?? cell.term,
          replicas: (cell.replicas ?? []).map((/** @type {any} */ replica) => ({
            ...replica,
            role: replica.id === leaderId ? "leader" : replica.role === "leader" ? "follower" : replica.role,
          })),
        });
      }
      return ["topology", "actions", "placement"];
    }
    case "routing":
      setRouting(store, event);
      return ["header", "actions", "flow", "topology", "charts", "placement", "moves"];
    case "fault": {
      const fault = event.fault;
      if (!fault || typeof fault.id !== "string") return [];
      if (event.action === "injected") {
        store.faults.set(fault.id, fault);
        openFaultWindow(store, fault);
      } else {
        store.faults.delete(fault.id);
        closeFaultWindow(store, fault.id, typeof event.atMs === "number" ? event.atMs : simNowMs(store));
      }
      return ["topology", "faults", "charts"];
    }
    case "drill":
      upsertRun(store, event.run);
      return ["drills"];
    case "audit":
      addAudit(store, event.entry);
      return applyMoveAudit(store, event.entry) ? ["audit", "charts", "moves"] : ["audit", "charts"];
    case "consistency":
      store.consistency = event;
      return ["header", "crossCell"];
    case "halt":
      if (event.state) store.halt = event.state;
      return ["safety", "drills"];
    default:
      return [];
  }
}
