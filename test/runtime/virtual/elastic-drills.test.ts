// Issue 18's drills in the virtual runtime, as `ldc drill run NAME --seed 1` runs them.
import { describe, expect, it } from "vitest";
import { builtinDrill } from "../../../chaos/drill/builtin.js";
import { runDrill } from "../../../runtime/virtual/drill.js";
import { drillNeedsController } from "../../../runtime/virtual/control-drill.js";

describe("elastic-cell drills", () => {
  it("shard-move-during-region-outage, seed 1: the move cuts over although both leaders' region lost power mid-move; nothing lost, every checker valid", async () => {
    // `ldc drill run` takes this path (runDrill): elastic steps need no controller world. Before,
    // its add-cell/move-shards steps sent it to the controller world, which had no elastic driver: FAILED.
    expect(drillNeedsController(builtinDrill("shard-move-during-region-outage"))).toBe(false);
    expect(drillNeedsController(builtinDrill("double-11-scale-out"))).toBe(false);
    const { result, virtual } = await runDrill(builtinDrill("shard-move-during-region-outage"), { seed: 1 });
    expect(result.outcome).toBe("SUCCEEDED");
    expect(result.lostAckedTransfers).toBe(0);
    for (const [name, verdict] of Object.entries(result.checkers)) expect([name, verdict.valid]).toEqual([name, true]);
    const move = result.steps.find((step) => step.field.endsWith("move-shards"));
    expect(move).toMatchObject({ ok: true });
    expect(move?.detail).toContain('"state":"cut-over"');
    // The outage began while the move was in flight (the move's answer came after it).
    const outage = result.steps.find((step) => step.kind === "inject") as { atMs: number };
    expect((move as { atMs: number }).atMs).toBeGreaterThan(outage.atMs);
    expect(virtual.placement.cellOfShard(0)).toBe("cell-7");
  }, 240_000);
});
