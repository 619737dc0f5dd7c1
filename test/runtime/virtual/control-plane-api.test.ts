// The API through the control group (controller/http/app.ts controlPlaneEdge over the real virtual
// world): mutating calls are committed before they are answered, a retry with the same
// Idempotency-Key is replayed and never applied twice, a region cut off from the control majority
// answers 503 control-quorum (or forwards to the new leader), and the earlier bars still hold.
import { afterEach, describe, expect, it } from "vitest";
import { startRealHarness, type RealHarness } from "./real-world.js";
import type { AuditEntry } from "../../../domain/records.js";
import { CONTROL_ENDPOINT_GRACE_US, type ControlPlaneStatus } from "../../../controller/control/plane.js";

let h: RealHarness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

async function harness(seed: number): Promise<RealHarness> {
  h = await startRealHarness({ seed, opsPerSecond: 100, dataDirectory: undefined, control: true });
  return h;
}

function leaderAudit(harness: RealHarness): readonly AuditEntry[] {
  return harness.setup.control.plane.leaderState()?.audit() ?? [];
}

describe("API through the control plane", () => {
  it("GET /api/v1/control-plane: leader, term, five replicas with match indexes, quorum", async () => {
    const harness_ = await harness(11);
    const answer = await harness_.request("GET", "/api/v1/control-plane");
    expect(answer.status).toBe(200);
    const status = answer.body as ControlPlaneStatus & { enabled: boolean };
    expect(status.enabled).toBe(true);
    expect(status.quorum).toBe(true);
    expect(status.replicas).toHaveLength(5);
    expect(status.replicas.filter((replica) => replica.state === "leader").map((replica) => replica.id)).toEqual([status.leader]);
    expect(status.term).toBeGreaterThan(0);
    expect(answer.headers.get("x-ldc-served-by")).toBe(harness_.setup.virtual.regions[0]?.name);
    const via = harness_.setup.virtual.regions[2]?.name as string;
    const routing = await harness_.request("GET", `/api/v1/routing?via=${via}`);
    expect(routing.headers.get("x-ldc-served-by")).toBe(via);
    expect(routing.headers.get("x-ldc-routing-version")).toBe(String((routing.body as { version: number }).version));
    expect((await harness_.request("GET", "/api/v1/routing", undefined, { headers: { "X-LDC-Region": "atlantis" } })).status).toBe(400);
    const metrics = await fetch(`${harness_.url}/metrics`).then((response) => response.text());
    expect(metrics).toContain("ldc_control_quorum 1");
    expect(metrics).toContain(`ldc_control_leader_region{region="${status.leaderRegion}"} 1`);
  });

  it("an evacuation is committed with its audit entry before it is answered; 401 and 400 still come first", async () => {
    const harness_ = await harness(12);
    expect((await harness_.request("POST", "/api/v1/regions/hangzhou/evacuate", { reason: "x" }, { token: null })).status).toBe(401);
    const evacuated = await harness_.request("POST", "/api/v1/regions/hangzhou/evacuate", { reason: "maintenance" });
    expect(evacuated.status).toBe(200);
    const version = (evacuated.body as { routingVersion: number }).routingVersion;
    const state = harness_.setup.control.plane.leaderState();
    expect(state?.routing?.version).toBe(version);
    expect(state?.routing?.drained).toEqual(["hangzhou"]);
    const stored = harness_.setup.store.query({ kind: "action", limit: 10 }).find((entry) => entry.action === "evacuate");
    expect(stored).toBeDefined();
    expect(leaderAudit(harness_).some((entry) => entry.id === stored?.id)).toBe(true);
    const bad = await harness_.request("POST", "/api/v1/regions/hangzhou/restore", { reason: 5 });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ field: "reason" });
  });

  it("the same Idempotency-Key is applied once and replayed after", async () => {
    const harness_ = await harness(13);
    const headers = { "Idempotency-Key": "halt-once" };
    const first = await harness_.request("POST", "/api/v1/halt", { reason: "freeze" }, { headers });
    expect(first.status).toBe(200);
    const second = await harness_.request("POST", "/api/v1/halt", { reason: "freeze" }, { headers });
    expect(second.status).toBe(200);
    expect(second.headers.get("x-ldc-replayed")).toBe("true");
    expect(second.body).toEqual(first.body);
    const halts = harness_.setup.store.query({ kind: "halt", limit: 50 }).filter((entry) => entry.action === "halt");
    expect(halts).toHaveLength(1);
  });

  it("two regions cut from the control leader's region: via the cut-off side it is forwarded or 503, via the leader's side 503; never applied twice", async () => {
    const harness_ = await harness(14);
    const regions = harness_.setup.virtual.regions.map((region) => region.name);
    const leaderRegion = harness_.setup.control.plane.leaderRegion() as string;
    const others = regions.filter((region) => region !== leaderRegion);
    const cut = harness_.setup.faults.inject({
      type: "partition",
      target: { regions: [leaderRegion] },
      shape: "region-vs-rest",
      duration: "30s",
    });
    expect(cut.ok).toBe(true);
    const viaLeaderSide = await harness_.request(
      "POST",
      "/api/v1/halt",
      { reason: "from the isolated side" },
      {
        headers: { "X-LDC-Region": leaderRegion, "Idempotency-Key": "isolated-halt" },
      },
    );
    expect(viaLeaderSide.status).toBe(503);
    expect(viaLeaderSide.body).toMatchObject({ rule: "control-quorum" });
    expect(harness_.setup.controller.haltState().halted).toBe(false);
    const headers = { "X-LDC-Region": others[0] as string, "Idempotency-Key": "cut-off-halt" };
    const viaOther = await harness_.request("POST", "/api/v1/halt", { reason: "from the majority side" }, { headers });
    // The majority side elects a new control leader well within the commit timeout: forwarded and applied.
    expect(viaOther.status).toBe(200);
    expect(viaOther.headers.get("x-ldc-served-by")).toBe(others[0]);
    expect(harness_.setup.control.plane.leaderRegion()).not.toBe(leaderRegion);
    // The same call again through the other majority-side region: a replay or a refusal, never a second halt.
    const retried = await harness_.request(
      "POST",
      "/api/v1/halt",
      { reason: "from the majority side" },
      {
        headers: { ...headers, "X-LDC-Region": others[1] as string },
      },
    );
    expect(retried.status).toBe(200);
    expect(retried.headers.get("x-ldc-replayed")).toBe("true");
    const halts = harness_.setup.store.query({ kind: "halt", limit: 50 }).filter((entry) => entry.action === "halt");
    expect(halts).toHaveLength(1);
  });

  it("without a control quorum a bad body is still 400 naming its field; only a valid call is 503 control-quorum", async () => {
    const harness_ = await harness(15);
    // Three of the five control replicas die: no quorum.
    for (const placement of harness_.setup.control.replicas.placements.slice(0, 3)) harness_.setup.virtual.world.crash(placement.id);
    const refusals: [string, string, unknown, string][] = [
      ["POST", "/api/v1/regions/hangzhou/evacuate", { reason: "x", force: "yes" }, "force"],
      ["POST", "/api/v1/cells/cell-1/failover", { to: 7 }, "to"],
      ["POST", "/api/v1/halt", {}, "reason"],
      ["POST", "/api/v1/faults", { type: "no-such-fault" }, "type"],
      // Names checked against the world before the gate: an unknown target is bad input, not a quorum matter.
      ["POST", "/api/v1/faults", { type: "region-outage", target: { regions: ["atlantis"] }, leaseMs: 60_000 }, "target.regions"],
      ["POST", "/api/v1/faults", { type: "kill", target: { cells: ["cell-99"] }, leaseMs: 60_000 }, "target.cells"],
      ["POST", "/api/v1/faults", { type: "kill", target: { hosts: ["nowhere/x"] }, leaseMs: 60_000 }, "target.hosts"],
      ["POST", "/api/v1/drills/dc-outage/runs", { seed: "one" }, "seed"],
      ["POST", "/api/v1/schedules", { drill: "dc-outage", cron: "not a cron" }, "cron"],
    ];
    for (const [method, path, body, field] of refusals) {
      const answer = await harness_.request(method, path, body);
      expect({ path, status: answer.status }).toEqual({ path, status: 400 });
      expect(answer.body).toMatchObject({ field });
    }
    // A button naming a cell or region the world does not have is 404 (as with a quorum), a failover to
    // an unknown place 400 naming `to`: not 503, which would send the operator after the control plane.
    const unknownNames: [string, unknown, number, Record<string, unknown>][] = [
      ["/api/v1/regions/atlantis/evacuate", { reason: "x" }, 404, { error: "no region atlantis" }],
      ["/api/v1/regions/atlantis/restore", { reason: "x" }, 404, { error: "no region atlantis" }],
      ["/api/v1/cells/cell-99/failover", { to: "shanghai", reason: "x" }, 404, { error: "no cell cell-99" }],
      ["/api/v1/cells/cell-1/failover", { to: "atlantis", reason: "x" }, 400, { field: "to" }],
    ];
    for (const [path, body, status, expected] of unknownNames) {
      const answer = await harness_.request("POST", path, body);
      expect({ path, status: answer.status }).toEqual({ path, status });
      expect(answer.body).toMatchObject(expected);
    }
    // docs/operator.md: 503 after at most 2 s (plus one endpoint grace and the harness's 10 ms step), with or
    // without a region named: without one the regions share the budget (it was 2 s per region, ~6 s).
    const budgetMs = harness_.setup.control.plane.commitTimeoutUs / 1000 + CONTROL_ENDPOINT_GRACE_US / 1000 + 10;
    const startedUs = harness_.setup.virtual.nowUs();
    const valid = await harness_.request("POST", "/api/v1/halt", { reason: "valid, but no quorum" });
    expect(valid.status).toBe(503);
    expect(valid.body).toMatchObject({ rule: "control-quorum" });
    expect((harness_.setup.virtual.nowUs() - startedUs) / 1000).toBeLessThanOrEqual(budgetMs);
    const viaStartedUs = harness_.setup.virtual.nowUs();
    const viaNamed = await harness_.request("POST", "/api/v1/halt?via=shenzhen", { reason: "valid, but no quorum" });
    expect(viaNamed.status).toBe(503);
    expect((harness_.setup.virtual.nowUs() - viaStartedUs) / 1000).toBeLessThanOrEqual(budgetMs);
    const knownTarget = await harness_.request("POST", "/api/v1/faults", {
      type: "region-outage",
      target: { regions: ["shenzhen"] },
      leaseMs: 60_000,
    });
    expect(knownTarget.status).toBe(503);
    expect(knownTarget.body).toMatchObject({ rule: "control-quorum" });
    expect(harness_.setup.faults.active()).toHaveLength(0);
    expect(harness_.setup.controller.haltState().halted).toBe(false);
  });
});
