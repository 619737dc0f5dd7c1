// Acceptance (issue 7): the page against the REAL controller (`ldc start`), driven like an
// operator would: evacuate hangzhou, see a refusal for a second region, partition a link from the
// chaos panel, run the dc-outage drill. Screenshots of each step go to test-results/e2e/.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, openPage, type WatchedPage } from "../ui/browser.js";
import { startLdc, type LdcServer } from "./ldc-start.js";

const SCREENSHOTS = "test-results/e2e";
const TOKEN = "test";
/** "Within a few seconds" at --speed 4, with room for a loaded 2-core CI machine. */
const OUTCOME_TIMEOUT_MS = 15_000;
/** dc-outage is 60 s simulated plus a 5 s settle; a loaded machine may run --speed 4 below real time. */
const DRILL_TIMEOUT_MS = 360_000;
const SAFETY_RULES = [
  "quorum-reachable",
  "one-region-evacuated",
  "target-caught-up",
  "gateway-remaining",
  "wait-period",
  "target-unavailable",
  "target-region-evacuated",
];

/** Data-testids of replicas currently marked leader. */
function leaderReplicas(page: Page): Promise<string[]> {
  return page
    .locator('[data-testid^="replica-"][data-role="leader"]')
    .evaluateAll((nodes) => nodes.map((node) => node.getAttribute("data-testid") ?? ""));
}

async function routingVersion(page: Page): Promise<number> {
  return Number(await page.getByTestId("routing-version").textContent());
}

/** Confirms the open action dialog; if a rule refuses, overrides it with a reason. */
async function confirmAndOverrideIfRefused(page: Page, reason: string): Promise<void> {
  await page.getByTestId("confirm-action").click();
  const dialog = page.locator("#action-dialog");
  await expect
    .poll(
      async () => {
        if (!(await dialog.evaluate((d) => (d as HTMLDialogElement).open))) return "closed";
        return (await page.getByTestId("refusal").isVisible()) ? "refused" : "waiting";
      },
      { timeout: OUTCOME_TIMEOUT_MS },
    )
    .not.toBe("waiting");
  if (await page.getByTestId("refusal").isVisible()) {
    await page.locator("#force-reason").fill(reason);
    await page.getByTestId("force-action").click();
    await expect.poll(() => dialog.evaluate((d) => (d as HTMLDialogElement).open), { timeout: OUTCOME_TIMEOUT_MS }).toBe(false);
  }
}

