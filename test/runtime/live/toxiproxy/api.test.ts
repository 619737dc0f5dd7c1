// Every call of toxiproxy-node-client against the embedded server, and the bad requests a real
// Toxiproxy answers with 4xx/5xx, each followed by proof that the server still serves.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:net";
import { Toxiproxy, ToxiproxyError } from "toxiproxy-node-client";
import { startToxiproxyServer, type ToxiproxyServer } from "../../../../runtime/live/toxiproxy/index.js";
import { connectTo, raw, startUpstream, tryConnect, type Upstream } from "./helpers.js";

let server: ToxiproxyServer;
let upstream: Upstream;
let client: Toxiproxy;

beforeAll(async () => {
  server = await startToxiproxyServer({ port: 0 });
  upstream = await startUpstream();
  client = new Toxiproxy(server.url);
});

afterAll(async () => {
  await server.close();
  await upstream.close();
});

async function stillServing(): Promise<void> {
  expect(JSON.parse(await client.getVersion())).toEqual({ version: "2.12.0" });
}

describe("toxiproxy-node-client against the embedded server", () => {
  it("creates, lists, gets, updates and removes proxies", async () => {
    const created = await client.createProxy({ name: "api-a", listen: "127.0.0.1:0", upstream: upstream.address });
    expect(created.name).toBe("api-a");
    expect(created.enabled).toBe(true);
    expect(created.listen).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(created.listen).not.toBe("127.0.0.1:0");

    const all = await client.getAll();
    expect(Object.keys(all)).toContain("api-a");
    expect(all["api-a"].upstream).toBe(upstream.address);

    const fetched = await client.get("api-a");
    expect(fetched.toJson()).toEqual({ name: "api-a", listen: created.listen, upstream: upstream.address, enabled: true });

    const disabled = await fetched.update({ enabled: false, listen: fetched.listen, upstream: fetched.upstream });
    expect(disabled.enabled).toBe(false);
    expect(await tryConnect(created.listen)).toBe("ECONNREFUSED");
    const enabled = await disabled.update({ enabled: true, listen: disabled.listen, upstream: disabled.upstream });
    expect(enabled.enabled).toBe(true);
    expect(await tryConnect(enabled.listen)).toBe("connected");

    await enabled.remove();
    await expect(client.get("api-a")).rejects.toBeInstanceOf(ToxiproxyError);
    expect(await tryConnect(enabled.listen)).toBe("ECONNREFUSED");
  });

  it("populates proxies, keeping unchanged ones and their toxics", async () => {
    const first = await client.populate([
      { name: "pop-1", listen: "127.0.0.1:0", upstream: upstream.address },
      { name: "pop-2", listen: "127.0.0.1:0", upstream: upstream.address, enabled: false },
    ]);
    expect(Object.keys(first).sort()).toEqual(["pop-1", "pop-2"]);
    expect(first["pop-1"].enabled).toBe(true);
    expect(first["pop-2"].enabled).toBe(false);
    await first["pop-1"].addToxic({
      name: "keep",
      type: "latency",
      stream: "downstream",
      toxicity: 1,
      attributes: { latency: 5, jitter: 0 },
    });
    const again = await client.populate([{ name: "pop-1", listen: first["pop-1"].listen, upstream: upstream.address }]);
    expect(again["pop-1"].listen).toBe(first["pop-1"].listen);
    expect((await client.get("pop-1").then((proxy) => proxy.getToxic("keep"))).name).toBe("keep");
    await first["pop-1"].remove();
    await first["pop-2"].remove();
  });

  it("adds, gets, updates and removes toxics, with Toxiproxy's defaults", async () => {
    const proxy = await client.createProxy({ name: "api-t", listen: "127.0.0.1:0", upstream: upstream.address });
    const response = await raw(
      `${server.url}/proxies/api-t/toxics`,
      "POST",
      JSON.stringify({ type: "latency", attributes: { latency: 10 } }),
    );
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toEqual({
      name: "latency_downstream",
      type: "latency",
      stream: "downstream",
      toxicity: 1,
      attributes: { latency: 10, jitter: 0 },
    });

    const added = await proxy.addToxic({ name: "cap", type: "limit_data", stream: "upstream", toxicity: 0.5, attributes: { bytes: 100 } });
    expect(added.toJson()).toEqual({ name: "cap", type: "limit_data", stream: "upstream", toxicity: 0.5, attributes: { bytes: 100 } });
    const fetched = await proxy.getToxic<{ bytes: number }>("cap");
    expect(fetched.attributes.bytes).toBe(100);

    const updated = await fetched.update({ name: "cap", type: "limit_data", stream: "upstream", toxicity: 1, attributes: { bytes: 7 } });
    expect(updated.toxicity).toBe(1);
    expect(updated.attributes.bytes).toBe(7);
    const patched = await raw(`${server.url}/proxies/api-t/toxics/cap`, "PATCH", JSON.stringify({ attributes: { bytes: 9 } }));
    expect(JSON.parse(patched.text)).toMatchObject({ toxicity: 1, attributes: { bytes: 9 } });

    const listed = JSON.parse((await raw(`${server.url}/proxies/api-t/toxics`, "GET")).text) as { name: string }[];
    // Upstream toxics are listed before downstream ones, as Toxiproxy does.
    expect(listed.map((toxic) => toxic.name)).toEqual(["cap", "latency_downstream"]);

    await updated.remove();
    await expect(proxy.getToxic("cap")).rejects.toBeInstanceOf(ToxiproxyError);
    await proxy.remove();
  });

  it("reset enables every proxy and removes every toxic", async () => {
    const proxy = await client.createProxy({ name: "api-r", listen: "127.0.0.1:0", upstream: upstream.address });
    await proxy.addToxic({ name: "slow", type: "latency", stream: "downstream", toxicity: 1, attributes: { latency: 50, jitter: 0 } });
    await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    await client.reset();
    const after = await raw(`${server.url}/proxies/api-r`, "GET");
    const body = JSON.parse(after.text) as { enabled: boolean; toxics: unknown[]; listen: string };
    expect(body.enabled).toBe(true);
    expect(body.toxics).toEqual([]);
    const echo = await connectTo(body.listen);
    echo.socket.write("hi");
    await echo.waitForBytes(2);
    echo.socket.destroy();
    await proxy.remove();
  });

  it("answers /version as Toxiproxy 2.12 does", async () => {
    const version = await raw(`${server.url}/version`, "GET");
    expect(version.status).toBe(200);
    expect(version.text).toBe('{"version": "2.12.0"}\n');
  });
});

