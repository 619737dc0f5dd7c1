// The live control group through a region outage injected by the API of `ldc start --runtime live`
// (runtime/live/control-plane.ts): the control replicas and the region endpoint of the control
// leader's region are hosts of that region, so the outage SIGKILLs them and cuts their proxies;
// the injection is answered (committed through another region), a leader elsewhere takes over,
// the failover button (evacuate the dark region) commits, the audit entries acknowledged before
// the outage are all still in the log, and after the heal the five replicas are back.
import { describe, expect, it } from "vitest";
import { useControlWorld } from "./fixtures/control-world.js";

const world = useControlWorld(4);

describe("a region outage of the control leader's region, live", () => {
  it("the control group elects a leader elsewhere, the failover button commits, no acknowledged audit entry is lost, the heal brings back all five", async () => {
    const before = await world.untilAllUp(30_000);
    const region = before.leaderRegion as string;
    // The lease keeper notes the control term every 0.5 s and adopts on a rise it sees: let it note this one first.
    await world.setup.live.sleep(1_500);
    const injectedUs = world.setup.live.nowUs();
    const injected = await world.call("POST", "/api/v1/faults", {
      type: "region-outage",
      target: { region },
      durationMs: 120_000,
      reason: "live control region outage",
    });
    expect(injected.status, JSON.stringify(injected.body)).toBe(201);
    const answeredMs = (world.setup.live.nowUs() - injectedUs) / 1000;
    const acknowledged = world.setup.controller.audit({ limit: 100 }).map((entry) => entry.id);
    expect(acknowledged.length).toBeGreaterThan(0);
    const after = await world.until(
      (current) => current.quorum && current.leaderRegion !== null && current.leaderRegion !== region,
      20_000,
    );
    const electedMs = (world.setup.live.nowUs() - injectedUs) / 1000;
    expect(after.replicas.filter((replica) => replica.region === region).every((replica) => replica.state === "down")).toBe(true);
    expect(after.endpoints.find((endpoint) => endpoint.region === region)?.up).toBe(false);

    const evacuated = await world.commit(
      "POST",
      `/api/v1/regions/${region}/evacuate`,
      { reason: "failover button", force: true },
      "failover",
      20_000,
    );
    expect(evacuated.status, JSON.stringify(evacuated.body)).toBe(200);
    const state = await world.leaderState();
    expect(state.drained).toContain(region);
    for (const id of acknowledged) expect(state.auditIds).toContain(id);
    const evacuateId = world.actionAuditIds("evacuate")[0];
    expect(state.auditIds).toContain(evacuateId);

    // The lease keeper saw the leader change, and the supervisor's mirror of the new leader (what its adoption reads) holds the fault's record.
    const control = world.setup.control;
    const deadline = performance.now() + 10_000;
    while (
      (control?.leases.stats.adoptions ?? 0) < 1 ||
      !(control?.plane.leaderState()?.faults() ?? []).some((fault) => fault.type === "region-outage")
    ) {
      if (performance.now() > deadline)
        throw new Error(`no adoption or no mirrored fault record: ${JSON.stringify(control?.leases.stats)}`);
      await world.setup.live.sleep(100);
    }

    const healed = await world.commit("DELETE", "/api/v1/faults", undefined, "heal", 20_000);
    expect(healed.status).toBe(204);
    await world.untilAllUp(30_000);
    // For the record (docs/live.md): from the injection call to its answer (its end committed after the outage) and to a leader elsewhere.
    process.stdout.write(
      `live control region outage: injection answered after ${Math.round(answeredMs)} ms, control leader elsewhere after ${Math.round(electedMs)} ms\n`,
    );
  });
});
