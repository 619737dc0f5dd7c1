// A control replica's materialized SQLite store (controller/store/control-store.ts): it mirrors the
// control state machine's audit log, routing, faults and drills; wiped, it is rebuilt from a state
// machine replayed from the same log to the same rows; a state machine still recovering (behind
// the tables) does not overwrite them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ControlReplicaStore } from "../../../controller/store/control-store.js";
import { ControlStateMachine, type ControlCommand } from "../../../controller/control/state-machine.js";
import { applyAll, auditEntry, routingAt } from "../control/log-builders.js";

const audit = (id: number) => auditEntry(id, { routingVersionBefore: id, routingVersionAfter: id + 1 });
const routing = (version: number) => routingAt(version, ["hangzhou"]);

const log: ControlCommand[] = [
  { kind: "audit", requestId: "s-1", entries: [audit(1), audit(2)] },
  { kind: "routing", requestId: "s-2", routing: routing(2) },
  { kind: "fault", requestId: "f-1", fault: { id: "f-1", type: "latency", origin: "api", state: "active", leaseUntilMs: 3000, term: 1 } },
  { kind: "drill", requestId: "d-1", run: { id: "run-1", drill: "dc-outage", state: "running", actor: "api", atMs: 10 } },
  { kind: "begin", requestId: "key:a", api: { method: "POST", path: "/api/v1/halt", actor: "a", via: "shanghai" } },
  { kind: "end", requestId: "key:a:end", of: "key:a", response: { status: 200, body: {} }, audit: [audit(3)], routing: routing(3) },
  { kind: "fault", requestId: "f-1b", fault: { id: "f-1", type: "latency", origin: "api", state: "healed", leaseUntilMs: 3500, term: 1 } },
];

function replay(commands: readonly ControlCommand[]): ControlStateMachine {
  const machine = new ControlStateMachine();
  applyAll(machine, commands);
  return machine;
}

let directory: string | null = null;
afterEach(() => {
  if (directory !== null) rmSync(directory, { recursive: true, force: true });
  directory = null;
});

describe("ControlReplicaStore", () => {
  it("mirrors the state machine, and a wiped store is rebuilt from the replayed log to the same rows", () => {
    directory = mkdtempSync(path.join(tmpdir(), "ldc-control-store-"));
    const file = path.join(directory, "ctl.sqlite");
    const store = new ControlReplicaStore(file);
    const machine = replay(log.slice(0, 4));
    store.sync(machine);
    // Applied in two steps, as a replica applies entries over time.
    const later = replay(log);
    store.sync(later);
    const rows = store.rows();
    expect(rows.appliedIndex).toBe(log.length);
    expect(rows.audit.map((entry) => entry.id)).toEqual([1, 2, 3]);
    expect(rows.routing?.version).toBe(3);
    expect(rows.faults).toEqual([{ id: "f-1", type: "latency", origin: "api", state: "healed", leaseUntilMs: 3500, term: 1 }]);
    expect(rows.drills.map((run) => run.id)).toEqual(["run-1"]);
    store.wipe();
    expect(store.rows()).toEqual({ appliedIndex: 0, audit: [], routing: null, faults: [], drills: [] });
    // The replica's state machine rebuilt from its log (a process restart): the same rows again.
    store.sync(replay(log));
    expect(store.rows()).toEqual(rows);
    store.close();
    // The file outlives the process: reopened, the same rows.
    const reopened = new ControlReplicaStore(file);
    expect(reopened.rows()).toEqual(rows);
    // A state machine still recovering (behind the tables) leaves them alone.
    reopened.sync(replay(log.slice(0, 2)));
    expect(reopened.rows()).toEqual(rows);
    reopened.close();
  });
});
