// A tiny stand-in for the controller, for the UI render test only: serves uiRouter() plus
// canned JSON and a WebSocket stream shaped exactly as docs/API.md says. It keeps just enough
// state to answer the page's actions (one evacuation allowed, a second refused by a rule).
import http from "node:http";
import type { AddressInfo } from "node:net";
import express, { type Request, type Response } from "express";
import { WebSocketServer, type WebSocket } from "ws";
import { uiRouter } from "../../ui/assets.js";

export const FIXTURE_TOKEN = "fixture-token";

const REGIONS = [
  { name: "hangzhou", datacenters: ["hz-a", "hz-b"] },
  { name: "shanghai", datacenters: ["sh-a", "sh-b"] },
  { name: "shenzhen", datacenters: ["sz-a"] },
] as const;
const CELL_COUNT = 6;

type Replica = {
  id: string;
  datacenter: string;
  region: string;
  role: string;
  state: string;
  term: number;
  commitIndex: number;
  appliedIndex: number;
  lag: number;
};
type Cell = {
  id: string;
  preferredRegion: string;
  shards: number[];
  leader: { replica: string; datacenter: string; region: string } | null;
  term: number;
  commitIndex: number;
  quorumAvailable: boolean;
  replicas: Replica[];
  metrics: { tps: number; p50Ms: number; p99Ms: number; errorRate: number };
};

function regionOf(datacenter: string): string {
  const region = REGIONS.find((candidate) => (candidate.datacenters as readonly string[]).includes(datacenter));
  if (!region) throw new Error(`unknown datacenter ${datacenter}`);
  return region.name;
}

/** Moves a cell's leadership to `target` in a new term, as a completed leadership transfer would. */
function makeLeader(cell: Cell, target: Cell["replicas"][number]): void {
  for (const replica of cell.replicas) replica.role = replica === target ? "leader" : replica.role === "leader" ? "follower" : replica.role;
  cell.leader = { replica: target.id, datacenter: target.datacenter, region: target.region };
  cell.term += 1;
}

function makeCells(): Cell[] {
  const cells: Cell[] = [];
  for (let index = 1; index <= CELL_COUNT; index += 1) {
    const id = `cell-${index}`;
    const leaderDc = index <= 3 ? (index % 2 === 1 ? "hz-a" : "hz-b") : index % 2 === 0 ? "sh-a" : "sh-b";
    const replicas: Replica[] = REGIONS.flatMap((region) =>
      region.datacenters.map((dc) => ({
        id: `${id}/${dc}`,
        datacenter: dc,
        region: region.name,
        role: dc === leaderDc ? "leader" : "follower",
        state: "up",
        term: 3,
        commitIndex: 1000 + index,
        appliedIndex: 1000 + index,
        lag: 0,
      })),
    );
    cells.push({
      id,
      preferredRegion: index <= 3 ? "hangzhou" : "shanghai",
      shards: Array.from({ length: 100 }, (_, shard) => shard).filter((shard) => shard % CELL_COUNT === index - 1),
      leader: { replica: `${id}/${leaderDc}`, datacenter: leaderDc, region: regionOf(leaderDc) },
      term: 3,
      commitIndex: 1000 + index,
      quorumAvailable: true,
      replicas,
      metrics: { tps: 330, p50Ms: 7, p99Ms: 13, errorRate: 0 },
    });
  }
  // Canned trouble for the render test: one crashed replica, one lagging.
  const crashed = cells[2].replicas.find((replica) => replica.datacenter === "sz-a");
  if (crashed) Object.assign(crashed, { state: "crashed", role: "down" });
  const lagging = cells[4].replicas.find((replica) => replica.datacenter === "hz-b");
  if (lagging) Object.assign(lagging, { state: "lagging", lag: 120 });
  return cells;
}

/** Wall ms between a fixture move's steps (the page test watches each stage). */
export const MOVE_STEP_MS = 1_200;

/** Simulated ms of traffic the fixture has "seen" before the page opens: the back-fill's source. */
export const FIXTURE_HISTORY_MS = 240_000;
/** The fixture's health period (one traffic sample per 500 simulated ms, like the controller's). */
const SAMPLE_PERIOD_MS = 500;
/** Bound of the fixture's ring, as the controller's trafficHistorySamplesMax. */
const HISTORY_SAMPLES_MAX = 1800;

