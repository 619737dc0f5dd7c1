// Issue 15 (expected by operators): /metrics is enough for a Grafana dashboard without our UI, and
// the dashboard shipped in docs/ reads only metrics /metrics exports.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./harness.js";
import { startRealHarness, type RealHarness } from "../runtime/virtual/real-world.js";

const dashboardPath = join(import.meta.dirname, "..", "..", "docs", "grafana-dashboard.json");

interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { h: number; w: number; x: number; y: number };
  readonly targets?: readonly { refId: string; expr: string }[];
}

/** Families from the `# TYPE name kind` lines, with the series names each kind exposes. */
function exportedSeriesNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, kind] = match as unknown as [string, string, string];
    names.add(name);
    if (kind === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(`${name}${suffix}`);
    if (kind === "summary") for (const suffix of ["_sum", "_count"]) names.add(`${name}${suffix}`);
  }
  return names;
}

/** `name{a="x",b="y"} value` lines as [name, labels, value]. */
function samples(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const out: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)) labels[pair[1] as string] = pair[2] as string;
    out.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return out;
}

function dashboardMetricNames(): Set<string> {
  const dashboard = JSON.parse(readFileSync(dashboardPath, "utf8")) as { panels: Panel[]; annotations: { list: { expr?: string }[] } };
  const exprs = [
    ...dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr)),
    ...dashboard.annotations.list.flatMap((annotation) => (annotation.expr === undefined ? [] : [annotation.expr])),
  ];
  const names = new Set<string>();
  for (const expr of exprs) for (const match of expr.matchAll(/\b((?:ldc|process|nodejs)_[a-z0-9_]+)\b/g)) names.add(match[1] as string);
  return names;
}

let real: RealHarness | undefined;
let fake: Harness | undefined;
afterEach(async () => {
  await real?.close();
  await fake?.close();
  real = undefined;
  fake = undefined;
});

describe("/metrics and the Grafana dashboard", () => {
  it("the dashboard is Grafana JSON whose every panel queries something", () => {
    const dashboard = JSON.parse(readFileSync(dashboardPath, "utf8")) as {
      uid: string;
      title: string;
      schemaVersion: number;
      panels: Panel[];
      templating: { list: { type: string }[] };
    };
    expect(dashboard.uid).toBe("ldc-controller");
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.templating.list.some((variable) => variable.type === "datasource")).toBe(true);
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) {
      expect(panel.gridPos.w, panel.title).toBeGreaterThan(0);
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
      if (panel.type !== "row") expect(panel.targets?.length ?? 0, panel.title).toBeGreaterThan(0);
    }
  });

  it("exports every metric the dashboard names, with traffic per cell and region, quorum, leaders and faults", async () => {
    const h = (real = await startRealHarness({ seed: 12, opsPerSecond: 200 }));
    await h.run(3_000_000);
    const injected = await h.request("POST", "/api/v1/faults", {
      type: "latency",
      target: { region: "shenzhen" },
      params: { delayMs: 20 },
      leaseMs: 60_000,
    });
    expect(injected.status).toBe(201);
    await h.run(2_000_000);
    const text = await (await fetch(`${h.url}/metrics`)).text();
    const exported = exportedSeriesNames(text);
    const missing = [...dashboardMetricNames()].filter((name) => !exported.has(name));
    expect(missing).toEqual([]);
    expect(dashboardMetricNames().size).toBeGreaterThan(15);

    const all = samples(text);
    const cells = h.setup.virtual.cluster.cells().map((cell) => cell.id);
    const okByCell = (cell: string) =>
      all
        .filter((sample) => sample.name === "ldc_requests_total" && sample.labels.cell === cell && sample.labels.outcome === "ok")
        .reduce((sum, sample) => sum + sample.value, 0);
    for (const cell of cells) {
      expect(okByCell(cell), cell).toBeGreaterThan(0);
      expect(
        all.some(
          (sample) =>
            sample.name === "ldc_request_duration_seconds_bucket" &&
            sample.labels.cell === cell &&
            sample.labels.le === "+Inf" &&
            sample.value > 0,
        ),
        cell,
      ).toBe(true);
      expect(all.find((sample) => sample.name === "ldc_cell_quorum_available" && sample.labels.cell === cell)?.value, cell).toBe(1);
      expect(all.find((sample) => sample.name === "ldc_cell_has_leader" && sample.labels.cell === cell)?.value, cell).toBe(1);
    }
    const regions = new Set(all.filter((sample) => sample.name === "ldc_requests_total").map((sample) => sample.labels.region));
    expect([...regions].filter((region) => ["hangzhou", "shanghai", "shenzhen"].includes(region as string)).length).toBeGreaterThan(0);
    expect(regions.has("unknown")).toBe(false);
    expect(all.find((sample) => sample.name === "ldc_faults_active" && sample.labels.type === "latency")?.value).toBe(1);
    expect(all.find((sample) => sample.name === "ldc_faults_injected_total" && sample.labels.type === "latency")?.value).toBe(1);
    expect(all.find((sample) => sample.name === "process_resident_memory_bytes")?.value).toBeGreaterThan(0);

    expect((await h.request("DELETE", "/api/v1/faults")).status).toBe(204);
    const healed = samples(await (await fetch(`${h.url}/metrics`)).text());
    expect(healed.find((sample) => sample.name === "ldc_faults_active" && sample.labels.type === "latency")?.value).toBe(0);
  });

  it("exports drill outcomes and RTO per cell once a run finishes", async () => {
    const h = (fake = await startHarness({ speed: 50 }));
    const started = await h.request("POST", "/api/v1/drills/dc-outage/runs", {});
    expect(started.status).toBe(202);
    const during = samples(await (await fetch(`${h.url}/metrics`)).text());
    expect(during.find((sample) => sample.name === "ldc_drill_running")?.value).toBe(1);
    const id = (started.body as { id: string }).id;
    for (let tries = 0; tries < 400; tries++) {
      const run = (await h.request("GET", `/api/v1/drills/runs/${id}`)).body as { state: string };
      if (run.state === "done") break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const after = samples(await (await fetch(`${h.url}/metrics`)).text());
    expect(after.find((sample) => sample.name === "ldc_drill_running")?.value).toBe(0);
    expect(
      after.find(
        (sample) => sample.name === "ldc_drill_runs_total" && sample.labels.drill === "dc-outage" && sample.labels.outcome === "SUCCEEDED",
      )?.value,
    ).toBe(1);
    expect(after.find((sample) => sample.name === "ldc_drill_rto_seconds" && sample.labels.cell === "cell-1")?.value).toBe(0.4);
    expect(after.find((sample) => sample.name === "ldc_drill_lost_acked_transfers" && sample.labels.drill === "dc-outage")?.value).toBe(0);
    expect(after.find((sample) => sample.name === "ldc_drill_last_outcome" && sample.labels.outcome === "SUCCEEDED")?.value).toBe(1);
  });
});
