// The control group inside the simulated world (runtime/virtual/control-plane.ts): five replicas
// 2 + 2 + 1 over the regions elect a leader, commit through any region endpoint, survive the loss
// of the leader's region, and refuse (NO_QUORUM) from a region cut off from a majority.
import { describe, expect, it } from "vitest";
import { setupController, type ControllerSetup } from "../../../runtime/virtual/controller-setup.js";
import type { ControlOutcome } from "../../../controller/control/client.js";
import type { ControlCommand } from "../../../controller/control/state-machine.js";

function world(seed: number): ControllerSetup {
  return setupController({ seed, dataDirectory: null, wallTimeIso: () => "2026-01-01T00:00:00.000Z", opsPerSecond: 50 });
}

function commit(setup: ControllerSetup, command: ControlCommand, via: string | null): ControlOutcome & { via: string | null } {
  let answer: (ControlOutcome & { via: string | null }) | null = null;
  setup.control.plane.commit(command, via, (outcome) => (answer = outcome));
  const deadline = setup.virtual.nowUs() + 5_000_000;
  while (answer === null && setup.virtual.nowUs() < deadline) setup.virtual.runFor(10_000);
  if (answer === null) throw new Error("no answer");
  return answer;
}

describe("control plane in the virtual world", () => {
  it("places 2 + 2 + 1 replicas, elects one leader and reports quorum", () => {
    const setup = world(1);
    const status = setup.control.plane.status();
    const regions = setup.virtual.regions.map((region) => region.name);
    expect(status.replicas.map((replica) => replica.region)).toEqual([regions[0], regions[0], regions[1], regions[1], regions[2]]);
    expect(status.leader).not.toBeNull();
    expect(status.quorum).toBe(true);
    expect(status.replicas.filter((replica) => replica.state === "leader")).toHaveLength(1);
    setup.close();
  });

  it("commits a command once, even when the same request id is sent again", () => {
    const setup = world(2);
    const first = commit(setup, { kind: "barrier", requestId: "t-1" }, null);
    expect(first.ok).toBe(true);
    const again = commit(setup, { kind: "barrier", requestId: "t-1" }, setup.virtual.regions[2]?.name ?? null);
    expect(again.ok && again.result.duplicate).toBe(true);
    setup.close();
  });

  it("commits again after the control leader's region loses power, and not from a cut-off region", () => {
    const setup = world(3);
    const leaderRegion = setup.control.plane.leaderRegion() as string;
    const result = setup.faults.inject({ type: "region-outage", target: { regions: [leaderRegion] }, duration: "20s" }, { origin: "test" });
    expect(result.ok).toBe(true);
    const startUs = setup.virtual.nowUs();
    const survivor = setup.virtual.regions.map((region) => region.name).find((region) => region !== leaderRegion) as string;
    const after = commit(setup, { kind: "barrier", requestId: "t-after" }, survivor);
    expect(after.ok).toBe(true);
    expect(setup.virtual.nowUs() - startUs).toBeLessThan(1_500_000);
    expect(setup.control.plane.leaderRegion()).not.toBe(leaderRegion);
    // The dead region's endpoint is down: the caller is told so, nothing is committed there.
    const viaDead = commit(setup, { kind: "barrier", requestId: "t-dead" }, leaderRegion);
    expect(viaDead.ok).toBe(false);
    setup.close();
  });
});
