// Overload benchmark for the gateway's admission control (issue 6): one cell whose leader serves
// `capacityOpsPerSecond` (a single-server FIFO on a simulated host), offered 3x that through a
// real Gateway (token bucket + bounded queue + CellClient) over the simulated network. Reports
// how much is shed with OVERLOADED and the latency of admitted requests, against the same load
// with admission effectively off. Simulated time: figures are deterministic for a seed.
import { Gateway } from "../controller/gateway.js";
import { RoutingTable } from "../controller/routing.js";
import { percentile, TrafficStats } from "../controller/traffic-stats.js";
import type { ClientRequest, ClientResponse } from "../cells/cell/protocol.js";
import { World } from "../sim/world/world.js";

export interface FailoverBenchOptions {
  readonly capacityOpsPerSecond?: number;
  readonly overloadFactor?: number;
  readonly durationUs?: number;
  readonly seed?: number;
}

interface Figures {
  readonly offered: number;
  readonly ok: number;
  readonly overloaded: number;
  readonly timeout: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

function runOnce(admissionOn: boolean, capacity: number, factor: number, durationUs: number, seed: number): Figures {
  const world = new World({ seed });
  const serviceUs = Math.round(1_000_000 / capacity);
  world.addHost("cell-1/hz-a", "hz-a");
  world.addHost("gw/hangzhou", "hz-a");
  // The cell leader: one request at a time, `serviceUs` each, answers in arrival order.
  world.spawn("cell-1/hz-a", (context) => {
    const queue: ClientRequest[] = [];
    let busy = false;
    const serveNext = (): void => {
      const request = queue.shift();
      if (request === undefined) {
        busy = false;
        return;
      }
      busy = true;
      context.clock.setTimer(serviceUs, () => {
        const response: ClientResponse = {
          type: "client-response",
          requestId: request.requestId,
          ok: true,
          result: null,
          from: "cell-1/hz-a",
        };
        context.transport.send(request.replyTo, response, 96);
        serveNext();
      });
    };
    context.transport.onMessage((_source, message) => {
      queue.push(message as ClientRequest);
      if (!busy) serveNext();
    });
    return {};
  });
  const routing = new RoutingTable(
    Array.from({ length: 100 }, () => "cell-1"),
    { "cell-1": "hangzhou" },
    ["hangzhou"],
    0,
  );
  const stats = new TrafficStats(world.random.fork("stats"));
  let gateway: Gateway | null = null;
  world.spawn("gw/hangzhou", (context) => {
    gateway = new Gateway(
      {
        region: "hangzhou",
        admission: admissionOn
          ? {
              ratePerSecond: capacity * 0.95,
              burstRequestsMax: Math.ceil(capacity / 100),
              queueRequestsMax: Math.ceil(capacity / 50),
              queueWaitUsMax: 20_000,
            }
          : { ratePerSecond: 1e9, burstRequestsMax: 1e9, queueRequestsMax: 1e9, queueWaitUsMax: 1e12 },
        client: { attemptTimeoutUs: 2_000_000, requestTimeoutUs: 2_000_000, inflightRequestsMax: 1_000_000, retryBackoffUs: 20_000 },
        cells: new Map([["cell-1", ["cell-1/hz-a"]]]),
      },
      { clock: context.clock, random: context.random, transport: context.transport, routing, stats, peer: () => undefined },
    );
    return {};
  });
  const offeredPerSecond = capacity * factor;
  const gapUs = 1_000_000 / offeredPerSecond;
  const latencies: number[] = [];
  let offered = 0;
  let ok = 0;
  let overloaded = 0;
  let timeout = 0;
  for (let i = 0; i * gapUs < durationUs; i++) {
    const atUs = Math.round(i * gapUs);
    world.scheduler.at(atUs, () => {
      offered++;
      const startUs = world.nowUs;
      (gateway as Gateway).submit(
        { requestId: `r-${i}`, uid: i, shard: i % 100, cell: "cell-1", kind: "command", payload: null },
        (outcome) => {
          if (outcome.ok) {
            ok++;
            latencies.push(world.nowUs - startUs);
          } else if (outcome.error.code === "OVERLOADED") overloaded++;
          else timeout++;
        },
      );
    });
  }
  world.runUntil(durationUs + 3_000_000);
  latencies.sort((a, b) => a - b);
  return {
    offered,
    ok,
    overloaded,
    timeout,
    p50Ms: percentile(latencies, 0.5) / 1000,
    p99Ms: percentile(latencies, 0.99) / 1000,
    maxMs: (latencies.at(-1) ?? 0) / 1000,
  };
}

export async function run(options: FailoverBenchOptions = {}): Promise<object> {
  const capacity = options.capacityOpsPerSecond ?? 2_000;
  const factor = options.overloadFactor ?? 3;
  const durationUs = options.durationUs ?? 10_000_000;
  const seed = options.seed ?? 1;
  const withAdmission = runOnce(true, capacity, factor, durationUs, seed);
  const without = runOnce(false, capacity, factor, durationUs, seed);
  return {
    method: `one cell serving ${capacity} ops/s (FIFO, ${Math.round(1_000_000 / capacity)} µs each), offered ${factor}x for ${durationUs / 1e6} s of simulated time through one gateway; latency of admitted requests in simulated ms`,
    capacityOpsPerSecond: capacity,
    offeredOpsPerSecond: capacity * factor,
    withAdmission,
    withoutAdmission: without,
  };
}
