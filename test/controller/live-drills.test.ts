// Issue 15, defect 11 in the live runtime: the live controller's drills are the built-in drill
// files (the same name, duration, fault and time), run here on the virtual world's Cluster.
import { describe, expect, it } from "vitest";
import { builtinDrill } from "../../chaos/drill/builtin.js";
import { FaultManager } from "../../chaos/fault-manager.js";
import { LIVE_CONTROLLER_DRILLS, OUTAGE_DRILL_SETTLE_US, OutageDrills } from "../../controller/chaos-adapters.js";
import type { DrillResult } from "../../controller/ports.js";
import { createVirtualRuntime } from "../../runtime/virtual/runtime.js";

describe("the live controller's drills (issue 15: defect 11)", () => {
  it("are the built-in drills: same names and durations; dc-outage injects at the file's 10 s and succeeds", () => {
    const virtual = createVirtualRuntime({ seed: 5, workload: { opsPerSecond: 50 } });
    virtual.settleLeaders(5_000_000);
    const faults = new FaultManager(virtual.cluster);
    const drills = new OutageDrills({ cluster: virtual.cluster, faults, violations: () => virtual.invariantViolations() });
    expect(drills.list().map((drill) => [drill.name, drill.durationMs])).toEqual(
      LIVE_CONTROLLER_DRILLS.map((name) => [name, builtinDrill(name).durationUs / 1000]),
    );
    expect(drills.list().find((drill) => drill.name === "region-outage")?.durationMs).toBe(90_000);

    const injectedAtUs: number[] = [];
    faults.on((event) => {
      if (event.kind === "injected") injectedAtUs.push(event.atUs);
    });
    const startUs = virtual.nowUs();
    let result: DrillResult | null = null;
    const handle = drills.start("dc-outage", 5, { progress: () => {}, done: (done) => (result = done) }, "r-9");
    expect("error" in handle).toBe(false);
    virtual.runUntil(startUs + 60_000_000 + OUTAGE_DRILL_SETTLE_US + 1_000_000);
    expect(injectedAtUs.map((atUs) => Math.round((atUs - startUs) / 1_000_000))).toEqual([10]);
    const done = result as DrillResult | null;
    expect(done?.outcome, JSON.stringify(done?.reasons)).toBe("SUCCEEDED");
    // The datacenter holding the most leaders went down: its cells re-elected elsewhere, within the file's rtoMsMax.
    expect(Object.keys(done?.rtoMs ?? {}).length).toBeGreaterThan(0);
    for (const rtoMs of Object.values(done?.rtoMs ?? {})) expect(rtoMs).not.toBeNull();
    expect(done?.reportHtml).toContain("<h2>Timeline (seconds of drill time)</h2>");
    expect(done?.reportHtml).toContain("60 s drill");
    expect(faults.active()).toEqual([]);
  }, 120_000);
});
