// Issue 15, defects 9 and 10 over the REAL virtual world: the bearer scheme is case-insensitive,
// and every 400 of every mutating route names the field that is wrong (a table of bad bodies).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RoutingSnapshot } from "../../../domain/records.js";
import { TOKEN } from "../harness.js";
import { startRealHarness, type RealHarness } from "../../runtime/virtual/real-world.js";

let harness: RealHarness;
beforeAll(async () => {
  harness = await startRealHarness({ seed: 11, opsPerSecond: 100 });
});
afterAll(async () => {
  await harness?.close();
});

const partition = { type: "partition", target: { regions: ["hangzhou", "shanghai"] } };

/** [method, route, bad body, the field the 400 must name] */
const BAD_BODIES: readonly (readonly [string, string, unknown, string])[] = [
  ["POST", "/api/v1/cells/cell-1/failover", {}, "to"],
  ["POST", "/api/v1/cells/cell-1/failover", { to: "atlantis" }, "to"],
  ["POST", "/api/v1/cells/cell-1/failover", { to: 5 }, "to"],
  ["POST", "/api/v1/cells/cell-1/failover", { to: "shanghai", force: true }, "reason"],
  ["POST", "/api/v1/cells/cell-1/failover", { to: "shanghai", force: true, reason: "  " }, "reason"],
  ["POST", "/api/v1/cells/cell-1/failover", { to: "shanghai", force: "yes" }, "force"],
  ["POST", "/api/v1/cells/cell-1/failover", { to: "shanghai", becauze: "typo" }, "becauze"],
  ["POST", "/api/v1/cells/cell-1/failover", [1, 2], "(body)"],
  ["POST", "/api/v1/regions/hangzhou/evacuate", { force: true }, "reason"],
  ["POST", "/api/v1/regions/hangzhou/evacuate", { reason: 5 }, "reason"],
  ["POST", "/api/v1/regions/hangzhou/evacuate", { reasn: "typo" }, "reasn"],
  ["POST", "/api/v1/regions/hangzhou/restore", { force: true, reason: "" }, "reason"],
  ["POST", "/api/v1/regions/hangzhou/restore", { force: 1 }, "force"],
  ["POST", "/api/v1/faults", {}, "type"],
  ["POST", "/api/v1/faults", { type: "meteor" }, "type"],
  // The catalogue reads `region` and `regions` as one list and names it `regions`.
  ["POST", "/api/v1/faults", { type: "partition", target: { region: "atlantis" } }, "target.regions"],
  ["POST", "/api/v1/faults", { ...partition, leaseMs: -1 }, "leaseMs"],
  ["POST", "/api/v1/faults", { ...partition, duration: "5" }, "duration"],
  ["POST", "/api/v1/faults", { ...partition, lease: "soon" }, "lease"],
  ["POST", "/api/v1/faults", { type: "latency", target: { region: "hangzhou" }, params: { delayMs: "slow" } }, "params.delayMs"],
  ["POST", "/api/v1/drills/dc-outage/runs", { seed: -1 }, "seed"],
  ["POST", "/api/v1/drills/dc-outage/runs", { force: true }, "reason"],
  ["POST", "/api/v1/drills/dc-outage/runs", { sead: 1 }, "sead"],
  ["POST", "/api/v1/schedules", {}, "drill"],
  ["POST", "/api/v1/schedules", { drill: "no-such-drill", cron: "*/5 * * * *" }, "drill"],
  ["POST", "/api/v1/schedules", { drill: "dc-outage", cron: "every tuesday" }, "cron"],
  ["POST", "/api/v1/schedules", { drill: "dc-outage", cron: "*/5 * * * *", maxDurationMs: -1 }, "maxDurationMs"],
  ["POST", "/api/v1/schedules", { drill: "dc-outage", cron: "*/5 * * * *", allowedWindows: ["9-17"] }, "allowedWindows[0]"],
  ["PUT", "/api/v1/schedules/{schedule}", { cron: "never" }, "cron"],
  ["PUT", "/api/v1/schedules/{schedule}", { drill: "no-such-drill" }, "drill"],
  ["PUT", "/api/v1/schedules/{schedule}", { enabled: "no" }, "enabled"],
];

describe("API input (issue 15: defects 9, 10)", () => {
  it("accepts the bearer scheme in any case (RFC 7235) and still refuses a wrong token", async () => {
    const send = (authorization: string) =>
      fetch(`${harness.url}/api/v1/faults`, { method: "DELETE", headers: { authorization } }).then((response) => response.status);
    expect(await send(`bearer ${TOKEN}`)).toBe(204);
    expect(await send(`BEARER ${TOKEN}`)).toBe(204);
    expect(await send(`Bearer ${TOKEN}`)).toBe(204);
    expect(await send(`bearer wrong`)).toBe(401);
    expect(await send(`Basic ${TOKEN}`)).toBe(401);
    expect(await send(`bearer${TOKEN}`)).toBe(401);
  });

  it("every 400 of every mutating route names its field, and changes nothing", async () => {
    const created = await harness.request("POST", "/api/v1/schedules", { drill: "dc-outage", cron: "0 0 1 1 *", enabled: false });
    expect(created.status).toBe(201);
    const schedule = (created.body as { id: string }).id;
    const routingBefore = ((await harness.request("GET", "/api/v1/routing")).body as RoutingSnapshot).version;
    const misses: string[] = [];
    for (const [method, route, body, field] of BAD_BODIES) {
      const answer = await harness.request(method, route.replace("{schedule}", schedule), body);
      const got = answer.body as { error?: unknown; field?: unknown };
      if (answer.status !== 400 || got.field !== field || typeof got.error !== "string")
        misses.push(`${method} ${route} ${JSON.stringify(body)} -> ${answer.status} ${JSON.stringify(got)} (wanted 400 field ${field})`);
    }
    expect(misses).toEqual([]);
    expect(((await harness.request("GET", "/api/v1/routing")).body as RoutingSnapshot).version).toBe(routingBefore);
    expect(((await harness.request("GET", "/api/v1/faults")).body as { faults: unknown[] }).faults).toEqual([]);
    expect(((await harness.request("GET", "/api/v1/drills/runs")).body as { runs: unknown[] }).runs).toEqual([]);
    expect(((await harness.request("GET", "/api/v1/schedules")).body as { schedules: unknown[] }).schedules).toHaveLength(1);
  });
});
