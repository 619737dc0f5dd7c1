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
});
