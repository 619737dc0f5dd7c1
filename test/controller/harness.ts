// An in-process controller over the FakeCluster, served on port 0 and paced at a fast speed, with
// a fault service and a drill service that tests can observe. Same data dir = a restart.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Controller, defaultControllerOptions } from "../../controller/controller.js";
import { createApp } from "../../controller/http/app.js";
import type { DrillResult, DrillService, DrillStartOptions, FaultChange, FaultService } from "../../controller/ports.js";
import { startPacer, type Pacer } from "../../runtime/virtual/pacer.js";
import { RoutingTable } from "../../controller/routing.js";
import { ControllerStore } from "../../controller/store/store.js";
import { TrafficStats } from "../../controller/traffic-stats.js";
import type { FaultRecord } from "../../domain/records.js";
import { FakeCluster } from "../domain/fake-cluster.js";

export const TOKEN = "test-token";

/** Faults as plain records: enough to see a "real fault" interrupt a drill. */
export class FakeFaults implements FaultService {
  readonly records = new Map<string, FaultRecord>();
  private readonly listeners = new Set<(action: "injected" | "healed" | "expired", fault: FaultRecord, change: FaultChange) => void>();
  private next = 1;
  active(): readonly FaultRecord[] {
    return [...this.records.values()];
  }
  catalogue(): readonly unknown[] {
    return [{ type: "partition", targets: [{ regions: ["hangzhou", "shanghai"], label: "hangzhou ↔ shanghai" }], params: {} }];
  }
  inject(spec: unknown, actor = "api", reason?: string) {
    const body = spec as { type?: unknown; target?: unknown };
    if (body.type !== "partition") return { ok: false as const, code: "INVALID" as const, error: "type: one of partition", field: "type" };
    const id = `f-${this.next++}`;
    const fault: FaultRecord = {
      id,
      type: "partition",
      target: body.target ?? null,
      startedMs: 0,
      leaseMs: 1000,
      expiresMs: 1000,
      remainingMs: 1000,
      affects: { hosts: [], links: [["hangzhou", "shanghai"]] },
    };
    this.records.set(id, fault);
    for (const listener of this.listeners)
      listener("injected", fault, { origin: "api", actor, ...(reason === undefined ? {} : { reason }) });
    return { ok: true as const, value: fault };
  }
  heal(id: string, actor = "api") {
    const fault = this.records.get(id);
    if (fault === undefined) return { ok: false as const, code: "NOT_FOUND" as const, error: `no fault ${id}` };
    this.records.delete(id);
    for (const listener of this.listeners) listener("healed", fault, { origin: "api", actor });
    return { ok: true as const, value: null };
  }
  healAll(actor = "api"): void {
    for (const id of [...this.records.keys()]) this.heal(id, actor);
  }
  onChange(listener: (action: "injected" | "healed" | "expired", fault: FaultRecord, change: FaultChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** A drill that "runs" for 10 s of simulated time and succeeds unless aborted. */
export function fakeDrills(cluster: FakeCluster): DrillService & { started: number[]; options: (DrillStartOptions | undefined)[] } {
  const started: number[] = [];
  const options: (DrillStartOptions | undefined)[] = [];
  return {
    started,
    options,
    list: () => [{ name: "dc-outage", description: "test drill", durationMs: 10_000 }],
    ownsFault: () => false,
    start(_name, _seed, callbacks, _runId, startOptions) {
      started.push(Math.floor(cluster.clock.nowUs() / 1000));
      options.push(startOptions);
      let done = false;
      const finish = (result: DrillResult): void => {
        if (done) return;
        done = true;
        callbacks.done(result);
      };
      cluster.clock.setTimer(5_000_000, () => callbacks.progress({ progressPct: 50 }));
      cluster.clock.setTimer(10_000_000, () =>
        finish({
          outcome: "SUCCEEDED",
          rtoMs: { "cell-1": 400 },
          lostAckedTransfers: 0,
          checkers: { bank: { valid: true } },
          reasons: [],
          reportHtml: "<html>ok</html>",
        }),
      );
      return {
        interrupt: (why) =>
          finish({
            outcome: "INTERRUPTED",
            rtoMs: {},
            lostAckedTransfers: null,
            checkers: {},
            reasons: [why],
            reportHtml: "<html>interrupted</html>",
          }),
        abort: (why) =>
          finish({
            outcome: "ABORTED",
            rtoMs: {},
            lostAckedTransfers: null,
            checkers: {},
            reasons: [`aborted: ${why}`],
            reportHtml: "<html>aborted</html>",
          }),
      };
    },
  };
}

export interface Harness {
  readonly url: string;
  readonly cluster: FakeCluster;
  readonly controller: Controller;
  readonly faults: FakeFaults;
  readonly drills: ReturnType<typeof fakeDrills>;
  readonly dataDirectory: string;
  readonly pacer: Pacer;
  request(
    method: string,
    route: string,
    body?: unknown,
    options?: { token?: string | null; raw?: string },
  ): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

export function tempDataDirectory(): string {
  return mkdtempSync(path.join(tmpdir(), "ldc-controller-"));
}

export async function startHarness(options: { dataDirectory?: string; speed?: number; waitPeriodMs?: number } = {}): Promise<Harness> {
  const dataDirectory = options.dataDirectory ?? tempDataDirectory();
  const cluster = new FakeCluster();
  const cells = cluster.cells();
  const shardToCell: string[] = [];
  for (const cell of cells) for (const shard of cell.shards) shardToCell[shard] = cell.id;
  const routing = new RoutingTable(
    shardToCell,
    Object.fromEntries(cells.map((cell) => [cell.id, cell.leader?.region ?? cell.preferredRegion])),
    ["hangzhou", "shanghai", "shenzhen"],
    0,
  );
  const store = new ControllerStore(dataDirectory, () => "2026-01-01T00:00:00.000Z");
  const faults = new FakeFaults();
  const drills = fakeDrills(cluster);
  const controller = new Controller(
    {
      ...defaultControllerOptions,
      actions: { ...defaultControllerOptions.actions, limits: { lagEntriesMax: 64, waitPeriodMs: options.waitPeriodMs ?? 30_000 } },
    },
    {
      cluster,
      routing,
      stats: new TrafficStats(cluster.random.fork("stats")),
      store,
      faults,
      drills,
      consistency: () => ({ atMs: 0, moneyConserved: {}, replicaAgreement: {}, lostAckedTransfers: 0, valid: true, violations: [] }),
    },
  );
  controller.start();
  const server = http.createServer(createApp(controller, { token: TOKEN, ui: false }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const pacer = startPacer(
    { speed: options.speed ?? 20, sliceMs: 5, sliceSimUsMax: 2_000_000 },
    { nowUs: () => cluster.clock.nowUs(), runUntil: (atUs) => void cluster.scheduler.runUntil(atUs) },
    (error) => {
      throw error;
    },
  );
  return {
    url,
    cluster,
    controller,
    faults,
    drills,
    dataDirectory,
    pacer,
    async request(method, route, body, requestOptions = {}) {
      const token = requestOptions.token === undefined ? TOKEN : requestOptions.token;
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (token !== null) headers.authorization = `Bearer ${token}`;
      const response = await fetch(`${url}${route}`, {
        method,
        headers,
        body: requestOptions.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text === "" ? null : JSON.parse(text);
      } catch {
        // not JSON (the HTML report)
      }
      return { status: response.status, body: parsed };
    },
    async close() {
      pacer.stop();
      controller.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      store.close();
    },
  };
}
