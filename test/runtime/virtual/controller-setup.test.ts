// The controller's actions over HTTP against the REAL virtual world (Raft cells, gateways,
// workload), not the fake cluster: evacuating hangzhou empties it of leaders and of user traffic
// and the harness checkers stay valid; restore brings leaders home; a safety rule refuses and a
// forced override goes through, both audited.
import { afterEach, describe, expect, it } from "vitest";
import { checkRun } from "../../../harness/run-check.js";
import type { AuditEntry } from "../../../domain/records.js";
import { startRealHarness, type RealHarness } from "./real-world.js";

interface CellBody {
  id: string;
  preferredRegion: string;
  leader: { region: string; replica: string } | null;
}
interface RegionBody {
  name: string;
  gateway: { state: string; rps: number };
  evacuated: boolean;
}

let harness: RealHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const HEALTH_PERIOD_US = 500_000;
/** The controller sees the cells through its control leader's probes (every 100 ms): a moved leader shows after a round. */
const PROBE_ROUND_US = 300_000;

async function cells(h: RealHarness): Promise<CellBody[]> {
  return ((await h.request("GET", "/api/v1/cells")).body as { cells: CellBody[] }).cells;
}

async function regions(h: RealHarness): Promise<RegionBody[]> {
  return ((await h.request("GET", "/api/v1/regions")).body as { regions: RegionBody[] }).regions;
}

