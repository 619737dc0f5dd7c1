// The controller's injected bug "transfer-to-lagging" (cells/bugs.ts) lives in chooseReplica: with
// it, a replica 5,000 entries behind is chosen where the real rule refuses (target-caught-up).
// The switch is reachable only through SafetyLimits.bugs, which no configuration sets.
import { describe, expect, it } from "vitest";
import { chooseReplica, defaultSafetyLimits } from "../../controller/safety.js";
import { fakeCluster } from "../domain/fake-cluster.js";

describe("transfer-to-lagging switch", () => {
  it("picks a lagging replica only when the bug is on", () => {
    const cluster = fakeCluster(1);
    cluster.replica("cell-1/sh-a").lag = 5_000;
    cluster.replica("cell-1/sh-b").lag = 5_000;
    const cell = cluster.cell("cell-1");
    if (cell === undefined) throw new Error("no cell-1");
    const inShanghai = cell.replicas.filter((replica) => replica.region === "shanghai");
    const refused = chooseReplica(cell, inShanghai, "shanghai", defaultSafetyLimits);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.refusal.rule).toBe("target-caught-up");
    const buggy = chooseReplica(cell, inShanghai, "shanghai", { ...defaultSafetyLimits, bugs: new Set(["transfer-to-lagging"]) });
    expect(buggy.ok).toBe(true);
    if (buggy.ok) expect(buggy.replica.lag).toBe(5_000);
  });

  it("the real choice prefers a caught-up replica over a lagging one, and the least lag among caught-up ones", () => {
    const cluster = fakeCluster(1);
    // sh-a sorts first by id: a choice blind to lag takes it.
    cluster.replica("cell-1/sh-a").lag = 5_000;
    cluster.replica("cell-1/sh-b").lag = 3;
    const cell = cluster.cell("cell-1");
    if (cell === undefined) throw new Error("no cell-1");
    const inShanghai = cell.replicas.filter((replica) => replica.region === "shanghai");
    const real = chooseReplica(cell, inShanghai, "shanghai", defaultSafetyLimits);
    expect(real.ok && real.replica.id).toBe("cell-1/sh-b");
    const buggy = chooseReplica(cell, inShanghai, "shanghai", { ...defaultSafetyLimits, bugs: new Set(["transfer-to-lagging"]) });
    expect(buggy.ok && buggy.replica.id).toBe("cell-1/sh-a");
    // Both caught up: the one less behind.
    cluster.replica("cell-1/sh-a").lag = 10;
    const now = cluster.cell("cell-1") ?? cell;
    const bothCaughtUp = now.replicas.filter((replica) => replica.region === "shanghai");
    expect(bothCaughtUp.map((replica) => replica.lag).sort((a, b) => a - b)).toEqual([3, 10]);
    const closer = chooseReplica(now, bothCaughtUp, "shanghai", defaultSafetyLimits);
    expect(closer.ok && closer.replica.id).toBe("cell-1/sh-b");
  });
});
