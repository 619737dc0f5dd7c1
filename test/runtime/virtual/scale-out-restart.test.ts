// The automatic scale-out policy across a controller restart (issue 18): the cells it added are
// recorded in the control plane's log, so the policy of a restarted controller reads them back and
// still gives a cold one's shards back and removes it. Before, the restarted policy knew nothing
// of the cell it had added, and the cell stayed for good.
import { describe, expect, it } from "vitest";
import { VirtualRuntime } from "../../../runtime/virtual/runtime.js";
import { elasticDriver } from "../../../runtime/virtual/elastic-stand-in.js";
import { spawnControlPlane } from "../../../runtime/virtual/control-plane.js";
import { controlMoveJournal, controlScaleOutJournal } from "../../../controller/elastic-journal.js";
import { ScaleOutPolicy, defaultScaleOutOptions, type ScaleOutJournal } from "../../../controller/scale-out.js";
import type { MoveJournal } from "../../../controller/elastic.js";

describe("the scale-out policy across a controller restart", () => {
  it("a restarted controller's policy reads the cell it added from the control log and consolidates it", () => {
    const virtual = new VirtualRuntime({ seed: 2, workload: { opsPerSecond: 200 } });
    const control = spawnControlPlane(virtual);
    virtual.settleLeaders(3_000_000);
    virtual.startWorkload();
    const moves: MoveJournal = controlMoveJournal(control.plane);
    const journal: ScaleOutJournal = controlScaleOutJournal(control.plane);
    // Offered load per cell, set by the test: cell-1 hot first, then every cell cold.
    const loads = new Map<string, number>([["cell-1", 95]]);
    // Each incarnation's driver names its moves apart (the controller's ids come from a persisted sequence).
    const policyOf = (idPrefix: string): ScaleOutPolicy => {
      const driver = elasticDriver(virtual, {}, { journal: moves, idPrefix }) as NonNullable<ReturnType<typeof elasticDriver>>;
      return new ScaleOutPolicy(
        { ...defaultScaleOutOptions, budgetOpsPerSecond: 100, sustainMs: 1_000, consolidateSustainMs: 2_000 },
        {
          clock: virtual.cluster.clock,
          elastic: driver.elastic,
          cells: () => virtual.placement.cells.map((cell) => ({ id: cell.cell, shards: cell.shards })),
          opsPerSecond: (cell) => loads.get(cell) ?? 20,
          journal,
        },
      );
    };
    const first = policyOf("first");
    first.start();
    for (let i = 0; i < 100 && first.actions.length === 0; i++) virtual.runFor(200_000);
    expect(first.actions[0]).toMatchObject({ kind: "scale-out", cell: "cell-1" });
    expect(first.actions[0]?.detail).toMatch(/^cell-7 took \d+\.\.\d+ \(cut-over/);
    const taken = first.status().added["cell-7"];
    expect(taken).toMatchObject({ from: "cell-1" });
    virtual.runFor(500_000); // the record commits
    expect(journal.added()?.map((entry) => entry.cell)).toEqual(["cell-7"]);
    // The controller dies; the load falls; a new controller starts with a policy of its own.
    first.stop();
    loads.set("cell-1", 20);
    virtual.runFor(1_000_000);
    const second = policyOf("second");
    expect(second.status()).toMatchObject({ restored: false, added: {} });
    second.start();
    virtual.runFor(600_000);
    expect(second.status()).toMatchObject({ restored: true, added: { "cell-7": taken } });
    for (let i = 0; i < 100 && second.actions.length === 0; i++) virtual.runFor(200_000);
    expect(second.actions[0]).toMatchObject({ kind: "consolidate", cell: "cell-7", detail: "shards back to cell-1, cell-7 removed" });
    expect(virtual.placement.cells.map((cell) => cell.cell)).not.toContain("cell-7");
    virtual.runFor(500_000);
    // The removal is recorded too: a third incarnation finds nothing of its own.
    expect(journal.added()).toEqual([]);
    second.stop();
  }, 120_000);
});