export interface FixtureServer {
  url: string;
  /** Every request path the fixture saw, for assertions. */
  requests: string[];
  /** Bodies of the mutating requests, by "METHOD path". */
  bodies: { line: string; body: unknown }[];
  /** Audit entries, newest first. */
  audit: Record<string, unknown>[];
  /** The control group the fixture reports: set `quorum` false to take it away (three replicas down), and which endpoint serves. */
  /** `answering: false`: GET /api/v1/control-plane hangs (an endpoint in a region that lost power). */
  control: { quorum: boolean; servedBy: string; answering: boolean };
  close(): Promise<void>;
}

export async function startFixtureServer(options: { historyMs?: number } = {}): Promise<FixtureServer> {
  const cells = makeCells();
  const drained: string[] = [];
  let routingVersion = 7;
  // Simulated time when the page opens: past the back-filled history, so no sample sits before t=0.
  const historyMs = options.historyMs ?? FIXTURE_HISTORY_MS;
  let nowMs = Math.max(300_000, historyMs + 60_000);
  let faultSequence = 1;
  let runSequence = 0;
  const faults = new Map<string, Record<string, unknown>>([
    [
      "f-1",
      {
        id: "f-1",
        type: "partition",
        target: { regions: ["hangzhou", "shenzhen"] },
        startedMs: nowMs - 10_000,
        leaseMs: 60_000,
        expiresMs: nowMs + 50_000,
        remainingMs: 50_000,
        affects: { hosts: [], links: [["hangzhou", "shenzhen"]] },
      },
    ],
  ]);
  const runs: Record<string, unknown>[] = [
    {
      id: "r-0",
      drill: "dc-outage",
      seed: 1,
      state: "done",
      progressPct: 100,
      outcome: "SUCCEEDED",
      rtoMs: { "cell-1": 420, "cell-2": 380 },
      lostAckedTransfers: 0,
      checkers: { bank: { valid: true }, durability: { valid: true } },
      startedMs: 900_000,
      endedMs: 930_000,
      reasons: [],
      seq: 0,
      startedAt: "2026-01-01T00:00:00.000Z",
      endedAt: "2026-01-01T00:00:30.000Z",
    },
  ];
  const audit: Record<string, unknown>[] = [];
  const requests: string[] = [];
  const bodies: { line: string; body: unknown }[] = [];
  const sockets = new Set<WebSocket>();
  const control = { quorum: true, servedBy: "hangzhou", answering: true };

  const links = () =>
    [
      ["hangzhou", "shanghai", 6],
      ["hangzhou", "shenzhen", 30],
      ["shanghai", "shenzhen", 30],
    ].map(([source, target, rttMs]) => {
      const acting = [...faults.values()].filter((fault) =>
        (fault.affects as { links: string[][] }).links.some(
          (pair) => (pair[0] === source && pair[1] === target) || (pair[0] === target && pair[1] === source),
        ),
      );
      return {
        source,
        target,
        rttMs,
        state: acting.length ? "down" : "up",
        reason: acting.length ? "partitioned" : null,
        faults: acting.map((fault) => fault.id),
      };
    });
  const topology = () => ({ regions: REGIONS, links: links(), runtime: "virtual", seed: 1, speed: 1, nowMs });
  const regions = () =>
    REGIONS.map((region) => ({
      name: region.name,
      datacenters: region.datacenters,
      gateway: { state: drained.includes(region.name) ? "drained" : "active", rps: drained.includes(region.name) ? 0 : 900 },
      evacuated: drained.includes(region.name),
      leaders: cells.filter((cell) => cell.leader?.region === region.name).map((cell) => cell.id),
      up: true,
      state: "up",
      datacenterStatus: region.datacenters.map((dc) => ({ name: dc, state: "up" })),
      cutFrom: [],
    }));
  const routing = () => ({
    version: routingVersion,
    shards: Object.fromEntries(cells.flatMap((cell) => cell.shards.map((shard) => [String(shard), cell.id]))),
    cells: Object.fromEntries(cells.map((cell) => [cell.id, cell.leader?.region ?? null])),
    drained: [...drained],
    history: routingHistory.map((entry) => ({ ...entry })),
  });
  const traffic = (atMs = nowMs) => ({
    atMs,
    regions: Object.fromEntries(
      REGIONS.map((region, index) => [
        region.name,
        {
          rps: cells.filter((cell) => cell.leader?.region === region.name).length * 330,
          toCells: Object.fromEntries(
            cells.filter((cell) => cell.leader?.region === region.name).map((cell) => [cell.id, 300 + Number(cell.id.slice(5)) * 10]),
          ),
          p50Ms: 7 + index,
          p99Ms: 15 + 4 * index + 3 * Math.sin(atMs / 5000),
          errorRate: 0,
        },
      ]),
    ),
    cells: Object.fromEntries(
      cells.map((cell, index) => [
        cell.id,
        { tps: 300 + 20 * Math.sin(atMs / 3000 + index), p50Ms: 6 + index, p99Ms: 14 + 2 * index, errorRate: index === 2 ? 0.02 : 0 },
      ]),
    ),
  });
  // The controller's ring (controller/traffic-history.ts), seeded with the minutes before the page opened.
  const history: ReturnType<typeof traffic>[] = [];
  for (let atMs = nowMs - historyMs; atMs <= nowMs; atMs += SAMPLE_PERIOD_MS) history.push(traffic(atMs));
  const routingHistory: { version: number; atMs: number; reason: string }[] = [
    { version: 7, atMs: nowMs - 100_000, reason: "automatic: cell-4 is led from shanghai" },
  ];
  const faultWindows: { id: string; type: string; startMs: number; endMs: number | null }[] = [
    { id: "f-0", type: "latency", startMs: nowMs - 150_000, endMs: nowMs - 120_000 },
    { id: "f-1", type: "partition", startMs: nowMs - 10_000, endMs: null },
  ];
  const bumpRouting = (reason: string) => {
    routingVersion += 1;
    routingHistory.push({ version: routingVersion, atMs: nowMs, reason });
  };
  const consistency = () => ({
    atMs: nowMs,
    moneyConserved: Object.fromEntries(cells.map((cell) => [cell.id, true])),
    replicaAgreement: Object.fromEntries(cells.map((cell) => [cell.id, true])),
    lostAckedTransfers: 0,
    valid: true,
  });
  const catalogue = [
    { type: "partition", targets: [{ regions: ["hangzhou", "shanghai"] }, { regions: ["shanghai", "shenzhen"] }], params: {} },
    { type: "crash", targets: cells.map((cell) => ({ replica: `${cell.id}/hz-a` })), params: { restartAfterMs: 5000 } },
  ];
  const broadcast = (event: Record<string, unknown>) => {
    const text = JSON.stringify({ atMs: nowMs, ...event });
    for (const socket of sockets) socket.send(text);
  };

  const record = (entry: Record<string, unknown>) => {
    const full = { id: audit.length + 1, atMs: nowMs, wallTime: "2026-01-01T00:00:00.000Z", actor: "api", ...entry };
    audit.unshift(full);
    broadcast({ type: "audit", entry: full });
  };
  const broadcastRouting = () => broadcast({ type: "routing", version: routingVersion, cells: routing().cells, drained: [...drained] });
  // An operator's action that changed routing: a new version, its audit entry, and the page told.
  const routedAction = (routingReason: string, entry: { action: string; target: string; reason: string | null }) => {
    bumpRouting(routingReason);
    record({ kind: "action", ...entry, outcome: "ok", routingVersionBefore: routingVersion - 1, routingVersionAfter: routingVersion });
    broadcastRouting();
  };
  // Leadership an action moved, announced at once as the controller's leader events are.
  const lead = (cell: Cell, target: Replica) => {
    makeLeader(cell, target);
    broadcast({ type: "leader", cell: cell.id, leader: cell.leader, term: cell.term });
  };
  /** Moves the leader of every cell `targetOf` names a replica for; the cells moved. */
  const moveLeaders = (targetOf: (cell: Cell) => Replica | undefined): string[] => {
    const moved: string[] = [];
    for (const cell of cells) {
      const target = targetOf(cell);
      if (!target) continue;
      lead(cell, target);
      moved.push(cell.id);
    }
    return moved;
  };

  const app = express();
  app.use((request, _response, next) => {
    requests.push(`${request.method} ${request.originalUrl}`);
    next();
  });
  app.use(express.json());
  app.use((request, _response, next) => {
    if (request.method !== "GET") bodies.push({ line: `${request.method} ${request.path}`, body: request.body });
    next();
  });
  const authorized = (request: Request, response: Response): boolean => {
    if (request.get("authorization") === `Bearer ${FIXTURE_TOKEN}`) return true;
    response.status(401).json({ error: "missing or invalid bearer token" });
    return false;
  };
  app.get("/api/v1/topology", (_q, s) => {
    s.json(topology());
  });
  app.get("/api/v1/cells", (_q, s) => {
    s.json({ cells });
  });
  app.get("/api/v1/regions", (_q, s) => {
    s.json({ regions: regions() });
  });
  app.get("/api/v1/routing", (_q, s) => {
    s.json(routing());
  });
  app.get("/api/v1/traffic", (_q, s) => {
    s.json(traffic());
  });
  app.get("/api/v1/traffic/history", (request, response) => {
    const windowMs = Number(request.query.windowMs ?? 300_000);
    if (!Number.isInteger(windowMs) || windowMs < 1000 || windowMs > 900_000) {
      response.status(400).json({ error: "windowMs: expected 1000..900000", field: "windowMs" });
      return;
    }
    const fromMs = nowMs - windowMs;
    response.json({
      atMs: nowMs,
      windowMs,
      samplesMax: HISTORY_SAMPLES_MAX,
      samples: history
        .filter((sample) => sample.atMs >= fromMs)
        .map((sample) => ({ atMs: sample.atMs, cells: sample.cells, regions: sample.regions })),
      faults: faultWindows.filter((window) => window.endMs === null || window.endMs >= fromMs),
      routing: routingHistory.filter((entry) => entry.atMs >= fromMs),
    });
  });
  app.get("/api/v1/consistency", (_q, s) => {
    s.json(consistency());
  });
  app.get("/api/v1/faults", (_q, s) => {
    s.json({ faults: [...faults.values()], catalogue });
  });
  app.get("/api/v1/drills", (_q, s) => {
    s.json({
      drills: [
        {
          name: "dc-outage",
          description: "lose datacenter hz-a",
          durationMs: 30_000,
          steps: [
            { atMs: 5000, kind: "inject", label: "inject dc-outage hz-a for 10s" },
            { atMs: 15_000, kind: "heal", label: "dc-outage ends" },
            { atMs: 25_000, kind: "settle", label: "faults healed, world settles" },
            { atMs: 30_000, kind: "verdict", label: "checkers judge the run" },
          ],
          expect: { rtoMsMax: 1500, lostAckedTransfersMax: 0, checkers: ["bank"] },
        },
        {
          name: "region-outage",
          description: "lose region hangzhou",
          durationMs: 95_000,
          steps: [
            { atMs: 10_000, kind: "inject", label: "inject region-outage hangzhou for 60s" },
            { atMs: 70_000, kind: "heal", label: "region-outage ends" },
            { atMs: 90_000, kind: "settle", label: "faults healed, world settles" },
            { atMs: 95_000, kind: "verdict", label: "checkers judge the run" },
          ],
          expect: { rtoMsMax: 1500, lostAckedTransfersMax: 0, checkers: ["linearizable", "bank"] },
        },
      ],
    });
  });
  app.get("/api/v1/drills/runs/:id/report", (request, response) => {
    const run = runs.find((candidate) => candidate.id === request.params.id);
    // As the controller: the report is written when the run ends; until then, its progress.
    if (!run) {
      response.status(404).json({ error: `no drill run ${request.params.id}` });
      return;
    }
    if (run.state !== "done") {
      response
        .status(202)
        .type("text/html")
        .send(`<!doctype html><title>running</title><p>${String(run.progressPct)} %</p>`);
      return;
    }
    response
      .type("text/html")
      .send(`<!doctype html><title>drill ${String(run.drill)}</title><h1>Drill ${String(run.drill)}: ${String(run.outcome)}</h1>`);
  });
  app.get("/api/v1/drills/runs", (_q, s) => {
    s.json({ runs });
  });
  app.get("/api/v1/schedules", (_q, s) => {
    s.json({
      schedules: [
        {
          id: "s-1",
          drill: "dc-outage",
          cron: "0 3 * * 2",
          allowedWindows: [],
          blockedWindows: [],
          maxDurationMs: 600_000,
          enabled: true,
          nextRunMs: 900_000,
          lastRun: null,
        },
      ],
    });
  });
  app.get("/api/v1/audit", (_q, s) => {
    s.json({ entries: audit });
  });

  app.post("/api/v1/regions/:region/evacuate", (request, response) => {
    if (!authorized(request, response)) return;
    const region = request.params.region as string;
    const body = (request.body ?? {}) as { force?: boolean; reason?: string };
    if (drained.length > 0 && !drained.includes(region) && !(body.force && body.reason)) {
      record({ kind: "refusal", action: "evacuate", target: region, outcome: "refused", rule: "one-region-evacuated" });
      response.status(409).json({
        error: `${drained[0]} is already evacuated; evacuating ${region} too would leave one region`,
        rule: "one-region-evacuated",
      });
      return;
    }
    drained.push(region);
    const moved = moveLeaders((cell) =>
      cell.leader?.region !== region
        ? undefined
        : cell.replicas.find((replica) => replica.region !== region && replica.region !== "shenzhen" && replica.state === "up"),
    );
    routedAction(`evacuate ${region}`, { action: "evacuate", target: region, reason: body.reason ?? null });
    response.json({ ok: true, moved, routingVersion });
  });
  app.post("/api/v1/cells/:cell/failover", (request, response) => {
    if (!authorized(request, response)) return;
    const cell = cells.find((candidate) => candidate.id === request.params.cell);
    if (!cell) {
      response.status(404).json({ error: `no cell ${request.params.cell}` });
      return;
    }
    const to = String((request.body as { to?: unknown }).to ?? "");
    const target = cell.replicas.find((replica) => (replica.datacenter === to || replica.region === to) && replica.state === "up");
    if (!target) {
      response.status(409).json({ error: `no caught-up replica of ${cell.id} in ${to}`, rule: "target-caught-up" });
      return;
    }
    lead(cell, target);
    routedAction(`failover ${cell.id} to ${to}`, {
      action: "failover",
      target: cell.id,
      reason: (request.body as { reason?: string }).reason ?? null,
    });
    response.json({ ok: true, leader: cell.leader, routingVersion });
  });
  // Elastic cells (docs/API.md): a cell added with one replica per datacenter, a move whose steps
  // reach the page as the controller's audit entries do, MOVE_STEP_MS (wall) apart, so the page's
  // progress can be watched stage by stage; the cut over hands the shards over in a health event.
  const moves: Record<string, unknown>[] = [];
  const broadcastCells = () => broadcast({ type: "health", cells, regions: regions() });
  app.get("/api/v1/shards/moves", (_q, s) => {
    s.json({ moves: [...moves].reverse() });
  });
  app.post("/api/v1/cells", (request, response) => {
    if (!authorized(request, response)) return;
    const index = Math.max(...cells.map((cell) => Number(cell.id.replace("cell-", "")))) + 1;
    const id = `cell-${index}`;
    const replicas: Replica[] = REGIONS.flatMap((region) =>
      region.datacenters.map((dc) => ({
        id: `${id}/${dc}`,
        datacenter: dc,
        region: region.name,
        role: dc === "hz-a" ? "leader" : "follower",
        state: "up",
        term: 1,
        commitIndex: 1,
        appliedIndex: 1,
        lag: 0,
      })),
    );
    cells.push({
      id,
      preferredRegion: "hangzhou",
      shards: [],
      leader: { replica: `${id}/hz-a`, datacenter: "hz-a", region: "hangzhou" },
      term: 1,
      commitIndex: 1,
      quorumAvailable: true,
      replicas,
      metrics: { tps: 0, p50Ms: 0, p99Ms: 0, errorRate: 0 },
    });
    bumpRouting(`cell ${id} routable`);
    const reason = ((request.body ?? {}) as { reason?: string }).reason ?? null;
    record({ kind: "action", action: "add-cell", target: id, reason, outcome: "routable" });
    broadcastCells();
    broadcastRouting();
    response.status(201).json({ cell: id, region: "hangzhou", leader: `${id}/hz-a`, readyMs: nowMs, routingVersion });
  });
  app.delete("/api/v1/cells/:id", (request, response) => {
    if (!authorized(request, response)) return;
    const at = cells.findIndex((cell) => cell.id === request.params.id);
    if (at < 0) {
      response.status(404).json({ error: `no cell ${request.params.id}` });
      return;
    }
    if ((cells[at] as Cell).shards.length > 0) {
      response.status(409).json({ error: `${request.params.id} owns shards: move them first`, rule: "cell-not-empty" });
      return;
    }
    cells.splice(at, 1);
    bumpRouting(`cell ${request.params.id} removed`);
    record({ kind: "action", action: "remove-cell", target: request.params.id, reason: null, outcome: "ok" });
    broadcastCells();
    response.json({ routingVersion });
  });
  app.post("/api/v1/shards/move", (request, response) => {
    if (!authorized(request, response)) return;
    const body = (request.body ?? {}) as { shards?: unknown; to?: unknown; reason?: string };
    const match = /^(\d+)\.\.(\d+)$/.exec(String(body.shards ?? ""));
    if (match === null) {
      response.status(400).json({ error: 'shards: expected "first..last"', field: "shards" });
      return;
    }
    const destination = cells.find((cell) => cell.id === body.to);
    if (destination === undefined) {
      response.status(400).json({ error: `to: no cell ${String(body.to)}`, field: "to" });
      return;
    }
    const first = Number(match[1]);
    const last = Number(match[2]);
    const source = cells.find((cell) => cell.shards.includes(first)) as Cell;
    const id = `mv-${moves.length + 1}`;
    const target = `${first}..${last} ${source.id} -> ${destination.id}`;
    const move: Record<string, unknown> = { id, first, last, from: source.id, to: destination.id, state: "expecting", steps: [] };
    moves.push(move);
    const reason = body.reason ?? null;
    const step = (action: string, outcome: string) => record({ kind: "action", action, target, reason, outcome, details: { move: id } });
    step("move-shards", "started");
    const plan: [string, string, () => void][] = [
      ["move-shards:expect", "done", () => (move.state = "fencing")],
      ["move-shards:fence", "done: 20 accounts, 40 ids", () => (move.state = "copying")],
      ["move-shards:import", "done", () => {}],
      [
        "move-shards:cut-over",
        "ok",
        () => {
          for (const cell of cells) cell.shards = cell.shards.filter((shard) => shard < first || shard > last);
          for (let shard = first; shard <= last; shard++) destination.shards.push(shard);
          bumpRouting(`shards ${first}..${last} moved`);
          move.state = "cut-over";
          move.routingVersionAfter = routingVersion;
          move.fenceWindowMs = 13.4;
          broadcastCells();
          broadcastRouting();
        },
      ],
    ];
    let index = 0;
    const next = () => {
      const [action, outcome, apply] = plan[index] as [string, string, () => void];
      index++;
      nowMs += 5;
      apply();
      step(action, outcome);
      if (index < plan.length) setTimeout(next, MOVE_STEP_MS);
      else response.json(move);
    };
    setTimeout(next, MOVE_STEP_MS);
  });
  app.get("/healthz", (_q, s) => {
    s.json({ ok: true });
  });
  // The control group as ldc start reports it (docs/API.md): the page's header shows it.
  app.get("/api/v1/control-plane", (_q, s) => {
    if (!control.answering) {
      // Answers only once it answers again (as a request stuck behind a powered-off endpoint).
      const retry = setInterval(() => {
        if (!control.answering) return;
        clearInterval(retry);
        s.status(504).json({ error: "the endpoint did not answer" });
      }, 200);
      return;
    }
    // Without quorum: both hangzhou replicas and one in shanghai are down, no leader.
    const down = new Set(control.quorum ? [] : ["hangzhou-1", "hangzhou-2", "shanghai-1"]);
    s.set("X-LDC-Served-By", control.servedBy).json({
      enabled: true,
      leader: control.quorum ? "ctl/hangzhou-1" : null,
      leaderRegion: control.quorum ? "hangzhou" : null,
      term: control.quorum ? 1 : 2,
      commitIndex: 12,
      replicas: ["hangzhou-1", "hangzhou-2", "shanghai-1", "shanghai-2", "shenzhen-1"].map((id) => ({
        id: `ctl/${id}`,
        region: id.split("-")[0],
        state: down.has(id) ? "down" : control.quorum && id === "hangzhou-1" ? "leader" : "follower",
        matchIndex: control.quorum ? 12 : null,
      })),
      quorum: control.quorum,
      endpoints: [],
      controller: { host: control.quorum ? "ctl/hangzhou-1" : null, handovers: [] },
    });
  });
  app.post("/api/v1/regions/:region/restore", (request, response) => {
    if (!authorized(request, response)) return;
    const region = request.params.region as string;
    const index = drained.indexOf(region);
    if (index >= 0) drained.splice(index, 1);
    // Failback as the controller does it: every cell preferring the region moves its leader home.
    const moved = moveLeaders((cell) =>
      cell.preferredRegion !== region || cell.leader?.region === region
        ? undefined
        : cell.replicas.find((replica) => replica.region === region && replica.state === "up"),
    );
    routedAction(`restore ${region}`, {
      action: "restore",
      target: region,
      reason: ((request.body ?? {}) as { reason?: string }).reason ?? null,
    });
    response.json({ ok: true, moved, routingVersion });
  });
  app.delete("/api/v1/faults/:id", (request, response) => {
    if (!authorized(request, response)) return;
    const fault = faults.get(request.params.id as string);
    if (!fault) {
      response.status(404).json({ error: `no fault ${request.params.id}` });
      return;
    }
    faults.delete(fault.id as string);
    const window = faultWindows.find((candidate) => candidate.id === fault.id);
    if (window) window.endMs = nowMs;
    broadcast({ type: "fault", action: "healed", fault });
    response.status(204).end();
  });
  app.post("/api/v1/faults", (request, response) => {
    if (!authorized(request, response)) return;
    if (halt.halted === true) {
      response.status(409).json({ error: "chaos is halted", rule: "halted" });
      return;
    }
    const body = request.body as { type: string; target: { regions?: string[] }; leaseMs?: number; reason?: string };
    const id = `f-${++faultSequence}`;
    const leaseMs = body.leaseMs ?? 30_000;
    const fault = {
      id,
      type: body.type,
      target: body.target,
      startedMs: nowMs,
      leaseMs,
      expiresMs: nowMs + leaseMs,
      remainingMs: leaseMs,
      affects: { hosts: [], links: body.target.regions ? [body.target.regions] : [] },
    };
    faults.set(id, fault);
    faultWindows.push({ id, type: body.type, startMs: nowMs, endMs: null });
    broadcast({ type: "fault", action: "injected", fault });
    record({ kind: "fault", action: "inject", target: id, reason: body.reason ?? null, outcome: "ok" });
    response.status(201).json(fault);
  });
  app.delete("/api/v1/faults", (request, response) => {
    if (!authorized(request, response)) return;
    for (const fault of faults.values()) broadcast({ type: "fault", action: "healed", fault });
    faults.clear();
    response.status(204).end();
  });
  app.post("/api/v1/drills/:name/runs", (request, response) => {
    if (!authorized(request, response)) return;
    if (halt.halted === true) {
      response.status(409).json({ error: "chaos is halted", rule: "halted" });
      return;
    }
    const run = {
      id: `r-${++runSequence}`,
      drill: request.params.name,
      seed: 1,
      state: "running",
      progressPct: 0,
      outcome: null,
      rtoMs: {},
      lostAckedTransfers: 0,
      checkers: {},
      startedMs: nowMs,
      endedMs: null,
      reasons: [],
      seq: runSequence,
      startedAt: "2026-01-01T01:00:00.000Z",
      endedAt: null,
    };
    runs.push(run);
    response.status(202).json(run);
    // region-outage stays running (as a real one does for 95 s simulated): the tests reload mid-run.
    if (run.drill === "region-outage") {
      const progress = setInterval(() => {
        if (run.state !== "running") {
          clearInterval(progress);
          return;
        }
        run.progressPct = Math.min(99, Math.round(((nowMs - run.startedMs) / 95_000) * 100));
        broadcast({ type: "drill", run });
      }, 500);
      timers.push(progress);
      return;
    }
    setTimeout(() => broadcast({ type: "drill", run: { ...run, progressPct: 50 } }), 100);
    setTimeout(() => {
      Object.assign(run, {
        state: "done",
        progressPct: 100,
        outcome: "SUCCEEDED",
        rtoMs: { "cell-1": 410 },
        checkers: { bank: { valid: true } },
        endedMs: nowMs,
      });
      broadcast({ type: "drill", run });
    }, 300);
  });
  // Drill safety: the kill switch, rehearsals, aborting a run (region-outage runs until aborted), resilience.
  let halt: Record<string, unknown> = { halted: false, reason: null, actor: null, sinceMs: null };
  app.get("/api/v1/halt", (_q, s) => {
    s.json(halt);
  });
  app.post("/api/v1/halt", (request, response) => {
    if (!authorized(request, response)) return;
    const reason = String((request.body as { reason?: unknown }).reason ?? "");
    if (reason === "") {
      response.status(400).json({ error: "reason: a non-empty reason", field: "reason" });
      return;
    }
    const healed = faults.size;
    for (const fault of faults.values()) broadcast({ type: "fault", action: "healed", fault });
    faults.clear();
    halt = { halted: true, reason, actor: "api:127.0.0.1", sinceMs: nowMs };
    record({ kind: "halt", action: "halt", target: "*", reason, outcome: `halted: ${healed} faults healed` });
    broadcast({ type: "halt", state: halt });
    response.json({ ...halt, healedFaults: healed, interruptedRun: null });
  });
  app.post("/api/v1/halt/release", (request, response) => {
    if (!authorized(request, response)) return;
    halt = { halted: false, reason: null, actor: null, sinceMs: null };
    record({ kind: "halt", action: "release", target: "*", outcome: "released" });
    broadcast({ type: "halt", state: halt });
    response.json(halt);
  });
  app.get("/api/v1/readiness", (_q, s) => {
    s.json({
      atMs: nowMs,
      limits: { cellOpsPerSecondMax: 3000, gatewayOpsPerSecondMax: 2500 },
      loadOpsPerSecond: {},
      regions: REGIONS.map((region) => ({
        region: region.name,
        drained: drained.includes(region.name),
        canAbsorbLoss: region.name !== "shanghai",
        headroomOpsPerSecond: region.name === "shanghai" ? -480 : 520,
        gateways: [],
        shortfalls: [],
        cellsWithoutQuorum: [],
        moves: {},
      })),
    });
  });
  app.get("/api/v1/resilience", (_q, s) => {
    const done = runs.filter((run) => run.state === "done");
    const count = (outcome: string) => done.filter((run) => run.drill === "dc-outage" && run.outcome === outcome).length;
    const passed = count("SUCCEEDED");
    s.json({
      atMs: nowMs,
      windowMs: 604_800_000,
      drills: [{ drill: "dc-outage", passed, failed: count("FAILED"), aborted: count("ABORTED"), notRun: 0, score: passed > 0 ? 1 : null }],
      schedules: [],
    });
  });
  app.post("/api/v1/rehearsals", (request, response) => {
    if (!authorized(request, response)) return;
    const action = (request.body as { action?: { kind: string; target: string } }).action;
    if (!action) {
      response.status(400).json({ error: "action: expected exactly one of action or drill", field: "action" });
      return;
    }
    const moved =
      action.kind === "failover" ? [action.target] : cells.filter((cell) => cell.leader?.region === action.target).map((cell) => cell.id);
    setTimeout(
      () =>
        response.json({
          request: { action },
          seed: 1,
          basedOn: { atMs: nowMs, routingVersion, drained: [...drained], faults: [], leaders: {}, loadOpsPerSecond: 1980 },
          outcome: "ok",
          refused: null,
          routingVersionAfter: routingVersion + 1,
          actionMs: 212,
          rtoMs: Object.fromEntries(moved.map((cell, index) => [cell, 180 + 40 * index])),
          errorRate: 0.0021,
          p99Ms: 48.5,
          operations: 17_000,
          shedRequests: 0,
          lostAckedTransfers: 0,
          drill: null,
          simulatedMs: 8500,
          wallMs: 4200,
        }),
      200,
    );
  });
  app.post("/api/v1/drills/runs/:id/abort", (request, response) => {
    if (!authorized(request, response)) return;
    const run = runs.find((candidate) => candidate.id === request.params.id);
    if (!run) {
      response.status(404).json({ error: `no drill run ${request.params.id}` });
      return;
    }
    if (run.state !== "running") {
      response.status(409).json({ error: `drill run ${run.id} is not running` });
      return;
    }
    const reason = String((request.body as { reason?: unknown }).reason ?? "");
    Object.assign(run, { state: "done", progressPct: 100, outcome: "ABORTED", reasons: [`aborted: ${reason}`], endedMs: nowMs });
    record({ kind: "drill", action: "abort", target: String(run.drill), reason, outcome: "aborted" });
    broadcast({ type: "drill", run });
    response.json(run);
  });
  app.use(uiRouter());

  const server = http.createServer(app);
  const wss = new WebSocketServer({ server, path: "/api/v1/events" });
  wss.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.send(
      JSON.stringify({
        type: "hello",
        atMs: nowMs,
        topology: topology(),
        cells,
        regions: regions(),
        routing: routing(),
        faults: [...faults.values()],
        consistency: consistency(),
      }),
    );
  });
  // A few traffic points a second, like the real stream's at-most-every-500-ms pace.
  const timers: ReturnType<typeof setInterval>[] = [];
  const ticker = setInterval(() => {
    nowMs += SAMPLE_PERIOD_MS;
    const sample = traffic();
    history.push(sample);
    if (history.length > HISTORY_SAMPLES_MAX) history.shift();
    broadcast({ type: "traffic", ...sample });
  }, 250);

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    bodies,
    audit,
    control,
    async close() {
      clearInterval(ticker);
      for (const timer of timers) clearInterval(timer);
      for (const socket of sockets) socket.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
