// The HTTP edge: docs/API.md under /api/v1, /healthz, /metrics, the OpenAPI document, then the
// UI. Mutating routes need the bearer token; bodies are validated with zod (400 naming the
// field); a safety refusal is 409 {error, rule}.
import { timingSafeEqual } from "node:crypto";
import express, { type NextFunction, type Request, type Response } from "express";
import { collectDefaultMetrics, Registry } from "prom-client";
import { httpStatusOf } from "./status.js";
import type { z } from "zod";
import { uiRouter } from "../../ui/assets.js";
import type { ActionKind, ActionOutcome, ActionRequest, ControllerApi, Result } from "../../domain/records.js";
import { zodFailure } from "../validation.js";
import type { ControlGate } from "../control/gate.js";
import type { ControlPlane } from "../control/plane.js";
import { openApiDocument } from "./openapi.js";
import { parseFaultSpec } from "../../chaos/catalogue.js";
import { ChaosError } from "../../chaos/errors.js";
import { scheduleBodySchema, scheduleUpdateSchema } from "../schedules.js";
import { runProgressHtml } from "./run-progress.js";
import {
  auditQuerySchema,
  resilienceQuerySchema,
  drillRunBodySchema,
  reasonBodySchema,
  rehearsalBodySchema,
  shardMoveBodySchema,
  failoverBodySchema,
  faultBodySchema,
  regionActionBodySchema,
  trafficHistoryQuerySchema,
} from "./schemas.js";

export const bodyBytesMax = 64 * 1024;

/** Routes that change nothing in the world although they are POSTs: not passed through the control group. */
const UNGATED_MUTATIONS = new Set(["/v1/rehearsals"]);

export interface AppOptions {
  readonly token: string;
  /** Serve the web page (off in API-only tests). */
  readonly ui?: boolean;
  /** Extra /healthz fields from the process (ldc start: the pacer's lag and memory). */
  readonly health?: () => Readonly<Record<string, number>>;
  /**
   * The control group (docs/architecture.md "The control plane"): every mutating call is admitted
   * and recorded through it, GET /api/v1/control-plane reports it. Absent: the controller alone.
   */
  readonly control?: ApiControl;
}

/** What the HTTP edge needs of the control plane. */
export interface ApiControl {
  readonly gate: Pick<ControlGate, "admit" | "complete">;
  readonly plane: Pick<ControlPlane, "status" | "endpoint">;
  readonly regions: readonly string[];
  routingVersion(): number;
  /** Where the controller's decision loop runs (the control leader's host, null: nowhere) and its last moves. */
  controller?(): { readonly host: string | null; readonly handovers: readonly unknown[] };
}

