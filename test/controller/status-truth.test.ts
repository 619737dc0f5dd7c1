// Issue 15, defects 2 and 3, against the REAL virtual world: during a region outage the other
// regions are up and the links to the lost region are down (nothing passes), not degraded;
// during a hangzhou<->shanghai partition every cell keeps a quorum, so no replica is drawn
// "partitioned", and each replica says whom it is cut from. These are the world's truth
// (`?view=truth`, the page's truth panel and the checkers' view); what the controller's own probes
// see (unreachable rather than down) is tested in test/runtime/virtual/control-probes.test.ts.
import { afterEach, describe, expect, it } from "vitest";
import { startRealHarness, type RealHarness } from "../runtime/virtual/real-world.js";

interface ReplicaBody {
  id: string;
  region: string;
  state: string;
  cutFrom: string[];
  cutFromRegions: string[];
  inMajority: boolean;
}
interface RegionBody {
  name: string;
  up: boolean;
  state: string;
  cutFrom: string[];
  leaders: string[];
  datacenterStatus: { name: string; state: string }[];
}
interface LinkBody {
  source: string;
  target: string;
  state: string;
  reason: string | null;
  faults: string[];
}

let harness: RealHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function regions(h: RealHarness): Promise<Map<string, RegionBody>> {
  const body = (await h.request("GET", "/api/v1/regions?view=truth")).body as { regions: RegionBody[] };
  return new Map(body.regions.map((region) => [region.name, region]));
}

async function links(h: RealHarness): Promise<Map<string, LinkBody>> {
  const body = (await h.request("GET", "/api/v1/topology?view=truth")).body as { links: LinkBody[] };
  return new Map(body.links.map((link) => [`${link.source}-${link.target}`, link]));
}

async function replicas(h: RealHarness): Promise<ReplicaBody[]> {
  const body = (await h.request("GET", "/api/v1/cells?view=truth")).body as { cells: { replicas: ReplicaBody[] }[] };
  return body.cells.flatMap((cell) => cell.replicas);
}

describe("status a correct observer would give", () => {
  it("a hangzhou outage: hangzhou down, shanghai and shenzhen up and leading; links to hangzhou down, not degraded", async () => {
    const h = (harness = await startRealHarness({ seed: 5, opsPerSecond: 200 }));
    await h.run(500_000);
    const injected = await h.request("POST", "/api/v1/faults", { type: "region-outage", target: { region: "hangzhou" }, leaseMs: 60_000 });
    expect(injected.status).toBe(201);
    await h.run(6_000_000);
    expect((await h.request("GET", "/api/v1/cells?view=everything")).body).toMatchObject({ field: "view" });
    // What the controller's probes see: hangzhou unreachable (it cannot tell an outage from a cut).
    const seen = (await h.request("GET", "/api/v1/regions")).body as { regions: RegionBody[] };
    expect(seen.regions.find((region) => region.name === "hangzhou")?.state).toBe("unreachable");
    const byName = await regions(h);
    expect(byName.get("hangzhou")).toMatchObject({
      up: false,
      state: "down",
      datacenterStatus: [
        { name: "hz-a", state: "down" },
        { name: "hz-b", state: "down" },
      ],
    });
    expect(byName.get("shanghai")).toMatchObject({ up: true, state: "up", cutFrom: ["hangzhou"] });
    expect(byName.get("shenzhen")).toMatchObject({ up: true, state: "up" });
    expect((byName.get("shanghai")?.leaders.length ?? 0) + (byName.get("shenzhen")?.leaders.length ?? 0)).toBe(6);
    // Shanghai's replicas are cut from hangzhou's but sit on the majority side of every cell.
    for (const replica of (await replicas(h)).filter((entry) => entry.region === "shanghai")) {
      expect(replica, replica.id).toMatchObject({ state: "up", inMajority: true, cutFromRegions: ["hangzhou"] });
    }
    const byPair = await links(h);
    expect(byPair.get("hangzhou-shanghai")).toMatchObject({
      state: "down",
      faults: [injected.body && (injected.body as { id: string }).id],
    });
    expect(byPair.get("hangzhou-shanghai")?.reason).toContain("hangzhou down");
    expect(byPair.get("hangzhou-shenzhen")?.state).toBe("down");
    expect(byPair.get("shanghai-shenzhen")).toMatchObject({ state: "up", reason: null });
  }, 120_000);

  it("a hangzhou<->shanghai partition: every cell keeps a quorum, no replica is 'partitioned', each names whom it is cut from", async () => {
    const h = (harness = await startRealHarness({ seed: 6, opsPerSecond: 200 }));
    await h.run(500_000);
    const injected = await h.request("POST", "/api/v1/faults", {
      type: "partition",
      target: { regions: ["hangzhou", "shanghai"] },
      leaseMs: 60_000,
    });
    expect(injected.status).toBe(201);
    await h.run(4_000_000);
    const all = await replicas(h);
    expect(all.filter((replica) => replica.state === "partitioned").map((replica) => replica.id)).toEqual([]);
    for (const replica of all.filter((entry) => entry.region === "hangzhou"))
      expect(replica, replica.id).toMatchObject({ inMajority: true, cutFromRegions: ["shanghai"] });
    for (const replica of all.filter((entry) => entry.region === "shanghai"))
      expect(replica, replica.id).toMatchObject({ inMajority: true, cutFromRegions: ["hangzhou"] });
    for (const replica of all.filter((entry) => entry.region === "shenzhen"))
      expect(replica, replica.id).toMatchObject({ state: "up", cutFrom: [] });
    const byName = await regions(h);
    expect(byName.get("hangzhou")).toMatchObject({ up: true, state: "up", cutFrom: ["shanghai"] });
    expect(byName.get("shanghai")).toMatchObject({ up: true, state: "up", cutFrom: ["hangzhou"] });
    const byPair = await links(h);
    expect(byPair.get("hangzhou-shanghai")).toMatchObject({ state: "down", reason: "partitioned" });
    expect(byPair.get("hangzhou-shenzhen")?.state).toBe("up");
    expect(byPair.get("shanghai-shenzhen")?.state).toBe("up");
  }, 120_000);

  it("a region cut off from the rest: its replicas are partitioned (minority side), the region says so", async () => {
    const h = (harness = await startRealHarness({ seed: 7, opsPerSecond: 200 }));
    await h.run(500_000);
    expect(
      (await h.request("POST", "/api/v1/faults", { type: "partition", target: { regions: ["hangzhou"] }, leaseMs: 60_000 })).status,
    ).toBe(201);
    await h.run(4_000_000);
    for (const replica of (await replicas(h)).filter((entry) => entry.region === "hangzhou")) {
      expect(replica, replica.id).toMatchObject({ state: "partitioned", inMajority: false, cutFromRegions: ["shanghai", "shenzhen"] });
    }
    const byName = await regions(h);
    expect(byName.get("hangzhou")).toMatchObject({ up: true, state: "partitioned", cutFrom: ["shanghai", "shenzhen"] });
    expect(byName.get("shanghai")).toMatchObject({ up: true, state: "up" });
  }, 120_000);
});
