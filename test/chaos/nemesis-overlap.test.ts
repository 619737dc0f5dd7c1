// Two strengthenings of the nemesis for the bug catalogue (docs/harness.md): faults that outlast
// the interval overlap (with `overlap`; without it a fault is still cut to the interval), and
// `power-loss` crashes every replica of one cell at once.
import { describe, expect, it } from "vitest";
import { FaultManager } from "../../chaos/fault-manager.js";
import { drawFault, scheduleNemesis } from "../../chaos/nemesis.js";
import { parseFaultSpec } from "../../chaos/catalogue.js";
import { createRandom } from "../../ground/random.js";
import { fakeCluster } from "../domain/fake-cluster.js";

function windows(overlap: boolean) {
  const cluster = fakeCluster(3);
  const handle = scheduleNemesis(
    { cluster },
    ["latency"],
    {
      intervalUs: 1_000_000,
      startUs: 1_000_000,
      endUs: 6_000_000,
      faultUs: 1_500_000,
      overlap,
    },
    new FaultManager(cluster),
  );
  cluster.scheduler.runUntil(8_000_000);
  return handle.windows();
}

describe("nemesis strengthenings", () => {
  it("lets faults overlap only when asked", () => {
    const overlapping = windows(true);
    expect(overlapping.length).toBeGreaterThan(2);
    expect(overlapping.some((window, i) => i > 0 && window.startUs < (overlapping[i - 1]?.endUs ?? 0))).toBe(true);
    const cut = windows(false);
    for (const window of cut) expect(window.endUs - window.startUs).toBeLessThanOrEqual(1_000_000);
  });

  it("power-loss is a valid kill of every replica of one cell", () => {
    const cluster = fakeCluster(4);
    const spec = drawFault("power-loss", cluster, createRandom(9), 500_000);
    expect(spec).toMatchObject({ type: "kill", target: { select: "all" } });
    expect(typeof (spec.target as { cell?: unknown }).cell).toBe("string");
    expect(() => parseFaultSpec(spec)).not.toThrow();
  });
});