/** `Authorization: Bearer <token>`; the scheme is case-insensitive (RFC 7235 section 2.1). */
function tokenMatches(header: string | undefined, token: string): boolean {
  const match = header === undefined ? null : /^bearer +(.+)$/i.exec(header);
  if (match === null) return false;
  const given = Buffer.from(match[1] as string);
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

function parse<T>(schema: z.ZodType<T>, value: unknown, response: Response): T | undefined {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const failure = zodFailure(parsed.error);
  response.status(400).json({ error: failure.error, field: failure.field });
  return undefined;
}

/** docs/API.md: every 400 names its field; one that names none is about the body as a whole. */
function fieldOf(status: number, field: string | undefined): { field?: string } {
  if (field !== undefined && field !== "") return { field };
  return status === 400 ? { field: "(body)" } : {};
}

function sendResult<T>(response: Response, result: Result<T>, okStatus: number, body?: (value: T) => unknown): void {
  if (!result.ok) {
    response
      .status(httpStatusOf(result.code))
      .json({ error: result.error, ...fieldOf(httpStatusOf(result.code), result.field), ...(result.rule ? { rule: result.rule } : {}) });
    return;
  }
  if (okStatus === 204) response.status(204).end();
  else response.status(okStatus).json(body ? body(result.value) : result.value);
}

function sendAction(response: Response, kind: ActionKind, outcome: ActionOutcome): void {
  if (!outcome.ok) {
    response.status(httpStatusOf(outcome.code)).json({
      error: outcome.error,
      ...fieldOf(httpStatusOf(outcome.code), outcome.field),
      ...(outcome.rule ? { rule: outcome.rule } : {}),
      ...(outcome.figures ?? {}),
    });
    return;
  }
  const base = {
    ok: true,
    routingVersion: outcome.routingVersion,
    routingVersionBefore: outcome.routingVersionBefore,
    overrodeRules: outcome.overrodeRules,
  };
  if (kind === "failover") response.json({ ...base, leader: outcome.moved[0]?.leader ?? null });
  else response.json({ ...base, moved: outcome.moved.map((entry) => entry.cell), leaders: outcome.moved });
}

/** The control group's gauges (docs/operator.md "Metrics and Grafana"), in Prometheus text. */
function controlMetricsText(control: ApiControl): string {
  const status = control.plane.status();
  const up = status.replicas.filter((replica) => replica.state !== "down").length;
  const lines = [
    "# HELP ldc_control_quorum 1 while the control group has a leader in contact with a majority",
    "# TYPE ldc_control_quorum gauge",
    `ldc_control_quorum ${status.quorum ? 1 : 0}`,
    "# HELP ldc_control_term The control group's highest Raft term",
    "# TYPE ldc_control_term gauge",
    `ldc_control_term ${status.term}`,
    "# HELP ldc_control_replicas_up Control replicas whose process runs",
    "# TYPE ldc_control_replicas_up gauge",
    `ldc_control_replicas_up ${up}`,
    "# HELP ldc_control_leader_region 1 for the region holding the control leader",
    "# TYPE ldc_control_leader_region gauge",
    ...control.regions.map((region) => `ldc_control_leader_region{region="${region}"} ${status.leaderRegion === region ? 1 : 0}`),
  ];
  return `${lines.join("\n")}\n\n`;
}

/** The region endpoint a caller chose: `X-LDC-Region`, else `?via=`; null: the first that answers. */
function viaOf(request: Request): string | null {
  const header = request.get("x-ldc-region");
  if (header !== undefined && header !== "") return header;
  const query = request.query.via;
  return typeof query === "string" && query !== "" ? query : null;
}

/** A body the route would refuse: checked before the control group is asked (validation needs no quorum). */
type BodyCheck = (
  body: unknown,
  controller?: Pick<ControllerApi, "faultInputRefusal">,
) => { readonly error: string; readonly field: string } | null;

function schemaCheck(schema: z.ZodType<unknown>): BodyCheck {
  return (body) => {
    const parsed = schema.safeParse(body ?? {});
    return parsed.success ? null : zodFailure(parsed.error);
  };
}

/** The fault spec's own form (chaos/catalogue.ts) and its target's names against the world (when the controller can tell). */
const faultCheck: BodyCheck = (body, controller) => {
  const shape = schemaCheck(faultBodySchema)(body);
  if (shape !== null) return shape;
  const { reason: _reason, ...spec } = body as Record<string, unknown>;
  try {
    parseFaultSpec(spec);
  } catch (error) {
    if (error instanceof ChaosError) return { error: error.message, field: error.field };
    throw error;
  }
  return controller?.faultInputRefusal?.(spec) ?? null;
};

/** Every mutating route's body check, in the order the routes are declared below (method, path pattern). */
const BODY_CHECKS: readonly (readonly [string, RegExp, BodyCheck])[] = [
  ["POST", /^\/v1\/cells\/[^/]+\/failover$/, schemaCheck(failoverBodySchema)],
  ["POST", /^\/v1\/regions\/[^/]+\/(evacuate|restore)$/, schemaCheck(regionActionBodySchema)],
  ["POST", /^\/v1\/cells$/, schemaCheck(reasonBodySchema)],
  ["DELETE", /^\/v1\/cells\/[^/]+$/, schemaCheck(reasonBodySchema)],
  ["POST", /^\/v1\/cells\/[^/]+\/split$/, schemaCheck(reasonBodySchema)],
  ["POST", /^\/v1\/shards\/move$/, schemaCheck(shardMoveBodySchema)],
  ["POST", /^\/v1\/faults$/, faultCheck],
  ["POST", /^\/v1\/drills\/runs\/[^/]+\/abort$/, schemaCheck(reasonBodySchema)],
  ["POST", /^\/v1\/drills\/[^/]+\/runs$/, schemaCheck(drillRunBodySchema)],
  ["POST", /^\/v1\/halt$/, schemaCheck(reasonBodySchema)],
  ["POST", /^\/v1\/halt\/release$/, schemaCheck(reasonBodySchema)],
  ["POST", /^\/v1\/schedules$/, schemaCheck(scheduleBodySchema)],
  ["PUT", /^\/v1\/schedules\/[^/]+$/, schemaCheck(scheduleUpdateSchema)],
];

/** The 400 a mutating call's body earns (null: its form is valid, or the route checks nothing); `controller` checks names against the world. */
export function bodyRefusal(
  method: string,
  path: string,
  body: unknown,
  controller?: Pick<ControllerApi, "faultInputRefusal">,
): { readonly error: string; readonly field: string } | null {
  const check = BODY_CHECKS.find(([routeMethod, pattern]) => routeMethod === method && pattern.test(path));
  return check === undefined ? null : check[2](body, controller);
}

/**
 * Reads are served at the chosen region's endpoint with their routing version; mutating calls are
 * admitted through the control group (503 control-quorum without a quorum, nothing run), run, and
 * answered only once their end (answer, audit, routing) is committed. A retry carrying the same
 * Idempotency-Key gets the recorded answer, never a second application.
 */
/** The button press a mutating route is (failover, evacuate, restore), for its input check before the gate; null: another route. */
function actionOfRoute(method: string, path: string, body: unknown): ActionRequest | null {
  if (method !== "POST") return null;
  const fields = (body ?? {}) as { to?: string; reason?: string; force?: boolean };
  const common = { reason: fields.reason, force: fields.force, actor: "api" };
  const failover = /^\/v1\/cells\/([^/]+)\/failover$/.exec(path);
  if (failover !== null) return { kind: "failover", target: decodeURIComponent(failover[1] as string), to: fields.to, ...common };
  const region = /^\/v1\/regions\/([^/]+)\/(evacuate|restore)$/.exec(path);
  if (region !== null) return { kind: region[2] as "evacuate" | "restore", target: decodeURIComponent(region[1] as string), ...common };
  return null;
}

function controlPlaneEdge(control: ApiControl, controller: Pick<ControllerApi, "faultInputRefusal" | "actionInputRefusal">) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const via = viaOf(request);
    if (via !== null && !control.regions.includes(via)) {
      response.status(400).json({ error: `via: no region ${via}; expected one of ${control.regions.join(", ")}`, field: "via" });
      return;
    }
    const read = request.method === "GET" || request.method === "HEAD" || request.method === "OPTIONS";
    if (read || UNGATED_MUTATIONS.has(request.path)) {
      const endpoint = control.plane.endpoint(via);
      if (!endpoint.ok) {
        response.status(503).json({ error: endpoint.error, rule: "control-endpoint" });
        return;
      }
      response.set("X-LDC-Served-By", endpoint.endpoint.region);
      response.set("X-LDC-Routing-Version", String(control.routingVersion()));
      next();
      return;
    }
    // A bad body is 400 naming its field whether or not the control group has a quorum: only a
    // call that could run waits for the group (503 control-quorum when it cannot commit).
    const refusal = bodyRefusal(request.method, request.path, request.body, controller);
    if (refusal !== null) {
      response.status(400).json({ error: refusal.error, field: refusal.field });
      return;
    }
    // So is a button naming a cell or region the world does not have (404), as the action would answer.
    const action = actionOfRoute(request.method, request.path, request.body);
    const actionRefusal = action === null ? null : (controller.actionInputRefusal?.(action) ?? null);
    if (actionRefusal !== null) {
      const status = actionRefusal.code === "NOT_FOUND" ? 404 : 400;
      response
        .status(status)
        .json({ error: actionRefusal.error, ...(actionRefusal.field !== undefined && { field: actionRefusal.field }) });
      return;
    }
    const key = request.get("idempotency-key") ?? null;
    if (key !== null && !/^[A-Za-z0-9._:-]{1,128}$/.test(key)) {
      response.status(400).json({ error: "Idempotency-Key: expected 1 to 128 letters, digits, . _ : -", field: "Idempotency-Key" });
      return;
    }
    control.gate.admit(
      { key, via, method: request.method, path: `/api${request.path}`, actor: `api:${request.ip ?? "unknown"}` },
      (admission) => {
        if (admission.via !== null) response.set("X-LDC-Served-By", admission.via);
        switch (admission.kind) {
          case "refused":
            response.status(503).json({ error: admission.error, rule: "control-quorum" });
            return;
          case "key-reused":
            response.status(409).json({
              error: `Idempotency-Key ${key ?? ""} was first used for ${admission.call}; use a new key for another call`,
              rule: "idempotency-key-reused",
            });
            return;
          case "in-progress":
            response.status(409).json({ error: `request ${key ?? admission.key} is still running`, rule: "request-in-progress" });
            return;
          case "replay": {
            response.set("X-LDC-Replayed", "true").status(admission.response.status);
            if (admission.response.body === null) response.end();
            else response.json(admission.response.body);
            return;
          }
          case "go":
            holdUntilRecorded(control, admission, response);
            next();
            return;
        }
      },
    );
  };
}

