// A regional gateway: the entry point of a region's users. It finds the cell of a request from
// the routing table, admits it through the cell's token bucket, and forwards it to the cell's
// leader with a CellClient (cached leader, NotLeader hints, same-id retries until a deadline).
// A request arriving at a drained gateway is redirected, once, to the gateway of the region the
// routing table names for its cell.
import { CellClient, type CellClientOptions, type CellOutcome } from "../cells/cell/client.js";
import type { Clock, Random, Transport } from "../ground/ports.js";
import { TokenBucketAdmission, type AdmissionOptions } from "./admission.js";
import type { RoutingTable } from "./routing.js";
import type { TrafficStats } from "./traffic-stats.js";

import type { RequestSink, UserRequest } from "../domain/requests.js";

export type { RequestSink, UserRequest };

export interface GatewayOptions {
  readonly region: string;
  readonly admission: AdmissionOptions;
  readonly client: Omit<CellClientOptions, "cells">;
  /** Replica ids per cell. */
  readonly cells: ReadonlyMap<string, readonly string[]>;
  /** A limit over all of this gateway's requests (ops/s), shed beyond it; absent: per-cell budgets only. */
  readonly gatewayOpsPerSecondMax?: number;
}

export interface GatewayDependencies {
  readonly clock: Clock;
  readonly random: Random;
  readonly transport: Transport;
  readonly routing: RoutingTable;
  readonly stats: TrafficStats;
  /** The gateway of another region (in-process hand-off for redirects). */
  readonly peer: (region: string) => Gateway | undefined;
}

export class Gateway implements RequestSink {
  readonly region: string;
  private readonly client: CellClient;
  private readonly admission = new Map<string, TokenBucketAdmission>();
  /** The gateway-wide limit: no queue, what does not fit now is shed. */
  private readonly gatewayLimit: TokenBucketAdmission | null;
  servedTotal = 0;
  redirectedTotal = 0;

  constructor(
    private readonly options: GatewayOptions,
    private readonly dependencies: GatewayDependencies,
  ) {
    this.region = options.region;
    this.client = new CellClient(
      { ...options.client, cells: options.cells },
      { clock: dependencies.clock, random: dependencies.random, transport: dependencies.transport },
    );
    for (const cell of options.cells.keys()) this.admission.set(cell, new TokenBucketAdmission(options.admission, dependencies.clock));
    const limit = options.gatewayOpsPerSecondMax;
    this.gatewayLimit =
      limit === undefined
        ? null
        : new TokenBucketAdmission(
            { ratePerSecond: limit, burstRequestsMax: Math.max(1, Math.ceil(limit / 10)), queueRequestsMax: 0, queueWaitUsMax: 0 },
            dependencies.clock,
          );
  }

  get inflight(): number {
    return this.client.inflight;
  }

  get drained(): boolean {
    return this.dependencies.routing.isDrained(this.region);
  }

  /** Shed and queued counts per cell, for the benchmark and the metrics. */
  admissionTotals(): { admitted: number; shed: number } {
    let admitted = 0;
    let shed = 0;
    for (const bucket of this.admission.values()) {
      admitted += bucket.admittedTotal;
      shed += bucket.shedTotal;
    }
    return { admitted, shed };
  }

  /** Points the client at the replica the controller knows leads `cell` (after a move). */
  leaderHint(cell: string, replica: string | null): void {
    this.client.setLeaderHint(cell, replica);
  }

  submit(request: UserRequest, callback: (outcome: CellOutcome) => void): void {
    this.route(request, callback, false);
  }

  private route(request: UserRequest, callback: (outcome: CellOutcome) => void, redirected: boolean): void {
    const routing = this.dependencies.routing;
    let cell: string;
    try {
      cell = routing.cellOfShard(request.shard);
    } catch (error) {
      callback({ ok: false, error: { code: "INVALID", message: (error as Error).message } });
      return;
    }
    if (routing.isDrained(this.region) && !redirected) {
      const target = this.dependencies.peer(routing.regionOfCell(cell));
      if (target !== undefined && target !== this && !target.drained) {
        this.redirectedTotal++;
        target.route(request, callback, true);
        return;
      }
      // Nowhere better to send it (every other gateway drained or gone): serve it here.
    }
    let bucket = this.admission.get(cell);
    if (bucket === undefined && this.options.cells.has(cell)) {
      // A cell added while this gateway runs (elastic cells): its budget starts now.
      bucket = new TokenBucketAdmission(this.options.admission, this.dependencies.clock);
      this.admission.set(cell, bucket);
    }
    if (bucket === undefined) {
      callback({ ok: false, error: { code: "INVALID", message: `gateway ${this.region} knows no cell ${cell}` } });
      return;
    }
    const stats = this.dependencies.stats;
    if (this.gatewayLimit !== null) {
      let admitted = false;
      this.gatewayLimit.offer(
        () => (admitted = true),
        (why) => {
          stats.recordShed(cell);
          callback({ ok: false, error: { code: "OVERLOADED", message: `gateway ${this.region}: ${why} (gatewayOpsPerSecondMax)` } });
        },
      );
      if (!admitted) return;
    }
    bucket.offer(
      () => {
        this.servedTotal++;
        stats.recordServed(this.region, cell);
        const startUs = this.dependencies.clock.nowUs();
        this.client.submit(cell, request.requestId, request.kind, request.payload, (outcome) => {
          stats.recordOutcome(cell, outcome.ok, this.dependencies.clock.nowUs() - startUs, this.region);
          callback(outcome);
        });
      },
      (why) => {
        stats.recordShed(cell, this.region);
        callback({ ok: false, error: { code: "OVERLOADED", message: `gateway ${this.region}, ${cell}: ${why}` } });
      },
    );
  }
}