describe("bad requests answer as Toxiproxy does, and the server keeps serving", () => {
  beforeAll(async () => {
    await client.createProxy({ name: "bad", listen: "127.0.0.1:0", upstream: upstream.address });
  });

  const cases: { title: string; method: string; path: string; body?: string; status: number; error: string | RegExp }[] = [
    {
      title: "duplicate proxy",
      method: "POST",
      path: "/proxies",
      body: '{"name":"bad","upstream":"127.0.0.1:1"}',
      status: 409,
      error: "proxy already exists",
    },
    {
      title: "malformed JSON",
      method: "POST",
      path: "/proxies",
      body: "{bad",
      status: 400,
      error: "bad request body: invalid character 'b' looking for beginning of object key string",
    },
    { title: "empty body", method: "POST", path: "/proxies", body: "", status: 400, error: "bad request body: EOF" },
    {
      title: "missing name",
      method: "POST",
      path: "/proxies",
      body: '{"upstream":"127.0.0.1:1"}',
      status: 400,
      error: "missing required field: name",
    },
    {
      title: "missing upstream",
      method: "POST",
      path: "/proxies",
      body: '{"name":"x"}',
      status: 400,
      error: "missing required field: upstream",
    },
    {
      title: "wrong field type",
      method: "POST",
      path: "/proxies",
      body: '{"name":5,"upstream":"a:1"}',
      status: 400,
      error: /^bad request body: json: cannot unmarshal number 5 into Go struct field Proxy.name of type string$/,
    },
    { title: "unknown proxy", method: "GET", path: "/proxies/nope", status: 404, error: "proxy not found" },
    { title: "unknown proxy delete", method: "DELETE", path: "/proxies/nope", status: 404, error: "proxy not found" },
    {
      title: "unknown toxic type",
      method: "POST",
      path: "/proxies/bad/toxics",
      body: '{"type":"explode"}',
      status: 400,
      error: "invalid toxic type",
    },
    {
      title: "bad stream",
      method: "POST",
      path: "/proxies/bad/toxics",
      body: '{"type":"latency","stream":"sideways"}',
      status: 400,
      error: "stream was invalid, can be either upstream or downstream",
    },
    {
      title: "toxic malformed JSON",
      method: "POST",
      path: "/proxies/bad/toxics",
      body: '{"type":',
      status: 400,
      error: "bad request body: unexpected EOF",
    },
    {
      title: "non-integer attribute",
      method: "POST",
      path: "/proxies/bad/toxics",
      body: '{"type":"latency","attributes":{"latency":1.5}}',
      status: 400,
      error: /cannot unmarshal number 1.5 into Go struct field LatencyToxic.attributes.latency of type int64/,
    },
    { title: "unknown toxic", method: "GET", path: "/proxies/bad/toxics/nope", status: 404, error: "toxic not found" },
    { title: "unknown toxic delete", method: "DELETE", path: "/proxies/bad/toxics/nope", status: 404, error: "toxic not found" },
  ];

  for (const testCase of cases) {
    it(`${testCase.title}: ${testCase.status}`, async () => {
      const reply = await raw(`${server.url}${testCase.path}`, testCase.method, testCase.body);
      expect(reply.status).toBe(testCase.status);
      const body = JSON.parse(reply.text) as { error: string; status: number };
      expect(body.status).toBe(testCase.status);
      if (typeof testCase.error === "string") expect(body.error).toBe(testCase.error);
      else expect(body.error).toMatch(testCase.error);
      expect(reply.text.endsWith("}\n")).toBe(true);
      await stillServing();
    });
  }

  it("duplicate toxic name: 409", async () => {
    const first = await raw(`${server.url}/proxies/bad/toxics`, "POST", '{"name":"twice","type":"noop"}');
    expect(first.status).toBe(200);
    const second = await raw(`${server.url}/proxies/bad/toxics`, "POST", '{"name":"twice","type":"latency"}');
    expect(second.status).toBe(409);
    expect(JSON.parse(second.text)).toEqual({ error: "toxic already exists", status: 409 });
    await stillServing();
  });

  it("listen port in use: 500 with Go's bind error, proxy not created", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    const reply = await raw(
      `${server.url}/proxies`,
      "POST",
      JSON.stringify({ name: "clash", listen: `127.0.0.1:${port}`, upstream: upstream.address }),
    );
    expect(reply.status).toBe(500);
    expect(JSON.parse(reply.text)).toEqual({ error: `listen tcp 127.0.0.1:${port}: bind: address already in use`, status: 500 });
    expect((await raw(`${server.url}/proxies/clash`, "GET")).status).toBe(404);
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    await stillServing();
  });

  it("unknown route is a plain-text 404, wrong method a 405, a browser a 403", async () => {
    const missing = await raw(`${server.url}/metrics`, "GET");
    expect(missing.status).toBe(404);
    expect(missing.text).toBe("404 page not found\n");
    expect((await raw(`${server.url}/version`, "DELETE")).status).toBe(405);
    const browser = await fetch(`${server.url}/proxies`, { headers: { "User-Agent": "Mozilla/5.0" } });
    expect(browser.status).toBe(403);
    await stillServing();
  });

  it("trailing bytes after the first JSON value are ignored, as Go's json.Decoder does", async () => {
    const reply = await raw(
      `${server.url}/proxies`,
      "POST",
      `{"name":"trail","listen":"127.0.0.1:0","upstream":"${upstream.address}"} trailing`,
    );
    expect(reply.status).toBe(201);
    expect((await raw(`${server.url}/proxies/trail`, "DELETE")).status).toBe(204);
  });
});
