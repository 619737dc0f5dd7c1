// The control plane's endpoint choice and fallback (controller/control/plane.ts) over fake region
// endpoints: without a chosen region a command goes to the first region that answers and moves on,
// under the SAME request id, from one that cannot commit (NO_QUORUM, down, or silent past the
// commit timeout); a chosen region is kept unless the caller allows a fallback; INVALID is final.
import { describe, expect, it } from "vitest";
import { CONTROL_ENDPOINT_GRACE_US, ControlPlane, type ControlEndpoint } from "../../../controller/control/plane.js";
import type { ControlClient, ControlOutcome } from "../../../controller/control/client.js";
import type { ControlCommand } from "../../../controller/control/state-machine.js";
import { ManualClock } from "../../ground/manual-clock.js";

type Behaviour = "commit" | "no-quorum" | "silent" | "invalid";

interface FakeEndpoint {
  up: boolean;
  answering: boolean;
  behaviour: Behaviour;
  /** Request ids this endpoint was asked to commit, in order. */
  readonly seen: string[];
}

const REGIONS = ["hangzhou", "shanghai", "shenzhen"] as const;
const TIMEOUT_US = 1_000_000;

function world(behaviours: Partial<Record<(typeof REGIONS)[number], Partial<FakeEndpoint>>> = {}) {
  const clock = new ManualClock();
  const plane = new ControlPlane(REGIONS, { clock, replicas: () => [] }, TIMEOUT_US);
  const endpoints = new Map<string, FakeEndpoint>();
  for (const region of REGIONS) {
    const fake: FakeEndpoint = { up: true, answering: true, behaviour: "commit", seen: [], ...behaviours[region] };
    endpoints.set(region, fake);
    const client = {
      get leader() {
        return null;
      },
      get answering() {
        return fake.answering;
      },
      submit(command: ControlCommand, _timeoutUs: number, callback: (outcome: ControlOutcome) => void) {
        fake.seen.push(command.requestId);
        switch (fake.behaviour) {
          case "commit":
            callback({ ok: true, result: { index: 1, duplicate: false, response: null, call: null }, replica: `ctl/${region}-1` });
            return;
          case "no-quorum":
            callback({ ok: false, code: "NO_QUORUM", error: `${region}: nothing committed` });
            return;
          case "invalid":
            callback({ ok: false, code: "INVALID", error: `${region}: malformed` });
            return;
          case "silent":
            return;
        }
      },
    } as unknown as ControlClient;
    const endpoint: ControlEndpoint = { region, client, up: () => fake.up };
    plane.setEndpoint(endpoint);
  }
  const outcomes: (ControlOutcome & { via: string | null })[] = [];
  const commit = (via: string | null, fallback = false, requestId = "r-1"): void =>
    plane.commit({ kind: "barrier", requestId }, via, (outcome) => outcomes.push(outcome), TIMEOUT_US, fallback);
  return { clock, plane, endpoints, outcomes, commit, seen: (region: string) => endpoints.get(region)?.seen ?? [] };
}

