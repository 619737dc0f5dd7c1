// The state of the link between two regions, judged by what passes over it, not by which fault
// type acts on it: "down" when no replica pair between the two regions can exchange a message
// (the network cuts them, or the endpoints are down: a region outage is down, not degraded),
// "degraded" when messages pass but some pairs are cut or a latency/loss-type fault acts on it,
// "up" otherwise. Pure: the controller's topology snapshot calls it, over the cells as its probes
// see them (a region the control leader cannot reach is "unreachable", not "down") or, for the
// page's map, as they are.
import type { CellView } from "../domain/cluster.js";
import type { FaultRecord } from "../domain/records.js";
import { isRunning } from "./region-status.js";

export type LinkState = "up" | "degraded" | "down";

/** Fault types that slow or thin traffic on a link without cutting it. */
export const LINK_DEGRADING_FAULT_TYPES: readonly string[] = ["latency", "loss", "duplicate", "reorder", "bandwidth"];

export interface LinkStatus {
  readonly state: LinkState;
  /** Why, in an operator's words ("partitioned", "hangzhou down", "latency (f-3)", "2 of 8 replica pairs cut"). */
  readonly reason: string | null;
  readonly faults: readonly string[];
}

export function linkStatus(a: string, b: string, views: readonly CellView[], faults: readonly FaultRecord[]): LinkStatus {
  const acting = faults.filter((fault) => fault.affects.links.some(([x, y]) => (x === a && y === b) || (x === b && y === a)));
  const ids = acting.map((fault) => fault.id);
  let total = 0;
  let cut = 0;
  let passing = 0;
  const downEnds = new Set<string>();
  for (const cell of views) {
    for (const x of cell.replicas) {
      if (x.region !== a) continue;
      for (const y of cell.replicas) {
        if (y.region !== b) continue;
        total++;
        const isCut = x.cutFrom.includes(y.id) || y.cutFrom.includes(x.id);
        if (isCut) cut++;
        if (!isRunning(x)) downEnds.add(a);
        if (!isRunning(y)) downEnds.add(b);
        if (!isCut && isRunning(x) && isRunning(y)) passing++;
      }
    }
  }
  const degrading = acting.filter((fault) => LINK_DEGRADING_FAULT_TYPES.includes(fault.type));
  if (total > 0 && passing === 0) {
    const why = [
      ...(cut > 0 ? ["partitioned"] : []),
      ...[...downEnds]
        .sort()
        .filter((region) => regionAllDown(region, views))
        .map((region) => `${region} ${regionUnreachable(region, views) ? "unreachable" : "down"}`),
    ];
    return { state: "down", reason: why.join("; ") || "nothing passes", faults: ids };
  }
  if (cut > 0) return { state: "degraded", reason: `${cut} of ${total} replica pairs cut`, faults: ids };
  if (degrading.length > 0)
    return { state: "degraded", reason: degrading.map((fault) => `${fault.type} (${fault.id})`).join(", "), faults: ids };
  return { state: "up", reason: null, faults: ids };
}

function regionAllDown(region: string, views: readonly CellView[]): boolean {
  const replicas = views.flatMap((cell) => cell.replicas).filter((replica) => replica.region === region);
  return replicas.length > 0 && !replicas.some(isRunning);
}

/** Some of the region's replicas are unreachable to the controller's probes: it cannot tell down from cut off. */
function regionUnreachable(region: string, views: readonly CellView[]): boolean {
  return views.flatMap((cell) => cell.replicas).some((replica) => replica.region === region && replica.state === "unreachable");
}
