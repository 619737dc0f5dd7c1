// Actions and safety rules through the HTTP API against a running (fake, paced) cluster.
import { afterEach, describe, expect, it } from "vitest";
import type { AuditEntry, RoutingSnapshot } from "../../domain/records.js";
import { startHarness, type Harness } from "./harness.js";

type CellBody = { id: string; preferredRegion: string; leader: { region: string; replica: string } | null };

let harness: Harness;
afterEach(async () => {
  await harness?.close();
});

async function leaders(h: Harness): Promise<CellBody[]> {
  return ((await h.request("GET", "/api/v1/cells")).body as { cells: CellBody[] }).cells;
}

async function audit(h: Harness): Promise<AuditEntry[]> {
  return ((await h.request("GET", "/api/v1/audit?limit=100")).body as { entries: AuditEntry[] }).entries;
}

describe("controller actions over HTTP", () => {
  it("evacuates hangzhou (no leader left there, gateway drained, routing version up) and restores it", async () => {
    harness = await startHarness({ waitPeriodMs: 0 });
    const before = (await harness.request("GET", "/api/v1/routing")).body as RoutingSnapshot;
    const evacuated = await harness.request("POST", "/api/v1/regions/hangzhou/evacuate", { reason: "test" });
    expect(evacuated.status).toBe(200);
    expect((evacuated.body as { moved: string[] }).moved.sort()).toEqual(["cell-1", "cell-2", "cell-3"]);
    expect((await leaders(harness)).filter((cell) => cell.leader?.region === "hangzhou")).toEqual([]);
    const routing = (await harness.request("GET", "/api/v1/routing")).body as RoutingSnapshot;
    expect(routing.version).toBeGreaterThan(before.version);
    expect(routing.drained).toEqual(["hangzhou"]);
    expect(Object.values(routing.cells)).not.toContain("hangzhou");
    const regions = (
      (await harness.request("GET", "/api/v1/regions")).body as {
        regions: { name: string; gateway: { state: string }; evacuated: boolean }[];
      }
    ).regions;
    expect(regions.find((region) => region.name === "hangzhou")).toMatchObject({ evacuated: true, gateway: { state: "drained" } });

    const restored = await harness.request("POST", "/api/v1/regions/hangzhou/restore", {});
    expect(restored.status).toBe(200);
    for (const cell of await leaders(harness)) expect(cell.leader?.region).toBe(cell.preferredRegion);
    const after = (await harness.request("GET", "/api/v1/routing")).body as RoutingSnapshot;
    expect(after.drained).toEqual([]);
    expect(after.cells["cell-1"]).toBe("hangzhou");
  });

  it("one-region-evacuated refuses a second evacuation; force with a reason overrides; audit records both", async () => {
    harness = await startHarness();
    expect((await harness.request("POST", "/api/v1/regions/hangzhou/evacuate", {})).status).toBe(200);
    const refused = await harness.request("POST", "/api/v1/regions/shanghai/evacuate", {});
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ rule: "one-region-evacuated" });
    expect((await harness.request("POST", "/api/v1/regions/shanghai/evacuate", { force: true })).status).toBe(400);
    const forced = await harness.request("POST", "/api/v1/regions/shanghai/evacuate", { force: true, reason: "drill of the break glass" });
    expect(forced.status).toBe(200);
    const entries = await audit(harness);
    expect(entries.some((entry) => entry.kind === "refusal" && entry.rule === "one-region-evacuated" && entry.outcome === "refused")).toBe(
      true,
    );
    expect(
      entries.some(
        (entry) =>
          entry.kind === "action" &&
          entry.target === "shanghai" &&
          entry.overrodeRule?.includes("one-region-evacuated") &&
          entry.reason === "drill of the break glass",
      ),
    ).toBe(true);
  });

  it("gateway-remaining refuses draining the last gateway; force overrides", async () => {
    harness = await startHarness();
    expect((await harness.request("POST", "/api/v1/regions/hangzhou/evacuate", {})).status).toBe(200);
    expect((await harness.request("POST", "/api/v1/regions/shanghai/evacuate", { force: true, reason: "two down" })).status).toBe(200);
    const refused = await harness.request("POST", "/api/v1/regions/shenzhen/evacuate", {});
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ rule: "gateway-remaining" });
    const forced = await harness.request("POST", "/api/v1/regions/shenzhen/evacuate", { force: true, reason: "maintenance of everything" });
    expect(forced.status).toBe(200);
    expect((await audit(harness)).find((entry) => entry.kind === "action" && entry.target === "shenzhen")?.overrodeRule).toContain(
      "gateway-remaining",
    );
  });

  it("target-caught-up refuses a lagging replica; force overrides", async () => {
    harness = await startHarness();
    harness.cluster.replica("cell-1/sh-a").lag = 5_000;
    harness.cluster.replica("cell-1/sh-b").lag = 5_000;
    const refused = await harness.request("POST", "/api/v1/cells/cell-1/failover", { to: "shanghai" });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ rule: "target-caught-up" });
    expect((await leaders(harness)).find((cell) => cell.id === "cell-1")?.leader?.region).toBe("hangzhou");
    const forced = await harness.request("POST", "/api/v1/cells/cell-1/failover", {
      to: "shanghai",
      force: true,
      reason: "accept the catch-up",
    });
    expect(forced.status).toBe(200);
    expect(forced.body).toMatchObject({ ok: true, leader: { region: "shanghai" } });
    const entries = await audit(harness);
    expect(entries.some((entry) => entry.kind === "refusal" && entry.rule === "target-caught-up" && entry.outcome === "overridden")).toBe(
      true,
    );
    expect(entries.some((entry) => entry.kind === "action" && entry.overrodeRule === "target-caught-up")).toBe(true);
  });

  it("quorum-reachable refuses moving a cell that has no quorum; force overrides", async () => {
    harness = await startHarness();
    for (const id of ["cell-2/sh-a", "cell-2/sz-a", "cell-2/hz-a"]) harness.cluster.replica(id).state = "crashed";
    const refused = await harness.request("POST", "/api/v1/cells/cell-2/failover", { to: "sh-b" });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ rule: "quorum-reachable" });
    const forced = await harness.request("POST", "/api/v1/cells/cell-2/failover", {
      to: "sh-b",
      force: true,
      reason: "operator knows better",
    });
    expect(forced.status).toBe(200);
    expect((await audit(harness)).some((entry) => entry.kind === "action" && entry.overrodeRule === "quorum-reachable")).toBe(true);
  });

  it("target-unavailable refuses a crashed datacenter; wait-period refuses flapping; force overrides", async () => {
    harness = await startHarness();
    harness.cluster.replica("cell-4/hz-a").state = "crashed";
    const unavailable = await harness.request("POST", "/api/v1/cells/cell-4/failover", { to: "hz-a" });
    expect(unavailable.status).toBe(409);
    expect(unavailable.body).toMatchObject({ rule: "target-unavailable" });
    expect((await harness.request("POST", "/api/v1/cells/cell-4/failover", { to: "hz-b" })).status).toBe(200);
    const flapping = await harness.request("POST", "/api/v1/cells/cell-4/failover", { to: "shanghai" });
    expect(flapping.status).toBe(409);
    expect(flapping.body).toMatchObject({ rule: "wait-period" });
    const forced = await harness.request("POST", "/api/v1/cells/cell-4/failover", {
      to: "shanghai",
      force: true,
      reason: "hz-b is misbehaving",
    });
    expect(forced.status).toBe(200);
    expect((await audit(harness)).some((entry) => entry.kind === "action" && entry.overrodeRule === "wait-period")).toBe(true);
  });

  it("automatic mode: routing follows a leader Raft moved on its own within one health period", async () => {
    harness = await startHarness();
    const cell = harness.cluster.mutable("cell-5");
    cell.leader = "cell-5/hz-a";
    cell.term++;
    const before = ((await harness.request("GET", "/api/v1/routing")).body as RoutingSnapshot).version;
    const start = harness.cluster.clock.nowUs();
    while (harness.cluster.clock.nowUs() - start < 600_000) await new Promise((resolve) => setTimeout(resolve, 10));
    const routing = (await harness.request("GET", "/api/v1/routing")).body as RoutingSnapshot;
    expect(routing.cells["cell-5"]).toBe("hangzhou");
    expect(routing.version).toBeGreaterThan(before);
    expect(routing.history.at(-1)?.reason).toContain("automatic");
  });
});
