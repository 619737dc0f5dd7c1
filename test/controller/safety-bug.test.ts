// The controller's injected bug "transfer-to-lagging" (cells/bugs.ts) lives in chooseReplica: with
// it, a replica 5,000 entries behind is chosen where the real rule refuses (target-caught-up), and
// a lagging replica is taken over a caught-up one. The switch is reachable only through
// SafetyLimits.bugs, which no configuration sets.
import { describe, expect, it } from "vitest";
import { chooseReplica, defaultSafetyLimits } from "../../controller/safety.js";
import { fakeCluster } from "../domain/fake-cluster.js";

const BUGGY = { ...defaultSafetyLimits, bugs: new Set(["transfer-to-lagging"] as const) };

/** cell-1 of a fake cluster with its shanghai replicas this far behind; the choices there. */
function shanghai(lagA: number, lagB: number) {
  const cluster = fakeCluster(1);
  cluster.replica("cell-1/sh-a").lag = lagA;
  cluster.replica("cell-1/sh-b").lag = lagB;
  const cell = cluster.cell("cell-1");
  if (cell === undefined) throw new Error("no cell-1");
  const candidates = cell.replicas.filter((replica) => replica.region === "shanghai");
  expect(candidates.map((replica) => replica.lag)).toEqual([lagA, lagB]);
  return {
    real: chooseReplica(cell, candidates, "shanghai", defaultSafetyLimits),
    buggy: chooseReplica(cell, candidates, "shanghai", BUGGY),
  };
}

describe("transfer-to-lagging switch", () => {
  it("picks a lagging replica only when the bug is on", () => {
    const { real, buggy } = shanghai(5_000, 5_000);
    expect(real.ok).toBe(false);
    if (!real.ok) expect(real.refusal.rule).toBe("target-caught-up");
    expect(buggy.ok).toBe(true);
    if (buggy.ok) expect(buggy.replica.lag).toBe(5_000);
  });

  it("the real choice prefers a caught-up replica over a lagging one, and the least lag among caught-up ones", () => {
    // sh-a sorts first by id: a choice blind to lag takes it.
    const lagging = shanghai(5_000, 3);
    expect(lagging.real.ok && lagging.real.replica.id).toBe("cell-1/sh-b");
    expect(lagging.buggy.ok && lagging.buggy.replica.id).toBe("cell-1/sh-a");
    // Both caught up: the one less behind.
    const both = shanghai(10, 3);
    expect(both.real.ok && both.real.replica.id).toBe("cell-1/sh-b");
  });
});
