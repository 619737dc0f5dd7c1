// A drill run without the controller (`ldc drill run`) still adds cells and moves shards: the
// same driver the controller uses (controller/elastic.ts) over the runtime's ElasticPort, with a
// routing table of its own over the placement (the one ownership map) and an in-memory audit.
import type { DrillController } from "../../chaos/drill/execution.js";
import {
  defaultElasticOptions,
  ElasticCells,
  type ElasticDependencies,
  type ElasticOptions,
  type MoveJournal,
} from "../../controller/elastic.js";
import type { AuditDraft, AuditLog } from "../../controller/ports.js";
import { RoutingTable } from "../../controller/routing.js";
import type { AuditEntry } from "../../domain/records.js";
import type { VirtualRuntime } from "./runtime.js";
import type { DrillScaleOut } from "../../chaos/drill/format.js";
import { scaleOutOptionsOfDrill, ScaleOutPolicy, type ScaleOutAction } from "../../controller/scale-out.js";

/** Offered load per cell, ops/s: invocations the history recorded for it over the last second (recomputed at most once per 100 ms). */
function offeredLoad(virtual: VirtualRuntime): (cell: string) => number {
  let computedUs = -1;
  let counts = new Map<string, number>();
  return (cell) => {
    const nowUs = virtual.nowUs();
    if (computedUs < 0 || nowUs - computedUs >= 100_000) {
      counts = new Map();
      for (const op of virtual.recorder.since(nowUs - 1_000_000)) {
        if (op.type !== "invoke") continue;
        const of = (op.value as { cell?: unknown } | null)?.cell;
        if (typeof of === "string") counts.set(of, (counts.get(of) ?? 0) + 1);
      }
      computedUs = nowUs;
    }
    return counts.get(cell) ?? 0;
  };
}

/** The controller's elastic-cells driver over a virtual runtime without the controller. */
export function elasticDriver(
  virtual: VirtualRuntime,
  options: Partial<ElasticOptions> = {},
  /** A journal (moves a later driver resumes), a test's crash point, and the move ids' prefix (default "mv"). */
  extra: { readonly journal?: MoveJournal; readonly crashAt?: ElasticDependencies["crashAt"]; readonly idPrefix?: string } = {},
): { readonly elastic: ElasticCells; readonly routing: RoutingTable } | null {
  const cluster = virtual.cluster;
  const port = cluster.elastic;
  if (port === undefined) return null;
  const initialCells: Record<string, string> = {};
  for (const cell of cluster.cells()) initialCells[cell.id] = cell.leader?.region ?? cell.preferredRegion;
  const routing = new RoutingTable(
    virtual.placement,
    initialCells,
    cluster.topology.regions.map((region) => region.name),
    Math.floor(cluster.clock.nowUs() / 1000),
  );
  const entries: AuditEntry[] = [];
  const audit: AuditLog = {
    append: (entry: AuditDraft) => {
      const stored: AuditEntry = { ...entry, id: entries.length + 1, wallTime: "" };
      if (entries.length < 10_000) entries.push(stored);
      return stored;
    },
    query: () => [...entries].reverse(),
  };
  let moves = 0;
  const elastic = new ElasticCells(
    { ...defaultElasticOptions, ...options },
    {
      cluster,
      port,
      routing,
      audit,
      nextMoveId: () => `${extra.idPrefix ?? "mv"}-${++moves}`,
      halted: () => null,
      ...(extra.journal !== undefined && { journal: extra.journal }),
      ...(extra.crashAt !== undefined && { crashAt: extra.crashAt }),
    },
  );
  return { elastic, routing };
}

/**
 * The drill's stand-in controller for elastic steps; with `scaleOut`, the automatic policy too,
 * over the offered load the history shows (invocations per cell over the last second), each of its
 * actions noted in the drill's steps.
 */
export function elasticStandIn(
  virtual: VirtualRuntime,
  scaleOut: DrillScaleOut | null = null,
  note: (field: string, ok: boolean, detail: string) => void = () => {},
): DrillController | null {
  const driver = elasticDriver(virtual);
  if (driver === null) return null;
  const elastic = driver.elastic;
  if (scaleOut !== null) {
    const load = offeredLoad(virtual);
    const policy = new ScaleOutPolicy(scaleOutOptionsOfDrill(scaleOut), {
      clock: virtual.cluster.clock,
      elastic,
      cells: () => virtual.placement.cells.map((cell) => ({ id: cell.cell, shards: cell.shards })),
      opsPerSecond: (cell) => load(cell),
    });
    let reported = 0;
    const report = (): void => {
      for (; reported < policy.actions.length; reported++) {
        const action = policy.actions[reported] as ScaleOutAction;
        note(`scale-out.${action.kind}`, !action.detail.startsWith("refused"), `${action.cell}: ${action.detail}`);
      }
      virtual.cluster.clock.setTimer(100_000, report);
    };
    report();
    policy.start();
  }
  return {
    act: (_request, callback) =>
      callback({ ok: false, code: "CONFLICT", error: "operator actions need the controller (ldc start)", rule: "target-unavailable" }),
    addCell: (reason, actor, callback) => elastic.addCell({ reason, actor }, callback),
    moveShards: (request, callback) => elastic.moveShards(request, callback),
  };
}
