// The pure status derivations behind GET /regions and the topology's links (issue 15, defects 2
// and 3), on hand-made cell views: what passes decides a link's state, not the fault's type.
import { describe, expect, it } from "vitest";
import { linkStatus } from "../../controller/link-state.js";
import { regionStatus } from "../../controller/region-status.js";
import type { FaultRecord } from "../../domain/records.js";
import type { CellView, ReplicaState, ReplicaView } from "../../domain/cluster.js";

const PLACES = [
  ["hz-a", "hangzhou"],
  ["hz-b", "hangzhou"],
  ["sh-a", "shanghai"],
  ["sh-b", "shanghai"],
  ["sz-a", "shenzhen"],
] as const;

function cell(id: string, state: (dc: string) => ReplicaState, cut: (a: string, b: string) => boolean): CellView {
  const replicas: ReplicaView[] = PLACES.map(([dc, region]) => {
    const cutFrom = PLACES.filter(([other]) => other !== dc && (cut(dc, other) || cut(other, dc))).map(([other]) => `${id}/${other}`);
    return {
      id: `${id}/${dc}`,
      cell: id,
      datacenter: dc,
      region,
      role: "follower",
      state: state(dc),
      term: 1,
      commitIndex: 1,
      appliedIndex: 1,
      lag: 0,
      cutFrom,
      cutFromRegions: [],
      inMajority: true,
    };
  });
  return { id, preferredRegion: "hangzhou", shards: [], replicas, leader: null, term: 1, commitIndex: 1, quorumAvailable: true };
}

const fault = (id: string, type: string, links: [string, string][]): FaultRecord => ({
  id,
  type,
  target: {},
  startedMs: 0,
  leaseMs: 1,
  expiresMs: 1,
  remainingMs: 1,
  affects: { hosts: [], links },
});
const none = (): boolean => false;
const up = (): ReplicaState => "up";

describe("link status", () => {
  it("is up with nothing acting, degraded under a latency fault, and names the fault", () => {
    const views = [cell("cell-1", up, none)];
    expect(linkStatus("hangzhou", "shanghai", views, [])).toEqual({ state: "up", reason: null, faults: [] });
    expect(linkStatus("hangzhou", "shanghai", views, [fault("f-2", "latency", [["hangzhou", "shanghai"]])])).toEqual({
      state: "degraded",
      reason: "latency (f-2)",
      faults: ["f-2"],
    });
  });

  it("is degraded when only some replica pairs are cut (one datacenter cut off), down when all are", () => {
    const hzA = [cell("cell-1", up, (a, b) => a === "hz-a" && b.startsWith("sh"))];
    expect(linkStatus("hangzhou", "shanghai", hzA, [])).toMatchObject({ state: "degraded", reason: "2 of 4 replica pairs cut" });
    const all = [cell("cell-1", up, (a, b) => a.startsWith("hz") && b.startsWith("sh"))];
    expect(linkStatus("hangzhou", "shanghai", all, [])).toMatchObject({ state: "down", reason: "partitioned" });
  });

  it("is down, not degraded, when the far end is down even with no cut (crashed processes pass nothing)", () => {
    const views = [cell("cell-1", (dc) => (dc.startsWith("hz") ? "crashed" : "up"), none)];
    expect(linkStatus("hangzhou", "shenzhen", views, [fault("f-1", "region-outage", [["hangzhou", "shenzhen"]])])).toEqual({
      state: "down",
      reason: "hangzhou down",
      faults: ["f-1"],
    });
    expect(linkStatus("shanghai", "shenzhen", views, [])).toMatchObject({ state: "up" });
  });
});

describe("region status", () => {
  it("a region is down only when all its datacenters are", () => {
    const oneDc = [cell("cell-1", (dc) => (dc === "hz-a" ? "crashed" : "up"), none)];
    expect(regionStatus({ name: "hangzhou", datacenters: ["hz-a", "hz-b"] }, oneDc)).toMatchObject({
      state: "up",
      up: true,
      datacenterStatus: [
        { name: "hz-a", state: "down" },
        { name: "hz-b", state: "up" },
      ],
    });
    const both = [cell("cell-1", (dc) => (dc.startsWith("hz") ? "crashed" : "up"), none)];
    expect(regionStatus({ name: "hangzhou", datacenters: ["hz-a", "hz-b"] }, both)).toMatchObject({ state: "down", up: false });
    expect(regionStatus({ name: "shanghai", datacenters: ["sh-a", "sh-b"] }, both)).toMatchObject({ state: "up", up: true, cutFrom: [] });
  });
});
