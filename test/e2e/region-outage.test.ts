// Issue 15 (done-when): a region outage against the REAL controller (`ldc start`), watched on the
// page: hangzhou is drawn down, shanghai and shenzhen stay up and take every leader, the links to
// hangzhou are down (nothing passes), not degraded; then a hangzhou<->shanghai partition, during
// which every cell keeps a quorum: no replica is drawn "partitioned", each says whom it is cut
// from. The header's control pill names the control group's new leader (3/5 up), never the
// powered-off one as current. Screenshots go to test-results/e2e-region-outage/.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, openPage, type WatchedPage } from "../ui/browser.js";
import { startLdc, type LdcServer } from "./ldc-start.js";

const SCREENSHOTS = "test-results/e2e-region-outage";
/** Re-election and a few health periods at --speed 4, with room for a loaded 2-core machine. */
const OUTCOME_TIMEOUT_MS = 30_000;

function attribute(page: Page, testId: string, name: string): Promise<string | null> {
  return page.locator(`[data-testid="${testId}"]`).first().getAttribute(name);
}

function replicaStates(page: Page, region: "hz" | "sh" | "sz"): Promise<{ id: string; state: string; cutFrom: string; leader: boolean }[]> {
  return page.locator(`[data-testid^="replica-cell-"][data-testid*="/${region}-"]`).evaluateAll((nodes) =>
    nodes.map((node) => ({
      id: node.getAttribute("data-testid") ?? "",
      state: node.getAttribute("data-state") ?? "",
      cutFrom: node.getAttribute("data-cut-from") ?? "",
      leader: node.getAttribute("data-role") === "leader",
    })),
  );
}

function regionCardText(page: Page, region: string): Promise<string> {
  return page.locator(`.region-card[data-region="${region}"] .region-info`).innerText();
}

describe("a region outage on the page (ldc start)", () => {
  let server: LdcServer;
  let browser: Browser;
  let watched: WatchedPage;

  beforeAll(async () => {
    server = await startLdc({ seed: 1, speed: 4, token: "test" });
    browser = await launchBrowser();
    watched = await openPage(browser, server.url, SCREENSHOTS);
    await watched.page.locator('[data-testid^="replica-"]').nth(29).waitFor({ timeout: OUTCOME_TIMEOUT_MS });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("hangzhou down: shanghai and shenzhen stay up and lead every cell; links to hangzhou are down, not degraded", async () => {
    const { page } = watched;
    const injected = await server.api("POST", "/api/v1/faults", {
      type: "region-outage",
      target: { region: "hangzhou" },
      leaseMs: 120_000,
    });
    expect(injected.status).toBe(201);
    await expect.poll(() => attribute(page, "region-hangzhou", "data-state"), { timeout: OUTCOME_TIMEOUT_MS }).toBe("down");
    // Every cell re-elects outside hangzhou (2 + 2 + 1 keeps a majority in shanghai + shenzhen).
    await expect
      .poll(
        async () => [...(await replicaStates(page, "sh")), ...(await replicaStates(page, "sz"))].filter((replica) => replica.leader).length,
        { timeout: OUTCOME_TIMEOUT_MS },
      )
      .toBe(6);
    expect(await attribute(page, "region-shanghai", "data-state")).toBe("up");
    expect(await attribute(page, "region-shenzhen", "data-state")).toBe("up");
    await expect.poll(() => regionCardText(page, "shanghai"), { timeout: OUTCOME_TIMEOUT_MS }).not.toContain("DOWN");
    expect(await regionCardText(page, "shenzhen")).not.toContain("DOWN");
    expect(await regionCardText(page, "hangzhou")).toContain("DOWN");
    for (const replica of await replicaStates(page, "sh")) expect(replica.state, replica.id).toBe("up");
    for (const replica of await replicaStates(page, "hz")) expect(replica.state, replica.id).toBe("crashed");
    await expect.poll(() => attribute(page, "link-hangzhou-shanghai", "data-state"), { timeout: OUTCOME_TIMEOUT_MS }).toBe("down");
    expect(await attribute(page, "link-hangzhou-shenzhen", "data-state")).toBe("down");
    expect(await attribute(page, "link-shanghai-shenzhen", "data-state")).toBe("up");
    expect(await attribute(page, "dc-hz-a", "data-state")).toBe("down");
    expect(await attribute(page, "dc-sh-a", "data-state")).toBe("up");
    // The header's control pill converges to the control group's new leader outside hangzhou (its
    // two control replicas lost power too); until it does it may only show the old one marked STALE.
    await expect
      .poll(
        async () => {
          const pill = (await page.getByTestId("control-plane").textContent()) ?? "";
          return /ctl\/hangzhou-/.test(pill) && !pill.includes("STALE") ? "claims a hangzhou leader as current" : pill;
        },
        { timeout: OUTCOME_TIMEOUT_MS },
      )
      .toMatch(/control ✓ ctl\/(shanghai|shenzhen)-\d \((shanghai|shenzhen)\) · term \d+ · 3\/5 up/);
    await watched.screenshot("01-hangzhou-down");
  });

  it("a hangzhou<->shanghai partition: no replica drawn partitioned, each names whom it is cut from; the link is down", async () => {
    const { page } = watched;
    expect((await server.api("DELETE", "/api/v1/faults")).status).toBeLessThan(300);
    await expect.poll(() => attribute(page, "region-hangzhou", "data-state"), { timeout: OUTCOME_TIMEOUT_MS }).toBe("up");
    const injected = await server.api("POST", "/api/v1/faults", {
      type: "partition",
      target: { regions: ["hangzhou", "shanghai"] },
      leaseMs: 120_000,
    });
    expect(injected.status).toBe(201);
    await expect.poll(() => attribute(page, "link-hangzhou-shanghai", "data-state"), { timeout: OUTCOME_TIMEOUT_MS }).toBe("down");
    await expect
      .poll(async () => (await replicaStates(page, "hz")).map((replica) => replica.cutFrom), { timeout: OUTCOME_TIMEOUT_MS })
      .toEqual(Array(12).fill("shanghai"));
    await expect
      .poll(async () => (await replicaStates(page, "sh")).map((replica) => replica.cutFrom), { timeout: OUTCOME_TIMEOUT_MS })
      .toEqual(Array(12).fill("hangzhou"));
    const all = [...(await replicaStates(page, "hz")), ...(await replicaStates(page, "sh")), ...(await replicaStates(page, "sz"))];
    expect(all.filter((replica) => replica.state === "partitioned").map((replica) => replica.id)).toEqual([]);
    for (const region of ["hangzhou", "shanghai", "shenzhen"])
      expect(await attribute(page, `region-${region}`, "data-state"), region).toBe("up");
    expect(await attribute(page, "link-shanghai-shenzhen", "data-state")).toBe("up");
    expect(await attribute(page, "link-hangzhou-shenzhen", "data-state")).toBe("up");
    await watched.screenshot("02-hangzhou-shanghai-partition");
  });

  it("made no request to any host but 127.0.0.1 and raised no page error", () => {
    expect([...watched.hosts]).toEqual(["127.0.0.1"]);
    expect(watched.errors).toEqual([]);
  });
});
