// What an operator on duty needs from the page (issue 15, defects 7 and 8 and "Expected by
// operators"), against the fixture controller: charts back-filled from the server's ring with a
// range picker, marks for actions / routing versions / fault windows, latency per region; a
// running drill's timeline with a countdown and its expectation, and no report link until the
// report exists; a fault injected only through a dialog with a reason that reaches the audit;
// leaders against their preferred regions with the restore that puts them back.
import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { FIXTURE_HISTORY_MS, FIXTURE_TOKEN, type FixtureServer } from "./fixture-server.js";
import { useFixturePage } from "./browser.js";

const WAIT_MS = 5000;

async function spanMs(page: Page): Promise<number> {
  return Number(await page.getByTestId("chart-tps").getAttribute("data-span-ms"));
}

async function post(server: FixtureServer, path: string, body: unknown): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${FIXTURE_TOKEN}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

describe("ui for the operator on duty (fixture controller)", () => {
  const ui = useFixturePage({ timeoutMs: WAIT_MS, token: FIXTURE_TOKEN });

  it("runs a drill: timeline with a decreasing countdown, its expectation, progress and no report link until done", async () => {
    const { page } = ui.watched;
    await page.getByTestId("drill-run-region-outage").click();
    await page.getByTestId("confirm-action").click();
    const timeline = page.getByTestId("drill-timeline");
    await timeline.waitFor({ state: "visible", timeout: WAIT_MS });
    const run = await timeline.getAttribute("data-run");
    expect(run).toMatch(/^r-\d+$/);
    expect(await page.getByTestId("drill-steps").locator("li").count()).toBe(4);
    expect(await page.getByTestId("drill-expect").textContent()).toContain("RTO ≤ 1.5s");
    expect(await page.getByTestId("drill-expect").textContent()).toContain("measured");
    const next = page.getByTestId("drill-next");
    expect(await next.textContent()).toMatch(/next: inject region-outage hangzhou for 60s in \d+(\.\d)?s/);
    const left = async () => Number(await page.getByTestId("drill-left").getAttribute("data-remaining-ms"));
    const first = await left();
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(95_000);
    await expect.poll(left, { timeout: WAIT_MS }).toBeLessThan(first - 1000);
    // While it runs: progress, and no link to a report the server has not written yet.
    const item = page.getByTestId(`drill-outcome-${run}`);
    expect(await item.getAttribute("data-state")).toBe("running");
    expect(await item.locator('a[href*="/report"]').count()).toBe(0);
    expect(await page.getByTestId(`report-pending-${run}`).textContent()).toMatch(/report when done \(\d+%\)/);
    // A finished run links its report, and the link answers 200 with the report.
    const href = await page.getByTestId("report-r-0").getAttribute("href");
    const response = await fetch(`${ui.server.url}${href}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("SUCCEEDED");
    await ui.watched.screenshot("10-drill-running-timeline");
  });

  it("reloaded mid-drill, the charts hold the server's minutes, not seconds, and the range is the operator's pick", async () => {
    const { page } = ui.watched;
    await page.reload();
    await expect.poll(() => spanMs(page), { timeout: WAIT_MS }).toBeGreaterThan(30_000);
    // The running drill's timeline comes back too.
    await page.getByTestId("drill-timeline").waitFor({ state: "visible", timeout: WAIT_MS });
    await page.getByTestId("chart-range-60000").click();
    await expect.poll(() => spanMs(page), { timeout: WAIT_MS }).toBeLessThanOrEqual(60_000);
    expect(await spanMs(page)).toBeGreaterThan(50_000);
    expect(await page.getByTestId("chart-range-60000").getAttribute("aria-pressed")).toBe("true");
    await page.getByTestId("chart-range-900000").click();
    await expect.poll(() => spanMs(page), { timeout: WAIT_MS }).toBeGreaterThanOrEqual(FIXTURE_HISTORY_MS);
    expect(ui.server.requests).toContain("GET /api/v1/traffic/history?windowMs=900000");
    // The choice survives a reload.
    await page.reload();
    await expect.poll(() => spanMs(page), { timeout: WAIT_MS }).toBeGreaterThanOrEqual(FIXTURE_HISTORY_MS);
    expect(await page.getByTestId("chart-range-900000").getAttribute("aria-pressed")).toBe("true");
    // A fault healed before the page loaded is still shaded (from the server's windows).
    await expect
      .poll(() => page.locator('[data-testid="chart-tps"] rect.fault-window[data-fault="f-0"]').count(), { timeout: WAIT_MS })
      .toBe(1);
  });

  it("draws latency per region as well as per cell, and marks routing versions and actions", async () => {
    const { page } = ui.watched;
    await expect.poll(() => page.locator('[data-testid="chart-region-latency"] g.lines path').count(), { timeout: WAIT_MS }).toBe(6);
    expect(await page.locator('[data-testid="chart-region-latency"] path[data-series="shanghai/p99Ms"]').count()).toBe(1);
    expect(await page.locator('[data-testid="chart-latency"] path[data-series="cell-1/p99Ms"]').count()).toBe(1);
    // v7 comes from the server's history; an action now adds a version and an action mark.
    await expect.poll(() => page.locator('[data-testid="chart-tps"] g.mark-routing[data-mark="v7"]').count(), { timeout: WAIT_MS }).toBe(1);
    expect((await post(ui.server, "/api/v1/cells/cell-4/failover", { to: "sh-b", reason: "test: mark me" })).status).toBe(200);
    await expect.poll(() => page.locator('[data-testid="chart-tps"] g.mark-routing[data-mark="v8"]').count(), { timeout: WAIT_MS }).toBe(1);
    await expect
      .poll(() => page.locator('[data-testid="chart-tps"] g.mark-action[data-mark="failover"]').count(), { timeout: WAIT_MS })
      .toBe(1);
    expect(await page.locator('[data-testid="chart-errors"] g.mark-action[data-mark="failover"]').count()).toBe(1);
  });

  it("injects a fault only through a dialog with a reason, and the reason reaches the audit", async () => {
    const { page } = ui.watched;
    const posts = () => ui.server.requests.filter((line) => line === "POST /api/v1/faults").length;
    const before = posts();
    await page.getByTestId("chaos-type").selectOption("partition");
    await page.getByTestId("chaos-target").selectOption({ label: "regions=shanghai↔shenzhen" });
    await page.getByTestId("chaos-inject").click();
    await expect.poll(() => page.locator("#action-dialog").evaluate((d) => (d as HTMLDialogElement).open)).toBe(true);
    expect(await page.locator("#action-description").textContent()).toContain("shanghai↔shenzhen");
    await page.getByTestId("confirm-action").click();
    expect(await page.locator("#action-result").textContent()).toContain("needs a reason");
    expect(posts()).toBe(before);
    await ui.watched.screenshot("11-fault-dialog-needs-reason");
    const reason = "game day: check shenzhen isolation";
    await page.getByTestId("action-reason").fill(reason);
    await page.getByTestId("confirm-action").click();
    await expect.poll(posts, { timeout: WAIT_MS }).toBe(before + 1);
    const sent = ui.server.bodies.filter((entry) => entry.line === "POST /api/v1/faults").at(-1)?.body as { reason?: string };
    expect(sent.reason).toBe(reason);
    const row = ui.server.audit.find((entry) => entry.kind === "fault" && entry.action === "inject");
    expect(row?.reason).toBe(reason);
    await expect
      .poll(() => page.getByTestId("audit-rows").locator("tr.kind-fault").first().getAttribute("title"), { timeout: WAIT_MS })
      .toContain(reason);
  });

  it("shows leaders against their preferred regions, flags one datacenter, and restores them", async () => {
    const { page } = ui.watched;
    await expect.poll(() => page.getByTestId("placement-summary").getAttribute("data-misplaced"), { timeout: WAIT_MS }).toBe("0");
    // An outage's aftermath: hangzhou's cells moved away and every leader ended in sh-a.
    expect((await post(ui.server, "/api/v1/regions/hangzhou/evacuate", { reason: "test" })).status).toBe(200);
    for (const cell of ["cell-4", "cell-5", "cell-6"])
      expect((await post(ui.server, `/api/v1/cells/${cell}/failover`, { to: "sh-a" })).status).toBe(200);
    await expect.poll(() => page.getByTestId("placement-summary").getAttribute("data-misplaced"), { timeout: WAIT_MS }).toBe("3");
    expect(await page.getByTestId("placement-cell-1").getAttribute("data-home")).toBe("false");
    expect(await page.getByTestId("placement-cell-5").getAttribute("data-home")).toBe("true");
    await expect.poll(() => page.getByTestId("placement-one-dc").textContent(), { timeout: WAIT_MS }).toContain("sh-a");
    const restore = page.getByTestId("placement-restore-hangzhou");
    expect(await restore.textContent()).toContain("cell-1, cell-2, cell-3");
    await ui.watched.screenshot("12-placement-misplaced");
    await restore.click();
    expect(await page.locator("#action-description").textContent()).toContain("cell-1, cell-2, cell-3");
    await page.getByTestId("confirm-action").click();
    await expect.poll(() => page.getByTestId("placement-summary").getAttribute("data-misplaced"), { timeout: WAIT_MS }).toBe("0");
    expect(ui.server.requests).toContain("POST /api/v1/regions/hangzhou/restore");
    expect(await page.getByTestId("placement-one-dc").count()).toBe(0);
    await ui.watched.screenshot("13-placement-restored");
  });

  it("made no request to any host but 127.0.0.1, raised no page error and followed no 404", () => {
    expect([...ui.watched.hosts]).toEqual(["127.0.0.1"]);
    expect(ui.watched.errors).toEqual([]);
    expect(ui.watched.notFound).toEqual([]);
  });
});
