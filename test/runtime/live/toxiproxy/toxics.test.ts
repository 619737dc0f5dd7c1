// Every toxic type measured on real TCP through the embedded server, with an echo upstream.
// Timing assertions are one-sided with generous slack: this machine is shared and loaded.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { performance } from "node:perf_hooks";
import { Toxiproxy, type Proxy } from "toxiproxy-node-client";
import { startToxiproxyServer, type ToxiproxyServer } from "../../../../runtime/live/toxiproxy/index.js";
import { connectTo, sleep, startUpstream, tryConnect, type Upstream } from "./helpers.js";

const slackMs = 400;

let server: ToxiproxyServer;
let echo: Upstream;
let client: Toxiproxy;
let proxyCount = 0;

beforeAll(async () => {
  server = await startToxiproxyServer({ port: 0 });
  echo = await startUpstream();
  client = new Toxiproxy(server.url);
});

afterAll(async () => {
  await server.close();
  await echo.close();
});

async function newProxy(upstream: string = echo.address): Promise<Proxy> {
  proxyCount += 1;
  return client.createProxy({ name: `toxic-${proxyCount}`, listen: "127.0.0.1:0", upstream });
}

/** Round trip of `payload` through the proxy, in ms. */
async function roundTripMs(listen: string, payload = "ping"): Promise<number> {
  const connection = await connectTo(listen);
  const startMs = performance.now();
  connection.socket.write(payload);
  const arrivedMs = await connection.waitForBytes(payload.length);
  connection.socket.destroy();
  return arrivedMs - startMs;
}