/** The handler's answer goes out only once the control group committed it (with the audit it wrote). */
function holdUntilRecorded(control: ApiControl, admission: { readonly key: string; readonly via: string }, response: Response): void {
  const json = response.json.bind(response);
  const end = response.end.bind(response) as (...args: unknown[]) => Response;
  let held = false;
  const hold = (body: unknown, release: () => void): void => {
    held = true;
    control.gate.complete(admission, { status: response.statusCode, body }, (completion) => {
      if (completion.ok) release();
      else response.status(503).json({ error: completion.error, rule: "control-quorum", applied: true });
    });
  };
  response.json = (body: unknown) => {
    if (held) return json(body);
    hold(body, () => json(body));
    return response;
  };
  response.end = ((...args: unknown[]) => {
    if (held) return end(...args);
    hold(null, () => end(...args));
    return response;
  }) as Response["end"];
}

export function createApp(controller: ControllerApi, options: AppOptions): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(express.json({ limit: bodyBytesMax, strict: false, type: () => true }));

  app.use("/api", (request: Request, response: Response, next: NextFunction) => {
    if (request.method === "GET" || request.method === "HEAD" || request.method === "OPTIONS") return next();
    if (!tokenMatches(request.get("authorization"), options.token)) {
      response.status(401).json({ error: "missing or invalid bearer token" });
      return;
    }
    next();
  });
  const actor = (request: Request): string => `api:${request.ip ?? "unknown"}`;
  if (options.control !== undefined) app.use("/api", controlPlaneEdge(options.control, controller));

  app.get("/healthz", (_request, response) => void response.json({ ok: true, ...options.health?.() }));
  // prom-client's process metrics (CPU, RSS, heap, event-loop lag, GC) beside the controller's own.
  const processMetrics = new Registry();
  collectDefaultMetrics({ register: processMetrics });
  app.get("/metrics", (_request, response, next) => {
    Promise.all([controller.metricsText(), processMetrics.metrics()]).then(
      ([own, process]) =>
        response
          .type("text/plain; version=0.0.4")
          .send(`${own}\n${options.control === undefined ? "" : controlMetricsText(options.control)}${process}`),
      next,
    );
  });
  app.get("/api/v1/openapi.json", (_request, response) => void response.json(openApiDocument()));
  // ?view=truth: the world as it is (the checkers' view), not as the controller's probes see it.
  const truthWanted = (request: Request, response: Response): boolean | undefined => {
    const view = request.query.view;
    if (view === undefined || view === "probes") return false;
    if (view === "truth") return true;
    response.status(400).json({ error: `view: expected probes or truth, got ${JSON.stringify(view)}`, field: "view" });
    return undefined;
  };
  app.get("/api/v1/topology", (request, response) => {
    const truth = truthWanted(request, response);
    if (truth !== undefined) response.json(controller.topology(truth));
  });
  app.get("/api/v1/cells", (request, response) => {
    const truth = truthWanted(request, response);
    if (truth !== undefined) response.json({ cells: truth && controller.truth ? controller.truth().cells : controller.cells() });
  });
  app.get("/api/v1/cells/:cell", (request, response) => {
    const cell = controller.cells().find((candidate) => candidate.id === request.params.cell);
    if (cell === undefined) response.status(404).json({ error: `no cell ${request.params.cell}` });
    else response.json(cell);
  });
  app.get("/api/v1/regions", (request, response) => {
    const truth = truthWanted(request, response);
    if (truth !== undefined) response.json({ regions: truth && controller.truth ? controller.truth().regions : controller.regions() });
  });
  app.get("/api/v1/routing", (_request, response) => void response.json(controller.routing()));
  app.get("/api/v1/traffic", (_request, response) => void response.json(controller.traffic()));
  app.get("/api/v1/traffic/history", (request, response) => {
    const query = parse(trafficHistoryQuerySchema, request.query, response);
    if (query !== undefined) response.json(controller.trafficHistory(query.windowMs ?? 5 * 60_000));
  });
  app.get("/api/v1/consistency", (_request, response) => void response.json(controller.consistency()));
  app.get("/api/v1/faults", (_request, response) => void response.json(controller.faults()));
  app.get("/api/v1/drills", (_request, response) => void response.json({ drills: controller.drills() }));
  app.get("/api/v1/drills/runs", (_request, response) => void response.json({ runs: controller.drillRuns() }));
  app.get("/api/v1/drills/runs/:id", (request, response) => {
    const run = controller.drillRun(request.params.id);
    if (run === undefined) response.status(404).json({ error: `no drill run ${request.params.id}` });
    else response.json(run);
  });
  app.get("/api/v1/drills/runs/:id/report", (request, response) => {
    const report = controller.drillReport(request.params.id);
    const run = controller.drillRun(request.params.id);
    if (report !== undefined) response.type("text/html; charset=utf-8").send(report);
    // Running: no report yet, so its progress (202: the report is on its way).
    else if (run?.state === "running") response.status(202).type("text/html; charset=utf-8").send(runProgressHtml(run));
    else
      response.status(404).json({
        error:
          run === undefined
            ? `no drill run ${request.params.id}`
            : `drill run ${run.id} ended without a report: ${run.reasons.join("; ") || "no reason recorded"}`,
      });
  });
  app.get("/api/v1/schedules", (_request, response) => void response.json({ schedules: controller.schedules() }));
  app.get("/api/v1/control-plane", (_request, response) => {
    // Without a control group (the live runtime): 200 all the same, so a page polling it sees no error.
    if (options.control === undefined) response.json({ enabled: false, leader: null, term: 0, replicas: [], quorum: null });
    else
      response.json({
        enabled: true,
        ...options.control.plane.status(),
        ...(options.control.controller?.() && { controller: options.control.controller() }),
      });
  });
  app.get("/api/v1/audit", (request, response) => {
    const query = parse(auditQuerySchema, request.query, response);
    if (query !== undefined) response.json({ entries: controller.audit(query) });
  });

  app.post("/api/v1/cells/:cell/failover", (request, response) => {
    const body = parse(failoverBodySchema, request.body, response);
    if (body === undefined) return;
    controller.act(
      { kind: "failover", target: request.params.cell, to: body.to, reason: body.reason, force: body.force, actor: actor(request) },
      (outcome) => sendAction(response, "failover", outcome),
    );
  });
  for (const kind of ["evacuate", "restore"] as const) {
    app.post(`/api/v1/regions/:region/${kind}`, (request, response) => {
      const body = parse(regionActionBodySchema, request.body, response);
      if (body === undefined) return;
      controller.act(
        { kind, target: request.params.region as string, reason: body.reason, force: body.force, actor: actor(request) },
        (outcome) => sendAction(response, kind, outcome),
      );
    });
  }
  // Elastic cells (docs/API.md "Elastic cells"): each answers when done (routable, cut over or rolled back).
  const notElastic = (response: Response): void =>
    void response.status(409).json({ error: "this runtime cannot add cells or move shards", rule: "cell-not-ready" });
  app.post("/api/v1/cells", (request, response) => {
    const body = parse(reasonBodySchema, request.body, response);
    if (body === undefined) return;
    if (controller.addCell === undefined) return notElastic(response);
    controller.addCell(body.reason, actor(request), (result) => sendResult(response, result, 201));
  });
  app.delete("/api/v1/cells/:cell", (request, response) => {
    const body = parse(reasonBodySchema, request.body, response);
    if (body === undefined) return;
    if (controller.removeCell === undefined) return notElastic(response);
    sendResult(response, controller.removeCell(request.params.cell, body.reason, actor(request)), 200);
  });
  app.post("/api/v1/cells/:cell/split", (request, response) => {
    const body = parse(reasonBodySchema, request.body, response);
    if (body === undefined) return;
    if (controller.splitCell === undefined) return notElastic(response);
    controller.splitCell(request.params.cell, body.reason, actor(request), (result) => sendResult(response, result, 200));
  });
  app.post("/api/v1/shards/move", (request, response) => {
    const body = parse(shardMoveBodySchema, request.body, response);
    if (body === undefined) return;
    if (controller.moveShards === undefined) return notElastic(response);
    controller.moveShards({ shards: body.shards, to: body.to, reason: body.reason, actor: actor(request) }, (result) =>
      sendResult(response, result, 200),
    );
  });
  app.get("/api/v1/shards/moves", (_request, response) => void response.json({ moves: controller.shardMoves?.() ?? [] }));
  app.get(
    "/api/v1/scale-out",
    (_request, response) => void response.json(controller.scaleOutStatus?.() ?? { enabled: false, actions: [] }),
  );
  app.post("/api/v1/faults", (request, response) => {
    const body = parse(faultBodySchema, request.body, response);
    if (body === undefined) return;
    // The reason is the operator's, for the audit log; the fault spec goes to chaos without it.
    const { reason, ...spec } = body;
    sendResult(response, controller.injectFault(spec, actor(request), reason), 201);
  });
  app.delete("/api/v1/faults", (request, response) => {
    controller.healAllFaults(actor(request));
    response.status(204).end();
  });
  app.delete("/api/v1/faults/:id", (request, response) =>
    sendResult(response, controller.healFault(request.params.id, actor(request)), 204),
  );
  app.post("/api/v1/drills/:name/runs", (request, response) => {
    const body = parse(drillRunBodySchema, request.body, response);
    if (body === undefined) return;
    sendResult(
      response,
      controller.runDrill(request.params.name, {
        seed: body.seed,
        force: body.force,
        reason: body.reason,
        actor: actor(request),
        ...(body.stop === undefined ? {} : { stop: body.stop }),
      }),
      202,
    );
  });
  app.post("/api/v1/drills/runs/:id/abort", (request, response) => {
    const body = parse(reasonBodySchema, request.body, response);
    if (body === undefined) return;
    sendResult(response, controller.abortDrill(request.params.id, body.reason, actor(request)), 200);
  });
  app.post("/api/v1/rehearsals", (request, response, next) => {
    const body = parse(rehearsalBodySchema, request.body, response);
    if (body === undefined) return;
    const rehearsal = body.action !== undefined ? { action: body.action } : { drill: body.drill as string };
    controller.rehearse(rehearsal).then((result) => sendResult(response, result, 200), next);
  });
  app.get("/api/v1/resilience", (request, response) => {
    const query = parse(resilienceQuerySchema, request.query, response);
    if (query !== undefined) response.json(controller.resilience(query.windowMs));
  });
  app.get("/api/v1/readiness", (_request, response) => void response.json(controller.readiness()));
  app.get("/api/v1/halt", (_request, response) => void response.json(controller.haltState()));
  app.post("/api/v1/halt", (request, response) => {
    const body = parse(reasonBodySchema, request.body, response);
    if (body !== undefined) sendResult(response, controller.halt(body.reason, actor(request)), 200);
  });
  app.post("/api/v1/halt/release", (request, response) => {
    const body = parse(reasonBodySchema, request.body, response);
    if (body !== undefined) sendResult(response, controller.releaseHalt(body.reason, actor(request)), 200);
  });
  app.post("/api/v1/schedules", (request, response) =>
    sendResult(response, controller.createSchedule(request.body ?? {}, actor(request)), 201),
  );
  app.put("/api/v1/schedules/:id", (request, response) =>
    sendResult(response, controller.updateSchedule(request.params.id, request.body ?? {}, actor(request)), 200),
  );
  app.delete("/api/v1/schedules/:id", (request, response) =>
    sendResult(response, controller.deleteSchedule(request.params.id, actor(request)), 204),
  );

  app.use("/api", (request, response) => void response.status(404).json({ error: `no route ${request.method} ${request.path}` }));
  if (options.ui !== false) app.use(uiRouter());

  // Malformed JSON, oversized bodies and anything thrown: JSON errors, never an HTML page.
  app.use((error: unknown, _request: Request, response: Response, _next: NextFunction) => {
    const status =
      typeof error === "object" && error !== null && typeof (error as { status?: unknown }).status === "number"
        ? (error as { status: number }).status
        : 500;
    if (status >= 400 && status < 500) {
      const type = (error as { type?: string }).type;
      const message =
        type === "entity.parse.failed"
          ? "(body): malformed JSON"
          : type === "entity.too.large"
            ? `(body): at most ${bodyBytesMax} bytes`
            : (error as Error).message;
      response.status(status).json({ error: message, field: "(body)" });
      return;
    }
    response.status(500).json({ error: `internal error: ${error instanceof Error ? error.message : String(error)}` });
  });
  return app;
}
