import { describe, expect, it } from "vitest";
import { ConfigError, defaultWorldConfig, parseWorldConfig } from "../../domain/config.js";
import { Topology } from "../../sim/world/topology.js";

function errorOf(input: unknown): ConfigError {
  try {
    parseWorldConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("world configuration", () => {
  it("accepts the defaults and fills a partial file from them", () => {
    expect(parseWorldConfig(defaultWorldConfig())).toEqual(defaultWorldConfig());
    const config = parseWorldConfig({ network: { lossProbability: 0.01 } });
    expect(config.network.lossProbability).toBe(0.01);
    expect(config.network.duplicateProbability).toBe(0);
    expect(config.cells.count).toBe(6);
  });

  it("names the field and the expected form for each bad value", () => {
    expect(errorOf({ network: { lossProbability: 1.5 } }).message).toBe("network.lossProbability: expected a number in [0, 1], got 1.5");
    const links = [...defaultWorldConfig().topology.links, { source: "mars", target: "hangzhou", rttMs: 3 }];
    const unknown = errorOf({ topology: { links } });
    expect(unknown.field).toBe("topology.links[3].source");
    expect(unknown.message).toMatch(/unknown region or datacenter "mars"/);
    const negative = errorOf({ topology: { sameRegionRttMs: -1 } });
    expect(negative.field).toBe("topology.sameRegionRttMs");
    expect(negative.message).toMatch(/non-negative.*got -1/);
    const datacenters = [...defaultWorldConfig().topology.datacenters, { name: "x-1" }];
    expect(errorOf({ topology: { datacenters } }).message).toBe("topology.datacenters[5] (x-1): in no region");
    expect(errorOf({ network: { lossProbabilty: 0.1 } }).message).toBe("network.lossProbabilty: unknown field");
    expect(errorOf({ workload: { profile: "black-friday" } }).field).toBe("workload.profile");
    expect(errorOf({ cells: { preferredLeaderRegions: { "cell-1": "mars" } } }).field).toBe("cells.preferredLeaderRegions.cell-1");
    expect(errorOf({ raft: { heartbeatTicks: 30 } }).field).toBe("raft.heartbeatTicks");
  });

  it("takes an optional scaleOut section (off when absent) and names its bad fields", () => {
    expect(parseWorldConfig({}).scaleOut).toBeUndefined();
    expect(parseWorldConfig({ scaleOut: { enabled: true, threshold: 0.7 } }).scaleOut).toEqual({ enabled: true, threshold: 0.7 });
    expect(errorOf({ scaleOut: { threshold: 0.7 } }).field).toBe("scaleOut.enabled");
    expect(errorOf({ scaleOut: { enabled: true, threshold: 1.5 } }).message).toBe(
      "scaleOut.threshold: expected a fraction of the admission budget in [0.01, 1], got 1.5",
    );
    expect(errorOf({ scaleOut: { enabled: true, sustainMs: 0 } }).field).toBe("scaleOut.sustainMs");
    expect(errorOf({ scaleOut: { enabled: true, threshold: 0.5, consolidateThreshold: 0.6 } }).message).toBe(
      "scaleOut.consolidateThreshold: expected below scaleOut.threshold (0.5), got 0.6",
    );
    expect(errorOf({ scaleOut: { enabled: true, hotShards: 3 } }).message).toBe("scaleOut.hotShards: unknown field");
  });

  it("resolves round-trip times: datacenter, region, region pair, datacenter-pair override", () => {
    const config = defaultWorldConfig();
    config.topology.links.push({ source: "hz-a", target: "sh-b", rttMs: 9 });
    const topology = new Topology(parseWorldConfig(config).topology);
    expect(topology.datacenterRttUs("hz-a", "hz-a")).toBe(200);
    expect(topology.datacenterRttUs("hz-a", "hz-b")).toBe(1000);
    expect(topology.datacenterRttUs("hz-b", "sh-a")).toBe(6000);
    expect(topology.datacenterRttUs("sh-b", "hz-a")).toBe(9000);
    expect(topology.datacenterRttUs("sz-a", "sh-a")).toBe(30000);
  });
});
