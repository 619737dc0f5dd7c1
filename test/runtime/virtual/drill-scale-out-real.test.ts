// A drill's own `scaleOut` section in the running world (`ldc start`, issue 18): while
// double-11-scale-out runs, the automatic scale-out works to the drill's budget, line and sustain
// (the world's policy retuned, or a policy started for the drill), and the world's own settings
// are back once the drill is over. Before, the section was read only by `ldc drill run`.
import { afterEach, describe, expect, it } from "vitest";
import type { DrillRunRecord } from "../../../domain/records.js";
import { startRealHarness, type RealHarness, runUntilDone } from "./real-world.js";

let harness: RealHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

interface ScaleOutStatus {
  enabled: boolean;
  options?: { budgetOpsPerSecond: number; scaleOutFraction: number; sustainMs: number };
  actions: { kind: string; cell: string; detail: string }[];
}

async function status(h: RealHarness): Promise<ScaleOutStatus> {
  return (await h.request("GET", "/api/v1/scale-out")).body as ScaleOutStatus;
}

async function startDrill(h: RealHarness): Promise<string> {
  const started = await h.request("POST", "/api/v1/drills/double-11-scale-out/runs", { reason: "test" });
  expect(started.status).toBe(202);
  return (started.body as DrillRunRecord).id;
}

describe("a drill's scaleOut section on ldc start", () => {
  it("retunes the world's policy to the drill's budget while it runs (a hot cell is split), and gives the world's back after", async () => {
    // ~217 ops/s per cell: below the world's line (0.8 x 1000), above the drill's (0.8 x 250).
    const h = (harness = await startRealHarness({
      seed: 3,
      opsPerSecond: 1_300,
      scaleOut: { enabled: true, budgetOpsPerSecond: 1_000, sustainMs: 3_000 },
    }));
    await h.run(4_000_000);
    expect(await status(h)).toMatchObject({ enabled: true, options: { budgetOpsPerSecond: 1_000 }, actions: [] });
    const id = await startDrill(h);
    await h.run(500_000);
    expect(await status(h)).toMatchObject({ options: { budgetOpsPerSecond: 250, scaleOutFraction: 0.8, sustainMs: 3_000 } });
    for (let i = 0; i < 20 && (await status(h)).actions.length === 0; i++) await h.run(1_000_000);
    const action = (await status(h)).actions.at(-1); // the oldest (newest first)
    expect(action).toMatchObject({ kind: "scale-out" });
    expect(action?.detail).toMatch(/^cell-7 took \d+\.\.\d+ \(cut-over/);
    await h.request("POST", `/api/v1/drills/runs/${id}/abort`, { reason: "seen enough" });
    const run = await runUntilDone(h, id, 60_000_000);
    expect(run.outcome).toBe("ABORTED");
    expect(run.lostAckedTransfers).toBe(0);
    expect(await status(h)).toMatchObject({ enabled: true, options: { budgetOpsPerSecond: 1_000 } });
    const cells = (await h.request("GET", "/api/v1/cells")).body as { cells: { id: string }[] };
    expect(cells.cells.map((cell) => cell.id)).toContain("cell-7");
  }, 240_000);

  it("runs a policy for the drill in a world without one, and none after it", async () => {
    const h = (harness = await startRealHarness({ seed: 4, opsPerSecond: 200 }));
    await h.run(1_000_000);
    expect(await status(h)).toMatchObject({ enabled: false });
    const id = await startDrill(h);
    await h.run(500_000);
    expect(await status(h)).toMatchObject({ enabled: true, options: { budgetOpsPerSecond: 250 }, actions: [] });
    await h.request("POST", `/api/v1/drills/runs/${id}/abort`, { reason: "test" });
    await runUntilDone(h, id, 60_000_000);
    expect(await status(h)).toMatchObject({ enabled: false });
  }, 120_000);
});