describe("ControlPlane endpoint choice and fallback", () => {
  it("without a region: the first region in configuration order that is up", () => {
    const w = world({ hangzhou: { up: false } });
    w.commit(null);
    expect(w.outcomes).toMatchObject([{ ok: true, via: "shanghai" }]);
    expect(w.seen("hangzhou")).toEqual([]);
  });

  it("prefers a region whose last command committed over an earlier one left without a quorum", () => {
    const w = world({ hangzhou: { answering: false } });
    const choice = w.plane.endpoint(null);
    expect(choice.ok && choice.endpoint.region).toBe("shanghai");
    // Every endpoint up but none answering: the first that is up (it may answer now).
    for (const fake of w.endpoints.values()) fake.answering = false;
    const fallback = w.plane.endpoint(null);
    expect(fallback.ok && fallback.endpoint.region).toBe("hangzhou");
  });

  it("a region that cannot commit hands the command on under the same request id; answered once", () => {
    const w = world({ hangzhou: { behaviour: "no-quorum" }, shanghai: { behaviour: "no-quorum" } });
    w.commit(null, false, "same-id");
    expect(w.outcomes).toHaveLength(1);
    expect(w.outcomes[0]).toMatchObject({ ok: true, via: "shenzhen" });
    expect([...w.seen("hangzhou"), ...w.seen("shanghai"), ...w.seen("shenzhen")]).toEqual(["same-id", "same-id", "same-id"]);
  });

  it("every region fails: one NO_QUORUM, each region tried once", () => {
    const w = world({ hangzhou: { behaviour: "no-quorum" }, shanghai: { behaviour: "no-quorum" }, shenzhen: { behaviour: "no-quorum" } });
    w.commit(null);
    expect(w.outcomes).toHaveLength(1);
    expect(w.outcomes[0]).toMatchObject({ ok: false, code: "NO_QUORUM" });
    for (const region of REGIONS) expect(w.seen(region)).toEqual(["r-1"]);
  });

  it("a chosen region is kept: its NO_QUORUM is the answer, no other region sees the command", () => {
    const w = world({ shanghai: { behaviour: "no-quorum" } });
    w.commit("shanghai");
    expect(w.outcomes).toMatchObject([{ ok: false, code: "NO_QUORUM", via: "shanghai" }]);
    expect(w.seen("hangzhou")).toEqual([]);
    expect(w.seen("shenzhen")).toEqual([]);
  });

  it("a chosen region that is down: an error naming it; with fallback, the next region that is up", () => {
    const w = world({ shanghai: { up: false } });
    w.commit("shanghai");
    expect(w.outcomes[0]).toMatchObject({ ok: false, code: "NO_QUORUM", via: "shanghai" });
    expect((w.outcomes[0] as { error: string }).error).toContain("shanghai is down");
    w.commit("shanghai", true, "r-2");
    expect(w.outcomes[1]).toMatchObject({ ok: true, via: "hangzhou" });
    expect(w.seen("hangzhou")).toEqual(["r-2"]);
  });

  it("a chosen region that cannot commit, with fallback (the end of a call that took its own region down): the next region", () => {
    const w = world({ hangzhou: { behaviour: "no-quorum" } });
    w.commit("hangzhou", true);
    expect(w.outcomes).toMatchObject([{ ok: true, via: "shanghai" }]);
  });

  it("an unknown region is refused naming the field", () => {
    const w = world();
    w.commit("atlantis");
    expect(w.outcomes[0]).toMatchObject({ ok: false, code: "NO_QUORUM", via: "atlantis" });
    expect((w.outcomes[0] as { error: string }).error).toMatch(/^via: no region atlantis/);
  });

  it("an endpoint that never answers: NO_QUORUM from the plane at its share of the timeout plus grace, then the next region", () => {
    const w = world({ hangzhou: { behaviour: "silent" } });
    w.commit(null);
    // No region named: the three regions up share the one timeout.
    w.clock.advance(Math.floor(TIMEOUT_US / 3) + CONTROL_ENDPOINT_GRACE_US - 1);
    expect(w.outcomes).toEqual([]);
    w.clock.advance(1);
    expect(w.outcomes).toMatchObject([{ ok: true, via: "shanghai" }]);
    expect(w.seen("shanghai")).toEqual(["r-1"]);
    // Chosen and silent: the plane answers for it, once.
    const v = world({ shenzhen: { behaviour: "silent" } });
    v.commit("shenzhen");
    v.clock.advance(10 * TIMEOUT_US);
    expect(v.outcomes).toHaveLength(1);
    expect(v.outcomes[0]).toMatchObject({ ok: false, code: "NO_QUORUM", via: "shenzhen" });
    expect((v.outcomes[0] as { error: string }).error).toContain("stopped answering");
  });

  it("INVALID is final: not tried elsewhere", () => {
    const w = world({ hangzhou: { behaviour: "invalid" } });
    w.commit(null);
    expect(w.outcomes).toMatchObject([{ ok: false, code: "INVALID", via: "hangzhou" }]);
    expect(w.seen("shanghai")).toEqual([]);
  });

  it("no region named: every region silent answers one NO_QUORUM within the timeout plus one grace, not the timeout per region", () => {
    const w = world({ hangzhou: { behaviour: "silent" }, shanghai: { behaviour: "silent" }, shenzhen: { behaviour: "silent" } });
    w.commit(null);
    w.clock.advance(TIMEOUT_US + CONTROL_ENDPOINT_GRACE_US);
    expect(w.outcomes).toHaveLength(1);
    expect(w.outcomes[0]).toMatchObject({ ok: false, code: "NO_QUORUM" });
    expect(w.seen("shenzhen")).toEqual(["r-1"]);
  });

  it("nothing up: NO_QUORUM saying so", () => {
    const w = world({ hangzhou: { up: false }, shanghai: { up: false }, shenzhen: { up: false } });
    w.commit(null);
    expect(w.outcomes[0]).toMatchObject({ ok: false, code: "NO_QUORUM" });
    expect((w.outcomes[0] as { error: string }).error).toBe("no control endpoint is up");
  });
});
