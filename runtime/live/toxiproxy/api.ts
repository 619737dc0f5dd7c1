// Toxiproxy 2.x's HTTP API (api.go) over node:http: same routes, status codes, JSON shapes and
// error bodies. Requests are handled one at a time, in arrival order, because several of them
// bind or close listeners asynchronously and must not interleave (Toxiproxy takes locks).
import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiError } from "./errors.js";
import { decodeFirstValue, expectObject, readField, requestBodyBytesMax, type JsonValue } from "./go-json.js";
import { decodeProxyInput, ProxyCollection } from "./proxy-collection.js";
import { toxicJson } from "./toxic.js";

/** The Toxiproxy release whose API this server reproduces. */
export const toxiproxyApiVersion = "2.12.0";

/** Requests waiting for their turn; beyond this the server answers 503 instead of queueing. */
export const apiRequestsQueuedMax = 256;

type Handler = (request: ApiRequest) => Promise<Reply>;

interface ApiRequest {
  readonly method: string;
  readonly params: Readonly<Record<string, string>>;
  body(): JsonValue;
}

type Reply =
  | { kind: "json"; status: number; body: unknown }
  | { kind: "empty"; status: number }
  | { kind: "text"; status: number; contentType: string; text: string };

interface Route {
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly handlers: Readonly<Record<string, Handler>>;
}

const json = (status: number, body: unknown): Reply => ({ kind: "json", status, body });

export class ToxiproxyApi {
  readonly proxies = new ProxyCollection();
  private readonly routes: Route[];
  private queue: Promise<void> = Promise.resolve();
  private queuedRequests = 0;

  constructor() {
    const proxies = this.proxies;
    this.routes = [
      route("/reset", {
        POST: async () => {
          for (const proxy of proxies.all()) {
            await proxy.start();
            proxy.toxics.reset();
          }
          return { kind: "empty", status: 204 };
        },
      }),
      route("/proxies", {
        GET: async () => json(200, Object.fromEntries(proxies.all().map((proxy) => [proxy.name, proxy.toJSON()]))),
        POST: async (request) => json(201, (await proxies.add(decodeProxyInput(request.body(), "toxiproxy.Proxy"))).toJSON()),
      }),
      route("/populate", {
        POST: async (request) => {
          const result = await proxies.populate(request.body());
          const listed = result.proxies.map((proxy) => proxy.toJSON());
          if (result.error === undefined) return json(201, { proxies: listed });
          return json(result.error.status, { ...result.error.toJSON(), proxies: listed });
        },
      }),
      route("/proxies/:proxy", {
        GET: async (request) => json(200, proxies.get(request.params.proxy).toJSON()),
        POST: (request) => updateProxy(proxies, request),
        PATCH: (request) => updateProxy(proxies, request),
        DELETE: async (request) => {
          proxies.remove(request.params.proxy);
          return { kind: "empty", status: 204 };
        },
      }),
      route("/proxies/:proxy/toxics", {
        GET: async (request) => json(200, proxies.get(request.params.proxy).toxics.list().map(toxicJson)),
        // Toxiproxy answers 200, not 201, to a toxic create.
        POST: async (request) => json(200, toxicJson(proxies.get(request.params.proxy).toxics.add(request.body()))),
      }),
      route("/proxies/:proxy/toxics/:toxic", {
        GET: async (request) => {
          const toxic = proxies.get(request.params.proxy).toxics.get(request.params.toxic);
          if (toxic === undefined) throw new ApiError("TOXIC_NOT_FOUND", "toxic not found", 404);
          return json(200, toxicJson(toxic));
        },
        POST: async (request) =>
          json(200, toxicJson(proxies.get(request.params.proxy).toxics.update(request.params.toxic, request.body()))),
        PATCH: async (request) =>
          json(200, toxicJson(proxies.get(request.params.proxy).toxics.update(request.params.toxic, request.body()))),
        DELETE: async (request) => {
          proxies.get(request.params.proxy).toxics.remove(request.params.toxic);
          return { kind: "empty", status: 204 };
        },
      }),
      route("/version", {
        GET: async () => ({
          kind: "text",
          status: 200,
          contentType: "application/json;charset=utf-8",
          text: `{"version": "${toxiproxyApiVersion}"}\n`,
        }),
      }),
    ];
  }

