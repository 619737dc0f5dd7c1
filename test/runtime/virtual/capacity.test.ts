// Capacity readiness: the pure rule (which gateways a move overloads, from the measured load and
// the admission limits), then the API over the real world: GET /api/v1/readiness per region, and
// an evacuation refused 409 capacity with both figures when the gateways cannot admit the load.
import { afterEach, describe, expect, it } from "vitest";
import { capacityShortfalls, LoadEstimator } from "../../../controller/capacity.js";
import type { Readiness } from "../../../domain/records.js";
import { startRealHarness, type RealHarness } from "./real-world.js";

describe("the capacity rule", () => {
  const routes = new Map([
    ["cell-1", "hangzhou"],
    ["cell-2", "hangzhou"],
    ["cell-3", "shanghai"],
    ["cell-4", "shenzhen"],
  ]);
  const load = (cell: string): number => ({ "cell-1": 300, "cell-2": 200, "cell-3": 250, "cell-4": 100 })[cell] ?? 0;

  it("judges only the gateways that receive moved load, against the sum of their cells' load", () => {
    const moves = new Map([
      ["cell-1", "shanghai"],
      ["cell-2", "shenzhen"],
    ]);
    expect(capacityShortfalls(routes, moves, load, { cellOpsPerSecondMax: 1000, gatewayOpsPerSecondMax: 600 })).toEqual([]);
    expect(capacityShortfalls(routes, moves, load, { cellOpsPerSecondMax: 1000, gatewayOpsPerSecondMax: 500 })).toEqual([
      { region: "shanghai", cell: null, needOpsPerSecond: 550, haveOpsPerSecond: 500 },
    ]);
    const all = capacityShortfalls(
      routes,
      new Map([
        ["cell-1", "shanghai"],
        ["cell-2", "shanghai"],
      ]),
      load,
      { cellOpsPerSecondMax: 250, gatewayOpsPerSecondMax: null },
    );
    expect(all).toContainEqual({ region: "shanghai", cell: "cell-1", needOpsPerSecond: 300, haveOpsPerSecond: 250 });
    // 750 ops/s against 3 x 250 of per-cell budgets at shanghai: the sum fits, cell-1 alone does not.
    expect(all).toHaveLength(1);
  });

  it("a gateway already short that receives nothing new is not this move's fault", () => {
    expect(
      capacityShortfalls(routes, new Map([["cell-4", "shanghai"]]), load, { cellOpsPerSecondMax: 1000, gatewayOpsPerSecondMax: 400 }),
    ).toEqual([]);
  });

  it("smooths the measured load so one noisy period does not decide", () => {
    const estimator = new LoadEstimator();
    estimator.observe(new Map([["cell-1", 100]]));
    expect(estimator.opsPerSecond("cell-1")).toBe(100);
    estimator.observe(new Map([["cell-1", 600]]));
    expect(estimator.opsPerSecond("cell-1")).toBe(200);
    expect(estimator.opsPerSecond("cell-9")).toBe(0);
  });
});

let harness: RealHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe("capacity readiness over the API (real world)", () => {
  it("with room to spare: every region's loss can be absorbed, with positive headroom, and evacuating hangzhou goes through", async () => {
    const h = (harness = await startRealHarness({ seed: 2, opsPerSecond: 600, gatewayOpsPerSecondMax: 2_000 }));
    await h.run(5_000_000);
    const readiness = (await h.request("GET", "/api/v1/readiness")).body as Readiness;
    expect(readiness.limits).toEqual({ cellOpsPerSecondMax: 3000, gatewayOpsPerSecondMax: 2000 });
    expect(readiness.regions.map((region) => region.region)).toEqual(["hangzhou", "shanghai", "shenzhen"]);
    const total = Object.values(readiness.loadOpsPerSecond).reduce((sum, value) => sum + value, 0);
    // Measured, not configured: ~600 ops/s offered (Poisson arrivals, smoothed).
    expect(total).toBeGreaterThan(450);
    expect(total).toBeLessThan(750);
    for (const region of readiness.regions) {
      expect(region.canAbsorbLoss).toBe(true);
      expect(region.headroomOpsPerSecond).toBeGreaterThan(0);
      expect(region.shortfalls).toEqual([]);
    }
    expect((await h.request("POST", "/api/v1/regions/hangzhou/evacuate", { reason: "maintenance" })).status).toBe(200);
  }, 120_000);

  it("with the gateway limit below the load an evacuation would bring: 409 capacity with both figures; force + reason overrides, audited", async () => {
    const h = (harness = await startRealHarness({ seed: 2, opsPerSecond: 600, gatewayOpsPerSecondMax: 300 }));
    await h.run(5_000_000);
    const readiness = (await h.request("GET", "/api/v1/readiness")).body as Readiness;
    const hangzhou = readiness.regions.find((region) => region.region === "hangzhou");
    expect(hangzhou?.canAbsorbLoss).toBe(false);
    expect(hangzhou?.headroomOpsPerSecond).toBeLessThan(0);
    const metrics = await fetch(`${h.url}/metrics`).then((response) => response.text());
    expect(metrics).toContain('ldc_readiness_can_absorb_loss{region="hangzhou"} 0');
    expect(metrics).toMatch(/ldc_readiness_headroom_ops_per_second\{region="hangzhou"\} -\d/);
    const versionBefore = h.setup.routing.version;
    const refused = await h.request("POST", "/api/v1/regions/hangzhou/evacuate", { reason: "maintenance" });
    expect(refused.status).toBe(409);
    const body = refused.body as { rule: string; needOpsPerSecond: number; haveOpsPerSecond: number; error: string };
    expect(body.rule).toBe("capacity");
    expect(body.haveOpsPerSecond).toBe(300);
    expect(body.needOpsPerSecond).toBeGreaterThan(300);
    expect(body.error).toContain("ops/s");
    expect(h.setup.routing.version).toBe(versionBefore);
    expect(h.setup.routing.drained()).toEqual([]);
    // A failover that moves one cell's users onto a gateway without room is refused the same way.
    const led = h.setup.virtual.cluster.cells().find((cell) => cell.leader?.region === "shanghai");
    const failover = await h.request("POST", `/api/v1/cells/${led?.id}/failover`, { to: "hangzhou" });
    expect(failover).toMatchObject({ status: 409, body: { rule: "capacity", region: "hangzhou", haveOpsPerSecond: 300 } });
    const forced = await h.request("POST", "/api/v1/regions/hangzhou/evacuate", { reason: "region on fire", force: true });
    expect(forced.status).toBe(200);
    const audit = (await h.request("GET", "/api/v1/audit?kind=action")).body as {
      entries: { action: string; overrodeRule: string | null }[];
    };
    expect(audit.entries[0]).toMatchObject({ action: "evacuate", overrodeRule: "capacity" });
    // The prediction was right: the gateway that took hangzhou's users now sheds what is over its limit.
    let shed = 0;
    for (let period = 0; period < 6; period++) {
      await h.run(500_000);
      shed += Object.values(h.setup.controller.traffic().cells).reduce((sum, cell) => sum + cell.shed, 0);
    }
    expect(shed).toBeGreaterThan(0);
  }, 120_000);
});
