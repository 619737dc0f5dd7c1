import { describe, expect, it } from "vitest";
import { FAULT_TYPES, LEASE_US_DEFAULT, describeCatalogue, parseFaultSpec } from "../../chaos/catalogue.js";
import { ChaosError } from "../../chaos/errors.js";
import { resolveTarget, universeOf } from "../../chaos/targets.js";
import { fakeCluster } from "../domain/fake-cluster.js";

function errorOf(thunk: () => unknown): ChaosError {
  try {
    thunk();
  } catch (error) {
    if (error instanceof ChaosError) return error;
    throw error;
  }
  throw new Error("expected a ChaosError");
}

describe("parseFaultSpec", () => {
  it("reads the issue's drill shorthand: target keys and duration at the top level", () => {
    const spec = parseFaultSpec({ type: "region-outage", region: "hangzhou", duration: "30s" });
    expect(spec).toEqual({
      type: "region-outage",
      target: { select: "all", regions: ["hangzhou"] },
      params: {},
      durationUs: 30_000_000,
      leaseUs: 30_000_000,
    });
  });

  it("reads the API form with params and leaseMs, filling defaults", () => {
    const spec = parseFaultSpec({
      type: "latency",
      target: { region: "shanghai", label: "hosts in shanghai" },
      leaseMs: 5000,
      params: { delayMs: 80 },
    });
    expect(spec.params).toEqual({ delayMs: 80, jitterMs: 10 });
    expect(spec.leaseUs).toBe(5_000_000);
    expect(spec.durationUs).toBeNull();
  });

  it("gives every fault a lease even when none is asked for", () => {
    expect(parseFaultSpec({ type: "kill" }).leaseUs).toBe(LEASE_US_DEFAULT);
  });

  it("a lease shorter than the duration bounds it", () => {
    const spec = parseFaultSpec({ type: "pause", duration: "60s", lease: "5s" });
    expect(spec.leaseUs).toBe(5_000_000);
  });

  it("names the field of an unknown fault type and lists the known ones", () => {
    const error = errorOf(() => parseFaultSpec({ type: "meteor" }, "steps[2].inject"));
    expect(error.field).toBe("steps[2].inject.type");
    expect(error.message).toContain('unknown fault type "meteor"');
    expect(error.message).toContain("region-outage");
  });

  it("names unknown keys, bad params, bad selects and bad durations", () => {
    expect(errorOf(() => parseFaultSpec({ type: "kill", delayMs: 3 })).field).toBe("delayMs");
    expect(errorOf(() => parseFaultSpec({ type: "loss", params: { probability: 2 } })).field).toBe("params.probability");
    expect(errorOf(() => parseFaultSpec({ type: "kill", target: { select: "most" } })).field).toBe("target.select");
    expect(errorOf(() => parseFaultSpec({ type: "kill", duration: "soon" })).field).toBe("duration");
    expect(errorOf(() => parseFaultSpec({ type: "region-outage", select: "40%" })).field).toBe("select");
  });

  it("reads percentages as a select word", () => {
    expect(parseFaultSpec({ type: "kill", target: "40%" }).target).toEqual({ select: "percent", percent: 40 });
  });
});

describe("target selection", () => {
  it("names a target that does not exist", () => {
    const cluster = fakeCluster();
    const spec = parseFaultSpec({ type: "region-outage", region: "atlantis" });
    const error = errorOf(() =>
      resolveTarget(spec.type, spec.target, universeOf(cluster), cluster.random.fork("chaos"), "steps[0].inject"),
    );
    expect(error.code).toBe("NO_SUCH_TARGET");
    expect(error.field).toBe("steps[0].inject.regions");
    expect(error.message).toContain('"atlantis"');
  });

  it("is a function of the seed", () => {
    const picks = (seed: number): string[] => {
      const cluster = fakeCluster(seed);
      const random = cluster.random.fork("chaos");
      const universe = universeOf(cluster);
      return ["kill", "40%", "minority", "majority"].map((select) => {
        const spec = parseFaultSpec({ type: "kill", target: select === "kill" ? "one" : select });
        return resolveTarget(spec.type, spec.target, universe, random).hosts.join(",");
      });
    };
    expect(picks(7)).toEqual(picks(7));
    expect(picks(7)).not.toEqual(picks(8));
  });

  it("resolves quorum-relative picks within one cell", () => {
    const cluster = fakeCluster(3);
    const universe = universeOf(cluster);
    const random = cluster.random.fork("chaos");
    const pick = (target: unknown) => {
      const spec = parseFaultSpec({ type: "kill", target });
      return resolveTarget(spec.type, spec.target, universe, random);
    };
    expect(pick({ cell: "cell-2", select: "majority" }).hosts).toHaveLength(3);
    expect(pick({ cell: "cell-2", select: "minority" }).hosts).toHaveLength(2);
    expect(pick({ cell: "cell-5", select: "leader" }).hosts).toEqual(["cell-5/sh-a"]);
    const followers = pick({ cell: "cell-5", select: "followers" }).hosts;
    expect(followers).toHaveLength(4);
    expect(followers).not.toContain("cell-5/sh-a");
    const majority = pick("majority");
    expect(new Set(majority.hosts.map((host) => host.split("/")[0])).size).toBe(1);
    // Region clients are never picked unless named.
    expect(pick("all").hosts.some((host) => host.startsWith("client/"))).toBe(false);
  });

  it("picks the region and datacenter holding the most leaders", () => {
    const cluster = fakeCluster();
    cluster.leaders.set("cell-4", "cell-4/sh-b");
    cluster.leaders.set("cell-5", "cell-5/sh-b");
    const universe = universeOf(cluster);
    const random = cluster.random.fork("chaos");
    const region = parseFaultSpec({ type: "region-outage" });
    expect(resolveTarget(region.type, region.target, universe, random).regions).toEqual(["hangzhou"]);
    const dc = parseFaultSpec({ type: "dc-outage" });
    const resolved = resolveTarget(dc.type, dc.target, universe, random);
    expect(resolved.datacenters).toEqual(["hz-a"]);
    expect(resolved.hosts).toContain("client/hangzhou");
  });
});

describe("describeCatalogue", () => {
  it("lists every type with targets the UI can send back and parameter defaults", () => {
    const catalogue = describeCatalogue({ regions: ["hangzhou", "shanghai"], datacenters: ["hz-a", "sh-a"], cells: ["cell-1"] });
    expect(catalogue.map((entry) => entry.type)).toEqual([...FAULT_TYPES]);
    for (const entry of catalogue) {
      expect(entry.targets.length).toBeGreaterThan(0);
      // Every advertised target must parse as this type's target.
      for (const target of entry.targets) expect(() => parseFaultSpec({ type: entry.type, target })).not.toThrow();
    }
    const partition = catalogue.find((entry) => entry.type === "partition");
    expect(partition?.targets).toContainEqual({ regions: ["hangzhou", "shanghai"], label: "hangzhou ↔ shanghai" });
    expect(catalogue.find((entry) => entry.type === "latency")?.params).toEqual({ delayMs: 50, jitterMs: 10 });
  });
});
