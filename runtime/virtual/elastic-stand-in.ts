// A drill run without the controller (`ldc drill run`) still adds cells and moves shards: the
// same driver the controller uses (controller/elastic.ts) over the runtime's ElasticPort, with a
// routing table of its own over the placement (the one ownership map) and an in-memory audit.
import type { DrillController } from "../../chaos/drill/execution.js";
import { defaultElasticOptions, ElasticCells, type ElasticOptions } from "../../controller/elastic.js";
import type { AuditDraft, AuditLog } from "../../controller/ports.js";
import { RoutingTable } from "../../controller/routing.js";
import type { AuditEntry } from "../../domain/records.js";
import type { VirtualRuntime } from "./runtime.js";

/** The controller's elastic-cells driver over a virtual runtime without the controller. */
export function elasticDriver(
  virtual: VirtualRuntime,
  options: Partial<ElasticOptions> = {},
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
      nextMoveId: () => `mv-${++moves}`,
      halted: () => null,
    },
  );
  return { elastic, routing };
}

export function elasticStandIn(virtual: VirtualRuntime): DrillController | null {
  const driver = elasticDriver(virtual);
  if (driver === null) return null;
  const elastic = driver.elastic;
  return {
    act: (_request, callback) =>
      callback({ ok: false, code: "CONFLICT", error: "operator actions need the controller (ldc start)", rule: "target-unavailable" }),
    addCell: (reason, actor, callback) => elastic.addCell({ reason, actor }, callback),
    moveShards: (request, callback) => elastic.moveShards(request, callback),
  };
}
