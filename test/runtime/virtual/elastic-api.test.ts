// Elastic cells through the API over the real virtual world (issue 18's "done when", in process):
// add a cell, move shards 0..4 to it under load, and the harness's checkers over the whole run.
import { afterEach, describe, expect, it } from "vitest";
import { checkRun } from "../../../harness/run-check.js";
import { startRealHarness, type RealHarness } from "./real-world.js";

let h: RealHarness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe("elastic cells through the API (virtual world)", () => {
  it("adds cell-7, moves shards 0..4 to it under load: listed with them, a higher routing version, shard-0 users served there, checkers valid", async () => {
    h = await startRealHarness({ seed: 3, opsPerSecond: 600 });
    await h.run(1_000_000);
    const before = (await h.request("GET", "/api/v1/routing")).body as { version: number };
    const added = await h.request("POST", "/api/v1/cells", { reason: "peak capacity" });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ cell: "cell-7", region: "hangzhou" });
    const moved = await h.request("POST", "/api/v1/shards/move", { shards: "0..4", to: "cell-7", reason: "hot shards" });
    expect(moved.status).toBe(200);
    const move = moved.body as { state: string; from: string; accounts: number; fenceWindowMs: number; durationMs: number };
    expect(move).toMatchObject({ state: "cut-over", from: "cell-1", accounts: 20 });
    expect(move.fenceWindowMs).toBeGreaterThan(0);
    // Recorded in the control log before its first step and at every step: finished there too.
    await h.run(500_000);
    const recorded = h.setup.control.plane.leaderState()?.moves() ?? [];
    expect(recorded.map((entry) => [entry.id, entry.state])).toEqual([[(moved.body as { id: string }).id, "cut-over"]]);
    expect(h.setup.control.moves?.figures.recoveries).toBeGreaterThanOrEqual(1); // looked at the log once it had a leader
    const cells = (await h.request("GET", "/api/v1/cells")).body as { cells: { id: string; shards: number[] }[] };
    expect(cells.cells.find((cell) => cell.id === "cell-7")?.shards).toEqual([0, 1, 2, 3, 4]);
    expect(cells.cells.find((cell) => cell.id === "cell-1")?.shards).not.toContain(0);
    const after = (await h.request("GET", "/api/v1/routing")).body as { version: number; shards: Record<string, string> };
    expect(after.version).toBeGreaterThan(before.version);
    expect(after.shards["0"]).toBe("cell-7");
    const historyStartUs = h.setup.virtual.nowUs();
    await h.run(3_000_000);
    // Transfers of shard-0 users (uid % 100 === 0) after the move: posted by cell-7.
    const shard0 = h.setup.virtual.recorder
      .since(historyStartUs)
      .filter((op) => op.f === "transfer" && op.type === "ok" && /^acct-0-/.test(String((op.value as { from?: string }).from)));
    expect(shard0.length).toBeGreaterThan(0);
    expect(shard0.every((op) => (op.value as { cell: string }).cell === "cell-7")).toBe(true);
    // Bad input is refused with the field or rule named, nothing changed.
    expect((await h.request("POST", "/api/v1/shards/move", { shards: "0..4", to: "cell-9", reason: "x" })).body).toMatchObject({
      field: "to",
    });
    expect((await h.request("POST", "/api/v1/shards/move", { shards: "4..1", to: "cell-2", reason: "x" })).body).toMatchObject({
      field: "shards",
    });
    expect((await h.request("POST", "/api/v1/shards/move", { shards: "15..18", to: "cell-7", reason: "x" })).status).toBe(400);
    expect((await h.request("DELETE", "/api/v1/cells/cell-7", { reason: "x" })).body).toMatchObject({ rule: "cell-not-empty" });
    h.setup.virtual.drain(10_000_000);
    const verdicts = checkRun(h.setup.virtual, { checkers: ["bank", "durability", "replica-agreement", "linearizable"] });
    expect(verdicts.checkers.linearizable.valid).toBe(true);
    expect(verdicts.checkers.durability.valid).toBe(true);
    expect(verdicts.checkers.bank).toMatchObject({ valid: true, global: { conserved: true } });
    expect(verdicts.lostAckedTransfers).toBe(0);
    expect(verdicts.valid).toBe(true);
  }, 240_000);
});