describe("controller against the real virtual world", () => {
  it("evacuate hangzhou: no leader, no user traffic there, checkers valid; restore: leaders home", async () => {
    const h = (harness = await startRealHarness({ seed: 3, opsPerSecond: 300, waitPeriodMs: 1_000 }));
    await h.run(1_000_000);
    const before = await cells(h);
    expect(before.map((cell) => cell.leader?.region)).toEqual(before.map((cell) => cell.preferredRegion));
    const gatewayHz = h.setup.gateways.get("hangzhou");
    expect(gatewayHz).toBeDefined();
    const servedBefore = gatewayHz?.servedTotal ?? 0;
    expect(servedBefore).toBeGreaterThan(0);

    const evacuated = await h.request("POST", "/api/v1/regions/hangzhou/evacuate", { reason: "test" });
    expect(evacuated.status).toBe(200);
    const evacuatedBody = evacuated.body as { moved: string[]; routingVersion: number };
    expect(evacuatedBody.moved.sort()).toEqual(["cell-1", "cell-2", "cell-3"]);
    await h.run(PROBE_ROUND_US);
    expect((await cells(h)).filter((cell) => cell.leader?.region === "hangzhou")).toEqual([]);

    // Requests admitted before the drain finish; after one health period nothing new enters.
    await h.run(2 * HEALTH_PERIOD_US);
    const servedAfterDrain = gatewayHz?.servedTotal ?? 0;
    await h.run(3 * HEALTH_PERIOD_US);
    expect(gatewayHz?.servedTotal).toBe(servedAfterDrain);
    const hangzhou = (await regions(h)).find((region) => region.name === "hangzhou");
    expect(hangzhou).toMatchObject({ gateway: { state: "drained", rps: 0 }, evacuated: true });
    const shanghai = (await regions(h)).find((region) => region.name === "shanghai");
    expect(shanghai?.gateway.rps).toBeGreaterThan(0);
    const routing = (await h.request("GET", "/api/v1/routing")).body as { drained: string[]; cells: Record<string, string> };
    expect(routing.drained).toEqual(["hangzhou"]);
    expect(Object.values(routing.cells)).not.toContain("hangzhou");

    const restored = await h.request("POST", "/api/v1/regions/hangzhou/restore", { reason: "test done" });
    expect(restored.status).toBe(200);
    await h.run(PROBE_ROUND_US);
    const after = await cells(h);
    expect(after.map((cell) => [cell.id, cell.leader?.region])).toEqual(after.map((cell) => [cell.id, cell.preferredRegion]));
    await h.run(2 * HEALTH_PERIOD_US);
    expect(((await h.request("GET", "/api/v1/routing")).body as { drained: string[] }).drained).toEqual([]);
    expect(gatewayHz?.servedTotal).toBeGreaterThan(servedAfterDrain);

    // The harness's checkers over the whole history, after the workload drained.
    h.setup.virtual.drain(10_000_000);
    h.setup.virtual.runFor(1_000_000);
    const verdicts = checkRun(h.setup.virtual, { checkers: ["bank", "durability", "replica-agreement", "linearizable"] });
    expect(verdicts.invariantViolations).toEqual([]);
    expect(verdicts.lostAckedTransfers).toBe(0);
    expect(verdicts.valid).toBe(true);
  }, 120_000);

  it("refuses a second evacuation with the rule, then a forced one goes through and both are audited", async () => {
    const h = (harness = await startRealHarness({ seed: 4, opsPerSecond: 200, waitPeriodMs: 30_000 }));
    await h.run(500_000);
    expect((await h.request("POST", "/api/v1/regions/hangzhou/evacuate", {})).status).toBe(200);
    const refused = await h.request("POST", "/api/v1/regions/shanghai/evacuate", { reason: "second" });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ rule: "one-region-evacuated" });
    // Nothing moved: shanghai still leads cells.
    expect((await cells(h)).some((cell) => cell.leader?.region === "shanghai")).toBe(true);

    // Anti-flapping: a second move of the same cell within the wait period is refused; break glass.
    const leaderDc = (await cells(h)).find((cell) => cell.id === "cell-4")?.leader?.replica.split("/")[1];
    expect(leaderDc === "sh-a" || leaderDc === "sh-b").toBe(true);
    const otherDc = leaderDc === "sh-a" ? "sh-b" : "sh-a";
    const moved = await h.request("POST", "/api/v1/cells/cell-4/failover", { to: otherDc });
    expect(moved).toMatchObject({ status: 200, body: { leader: { replica: `cell-4/${otherDc}` } } });
    const failoverRefused = await h.request("POST", "/api/v1/cells/cell-4/failover", { to: leaderDc });
    expect(failoverRefused).toMatchObject({ status: 409, body: { rule: "wait-period" } });
    const rule = "wait-period";
    await h.run(PROBE_ROUND_US);
    expect((await cells(h)).find((cell) => cell.id === "cell-4")?.leader?.replica).toBe(`cell-4/${otherDc}`);
    const forced = await h.request("POST", "/api/v1/cells/cell-4/failover", { to: leaderDc, force: true, reason: "test: break glass" });
    expect(forced).toMatchObject({ status: 200, body: { ok: true, leader: { replica: `cell-4/${leaderDc}` } } });
    await h.run(PROBE_ROUND_US);
    expect((await cells(h)).find((cell) => cell.id === "cell-4")?.leader?.replica).toBe(`cell-4/${leaderDc}`);

    const audit = ((await h.request("GET", "/api/v1/audit?limit=20")).body as { entries: AuditEntry[] }).entries;
    expect(
      audit.some(
        (entry) =>
          entry.kind === "refusal" && entry.target === "shanghai" && entry.rule === "one-region-evacuated" && entry.outcome === "refused",
      ),
    ).toBe(true);
    expect(
      audit.some((entry) => entry.kind === "refusal" && entry.target === "cell-4" && entry.rule === rule && entry.outcome === "overridden"),
    ).toBe(true);
    expect(
      audit.some(
        (entry) => entry.kind === "action" && entry.target === "cell-4" && entry.overrodeRule !== null && entry.overrodeRule.includes(rule),
      ),
    ).toBe(true);
    expect(h.setup.virtual.invariantViolations()).toEqual([]);
  }, 120_000);

  it("a datacenter outage that takes a region's gateway with it: its users enter elsewhere and the cells keep serving", async () => {
    const h = (harness = await startRealHarness({ seed: 8, opsPerSecond: 300 }));
    await h.run(1_000_000);
    // gw/shanghai lives in sh-a (the region's first datacenter): the outage cuts it off, it keeps running.
    const fault = await h.request("POST", "/api/v1/faults", { type: "dc-outage", target: { datacenter: "sh-a" }, leaseMs: 20_000 });
    expect(fault.status).toBe(201);
    const faultUs = h.setup.virtual.nowUs();
    await h.run(8_000_000);
    const recoveredSinceUs = faultUs + 4_000_000;
    const okByCell = new Map<string, number>();
    for (const op of h.setup.virtual.recorder.history()) {
      const cell = (op.value as { cell?: string } | null)?.cell;
      if (op.type === "ok" && (op.time ?? 0) >= recoveredSinceUs && cell !== undefined) okByCell.set(cell, (okByCell.get(cell) ?? 0) + 1);
    }
    for (const cell of ["cell-1", "cell-2", "cell-3", "cell-4", "cell-5", "cell-6"])
      expect(okByCell.get(cell) ?? 0, cell).toBeGreaterThan(50);
    expect((await cells(h)).filter((cell) => cell.leader === null || cell.leader.replica.endsWith("/sh-a"))).toEqual([]);
    expect(h.setup.consistency.check()).toMatchObject({ valid: true, lostAckedTransfers: 0 });
  }, 120_000);
});
