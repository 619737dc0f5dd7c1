// The running world's history window (runtime/virtual/controller-setup.ts HISTORY_RETAIN_OPS_MAX)
// must hold what is read back from it, at the heaviest load a built-in drill makes (the Double 11
// peak, 3x the default): a drill's lead before it pins its window, and a rehearsal's measured
// outcome (its baseline before the action and its observation after). A smaller bound, or a longer
// lead or observation, would check a drill or measure a rehearsal on a cut history.
import { describe, expect, it } from "vitest";
import { defaultWorldConfig } from "../../../domain/config.js";
import { DRILL_HISTORY_LEAD_US } from "../../../runtime/drill-runner.js";
import { HISTORY_RETAIN_OPS_MAX, HISTORY_RETAIN_US } from "../../../runtime/virtual/controller-setup.js";
import { REHEARSAL_BASELINE_US, REHEARSAL_OBSERVE_US } from "../../../runtime/virtual/rehearsal.js";
import { rateMax } from "../../../sim/workload/profile.js";
import { defaultActionOptions } from "../../../controller/actions.js";

/** History ops per operation: its invocation and its completion. */
const OPS_PER_OPERATION = 2;

describe("the running world's history window", () => {
  it("holds a drill's lead and a rehearsal's baseline and observation at 3x the default load", () => {
    // The heaviest built-in load: the Double 11 peak (the double-11-* drills).
    const peak = rateMax({ profile: "double-11", opsPerSecond: defaultWorldConfig().workload.opsPerSecond });
    const opsPerSecond = peak * OPS_PER_OPERATION;
    // What is held at the least: the retention's duration, unless opsMax cuts it (then 3/4 of opsMax stay).
    const heldSeconds = Math.min(HISTORY_RETAIN_US / 1e6, (HISTORY_RETAIN_OPS_MAX * 0.75) / opsPerSecond);
    expect(heldSeconds).toBeGreaterThanOrEqual(DRILL_HISTORY_LEAD_US / 1e6);
    expect(heldSeconds).toBeGreaterThanOrEqual((REHEARSAL_BASELINE_US + REHEARSAL_OBSERVE_US) / 1e6);
  });

  it("at the default load, holds a rehearsal's measurement of the longest action (a leader that must catch up first, then its transfer)", () => {
    const opsPerSecond = defaultWorldConfig().workload.opsPerSecond * OPS_PER_OPERATION;
    const heldSeconds = Math.min(HISTORY_RETAIN_US / 1e6, (HISTORY_RETAIN_OPS_MAX * 0.75) / opsPerSecond);
    const longestActionUs = defaultActionOptions.catchUpWaitUsMax + defaultActionOptions.transferTimeoutUs;
    expect(heldSeconds).toBeGreaterThanOrEqual((REHEARSAL_BASELINE_US + longestActionUs + REHEARSAL_OBSERVE_US) / 1e6);
  });
});
