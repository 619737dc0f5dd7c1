// The routing table as the control log records it: the current version, its reason and time, the
// cell -> region map and the drained regions (the history stays in each replica's local store).
import type { RoutingTable } from "../routing.js";
import type { ControlRouting } from "./state-machine.js";

export function controlRoutingOf(routing: RoutingTable): ControlRouting {
  const snapshot = routing.snapshot();
  const last = snapshot.history[snapshot.history.length - 1];
  return {
    version: snapshot.version,
    atMs: last?.atMs ?? 0,
    reason: last?.reason ?? "initial",
    cells: snapshot.cells,
    drained: snapshot.drained,
  };
}