  /** node:http request listener. */
  handle(request: IncomingMessage, response: ServerResponse): void {
    readBody(request, (bodyText, tooLarge) => {
      if (this.queuedRequests >= apiRequestsQueuedMax) {
        send(response, { kind: "json", status: 503, body: { error: "too many queued requests", status: 503 } });
        return;
      }
      this.queuedRequests += 1;
      this.queue = this.queue
        .then(() => this.dispatch(request, bodyText, tooLarge))
        .then(
          (reply) => send(response, reply),
          (error: unknown) => send(response, errorReply(error)),
        )
        .finally(() => {
          this.queuedRequests -= 1;
        });
    });
  }

  private async dispatch(request: IncomingMessage, bodyText: string, tooLarge: boolean): Promise<Reply> {
    // Toxiproxy refuses browsers, so a web page cannot be tricked into changing proxies (CSRF).
    if ((request.headers["user-agent"] ?? "").startsWith("Mozilla/")) {
      return { kind: "text", status: 403, contentType: "text/plain; charset=utf-8", text: "User agent not allowed\n" };
    }
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    for (const candidate of this.routes) {
      const match = candidate.pattern.exec(path);
      if (match === null) continue;
      const handler = candidate.handlers[request.method ?? "GET"];
      // gorilla/mux: the path matched but not the method.
      if (handler === undefined) return { kind: "empty", status: 405 };
      const params: Record<string, string> = {};
      candidate.names.forEach((name, index) => {
        params[name] = decodeURIComponent(match[index + 1]);
      });
      const body = (): JsonValue => {
        if (tooLarge) throw new ApiError("BAD_REQUEST_BODY", `bad request body: larger than ${requestBodyBytesMax} bytes`, 400);
        return decodeFirstValue(bodyText);
      };
      return handler({ method: request.method ?? "GET", params, body });
    }
    return { kind: "text", status: 404, contentType: "text/plain; charset=utf-8", text: "404 page not found\n" };
  }
}

async function updateProxy(proxies: ProxyCollection, request: ApiRequest): Promise<Reply> {
  const proxy = proxies.get(request.params.proxy);
  const object = expectObject(request.body(), "toxiproxy.Proxy");
  await proxy.update({
    listen: readField(object, "listen", "string", "Proxy.listen") ?? proxy.listen,
    upstream: readField(object, "upstream", "string", "Proxy.upstream") ?? proxy.upstream,
    enabled: readField(object, "enabled", "bool", "Proxy.enabled") ?? proxy.enabled,
  });
  return json(200, proxy.toJSON());
}

function route(template: string, handlers: Record<string, Handler>): Route {
  const names: string[] = [];
  const source = template.replace(/:([a-z]+)/g, (_whole, name: string) => {
    names.push(name);
    return "([^/]+)";
  });
  return { pattern: new RegExp(`^${source}$`), names, handlers };
}

function readBody(request: IncomingMessage, done: (text: string, tooLarge: boolean) => void): void {
  const parts: Buffer[] = [];
  let sizeBytes = 0;
  request.on("data", (part: Buffer) => {
    sizeBytes += part.length;
    // Keep reading past the limit (and discard) so the connection stays usable.
    if (sizeBytes <= requestBodyBytesMax) parts.push(part);
  });
  request.on("end", () => done(Buffer.concat(parts).toString("utf8"), sizeBytes > requestBodyBytesMax));
  request.on("error", () => done("", false));
}

function errorReply(error: unknown): Reply {
  if (error instanceof ApiError) return { kind: "json", status: error.status, body: error.toJSON() };
  const message = error instanceof Error ? error.message : String(error);
  return { kind: "json", status: 500, body: { error: message, status: 500 } };
}

/** Errors go out as Go's http.Error writes them: text/plain, the JSON, a newline. */
function send(response: ServerResponse, reply: Reply): void {
  if (response.writableEnded || response.destroyed) return;
  switch (reply.kind) {
    case "json": {
      const text = JSON.stringify(reply.body);
      if (reply.status >= 400) {
        response.writeHead(reply.status, { "Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff" });
        response.end(`${text}\n`);
      } else {
        response.writeHead(reply.status, { "Content-Type": "application/json" });
        response.end(text);
      }
      return;
    }
    case "empty":
      response.writeHead(reply.status);
      response.end();
      return;
    case "text":
      response.writeHead(reply.status, { "Content-Type": reply.contentType });
      response.end(reply.text);
      return;
  }
}
