// The OpenAPI 3 document of docs/API.md's routes, generated from one route table so the two
// cannot drift apart silently.
interface RouteDoc {
  readonly method: "get" | "post" | "put" | "delete";
  readonly path: string;
  readonly summary: string;
  readonly body?: Record<string, unknown>;
  readonly ok: number;
}

const reasonForce = { reason: { type: "string" }, force: { type: "boolean" } };
/** The body of a call that needs nothing but why (abort, halt, release). */
const reasonRequired = { type: "object", required: ["reason"], properties: { reason: { type: "string" } } };
const stopConditions = {
  type: "object",
  properties: {
    errorRateMax: { type: "number" },
    p99MsMax: { type: "number" },
    lostAckedTransfersMax: { type: "integer" },
    unavailableMsMax: { type: "number" },
    window: { type: "string" },
  },
};

export const ROUTES: readonly RouteDoc[] = [
  { method: "get", path: "/api/v1/topology", summary: "Regions, datacenters, links with their state", ok: 200 },
  { method: "get", path: "/api/v1/cells", summary: "Every cell with leader, replicas and metrics", ok: 200 },
  { method: "get", path: "/api/v1/cells/{cell}", summary: "One cell", ok: 200 },
  { method: "get", path: "/api/v1/regions", summary: "Regions with gateway state and leaders", ok: 200 },
  { method: "get", path: "/api/v1/routing", summary: "The routing table with its version and history", ok: 200 },
  { method: "get", path: "/api/v1/traffic", summary: "Per region and cell rates and latency", ok: 200 },
  {
    method: "get",
    path: "/api/v1/traffic/history",
    summary:
      "The last ?windowMs (1000..900000, default 300000) of traffic samples, fault windows and routing versions, from a bounded ring",
    ok: 200,
  },
  { method: "get", path: "/api/v1/consistency", summary: "Online checkers", ok: 200 },
  { method: "get", path: "/api/v1/faults", summary: "Active faults and the catalogue", ok: 200 },
  {
    method: "post",
    path: "/api/v1/faults",
    summary: "Inject a fault",
    body: {
      type: "object",
      required: ["type"],
      properties: {
        type: { type: "string" },
        target: { type: "object" },
        leaseMs: { type: "integer" },
        params: { type: "object" },
        reason: { type: "string" },
      },
    },
    ok: 201,
  },
  { method: "delete", path: "/api/v1/faults", summary: "Heal every fault", ok: 204 },
  { method: "delete", path: "/api/v1/faults/{id}", summary: "Heal one fault", ok: 204 },
  {
    method: "post",
    path: "/api/v1/cells/{cell}/failover",
    summary: "Move a cell's leader to a region or datacenter",
    body: { type: "object", required: ["to"], properties: { to: { type: "string" }, ...reasonForce } },
    ok: 200,
  },
  {
    method: "post",
    path: "/api/v1/regions/{region}/evacuate",
    summary: "Move every leader out of a region and drain its gateway",
    body: { type: "object", properties: reasonForce },
    ok: 200,
  },
  {
    method: "post",
    path: "/api/v1/regions/{region}/restore",
    summary: "Failback: gateway active again, cells back to their preferred region one at a time",
    body: { type: "object", properties: reasonForce },
    ok: 200,
  },
  { method: "get", path: "/api/v1/drills", summary: "Drill catalogue", ok: 200 },
  {
    method: "post",
    path: "/api/v1/drills/{name}/runs",
    summary: "Start a drill run (stop: stop conditions for this run)",
    body: { type: "object", properties: { seed: { type: "integer" }, ...reasonForce, stop: stopConditions } },
    ok: 202,
  },
  { method: "get", path: "/api/v1/drills/runs", summary: "Drill runs", ok: 200 },
  {
    method: "post",
    path: "/api/v1/drills/runs/{id}/abort",
    summary: "Abort a running drill: heal its faults, ABORTED with the reason",
    body: reasonRequired,
    ok: 200,
  },
  { method: "get", path: "/api/v1/drills/runs/{id}", summary: "One drill run", ok: 200 },
  {
    method: "get",
    path: "/api/v1/drills/runs/{id}/report",
    summary: "The HTML report of a run (202 with a progress page while it runs)",
    ok: 200,
  },
  {
    method: "post",
    path: "/api/v1/rehearsals",
    summary: "Run an action or a drill in a simulated copy of the current state; answers with the predicted outcome",
    body: {
      type: "object",
      properties: {
        action: {
          type: "object",
          required: ["kind", "target"],
          properties: {
            kind: { type: "string", enum: ["failover", "evacuate", "restore"] },
            target: { type: "string" },
            to: { type: "string" },
            ...reasonForce,
          },
        },
        drill: { type: "string" },
      },
    },
    ok: 200,
  },
  {
    method: "get",
    path: "/api/v1/resilience",
    summary: "Resilience score per drill and schedule over a window (?windowMs, default 7 days simulated)",
    ok: 200,
  },
  {
    method: "get",
    path: "/api/v1/readiness",
    summary: "Per region: could its loss be absorbed now (capacity from the measured load, quorum), and the headroom",
    ok: 200,
  },
  { method: "post", path: "/api/v1/cells", summary: "Add a cell (2 + 2 + 1), answered once it is routable", body: reasonRequired, ok: 201 },
  { method: "delete", path: "/api/v1/cells/{cell}", summary: "Remove an empty cell", body: reasonRequired, ok: 200 },
  {
    method: "post",
    path: "/api/v1/cells/{cell}/split",
    summary: "Add a cell and move the upper half of this cell's shards to it",
    body: reasonRequired,
    ok: 200,
  },
  {
    method: "post",
    path: "/api/v1/shards/move",
    summary: "Move a shard range to another cell online (fence, copy through Raft, cut over); answered cut over or rolled back",
    body: {
      type: "object",
      required: ["shards", "to", "reason"],
      properties: { shards: { type: "string", example: "17..20" }, to: { type: "string" }, reason: { type: "string" } },
    },
    ok: 200,
  },
  { method: "get", path: "/api/v1/shards/moves", summary: "Shard moves, newest first, with duration, fence window and steps", ok: 200 },
  {
    method: "get",
    path: "/api/v1/scale-out",
    summary: "The automatic scale-out policy: enabled, its settings, cells above the line, cells it added, its actions (newest first)",
    ok: 200,
  },
  {
    method: "get",
    path: "/api/v1/control-plane",
    summary: "The control group: leader, term, replicas with match indexes, quorum, region endpoints (enabled false without one)",
    ok: 200,
  },
  { method: "get", path: "/api/v1/halt", summary: "The kill switch's state", ok: 200 },
  {
    method: "post",
    path: "/api/v1/halt",
    summary: "Kill switch: heal every fault, interrupt the running drill, pause schedules, refuse new faults and drills (409 halted)",
    body: reasonRequired,
    ok: 200,
  },
  {
    method: "post",
    path: "/api/v1/halt/release",
    summary: "Release the kill switch",
    body: reasonRequired,
    ok: 200,
  },
  { method: "get", path: "/api/v1/schedules", summary: "Drill schedules", ok: 200 },
  {
    method: "post",
    path: "/api/v1/schedules",
    summary: "Create a schedule",
    body: {
      type: "object",
      required: ["drill", "cron"],
      properties: {
        drill: { type: "string" },
        cron: { type: "string" },
        allowedWindows: { type: "array", items: { type: "string" } },
        blockedWindows: { type: "array", items: { type: "string" } },
        maxDurationMs: { type: "integer" },
        enabled: { type: "boolean" },
      },
    },
    ok: 201,
  },
  { method: "put", path: "/api/v1/schedules/{id}", summary: "Update a schedule", body: { type: "object" }, ok: 200 },
  { method: "delete", path: "/api/v1/schedules/{id}", summary: "Delete a schedule", ok: 204 },
  { method: "get", path: "/api/v1/audit", summary: "Audit log, newest first (?limit, ?kind)", ok: 200 },
];

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const parameters = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => ({
      name: match[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const mutating = route.method !== "get";
    const responses: Record<string, unknown> = { [String(route.ok)]: { description: "success" } };
    if (mutating)
      Object.assign(responses, {
        "400": { description: "bad body: {error, field}" },
        "401": { description: "missing or invalid bearer token" },
        "409": { description: "refused by a safety rule: {error, rule}" },
      });
    if (parameters.length > 0) responses["404"] = { description: "unknown id" };
    (paths[route.path] ??= {})[route.method] = {
      summary: route.summary,
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: false, content: { "application/json": { schema: route.body } } } } : {}),
      ...(mutating ? { security: [{ bearer: [] }] } : {}),
      responses,
    };
  }
  return {
    openapi: "3.0.3",
    info: { title: "ldc controller API", version: "1" },
    paths,
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
  };
}
