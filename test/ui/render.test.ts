// The page against the fixture controller: it draws the default world, shows state by colour
// and shape, marks a partitioned link, asks for the token, shows a safety refusal's rule, and
// never talks to anything but 127.0.0.1.
import { describe, expect, it } from "vitest";
import { FIXTURE_TOKEN } from "./fixture-server.js";
import { useFixturePage } from "./browser.js";

const WAIT_MS = 5000;

describe("ui render (fixture controller)", () => {
  const ui = useFixturePage({ timeoutMs: WAIT_MS });

  it("draws six cells of five replicas, each placed in its datacenter", async () => {
    const { page } = ui.watched;
    await expect.poll(() => page.locator('svg [data-testid^="cell-"]').count()).toBe(6);
    expect(await page.locator('[data-testid^="replica-"]').count()).toBe(30);
    expect(await page.locator('[data-testid^="replica-cell-1/"]').count()).toBe(5);
    expect(await page.locator('[data-testid="cell-1"] [data-role="leader"]').getAttribute("data-testid")).toBe("replica-cell-1/hz-a");
    for (const region of ["hangzhou", "shanghai", "shenzhen"])
      expect(await page.locator(`[data-testid="region-${region}"]`).count()).toBe(1);
    // Geography: shenzhen is drawn far south of hangzhou and shanghai, which sit side by side.
    const box = async (id: string) => (await page.locator(`[data-testid="region-${id}"] rect.region-box`).boundingBox())!;
    const [hangzhou, shanghai, shenzhen] = [await box("hangzhou"), await box("shanghai"), await box("shenzhen")];
    expect(Math.abs(hangzhou.y - shanghai.y)).toBeLessThan(1);
    expect(shenzhen.y).toBeGreaterThan(hangzhou.y + hangzhou.height);
    await ui.watched.screenshot("01-initial");
  });

  it("shows a crashed replica by colour and by shape", async () => {
    const { page } = ui.watched;
    const crashed = page.locator('[data-testid="replica-cell-3/sz-a"]');
    expect(await crashed.getAttribute("data-state")).toBe("crashed");
    const up = page.locator('[data-testid="replica-cell-1/sz-a"]');
    expect(await up.getAttribute("data-state")).toBe("up");
    const crashedGlyph = crashed.locator("path.glyph");
    const upGlyph = up.locator("path.glyph");
    expect(await crashedGlyph.getAttribute("fill")).toBe("#d62728");
    expect(await upGlyph.getAttribute("fill")).not.toBe(await crashedGlyph.getAttribute("fill"));
    expect(await crashedGlyph.getAttribute("d")).not.toBe(await upGlyph.getAttribute("d"));
    expect(await page.locator('[data-testid="replica-cell-5/hz-b"]').getAttribute("data-state")).toBe("lagging");
    await expect.poll(() => page.locator("#legend").textContent()).toContain("crashed");
  });

  it("draws the partitioned link down (dashed red) with its fault id, the healthy one up (solid)", async () => {
    const { page } = ui.watched;
    const partitioned = page.locator('[data-testid="link-hangzhou-shenzhen"]');
    expect(await partitioned.getAttribute("data-state")).toBe("down");
    expect(await partitioned.locator("line").getAttribute("stroke-dasharray")).toBeTruthy();
    expect(await partitioned.locator("line").getAttribute("stroke")).toBe("#d62728");
    expect(await partitioned.textContent()).toContain("f-1");
    const healthy = page.locator('[data-testid="link-hangzhou-shanghai"]');
    expect(await healthy.getAttribute("data-state")).toBe("up");
    expect(await healthy.locator("line").getAttribute("stroke-dasharray")).toBeNull();
    await expect.poll(() => page.locator('[data-testid="fault-f-1"]').textContent()).toMatch(/lease \S+ left/);
  });

  it("shows the routing version, the checkers' verdict, past drill outcomes and traffic charts", async () => {
    const { page } = ui.watched;
    expect(await page.locator('[data-testid="routing-version"]').textContent()).toBe("7");
    expect(await page.locator('[data-testid="consistency"]').getAttribute("data-valid")).toBe("true");
    // The control group: leader, region, quorum and the endpoint that served the page (its header).
    await expect.poll(() => page.getByTestId("control-plane").getAttribute("data-quorum"), { timeout: WAIT_MS }).toBe("true");
    expect(await page.getByTestId("control-plane").textContent()).toContain("ctl/hangzhou-1 (hangzhou) · term 1 · 5/5 up · via hangzhou");
    // The map draws the control group: five replicas in their regions (2 + 2 + 1), the leader ringed.
    const control = page.locator('[data-testid^="control-replica-"]');
    await expect.poll(() => control.count(), { timeout: WAIT_MS }).toBe(5);
    expect(await page.locator('[data-testid="region-hangzhou"]').count()).toBe(1);
    expect(await page.locator('[data-testid^="control-replica-"][data-control-region="hangzhou"]').count()).toBe(2);
    expect(await page.locator('[data-testid^="control-replica-"][data-control-region="shenzhen"]').count()).toBe(1);
    const leader = page.getByTestId("control-replica-ctl/hangzhou-1");
    expect(await leader.getAttribute("data-state")).toBe("leader");
    expect(await leader.locator("rect.control-ring").getAttribute("stroke")).toBe("#c99700");
    expect(await page.getByTestId("control-replica-ctl/shanghai-1").locator("rect.control-ring").getAttribute("stroke")).toBe("none");
    expect(await page.getByTestId("map-control-no-quorum").count()).toBe(0);
    // Its glyphs sit inside their region's box.
    const hz = (await page.locator('[data-testid="region-hangzhou"] rect.region-box').boundingBox())!;
    const glyph = (await leader.locator("rect.control-glyph").boundingBox())!;
    expect(glyph.x).toBeGreaterThan(hz.x);
    expect(glyph.x + glyph.width).toBeLessThan(hz.x + hz.width);
    expect(glyph.y).toBeGreaterThan(hz.y);
    await ui.watched.screenshot("02b-control-group");
    expect(await page.locator('[data-testid="drill-outcome-r-0"]').getAttribute("data-outcome")).toBe("SUCCEEDED");
    await expect.poll(() => page.locator('[data-testid="chart-tps"] g.lines path').count(), { timeout: WAIT_MS }).toBe(6);
    await expect.poll(() => page.locator("#flow path.band").count(), { timeout: WAIT_MS }).toBe(6);
    // Fault windows are shaded on the charts (drawn from their own fetch: wait for it, as above).
    await expect.poll(() => page.locator('[data-testid="chart-tps"] rect.fault-window').count(), { timeout: WAIT_MS }).toBeGreaterThan(0);
  });

  it("asks for the token before the first action, then evacuates and shows the new routing", async () => {
    const { page } = ui.watched;
    await page.getByTestId("evacuate-hangzhou").click();
    await expect.poll(() => page.locator("#action-dialog").evaluate((d) => (d as HTMLDialogElement).open)).toBe(true);
    expect(await page.locator("#action-description").textContent()).toContain("hangzhou");
    await page.getByTestId("confirm-action").click();
    await page.getByTestId("token-prompt").waitFor({ state: "visible", timeout: WAIT_MS });
    await ui.watched.screenshot("02-token-prompt");
    await page.getByTestId("token-input").fill(FIXTURE_TOKEN);
    await page.getByTestId("token-save").click();
    await expect.poll(() => page.locator('[data-testid="routing-version"]').textContent(), { timeout: WAIT_MS }).toBe("8");
    await expect
      .poll(
        () =>
          page
            .locator('[data-testid^="replica-"][data-role="leader"]')
            .evaluateAll((nodes) => nodes.map((node) => node.getAttribute("data-testid") ?? "").filter((id) => /\/hz-/.test(id)).length),
        { timeout: WAIT_MS },
      )
      .toBe(0);
    expect(await page.locator('[data-testid="region-hangzhou"]').getAttribute("data-evacuated")).toBe("true");
    expect(await page.evaluate(() => sessionStorage.getItem("ldc.apiToken"))).toBe(FIXTURE_TOKEN);
    expect(ui.server.requests).toContain("POST /api/v1/regions/hangzhou/evacuate");
    await ui.watched.screenshot("03-evacuated");
  });

  it("shows the rule when a safety rule refuses the action, with a break-glass override", async () => {
    const { page } = ui.watched;
    await page.getByTestId("evacuate-shanghai").click();
    await page.getByTestId("confirm-action").click();
    const refusal = page.getByTestId("refusal");
    await refusal.waitFor({ state: "visible", timeout: WAIT_MS });
    expect(await refusal.textContent()).toContain("one-region-evacuated");
    expect(await refusal.textContent()).toContain("already evacuated");
    expect(await page.getByTestId("force-action").isVisible()).toBe(true);
    await ui.watched.screenshot("04-refusal");
    // An override without a reason is not sent.
    const posts = ui.server.requests.filter((line) => line.startsWith("POST /api/v1/regions/shanghai")).length;
    await page.getByTestId("force-action").click();
    expect(ui.server.requests.filter((line) => line.startsWith("POST /api/v1/regions/shanghai")).length).toBe(posts);
    await page.getByTestId("cancel-action").click();
    await expect.poll(() => page.getByTestId("audit-rows").textContent(), { timeout: WAIT_MS }).toContain("one-region-evacuated");
  });

  it("fails a cell over to a chosen datacenter and moves the leader mark there", async () => {
    const { page } = ui.watched;
    const before = Number(await page.getByTestId("routing-version").textContent());
    await page.getByTestId("failover-to-cell-4").selectOption("sh-b");
    expect(await page.getByTestId("failover-cell-4").textContent()).toBe("Fail over to sh-b");
    await page.getByTestId("failover-cell-4").click();
    expect(await page.locator("#action-description").textContent()).toContain("cell-4");
    await page.getByTestId("confirm-action").click();
    await expect
      .poll(() => page.locator('[data-testid="replica-cell-4/sh-b"]').getAttribute("data-role"), { timeout: WAIT_MS })
      .toBe("leader");
    expect(await page.locator('[data-testid="replica-cell-4/sh-a"]').getAttribute("data-role")).toBe("follower");
    await expect.poll(() => page.getByTestId("routing-version").textContent()).toBe(String(before + 1));
  });

  it("injects a fault from the chaos panel and draws the link as partitioned", async () => {
    const { page } = ui.watched;
    await page.getByTestId("chaos-type").selectOption("partition");
    await page.getByTestId("chaos-target").selectOption({ label: "regions=hangzhou↔shanghai" });
    await page.getByTestId("chaos-inject").click();
    // Like a failover, an injection is confirmed in the dialog, with a reason.
    await page.getByTestId("action-reason").fill("render test: partition hangzhou from shanghai");
    await page.getByTestId("confirm-action").click();
    await expect
      .poll(() => page.locator('[data-testid="link-hangzhou-shanghai"]').getAttribute("data-faults"), { timeout: WAIT_MS })
      .toContain("f-2");
    await expect
      .poll(() => page.locator('[data-testid="link-hangzhou-shanghai"]').getAttribute("data-state"), { timeout: WAIT_MS })
      .toBe("down");
    await expect.poll(() => page.getByTestId("fault-list").textContent()).toContain("f-2");
    await page.getByTestId("drill-run-dc-outage").click();
    await page.getByTestId("confirm-action").click();
    await expect
      .poll(() => page.locator('[data-testid="drill-outcome-r-1"]').getAttribute("data-outcome"), { timeout: WAIT_MS })
      .toBe("SUCCEEDED");
    // r-0 ran before a controller restart (larger simulated start): the list goes by sequence, newest first.
    expect(
      await page.locator('[data-testid^="drill-outcome-"]').evaluateAll((nodes) => nodes.map((node) => node.getAttribute("data-testid"))),
    ).toEqual(["drill-outcome-r-1", "drill-outcome-r-0"]);
    expect(await page.locator('[data-testid="drill-outcome-r-1"] time.wall-time').textContent()).toBe("2026-01-01 01:00:00");
    // The audit log's time column is wall time (simulated time on hover), not the simulated t that restarts.
    expect(await page.locator('[data-testid="audit-rows"] tr td.wall-time').first().textContent()).toBe("2026-01-01 00:00:00");
    expect(await page.locator('[data-testid="audit-rows"] tr td.wall-time').first().getAttribute("title")).toContain("simulated t=");
    await ui.watched.screenshot("05-chaos-and-drill");
  });

  it("rehearses evacuating a region: the prediction shows in the dialog before the operator confirms", async () => {
    const { page } = ui.watched;
    await page.getByTestId("rehearse-evacuate-shanghai").click();
    const prediction = page.getByTestId("prediction");
    await expect.poll(() => prediction.getAttribute("data-state"), { timeout: WAIT_MS }).toBe("done");
    const text = (await prediction.textContent()) ?? "";
    expect(text).toContain("Predicted: ok");
    expect(text).toMatch(/RTO per cell: cell-\d 180 ms/);
    expect(text).toContain("p99 48.5 ms");
    expect(await page.getByTestId("confirm-action").isVisible()).toBe(true);
    expect(ui.server.requests).toContain("POST /api/v1/rehearsals");
    expect(ui.server.requests.filter((line) => line.startsWith("POST /api/v1/regions/shanghai/evacuate")).length).toBe(1);
    await ui.watched.screenshot("06-rehearsal");
    await page.getByTestId("cancel-action").click();
    expect(await page.getByTestId("rehearse-failover-cell-1").isVisible()).toBe(true);
    // Capacity readiness on the region cards.
    await expect.poll(() => page.locator('[data-region="shanghai"]').getAttribute("data-can-absorb"), { timeout: WAIT_MS }).toBe("false");
    expect(await page.locator('[data-region="shanghai"] .region-info').textContent()).toContain(
      "loss NOT absorbable (headroom -480 ops/s)",
    );
    expect(await page.locator('[data-region="shenzhen"] .region-info').textContent()).toContain("loss absorbable (headroom 520 ops/s)");
  });

  it("aborts a running drill from its Abort button", async () => {
    const { page } = ui.watched;
    await page.getByTestId("drill-run-region-outage").click();
    await page.getByTestId("confirm-action").click();
    const abort = page.getByTestId("drill-abort-r-2");
    await abort.waitFor({ state: "visible", timeout: WAIT_MS });
    await abort.click();
    await page.locator("#action-reason").fill("pager went off");
    await page.getByTestId("confirm-action").click();
    await expect
      .poll(() => page.locator('[data-testid="drill-outcome-r-2"]').getAttribute("data-outcome"), { timeout: WAIT_MS })
      .toBe("ABORTED");
    expect(await page.locator('[data-testid="drill-outcome-r-2"]').textContent()).toContain("aborted: pager went off");
    expect(await page.getByTestId("drill-abort-r-2").count()).toBe(0);
  });

  it("the kill switch: a large control in the header, a banner while halted, faults refused, released again", async () => {
    const { page } = ui.watched;
    const button = page.getByTestId("halt-button");
    const box = (await button.boundingBox())!;
    const token = (await page.getByTestId("token-button").boundingBox())!;
    expect(box.height).toBeGreaterThan(token.height);
    expect(await button.textContent()).toContain("HALT ALL CHAOS");
    await button.click();
    await page.locator("#action-reason").fill("incident INC-7");
    await page.getByTestId("confirm-action").click();
    const banner = page.getByTestId("halt-banner");
    await banner.waitFor({ state: "visible", timeout: WAIT_MS });
    expect(await banner.textContent()).toContain("incident INC-7");
    expect(await button.getAttribute("data-halted")).toBe("true");
    await expect.poll(() => page.getByTestId("fault-list").textContent(), { timeout: WAIT_MS }).not.toContain("f-2");
    await ui.watched.screenshot("07-halted");
    await page.getByTestId("drill-run-dc-outage").click();
    await page.getByTestId("confirm-action").click();
    await expect.poll(() => page.getByTestId("refusal").textContent(), { timeout: WAIT_MS }).toContain("halted");
    // No break-glass override for the kill switch: releasing it is the override.
    expect(await page.getByTestId("force-action").isVisible()).toBe(false);
    await page.getByTestId("cancel-action").click();
    await button.click();
    await page.getByTestId("confirm-action").click();
    await banner.waitFor({ state: "hidden", timeout: WAIT_MS });
    expect(await button.textContent()).toContain("HALT ALL CHAOS");
    await expect.poll(() => page.getByTestId("resilience").textContent(), { timeout: WAIT_MS }).toContain("dc-outage");
  });

  it("the control group loses its quorum: the header warns and names the endpoint, the map outlines the replicas red", async () => {
    const { page } = ui.watched;
    ui.server.control.quorum = false;
    ui.server.control.servedBy = "shenzhen";
    const pill = page.getByTestId("control-plane");
    await expect.poll(() => pill.getAttribute("data-quorum"), { timeout: WAIT_MS }).toBe("false");
    expect(await pill.textContent()).toContain("NO QUORUM (2/5 up)");
    expect(await pill.textContent()).toContain("via shenzhen");
    const warning = page.getByTestId("map-control-no-quorum");
    await expect.poll(() => warning.count(), { timeout: WAIT_MS }).toBe(1);
    expect(await warning.textContent()).toContain("NO QUORUM (2/5 up)");
    expect(await page.getByTestId("control-replica-ctl/hangzhou-1").getAttribute("data-state")).toBe("down");
    expect(await page.locator('[data-testid^="control-replica-"].no-quorum').count()).toBe(5);
    expect(await page.getByTestId("control-replica-ctl/shenzhen-1").locator("rect.control-ring").getAttribute("stroke")).toBe("#d62728");
    await ui.watched.screenshot("08-control-no-quorum");
    ui.server.control.quorum = true;
    ui.server.control.servedBy = "hangzhou";
    await expect.poll(() => pill.getAttribute("data-quorum"), { timeout: WAIT_MS }).toBe("true");
    // The control endpoint stops answering (its region lost power): the pill keeps the last answer
    // but marks it stale with its age, and clears the mark once answers come back.
    ui.server.control.answering = false;
    await expect.poll(() => pill.getAttribute("data-stale"), { timeout: WAIT_MS }).toBe("true");
    expect(await pill.textContent()).toMatch(/ctl\/hangzhou-1 .* · STALE: no answer for \d+ s$/);
    // The map's control replicas are that same last answer: faded, marked and titled stale with it.
    const staleGlyphs = page.locator('[data-testid^="control-replica-"][data-stale="true"]');
    await expect.poll(() => staleGlyphs.count(), { timeout: WAIT_MS }).toBe(5);
    expect(await page.getByTestId("control-replica-ctl/hangzhou-1").locator("title").textContent()).toMatch(
      /STALE: the control group has not answered for \d+ s; this is its last answer$/,
    );
    await ui.watched.screenshot("08b-control-stale");
    ui.server.control.answering = true;
    await expect.poll(() => pill.getAttribute("data-stale"), { timeout: WAIT_MS }).toBe(null);
    await expect.poll(() => staleGlyphs.count(), { timeout: WAIT_MS }).toBe(0);
    expect(await page.getByTestId("control-replica-ctl/hangzhou-1").locator("title").textContent()).not.toContain("STALE");
    expect(await pill.textContent()).not.toContain("STALE");
    await expect.poll(() => warning.count(), { timeout: WAIT_MS }).toBe(0);
  });

  it("made no request to any host but 127.0.0.1 and raised no page error", () => {
    expect([...ui.watched.hosts]).toEqual(["127.0.0.1"]);
    expect(ui.watched.errors).toEqual([]);
    expect(ui.watched.notFound).toEqual([]);
  });
});
