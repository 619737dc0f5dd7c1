// The entry of one live CONTROL replica OS process (runtime/live/control-plane.ts): a ControlNode
// (controller/control/node.ts: the Raft replica of cells/replica.ts driving the control state
// machine) on the same live adapters as a cell replica (runtime/live/replica-main.ts): RealClock,
// TcpTransport listening on host:port and dialling its peers through their Toxiproxy proxies,
// FileDisk in its own data directory (WAL + snapshot, fsync before acknowledging; recovery on start).
//
// Spawned by the supervisor as `node <bundle of this file> '<spec JSON>'` (the cell replica's spec,
// with cell "control") with an IPC admin channel: `status` (the replica's Raft status, with the
// leader's per-voter progress), `control-state` (what the state machine holds) and `control-store`
// (the rows of its SQLite store). It exits when its parent is gone, as a cell replica does. Bad
// spec: exit 2.
//
// While it leads its group, its CellProber (controller/control/prober.ts, as in the virtual
// runtime's control replica processes) sends a `status` probe to every cell replica every 100 ms over
// its own TCP connections (`spec.probes`: one Toxiproxy link per control replica -> cell replica,
// dialled on first use), and answers `probes` with the fresh answers: what the controller believes of
// the cells, so a partition between the control leader and a cell is a partition for the controller.
//
// Its local materialized store (controller/store/control-store.ts, `control.sqlite` in its data
// directory) is brought to the state machine's applied state every 200 ms, as in the virtual
// runtime. It is not the source of truth: a store lost or wiped while the process was down is
// rebuilt after the restart from the replica's log (snapshot + WAL recovery, then what the leader
// sends), a file kept is brought forward from where it was.
import { join } from "node:path";

import { ControlNode } from "../../controller/control/node.js";
import type { ReplicaSpec } from "./replica/spec.js";
import type { AdminOp } from "./replica/admin.js";
import { listenAndAnnounce, processParts, runReplicaProcess, serveAdmin } from "./replica/process-host.js";
import { CONTROL_STORE_FILE, CONTROL_STORE_SYNC_MS, type LiveControlState, type LiveControlStatus } from "./control-status.js";
import { ControlReplicaStore } from "../../controller/store/control-store.js";
import { CellProber } from "../../controller/control/prober.js";
import { TcpTransport } from "./adapters/tcp-transport.js";
import type { LiveProbeAnswers } from "./control-status.js";
import { liveProberOptions } from "./control-status.js";

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

function probesOf(node: ControlNode, prober: CellProber | null, targets: readonly string[], nowUs: number): LiveProbeAnswers {
  const answers: Record<string, LiveProbeAnswers["answers"][string]> = {};
  for (const target of targets) {
    const answer = prober?.answer(target);
    if (answer !== undefined) answers[target] = { status: answer.status, ageUs: nowUs - answer.atUs };
  }
  return {
    probing: prober !== null && node.status().role === "leader",
    answers,
    counts: { ...(prober?.counts ?? { sent: 0, answered: 0 }) },
  };
}

interface ControlProcess {
  readonly node: ControlNode;
  readonly store: ControlReplicaStore;
  readonly prober: CellProber | null;
  readonly targets: readonly string[];
  readonly nowUs: () => number;
}

function handle({ node, store, prober, targets, nowUs }: ControlProcess, body: AdminOp): unknown {
  switch (body.op) {
    case "status":
      return statusOf(node);
    case "control-state":
      return stateOf(node, body.snapshot === true);
    case "control-store":
      store.sync(node.stateMachine);
      return store.rows();
    case "probes":
      return probesOf(node, prober, targets, nowUs());
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
  const store = new ControlReplicaStore(join(spec.dataDir, CONTROL_STORE_FILE));
  setInterval(() => store.sync(node.stateMachine), CONTROL_STORE_SYNC_MS).unref();
  const targets = Object.keys(spec.probes ?? {});
  let prober: CellProber | null = null;
  if (targets.length > 0) {
    // A probe is worth nothing late: a few rounds' worth queue while a link (re)connects, the rest are dropped.
    const probeTransport = new TcpTransport({
      self: spec.id,
      peers: new Map(Object.entries(spec.probes ?? {})),
      sendQueueFramesMax: 4,
      log,
    });
    const cellProber = new CellProber(liveProberOptions, {
      clock,
      transport: probeTransport,
      targets: () => targets,
      active: () => node.status().role === "leader",
    });
    probeTransport.onMessage((_source, message) => void cellProber.receive(message));
    cellProber.start();
    prober = cellProber;
  }
  serveAdmin((body) => handle({ node, store, prober, targets, nowUs: () => clock.nowUs() }, body));
  await listenAndAnnounce(spec, parts, "control.listening");
}

runReplicaProcess("ldc control replica", main);
