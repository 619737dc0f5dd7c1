// Entries of the control log (controller/control/state-machine.ts) for the tests of the state
// machine and of the replica store that mirrors it: the same audit entry and routing shapes, and
// the replay of a list of commands as committed entries 1, 2, 3, ... of term 1.
import type { ControlCommand, ControlRouting, ControlStateMachine } from "../../../controller/control/state-machine.js";
import type { AuditEntry } from "../../../domain/records.js";

/** An operator's evacuate action with audit id `id` (and `atMs` = id), changed by `overrides`. */
export function auditEntry(id: number, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    id,
    atMs: id,
    wallTime: "2026-01-01T00:00:00.000Z",
    actor: "test",
    kind: "action",
    action: "evacuate",
    target: "hangzhou",
    reason: null,
    outcome: "ok",
    rule: null,
    overrodeRule: null,
    routingVersionBefore: null,
    routingVersionAfter: null,
    ...overrides,
  };
}

/** Routing version `version` (cell-1 on shanghai), with `drained` regions. */
export function routingAt(version: number, drained: string[] = []): ControlRouting {
  return { version, atMs: version, reason: `v${version}`, cells: { "cell-1": "shanghai" }, drained };
}

/** Applies `commands` as committed entries from `fromIndex` on, in term 1; the machine's answers. */
export function applyAll(machine: ControlStateMachine, commands: readonly ControlCommand[], fromIndex = 1) {
  return commands.map((data, offset) => machine.apply({ index: fromIndex + offset, term: 1, data }));
}
