// The built-in drill control-plane-region-outage (runtime/virtual/control-drill.ts), seed 1: the
// control leader's region loses power, the evacuation pressed through the control plane commits,
// nothing acknowledged is lost (money or audit). `ldc drill run control-plane-region-outage --seed N`
// runs the same function; docs/drills.md lists seeds 1..10.
import { describe, expect, it } from "vitest";
import { builtinDrill } from "../../../chaos/drill/builtin.js";
import { drillNeedsController, runControllerDrill } from "../../../runtime/virtual/control-drill.js";

describe("control-plane-region-outage", () => {
  it("seed 1: SUCCEEDED, the control leader moved region, the evacuation committed, no acknowledged audit entry lost", async () => {
    const drill = builtinDrill("control-plane-region-outage");
    expect(drillNeedsController(drill)).toBe(true);
    expect(drillNeedsController(builtinDrill("region-outage"))).toBe(false);
    const { result } = await runControllerDrill(drill, { seed: 1 });
    expect(result.reasons).toEqual([]);
    expect(result.outcome).toBe("SUCCEEDED");
    expect(result.lostAckedTransfers).toBe(0);
    const control = result.controlPlane;
    expect(control).toBeDefined();
    expect(control?.leaderRegionBefore).not.toBeNull();
    expect(control?.leaderAfter).not.toBe(control?.leaderBefore);
    expect(control?.quorumAfter).toBe(true);
    expect(control?.actions).toHaveLength(1);
    expect(control?.actions[0]).toMatchObject({ kind: "evacuate", target: control?.leaderRegionBefore, ok: true });
    expect(control?.evacuationCommittedMsAfterFault).toBeLessThan(1_500 + 1_000);
    // The audit probes (halt, release) before the outage, the fault and the evacuation at least.
    expect(control?.auditAcknowledged).toBeGreaterThanOrEqual(4);
    expect(control?.auditLost).toEqual([]);
  });
});
