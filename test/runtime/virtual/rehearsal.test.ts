// Rehearsal over the API against the real world: evacuating hangzhou is played in a simulated
// copy of the current state and answered with the predicted outcome, while the running world's
// routing and leaders stay as they were; the real action that follows is audited with the
// prediction and the measurement side by side.
import { execFile, spawnSync } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { TOKEN } from "../../controller/harness.js";
import type { AuditEntry } from "../../../domain/records.js";
import type { Prediction } from "../../../runtime/virtual/rehearsal.js";
import { startRealHarness, type RealHarness } from "./real-world.js";

let harness: RealHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe("rehearsals", () => {
  it("evacuating hangzhou: predicted RTO per moved cell, error rate, p99; the running world untouched; then measured side by side", async () => {
    const h = (harness = await startRealHarness({ seed: 2, opsPerSecond: 300, waitPeriodMs: 0 }));
    await h.run(3_000_000);
    const leadersBefore = h.setup.virtual.cluster.cells().map((cell) => cell.leader?.replica);
    const versionBefore = h.setup.routing.version;
    const nowBefore = h.setup.virtual.nowUs();
    const answer = await h.request(
      "POST",
      "/api/v1/rehearsals",
      { action: { kind: "evacuate", target: "hangzhou", reason: "maintenance" } },
      { simUsMax: 0 },
    );
    expect(answer.status).toBe(200);
    const prediction = answer.body as Prediction;
    // The copy ran; the running world did not move while it did (this harness steps it only on request).
    expect(h.setup.virtual.nowUs()).toBe(nowBefore);
    expect(h.setup.routing.version).toBe(versionBefore);
    expect(h.setup.virtual.cluster.cells().map((cell) => cell.leader?.replica)).toEqual(leadersBefore);
    expect(h.setup.routing.drained()).toEqual([]);
    expect(prediction.outcome).toBe("ok");
    expect(prediction.refused).toBeNull();
    expect(prediction.basedOn).toMatchObject({ routingVersion: versionBefore, drained: [] });
    expect(prediction.routingVersionAfter).toBe(versionBefore + 1);
    const moved = h.setup.virtual.cluster
      .cells()
      .filter((cell) => cell.leader?.region === "hangzhou")
      .map((cell) => cell.id)
      .sort();
    expect(moved.length).toBeGreaterThan(0);
    expect(Object.keys(prediction.rtoMs).sort()).toEqual(moved);
    for (const rto of Object.values(prediction.rtoMs)) {
      expect(rto).not.toBeNull();
      expect(rto).toBeLessThan(3_000);
    }
    expect(prediction.errorRate).toBeGreaterThanOrEqual(0);
    expect(prediction.errorRate).toBeLessThan(0.2);
    expect(prediction.p99Ms).toBeGreaterThan(0);
    expect(prediction.lostAckedTransfers).toBe(0);
    expect(prediction.operations).toBeGreaterThan(100);

    // Deterministic: the same state gives the same prediction.
    const again = (
      await h.request(
        "POST",
        "/api/v1/rehearsals",
        { action: { kind: "evacuate", target: "hangzhou", reason: "maintenance" } },
        { simUsMax: 0 },
      )
    ).body as Prediction;
    expect({ ...again, wallMs: 0 }).toEqual({ ...prediction, wallMs: 0 });

    const real = await h.request("POST", "/api/v1/regions/hangzhou/evacuate", { reason: "maintenance" });
    expect(real.status).toBe(200);
    await h.run(6_000_000);
    const audit = ((await h.request("GET", "/api/v1/audit?kind=action")).body as { entries: AuditEntry[] }).entries;
    const sideBySide = audit.find((entry) => entry.action === "evacuate-measured");
    expect(sideBySide).toBeDefined();
    const details = sideBySide?.details as {
      predicted: { rtoMs: Record<string, number> };
      measured: { rtoMs: Record<string, number | null>; routingVersionAfter: number };
    };
    expect(Object.keys(details.measured.rtoMs).sort()).toEqual(moved);
    expect(details.predicted.rtoMs).toEqual(prediction.rtoMs);
    expect(details.measured.routingVersionAfter).toBe(prediction.routingVersionAfter);
  }, 240_000);

  it("an action whose window the running world's history no longer holds is reported unmeasured, not measured on what is left", async () => {
    // A history of at most 2,000 ops (~3 s at 600 history ops/s): the measurement reads back the action plus 7 s.
    const h = (harness = await startRealHarness({
      seed: 2,
      opsPerSecond: 300,
      waitPeriodMs: 0,
      bounds: { historyRetention: { opsMax: 2_000 } },
    }));
    await h.run(3_000_000);
    const rehearsed = await h.request(
      "POST",
      "/api/v1/rehearsals",
      { action: { kind: "evacuate", target: "hangzhou", reason: "x" } },
      { simUsMax: 0 },
    );
    expect(rehearsed.status).toBe(200);
    expect((await h.request("POST", "/api/v1/regions/hangzhou/evacuate", { reason: "x" })).status).toBe(200);
    await h.run(6_000_000);
    const audit = ((await h.request("GET", "/api/v1/audit?kind=action")).body as { entries: AuditEntry[] }).entries;
    const details = audit.find((entry) => entry.action === "evacuate-measured")?.details as {
      measured: { rtoMs: unknown; errorRate: unknown; p99Ms: unknown; unmeasured?: string };
    };
    expect(details.measured).toMatchObject({ rtoMs: null, errorRate: null, p99Ms: null });
    expect(details.measured.unmeasured).toMatch(/no longer holds the action's window/);
  }, 240_000);

  it("predicts a refusal with its rule and figures", async () => {
    const h = (harness = await startRealHarness({ seed: 3, opsPerSecond: 200, gatewayOpsPerSecondMax: 150 }));
    await h.run(4_000_000);
    const refused = (await h.request("POST", "/api/v1/rehearsals", { action: { kind: "evacuate", target: "hangzhou" } }, { simUsMax: 0 }))
      .body as Prediction;
    expect(refused.outcome).toBe("refused");
    expect(refused.refused?.rule).toBe("capacity");
    expect(refused.refused?.figures?.haveOpsPerSecond).toBe(150);
    expect(refused.routingVersionAfter).toBe(refused.basedOn.routingVersion);
    expect(h.setup.routing.drained()).toEqual([]);
    // Right after a real (forced) evacuation, restoring would be refused by the wait period: so is its rehearsal.
    expect((await h.request("POST", "/api/v1/regions/hangzhou/evacuate", { reason: "drill day", force: true })).status).toBe(200);
    const restore = (await h.request("POST", "/api/v1/rehearsals", { action: { kind: "restore", target: "hangzhou" } }, { simUsMax: 0 }))
      .body as Prediction;
    expect(restore.outcome).toBe("refused");
    expect(restore.refused?.rule).toBe("wait-period");
    expect(restore.basedOn.drained).toEqual(["hangzhou"]);
  }, 240_000);

  it("rehearses a built-in drill: the drill's outcome and figures in the copy, no drill run in the running world", async () => {
    const h = (harness = await startRealHarness({ seed: 4, opsPerSecond: 150 }));
    await h.run(2_000_000);
    const answer = await h.request("POST", "/api/v1/rehearsals", { drill: "leader-dc-partition" }, { simUsMax: 0 });
    expect(answer.status).toBe(200);
    const prediction = answer.body as Prediction;
    expect(prediction.drill?.outcome).toBe("SUCCEEDED");
    expect(prediction.outcome).toBe("SUCCEEDED");
    expect(prediction.drill?.lostAckedTransfers).toBe(0);
    expect(prediction.simulatedMs).toBeGreaterThan(60_000);
    expect(h.setup.controller.drillRuns()).toEqual([]);
    expect(h.setup.faults.active()).toEqual([]);
    // The run that follows carries the prediction (for its report: prediction and outcome side by side).
    const started = await h.request("POST", "/api/v1/drills/leader-dc-partition/runs", {});
    expect(started.status).toBe(202);
    expect((started.body as { prediction: unknown }).prediction).toEqual({
      atMs: prediction.basedOn.atMs,
      outcome: "SUCCEEDED",
      rtoMs: prediction.drill?.rtoMs,
      lostAckedTransfers: 0,
      errorRate: prediction.errorRate,
      p99Ms: prediction.p99Ms,
    });
    expect(Object.keys(prediction.drill?.rtoMs ?? {}).length).toBeGreaterThan(0);
  }, 240_000);

  it("bad rehearsals are 400 naming the field", async () => {
    const h = (harness = await startRealHarness({ seed: 3, opsPerSecond: 100 }));
    const cases: [unknown, string][] = [
      [{}, "action"],
      [{ action: { kind: "evacuate", target: "hangzhou" }, drill: "dc-outage" }, "action"],
      [{ action: { kind: "teleport", target: "hangzhou" } }, "action.kind"],
      [{ action: { kind: "evacuate", target: "atlantis" } }, "action.target"],
      [{ action: { kind: "failover", target: "cell-1", to: "mars" } }, "action.to"],
      [{ action: { kind: "failover", target: "cell-99", to: "shanghai" } }, "action.target"],
      [{ drill: "meteor-strike" }, "drill"],
      [{ action: { kind: "evacuate", target: "hangzhou", when: "now" } }, "action.when"],
    ];
    for (const [body, field] of cases) {
      const answer = await h.request("POST", "/api/v1/rehearsals", body, { simUsMax: 0 });
      expect([JSON.stringify(body), answer.status]).toEqual([JSON.stringify(body), 400]);
      expect((answer.body as { field: string }).field).toBe(field);
    }
  }, 60_000);

  it("ldc rehearse against a running controller prints the prediction; bad input exits 2 naming the field", async () => {
    const h = (harness = await startRealHarness({ seed: 5, opsPerSecond: 150 }));
    await h.run(2_000_000);
    const ldc = join(import.meta.dirname, "..", "..", "..", "bin", "ldc.mjs");
    // Asynchronous: this process serves the API (and runs the copy) while the CLI waits for it.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [ldc, "rehearse", "failover", "cell-1", "--to", "shanghai", "--url", h.url, "--token", TOKEN, "--json"],
      { encoding: "utf8" },
    );
    const prediction = JSON.parse(stdout) as Prediction;
    expect(prediction.request).toEqual({ action: { kind: "failover", target: "cell-1", to: "shanghai" } });
    expect(prediction.outcome).toBe("ok");
    expect(Object.keys(prediction.rtoMs)).toEqual(["cell-1"]);
    const bad = spawnSync(process.execPath, [ldc, "rehearse", "teleport", "hangzhou", "--url", h.url, "--token", TOKEN], {
      encoding: "utf8",
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^ldc: kind: expected evacuate, restore, failover, drill/);
    const noTo = spawnSync(process.execPath, [ldc, "rehearse", "failover", "cell-1", "--url", h.url, "--token", TOKEN], {
      encoding: "utf8",
    });
    expect(noTo.status).toBe(2);
    expect(noTo.stderr).toContain("--to");
  }, 120_000);
});
