// Elastic cells on the page (issue 18, against the fixture controller): an added cell appears in
// the topology and the cells table, a move's progress is shown stage by stage (fenced, copying,
// cut over) as its audit entries arrive, the shards change owner at the cut over, and a removed
// cell disappears again.
import { describe, expect, it } from "vitest";
import { FIXTURE_TOKEN, MOVE_STEP_MS } from "./fixture-server.js";
import { useFixturePage } from "./browser.js";

const WAIT_MS = 5000;

describe("elastic cells on the page (fixture controller)", () => {
  const ui = useFixturePage({ timeoutMs: WAIT_MS, token: FIXTURE_TOKEN });

  it("adds a cell from the panel: it appears in the topology and the cells table, owning no shard", async () => {
    const { page } = ui.watched;
    expect(await page.getByTestId("cell-7").count()).toBe(0);
    await page.getByTestId("add-cell").click();
    await page.getByTestId("action-reason").fill("peak coming");
    await page.getByTestId("confirm-action").click();
    await page.getByTestId("cell-7").waitFor({ timeout: WAIT_MS });
    expect(await page.locator('[data-testid^="replica-cell-7/"]').count()).toBe(5);
    expect(await page.getByTestId("elastic-cell-cell-7").getAttribute("data-shards")).toBe("0");
    expect(ui.server.bodies.find((body) => body.line === "POST /api/v1/cells")?.body).toMatchObject({ reason: "peak coming" });
  });

  it("moves shards to it: fenced, then copying, then cut over, each shown as it happens; the shards change owner", async () => {
    const { page } = ui.watched;
    await page.getByTestId("move-shards").fill("0..4");
    await page.getByTestId("move-to").selectOption("cell-7");
    await page.getByTestId("move-button").click();
    await page.getByTestId("action-reason").fill("hot shards");
    await page.getByTestId("confirm-action").click();
    const stage = (name: string) => page.getByTestId(`move-mv-1-${name}`);
    await stage("fenced").waitFor({ timeout: WAIT_MS });
    // Before the fence committed: fencing is under way, nothing copied.
    expect(await stage("fenced").getAttribute("data-status")).toBe("active");
    expect(await stage("copying").getAttribute("data-status")).toBe("pending");
    await page.waitForSelector('[data-testid="move-mv-1-fenced"][data-status="done"]', { timeout: WAIT_MS + MOVE_STEP_MS * 2 });
    expect(await stage("copying").getAttribute("data-status")).toBe("active");
    expect(await stage("cut-over").getAttribute("data-status")).toBe("pending");
    await ui.watched.screenshot("elastic-move-copying");
    await page.waitForSelector('[data-testid="move-mv-1"][data-state="cut-over"]', { timeout: WAIT_MS + MOVE_STEP_MS * 3 });
    expect(await stage("copying").getAttribute("data-status")).toBe("done");
    expect(await stage("cut-over").getAttribute("data-status")).toBe("done");
    await page.waitForSelector('[data-testid="elastic-cell-cell-7"][data-shards="5"]', { timeout: WAIT_MS });
    await ui.watched.screenshot("elastic-move-cut-over");
    // The audit shows each step.
    const audit = await page.getByTestId("audit-rows").textContent();
    for (const step of ["move-shards:expect", "move-shards:fence", "move-shards:import", "move-shards:cut-over"])
      expect(audit).toContain(step);
  }, 30_000);

  it("a removed cell disappears from the topology and the table", async () => {
    const { page } = ui.watched;
    await fetch(`${ui.server.url}/api/v1/cells`, {
      method: "POST",
      headers: { Authorization: `Bearer ${FIXTURE_TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify({ reason: "spare" }),
    });
    await page.getByTestId("cell-8").waitFor({ timeout: WAIT_MS });
    const removed = await fetch(`${ui.server.url}/api/v1/cells/cell-8`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${FIXTURE_TOKEN}` },
    });
    expect(removed.status).toBe(200);
    await page.getByTestId("cell-8").waitFor({ state: "detached", timeout: WAIT_MS });
    expect(await page.getByTestId("elastic-cell-cell-8").count()).toBe(0);
    expect(await page.getByTestId("cell-7").count()).toBe(1);
  });

  it("made no request to any host but 127.0.0.1, raised no page error and followed no 404", () => {
    expect([...ui.watched.hosts]).toEqual(["127.0.0.1"]);
    expect(ui.watched.errors).toEqual([]);
    expect(ui.watched.notFound).toEqual([]);
  });
});