describe("toxics on real TCP", () => {
  it("latency delays bytes by at least the configured time, per direction", async () => {
    const proxy = await newProxy();
    expect(await roundTripMs(proxy.listen)).toBeLessThan(slackMs);
    await proxy.addToxic({ name: "down", type: "latency", stream: "downstream", toxicity: 1, attributes: { latency: 150, jitter: 0 } });
    const downOnlyMs = await roundTripMs(proxy.listen);
    expect(downOnlyMs).toBeGreaterThanOrEqual(150);
    expect(downOnlyMs).toBeLessThan(150 + slackMs);
    await proxy.addToxic({ name: "up", type: "latency", stream: "upstream", toxicity: 1, attributes: { latency: 100, jitter: 0 } });
    const bothMs = await roundTripMs(proxy.listen);
    expect(bothMs).toBeGreaterThanOrEqual(250);
    expect(bothMs).toBeLessThan(250 + slackMs);
    await proxy.remove();
  });

  it("latency applies to a connection opened before the toxic, and stops when removed", async () => {
    const proxy = await newProxy();
    const connection = await connectTo(proxy.listen);
    const toxic = await proxy.addToxic({
      name: "late",
      type: "latency",
      stream: "downstream",
      toxicity: 1,
      attributes: { latency: 120, jitter: 0 },
    });
    let startMs = performance.now();
    connection.socket.write("a");
    expect((await connection.waitForBytes(1)) - startMs).toBeGreaterThanOrEqual(120);
    await toxic.remove();
    startMs = performance.now();
    connection.socket.write("b");
    expect((await connection.waitForBytes(2)) - startMs).toBeLessThan(120);
    connection.socket.destroy();
    await proxy.remove();
  });

  it("toxicity 0 leaves every connection untouched", async () => {
    const proxy = await newProxy();
    await proxy.addToxic({ name: "never", type: "latency", stream: "downstream", toxicity: 0, attributes: { latency: 1000, jitter: 0 } });
    expect(await roundTripMs(proxy.listen)).toBeLessThan(1000);
    await proxy.remove();
  });

  it("a disabled proxy refuses connections and closes open ones", async () => {
    const proxy = await newProxy();
    const open = await connectTo(proxy.listen);
    await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    expect(await open.closed).toMatch(/close|ECONNRESET/);
    expect(await tryConnect(proxy.listen)).toBe("ECONNREFUSED");
    await proxy.remove();
  });

  it("bandwidth limits throughput to the configured KB/s", async () => {
    const proxy = await newProxy();
    await proxy.addToxic({ name: "thin", type: "bandwidth", stream: "downstream", toxicity: 1, attributes: { rate: 40 } });
    const payload = "x".repeat(20_000);
    const elapsedMs = await roundTripMs(proxy.listen, payload);
    // 20,000 bytes at 40 KB/s (40 bytes/ms) take 500 ms.
    expect(elapsedMs).toBeGreaterThanOrEqual(450);
    expect(elapsedMs).toBeLessThan(500 + slackMs * 2);
    await proxy.remove();
  });

  it("limit_data passes exactly N bytes then closes", async () => {
    const proxy = await newProxy();
    await proxy.addToxic({ name: "cap", type: "limit_data", stream: "downstream", toxicity: 1, attributes: { bytes: 10 } });
    const connection = await connectTo(proxy.listen);
    connection.socket.write("0123456789abcdefghij");
    expect(await connection.closed).toBe("close");
    expect(connection.text()).toBe("0123456789");
    await proxy.remove();
  });

  it("timeout stops all data and closes after the timeout", async () => {
    const proxy = await newProxy();
    await proxy.addToxic({ name: "cut", type: "timeout", stream: "upstream", toxicity: 1, attributes: { timeout: 200 } });
    const connection = await connectTo(proxy.listen);
    const startMs = performance.now();
    connection.socket.write("lost");
    expect(await connection.closed).toBe("close");
    expect(performance.now() - startMs).toBeGreaterThanOrEqual(150);
    expect(connection.bytes()).toBe(0);
    await proxy.remove();
  });

  it("timeout 0 holds data without closing; removing it closes the link", async () => {
    const proxy = await newProxy();
    const toxic = await proxy.addToxic({ name: "hold", type: "timeout", stream: "downstream", toxicity: 1, attributes: { timeout: 0 } });
    const connection = await connectTo(proxy.listen);
    connection.socket.write("held");
    let closed = false;
    void connection.closed.then(() => {
      closed = true;
    });
    await sleep(300);
    expect(connection.bytes()).toBe(0);
    expect(closed).toBe(false);
    await toxic.remove();
    expect(await connection.closed).toBe("close");
    await proxy.remove();
  });

  it("reset_peer resets the connection with a TCP RST", async () => {
    const proxy = await newProxy();
    await proxy.addToxic({ name: "rst", type: "reset_peer", stream: "upstream", toxicity: 1, attributes: { timeout: 50 } });
    const connection = await connectTo(proxy.listen);
    connection.socket.write("boom");
    expect(await connection.closed).toBe("ECONNRESET");
    expect(connection.bytes()).toBe(0);
    await proxy.remove();
  });

  it("slicer delivers the bytes intact in several slices", async () => {
    const proxy = await newProxy();
    await proxy.addToxic({
      name: "cut",
      type: "slicer",
      stream: "downstream",
      toxicity: 1,
      attributes: { average_size: 100, size_variation: 20, delay: 5000 },
    });
    const payload = Array.from({ length: 1000 }, (_, index) => String.fromCharCode(97 + (index % 26))).join("");
    const connection = await connectTo(proxy.listen);
    connection.socket.write(payload);
    await connection.waitForBytes(payload.length);
    expect(connection.text()).toBe(payload);
    expect(connection.chunks.length).toBeGreaterThanOrEqual(5);
    const largest = Math.max(...connection.chunks.map((chunk) => chunk.data.length));
    expect(largest).toBeLessThan(payload.length);
    connection.socket.destroy();
    await proxy.remove();
  });

  it("slow_close holds the close back by the delay", async () => {
    const closing = await startUpstream((socket) => socket.end("bye"));
    const proxy = await newProxy(closing.address);
    await proxy.addToxic({ name: "linger", type: "slow_close", stream: "downstream", toxicity: 1, attributes: { delay: 200 } });
    const startMs = performance.now();
    const connection = await connectTo(proxy.listen);
    expect(await connection.closed).toBe("close");
    expect(connection.text()).toBe("bye");
    expect(performance.now() - startMs).toBeGreaterThanOrEqual(200);
    await proxy.remove();
    await closing.close();
  });

  it("noop passes data unchanged", async () => {
    const proxy = await newProxy();
    await proxy.addToxic({ name: "nothing", type: "noop" as "latency", stream: "upstream", toxicity: 1, attributes: {} });
    const connection = await connectTo(proxy.listen);
    connection.socket.write("same bytes");
    await connection.waitForBytes(10);
    expect(connection.text()).toBe("same bytes");
    connection.socket.destroy();
    await proxy.remove();
  });
});

describe("toxic changes on live connections", () => {
  it("updating a latency toxic changes the delay of an open connection", async () => {
    const proxy = await newProxy();
    const toxic = await proxy.addToxic({
      name: "tune",
      type: "latency",
      stream: "downstream",
      toxicity: 1,
      attributes: { latency: 300, jitter: 0 },
    });
    const connection = await connectTo(proxy.listen);
    await toxic.update({ name: "tune", type: "latency", stream: "downstream", toxicity: 1, attributes: { latency: 20, jitter: 0 } });
    const startMs = performance.now();
    connection.socket.write("x");
    const elapsedMs = (await connection.waitForBytes(1)) - startMs;
    expect(elapsedMs).toBeGreaterThanOrEqual(20);
    expect(elapsedMs).toBeLessThan(300);
    connection.socket.destroy();
    await proxy.remove();
  });

  it("reset re-enables a disabled proxy so it accepts connections again", async () => {
    const proxy = await newProxy();
    await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    expect(await tryConnect(proxy.listen)).toBe("ECONNREFUSED");
    await client.reset();
    expect(await roundTripMs(proxy.listen)).toBeLessThan(slackMs);
    await proxy.remove();
  });
});
