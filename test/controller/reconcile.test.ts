// Issue 15, defect 4, against the REAL virtual world: a failover into an evacuated region is
// refused by a named rule (overridable with force and a reason, both audited), and the controller
// keeps leaders out of a drained region on its own: a reconciliation step moves them out, audited
// with the controller as actor, one at a time, and never back and forth.
import { afterEach, describe, expect, it } from "vitest";
import type { AuditEntry } from "../../domain/records.js";
import { startRealHarness, type RealHarness } from "../runtime/virtual/real-world.js";

interface CellBody {
  id: string;
  leader: { region: string; replica: string } | null;
}

let harness: RealHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const WAIT_PERIOD_MS = 3_000;

async function cells(h: RealHarness): Promise<CellBody[]> {
  return ((await h.request("GET", "/api/v1/cells")).body as { cells: CellBody[] }).cells;
}

async function audit(h: RealHarness): Promise<AuditEntry[]> {
  return ((await h.request("GET", "/api/v1/audit?limit=200")).body as { entries: AuditEntry[] }).entries;
}

describe("leaders and drained regions", () => {
  it("refuses a failover into evacuated hangzhou (target-region-evacuated); forced it holds for the wait period, then the controller moves it out once", async () => {
    const h = (harness = await startRealHarness({ seed: 9, opsPerSecond: 200, waitPeriodMs: WAIT_PERIOD_MS }));
    await h.run(500_000);
    expect((await h.request("POST", "/api/v1/regions/hangzhou/evacuate", { reason: "test" })).status).toBe(200);
    const refused = await h.request("POST", "/api/v1/cells/cell-1/failover", { to: "hz-b" });
    expect(refused).toMatchObject({ status: 409, body: { rule: "target-region-evacuated" } });
    // The controller sees the cells through its control leader's probes: the moved leaders show after a round.
    await h.run(300_000);
    expect((await cells(h)).find((cell) => cell.id === "cell-1")?.leader?.region).not.toBe("hangzhou");

    const forced = await h.request("POST", "/api/v1/cells/cell-1/failover", { to: "hz-b", force: true, reason: "test: break glass" });
    expect(forced).toMatchObject({ status: 200, body: { leader: { replica: "cell-1/hz-b" } } });
    const entries = await audit(h);
    expect(
      entries.some(
        (entry) =>
          entry.kind === "refusal" && entry.target === "cell-1" && entry.rule === "target-region-evacuated" && entry.outcome === "refused",
      ),
    ).toBe(true);
    expect(
      entries.some(
        (entry) =>
          entry.kind === "action" &&
          entry.action === "failover" &&
          entry.target === "cell-1" &&
          entry.overrodeRule?.includes("target-region-evacuated") === true,
      ),
    ).toBe(true);

    // The operator's forced move holds for the wait period...
    await h.run((WAIT_PERIOD_MS / 2) * 1000);
    expect((await cells(h)).find((cell) => cell.id === "cell-1")?.leader?.replica).toBe("cell-1/hz-b");
    // ...then the controller reconciles the leader with the drain state, once.
    await h.run(WAIT_PERIOD_MS * 1000 + 5_000_000);
    const cell1 = (await cells(h)).find((cell) => cell.id === "cell-1");
    expect(cell1?.leader?.region).not.toBe("hangzhou");
    const routing = (await h.request("GET", "/api/v1/routing")).body as { cells: Record<string, string> };
    expect(routing.cells["cell-1"]).toBe(cell1?.leader?.region);
    await h.run(4 * WAIT_PERIOD_MS * 1000);
    const reconciled = (await audit(h)).filter((entry) => entry.action === "reconcile");
    expect(reconciled).toHaveLength(1);
    expect(reconciled[0]).toMatchObject({ actor: "controller", kind: "action", target: "cell-1", outcome: "ok" });
    expect((await cells(h)).find((cell) => cell.id === "cell-1")?.leader?.replica).toBe(cell1?.leader?.replica);
  }, 120_000);

  it("every leader elected in an evacuated region (as after a forced drill) is moved out, one move at a time", async () => {
    const h = (harness = await startRealHarness({ seed: 10, opsPerSecond: 200, waitPeriodMs: WAIT_PERIOD_MS }));
    await h.run(500_000);
    expect((await h.request("POST", "/api/v1/regions/hangzhou/evacuate", { reason: "test" })).status).toBe(200);
    // Raft moves every leader into hangzhou behind the controller's back (what a drill's outage elsewhere does).
    const cluster = h.setup.virtual.cluster;
    for (const cell of cluster.cells()) cluster.transferLeadership(cell.id, `${cell.id}/hz-a`, 3_000_000, () => {});
    await h.run(3_000_000);
    expect((await cells(h)).filter((cell) => cell.leader?.region === "hangzhou").length).toBeGreaterThanOrEqual(4);
    await h.run(WAIT_PERIOD_MS * 1000 + 6 * 3_000_000);
    expect((await cells(h)).filter((cell) => cell.leader?.region === "hangzhou").map((cell) => cell.id)).toEqual([]);
    const moves = (await audit(h)).filter((entry) => entry.action === "reconcile" && entry.actor === "controller").reverse();
    expect(moves.length).toBeGreaterThanOrEqual(4);
    expect(new Set(moves.map((entry) => entry.target)).size).toBe(moves.length);
    const startsMs = moves.map((entry) => (entry.details as { startedMs: number }).startedMs);
    for (let i = 1; i < startsMs.length; i++) expect((startsMs[i] as number) - (startsMs[i - 1] as number)).toBeGreaterThanOrEqual(2_000);
    expect(h.setup.virtual.invariantViolations()).toEqual([]);
  }, 120_000);
});
