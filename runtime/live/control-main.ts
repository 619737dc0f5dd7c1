// The entry of one live CONTROL replica OS process (runtime/live/control-plane.ts): a ControlNode
// (controller/control/node.ts: the Raft replica of cells/replica.ts driving the control state
// machine) on the same live adapters as a cell replica (runtime/live/replica-main.ts): RealClock,
// TcpTransport listening on host:port and dialling its peers through their Toxiproxy proxies,
// FileDisk in its own data directory (WAL + snapshot, fsync before acknowledging; recovery on start).
//
// Spawned by the supervisor as `node <bundle of this file> '<spec JSON>'` (the cell replica's spec,
// with cell "control") with an IPC admin channel: `status` (the replica's Raft status, with the
// leader's per-voter progress) and `control-state` (what the state machine holds). It exits when
// its parent is gone, as a cell replica does. Bad spec: exit 2.

import { ControlNode } from "../../controller/control/node.js";
import type { ReplicaSpec } from "./replica/spec.js";
import type { AdminOp } from "./replica/admin.js";
import { listenAndAnnounce, processParts, runReplicaProcess, serveAdmin } from "./replica/process-host.js";
import type { LiveControlState, LiveControlStatus } from "./control-status.js";

function statusOf(node: ControlNode): LiveControlStatus {
  const status = node.replica.status();
  return { ...status, auditEntries: node.stateMachine.audit().length };
}

function stateOf(node: ControlNode, withSnapshot: boolean): LiveControlState {
  const machine = node.stateMachine;
  return {
    appliedIndex: machine.applied,
    routingVersion: machine.routing?.version ?? null,
    drained: machine.routing?.drained ?? [],
    auditIds: machine.audit().map((entry) => entry.id),
    faults: machine.faults(),
    drills: machine.drills(),
    snapshot: withSnapshot ? machine.snapshot() : null,
  };
}

function handle(node: ControlNode, body: AdminOp): unknown {
  switch (body.op) {
    case "status":
      return statusOf(node);
    case "control-state":
      return stateOf(node, body.snapshot === true);
    case "transfer-leadership":
      return node.replica.transferLeadership(body.target);
    default:
      throw new Error(`a control replica does not take admin op ${body.op}`);
  }
}

async function main(spec: ReplicaSpec): Promise<void> {
  const parts = processParts(spec);
  const { clock, random, transport, disk, log } = parts;
  const node = new ControlNode(
    spec.id,
    { id: spec.id, voters: spec.voters, raft: spec.raft, walFile: "raft.wal", snapshotFile: "raft.snap" },
    { clock, random, transport, disk, log },
  );
  serveAdmin((body) => handle(node, body));
  await listenAndAnnounce(spec, parts, "control.listening");
}

runReplicaProcess("ldc control replica", main);
