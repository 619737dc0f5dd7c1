// Automatic scale-out in the running world (issue 18), through the API as on `ldc start` with the
// world's scaleOut section: under a double-11 peak the policy adds a cell and moves half of the
// hottest cell's shards to it, and once the peak is over gives them back and removes the cell;
// every automatic step is in the audit log with actor "scale-out", like an operator's. The
// safety rule holds for it too: a cell without a quorum is never split (no cell is added).
import { afterEach, describe, expect, it } from "vitest";
import { checkRun } from "../../../harness/run-check.js";
import { startRealHarness, type RealHarness } from "./real-world.js";
import type { AuditEntry } from "../../../domain/records.js";
import { VirtualRuntime } from "../../../runtime/virtual/runtime.js";
import { elasticDriver } from "../../../runtime/virtual/elastic-stand-in.js";
import { ScaleOutPolicy, scaleOutOptionsOf } from "../../../controller/scale-out.js";
import { parseWorldConfig } from "../../../domain/config.js";

let h: RealHarness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

interface ScaleOutStatus {
  enabled: boolean;
  options: { budgetOpsPerSecond: number; scaleOutFraction: number };
  actions: { kind: string; cell: string; detail: string }[];
}

describe("automatic scale-out through the API (virtual world)", () => {
  it("adds a cell and moves the hottest shards under the peak, consolidates after it, each step audited as scale-out", async () => {
    h = await startRealHarness({
      seed: 5,
      opsPerSecond: 300,
      // Checked whole at the end (checkRun below): keep all of the history.
      bounds: { historyRetention: null },
      workload: { profile: "double-11", peakAtUs: 30_000_000, peakDurationUs: 16_000_000, peakFactor: 3 },
      scaleOut: {
        enabled: true,
        budgetOpsPerSecond: 100,
        threshold: 0.8,
        // Longer than the accounts-opening burst at the start (~180 ops/s per cell, under 80 by ~4 s).
        sustainMs: 5_000,
        consolidateThreshold: 0.5,
        consolidateSustainMs: 4_000,
        cellsMax: 7,
      },
    });
    const harness = h;
    const status = async (): Promise<ScaleOutStatus> => (await harness.request("GET", "/api/v1/scale-out")).body as ScaleOutStatus;
    expect(await status()).toMatchObject({ enabled: true, options: { budgetOpsPerSecond: 100, scaleOutFraction: 0.8 }, actions: [] });
    await h.run(12_000_000);
    expect((await status()).actions).toEqual([]); // 50 ops/s per cell before the peak: below 80
    for (let i = 0; i < 40 && (await status()).actions.length === 0; i++) await h.run(1_000_000);
    const [scaledOut] = (await status()).actions;
    expect(scaledOut).toMatchObject({ kind: "scale-out" });
    expect(scaledOut?.detail).toMatch(/^cell-7 took \d+\.\.\d+ \(cut-over/);
    const cells = (await h.request("GET", "/api/v1/cells")).body as { cells: { id: string; shards: number[] }[] };
    const added = cells.cells.find((cell) => cell.id === "cell-7");
    expect(added?.shards.length).toBeGreaterThan(0);
    const hot = cells.cells.find((cell) => cell.id === scaledOut?.cell);
    for (const shard of added?.shards ?? []) expect(hot?.shards).not.toContain(shard);

    for (let i = 0; i < 60 && (await status()).actions.length < 2; i++) await h.run(1_000_000);
    const actions = (await status()).actions;
    expect(actions.map((action) => action.kind)).toEqual(["consolidate", "scale-out"]); // newest first
    const after = (await h.request("GET", "/api/v1/cells")).body as { cells: { id: string; shards: number[] }[] };
    expect(after.cells.map((cell) => cell.id)).not.toContain("cell-7");
    expect(after.cells.find((cell) => cell.id === scaledOut?.cell)?.shards).toEqual(
      hot?.shards.concat(added?.shards ?? []).sort((a, b) => a - b),
    );

    const audit = ((await h.request("GET", "/api/v1/audit?limit=500")).body as { entries: AuditEntry[] }).entries;
    const automatic = audit.filter((entry) => entry.actor === "scale-out").map((entry) => `${entry.action} ${entry.outcome}`);
    for (const step of ["add-cell routable", "move-shards started", "move-shards:cut-over ok", "remove-cell ok"])
      expect(automatic).toContain(step);
    expect(audit.filter((entry) => entry.actor === "scale-out" && entry.action === "move-shards:cut-over")).toHaveLength(2);

    h.setup.virtual.drain(10_000_000);
    // The bank checker's global count includes the removed cell's moves (its replicas are gone).
    const verdicts = checkRun(h.setup.virtual, {
      checkers: ["bank", "durability", "replica-agreement", "linearizable", "global-conservation"],
    });
    expect(verdicts.checkers.bank).toMatchObject({ global: { conserved: true } });
    expect(verdicts.valid).toBe(true);
    expect(verdicts.lostAckedTransfers).toBe(0);
  }, 300_000);

  it("never splits a cell whose quorum is missing: refused move-during-outage, audited as scale-out, no cell added", () => {
    const virtual = new VirtualRuntime({ seed: 6, workload: { opsPerSecond: 200 } });
    virtual.settleLeaders(2_000_000);
    virtual.startWorkload();
    const driver = elasticDriver(virtual) as NonNullable<ReturnType<typeof elasticDriver>>;
    const cell1 = virtual.placement.cell("cell-1")?.replicas.map((replica) => replica.replica) ?? [];
    // Three of cell-1's five replicas cut off, each alone: no quorum.
    for (const replica of cell1.slice(0, 3)) virtual.faults.partition({ kind: "isolate", hosts: [replica] });
    virtual.runFor(3_000_000);
    expect(virtual.cluster.cell("cell-1")?.quorumAvailable).toBe(false);
    const settings = parseWorldConfig({ scaleOut: { enabled: true, budgetOpsPerSecond: 100, sustainMs: 1_000 } }).scaleOut;
    const policy = new ScaleOutPolicy(scaleOutOptionsOf(settings as NonNullable<typeof settings>, 3_000), {
      clock: virtual.cluster.clock,
      elastic: driver.elastic,
      cells: () => virtual.placement.cells.map((cell) => ({ id: cell.cell, shards: cell.shards })),
      opsPerSecond: (cell) => (cell === "cell-1" ? 500 : 10),
    });
    policy.start();
    virtual.runFor(5_000_000);
    policy.stop();
    expect(policy.actions.length).toBeGreaterThan(0);
    for (const action of policy.actions) expect(action.detail).toMatch(/^refused: cell-1 has no leader or no reachable quorum/);
    expect(virtual.placement.cells.map((cell) => cell.cell)).toEqual(["cell-1", "cell-2", "cell-3", "cell-4", "cell-5", "cell-6"]);
    expect(driver.elastic.list()).toEqual([]);
  }, 120_000);
});