describe("ui against ldc start (acceptance)", () => {
  let server: LdcServer | undefined;
  let browser: Browser;
  let watched: WatchedPage;
  let baseUrl = "";

  beforeAll(async () => {
    // A fresh data directory (startLdc): the audit log and drill runs on the page are this run's only.
    server = await startLdc({ seed: 1, speed: 4, token: TOKEN });
    const url = server.url;
    baseUrl = url;
    browser = await launchBrowser();
    watched = await openPage(browser, url, SCREENSHOTS);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("shows six cells and 30 replicas", async () => {
    const { page } = watched;
    await expect.poll(() => page.locator('svg [data-testid^="cell-"]').count(), { timeout: OUTCOME_TIMEOUT_MS }).toBe(6);
    await expect.poll(() => page.locator('[data-testid^="replica-"]').count(), { timeout: OUTCOME_TIMEOUT_MS }).toBe(30);
    await expect.poll(async () => (await leaderReplicas(page)).length, { timeout: OUTCOME_TIMEOUT_MS }).toBe(6);
    await watched.screenshot("01-world");
  });

  it("evacuates hangzhou: no leader left there and the routing version goes up", async () => {
    const { page } = watched;
    await expect.poll(() => routingVersion(page)).toBeGreaterThan(0);
    const before = await routingVersion(page);
    await page.getByTestId("evacuate-hangzhou").click();
    await page.getByTestId("confirm-action").click();
    // First action of the session: the page asks for the token.
    await page.getByTestId("token-prompt").waitFor({ state: "visible", timeout: OUTCOME_TIMEOUT_MS });
    await page.getByTestId("token-input").fill(TOKEN);
    await page.getByTestId("token-save").click();
    await expect
      .poll(async () => (await leaderReplicas(page)).filter((id) => /\/hz-/.test(id)), { timeout: OUTCOME_TIMEOUT_MS })
      .toEqual([]);
    await expect.poll(() => routingVersion(page), { timeout: OUTCOME_TIMEOUT_MS }).toBeGreaterThan(before);
    expect(await page.locator('[data-testid="region-hangzhou"]').getAttribute("data-evacuated")).toBe("true");
    await watched.screenshot("02-evacuated-hangzhou");
  });

  it("refuses evacuating a second region and shows the rule", async () => {
    const { page } = watched;
    await page.getByTestId("evacuate-shanghai").click();
    await page.getByTestId("confirm-action").click();
    const refusal = page.getByTestId("refusal");
    await refusal.waitFor({ state: "visible", timeout: OUTCOME_TIMEOUT_MS });
    const rule = await refusal.getAttribute("data-rule");
    expect(SAFETY_RULES).toContain(rule);
    expect(await refusal.textContent()).toContain(rule ?? "");
    await watched.screenshot("03-refused-second-region");
    await page.getByTestId("cancel-action").click();
  });

  it("injects a partition from the chaos panel and draws the link down", async () => {
    const { page } = watched;
    await expect
      .poll(() => page.getByTestId("chaos-type").locator("option").allTextContents(), { timeout: OUTCOME_TIMEOUT_MS })
      .toContain("partition");
    await page.getByTestId("chaos-type").selectOption("partition");
    // Prefer a target naming two regions (a region-to-region link); else the first one.
    const labels = await page.getByTestId("chaos-target").locator("option").allTextContents();
    const regionPair = labels.findIndex(
      (label) => ["hangzhou", "shanghai", "shenzhen"].filter((region) => label.includes(region)).length >= 2,
    );
    await page.getByTestId("chaos-target").selectOption({ index: Math.max(regionPair, 0) });
    await page.locator("#chaos-lease").fill("120");
    await page.getByTestId("chaos-inject").click();
    await page.getByTestId("action-reason").fill("e2e: partition from the chaos panel");
    await page.getByTestId("confirm-action").click();
    await expect
      .poll(() => page.locator('[data-testid^="link-"][data-state="down"]').count(), { timeout: OUTCOME_TIMEOUT_MS })
      .toBeGreaterThan(0);
    // The dialog's reason reached the controller's audit log with the injection.
    const audit = (await (await fetch(`${baseUrl}/api/v1/audit?kind=fault&limit=20`)).json()) as {
      entries: { action: string; reason: string | null; outcome: string }[];
    };
    expect(audit.entries.find((entry) => entry.action === "inject" && entry.outcome === "ok")?.reason).toBe(
      "e2e: partition from the chaos panel",
    );
    await watched.screenshot("04-partitioned");
  });

  it(
    "heals, restores hangzhou and runs the dc-outage drill to SUCCEEDED",
    async () => {
      const { page } = watched;
      await page.getByTestId("heal-all").click();
      await expect.poll(() => page.locator('[data-testid^="link-"][data-state="down"]').count(), { timeout: OUTCOME_TIMEOUT_MS }).toBe(0);
      await page.getByTestId("restore-hangzhou").click();
      await confirmAndOverrideIfRefused(page, "e2e: back to the normal world before the drill");
      const known = new Set(
        await page.locator('[data-testid^="drill-outcome-"]').evaluateAll((nodes) => nodes.map((node) => node.getAttribute("data-testid"))),
      );
      await page.getByTestId("drill-run-dc-outage").click();
      await page.getByTestId("confirm-action").click();
      const newRun = () =>
        page
          .locator('[data-testid^="drill-outcome-"]')
          .evaluateAll(
            (nodes, old) =>
              nodes
                .filter((node) => !old.includes(node.getAttribute("data-testid") ?? ""))
                .map((node) => node.getAttribute("data-outcome") ?? ""),
            [...known] as string[],
          );
      await expect.poll(async () => (await newRun()).length, { timeout: OUTCOME_TIMEOUT_MS }).toBe(1);
      const runId = await page.getByTestId("drill-timeline").getAttribute("data-run");
      expect(runId).toMatch(/^r-\d+$/);
      // While it runs: a countdown that goes down, the expectation, and no link to a report that
      // does not exist yet (it used to answer 404 JSON).
      const left = async () => Number(await page.getByTestId("drill-left").getAttribute("data-remaining-ms"));
      const first = await left();
      await expect.poll(left, { timeout: OUTCOME_TIMEOUT_MS }).toBeLessThan(first);
      expect(await page.getByTestId("drill-expect").textContent()).toContain("RTO ≤ 1.5s");
      expect(await page.getByTestId(`drill-outcome-${runId}`).locator('a[href*="/report"]').count()).toBe(0);
      await watched.screenshot("05-drill-running");
      // A reload mid-drill keeps the charts' past (back-filled from the server) and the timeline.
      // First let the world run 45 s (simulated), so there are more than 30 s to back-fill.
      const simNowMs = async () => ((await (await fetch(`${baseUrl}/api/v1/topology`)).json()) as { nowMs: number }).nowMs;
      await expect.poll(simNowMs, { timeout: DRILL_TIMEOUT_MS, interval: 500 }).toBeGreaterThan(45_000);
      expect((await newRun())[0]).toBe("");
      await page.reload();
      await expect
        .poll(async () => Number(await page.getByTestId("chart-tps").getAttribute("data-span-ms")), { timeout: OUTCOME_TIMEOUT_MS })
        .toBeGreaterThan(30_000);
      // Back-filled marks: the evacuation and restore (actions, routing versions), the partition and
      // the drill's fault (windows); and latency per region beside per cell.
      const tps = page.getByTestId("chart-tps");
      await expect.poll(() => tps.locator("g.mark-routing").count(), { timeout: OUTCOME_TIMEOUT_MS }).toBeGreaterThan(1);
      expect(await tps.locator('g.mark-action[data-mark="evacuate"]').count()).toBeGreaterThan(0);
      await expect.poll(() => tps.locator("rect.fault-window").count(), { timeout: OUTCOME_TIMEOUT_MS }).toBeGreaterThan(1);
      expect(await page.locator('[data-testid="chart-region-latency"] path[data-series="shanghai/p99Ms"]').getAttribute("d")).toMatch(/^M/);
      await watched.screenshot("05b-drill-running-reloaded");
      await expect.poll(async () => (await newRun())[0], { timeout: DRILL_TIMEOUT_MS, interval: 1000 }).not.toBe("");
      await watched.screenshot("06-drill-done");
      expect((await newRun())[0]).toBe("SUCCEEDED");
      const href = await page.getByTestId(`report-${runId}`).getAttribute("href");
      expect((await fetch(`${baseUrl}${href}`)).status).toBe(200);
    },
    DRILL_TIMEOUT_MS + 60_000,
  );

  it("rehearses evacuating hangzhou: the predicted RTO per cell shows before confirming, and the world is unchanged", async () => {
    const { page } = watched;
    const before = await routingVersion(page);
    const leaders = await leaderReplicas(page);
    await page.getByTestId("rehearse-evacuate-hangzhou").click();
    const prediction = page.getByTestId("prediction");
    await expect.poll(() => prediction.getAttribute("data-state"), { timeout: 120_000, interval: 500 }).toBe("done");
    expect(await prediction.textContent()).toMatch(/RTO per cell: cell-\d/);
    await watched.screenshot("07-rehearsal");
    await page.getByTestId("cancel-action").click();
    expect(await routingVersion(page)).toBe(before);
    expect((await leaderReplicas(page)).sort()).toEqual([...leaders].sort());
  }, 180_000);

  it("the kill switch refuses drills until released", async () => {
    const { page } = watched;
    await page.getByTestId("halt-button").click();
    await page.locator("#action-reason").fill("e2e: game day called off");
    await page.getByTestId("confirm-action").click();
    await page.getByTestId("halt-banner").waitFor({ state: "visible", timeout: OUTCOME_TIMEOUT_MS });
    await page.getByTestId("drill-run-dc-outage").click();
    await page.getByTestId("confirm-action").click();
    await page.getByTestId("refusal").waitFor({ state: "visible", timeout: OUTCOME_TIMEOUT_MS });
    expect(await page.getByTestId("refusal").getAttribute("data-rule")).toBe("halted");
    await watched.screenshot("08-halted");
    await page.getByTestId("cancel-action").click();
    await page.getByTestId("halt-button").click();
    await page.getByTestId("confirm-action").click();
    await page.getByTestId("halt-banner").waitFor({ state: "hidden", timeout: OUTCOME_TIMEOUT_MS });
  });

  it(
    "shows a leader away from its preferred region, and its restore puts it back",
    async () => {
      const { page } = watched;
      type CellRow = { id: string; preferredRegion: string; leader: { region: string } | null };
      const cells = async () => ((await (await fetch(`${baseUrl}/api/v1/cells`)).json()) as { cells: CellRow[] }).cells;
      const shownMisplaced = async () => Number(await page.getByTestId("placement-summary").getAttribute("data-misplaced"));
      const actualMisplaced = async () => (await cells()).filter((cell) => cell.leader?.region !== cell.preferredRegion).length;
      // The page agrees with the API, whatever the drill left behind.
      await expect.poll(async () => (await shownMisplaced()) === (await actualMisplaced()), { timeout: OUTCOME_TIMEOUT_MS }).toBe(true);
      // Move one cell away from home, as an outage would.
      const home = (await cells()).find((cell) => cell.leader?.region === cell.preferredRegion && cell.preferredRegion !== "shanghai");
      expect(home).toBeDefined();
      const cell = home as CellRow;
      const moved = await fetch(`${baseUrl}/api/v1/cells/${cell.id}/failover`, {
        method: "POST",
        headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
        body: JSON.stringify({ to: "shanghai", reason: "e2e: an outage's aftermath", force: true }),
      });
      expect(moved.status).toBe(200);
      await expect
        .poll(() => page.getByTestId(`placement-${cell.id}`).getAttribute("data-home"), { timeout: OUTCOME_TIMEOUT_MS })
        .toBe("false");
      const restore = page.getByTestId(`placement-restore-${cell.preferredRegion}`);
      expect(await restore.textContent()).toContain(cell.id);
      await watched.screenshot("09-placement-away");
      await restore.click();
      await confirmAndOverrideIfRefused(page, "e2e: leaders back home");
      await expect
        .poll(async () => (await cells()).find((candidate) => candidate.id === cell.id)?.leader?.region, { timeout: OUTCOME_TIMEOUT_MS })
        .toBe(cell.preferredRegion);
      // Home again: the page no longer counts it (the table only lists cells when one is away).
      await expect.poll(async () => (await shownMisplaced()) === (await actualMisplaced()), { timeout: OUTCOME_TIMEOUT_MS }).toBe(true);
      expect(await page.locator(`[data-testid="placement-${cell.id}"][data-home="false"]`).count()).toBe(0);
    },
    OUTCOME_TIMEOUT_MS * 4,
  );

  it("made no request to any host but 127.0.0.1 and raised no page error", () => {
    expect([...watched.hosts]).toEqual(["127.0.0.1"]);
    expect(watched.errors).toEqual([]);
  });
});
