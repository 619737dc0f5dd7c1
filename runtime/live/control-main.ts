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

import { createRandom } from "../../ground/random.js";
import type { Log, LogLevel } from "../../ground/ports.js";
import { ControlNode } from "../../controller/control/node.js";
import { RealClock } from "./adapters/real-clock.js";
import { TcpTransport } from "./adapters/tcp-transport.js";
import { FileDisk } from "./adapters/file-disk.js";
import { parseReplicaSpec, ReplicaSpecError, type ReplicaSpec } from "./replica/spec.js";
import { isAdminRequest, type AdminOp, type AdminReply, type ReplicaToParent } from "./replica/admin.js";
import type { LiveControlState, LiveControlStatus } from "./control-status.js";

const PARENT_CHECK_MS = 500;

function stderrLog(id: string, minimum: LogLevel): Log {
  const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
  return {
    event(level, name, fields) {
      if (rank[level] < rank[minimum]) return;
      process.stderr.write(`${JSON.stringify({ t: new Date().toISOString(), level, replica: id, name, ...fields })}\n`);
    },
  };
}

function send(message: ReplicaToParent): void {
  if (process.connected) process.send?.(message);
}

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

function exitWithTheSupervisor(log: Log, id: string): void {
  const initialParent = process.ppid;
  const exitBecause = (reason: string): void => {
    log.event("warn", "replica.exit", { id, reason });
    process.exit(0);
  };
  process.on("disconnect", () => exitBecause("IPC channel to the supervisor closed"));
  setInterval(() => {
    if (process.ppid !== initialParent) exitBecause(`parent ${initialParent} gone (ppid now ${process.ppid})`);
  }, PARENT_CHECK_MS).unref();
  process.on("SIGTERM", () => exitBecause("SIGTERM"));
  process.on("SIGINT", () => exitBecause("SIGINT"));
  process.on("SIGHUP", () => exitBecause("SIGHUP"));
}

async function main(spec: ReplicaSpec): Promise<void> {
  const level = process.env.LDC_LIVE_LOG_LEVEL;
  const log = stderrLog(spec.id, level === "debug" || level === "warn" || level === "error" ? level : "info");
  const clock = new RealClock();
  const random = createRandom(spec.seed).fork(spec.id);
  const transport = new TcpTransport({
    self: spec.id,
    listen: { host: spec.host, port: spec.port },
    peers: new Map(Object.entries(spec.peers).filter(([peer]) => peer !== spec.id)),
    log,
  });
  const disk = new FileDisk(spec.dataDir);
  const node = new ControlNode(
    spec.id,
    { id: spec.id, voters: spec.voters, raft: spec.raft, walFile: "raft.wal", snapshotFile: "raft.snap" },
    { clock, random, transport, disk, log },
  );
  process.on("message", (message: unknown) => {
    if (!isAdminRequest(message)) return;
    let reply: AdminReply;
    try {
      reply = { type: "admin-reply", requestId: message.requestId, ok: true, result: handle(node, message.body) };
    } catch (error) {
      reply = { type: "admin-reply", requestId: message.requestId, ok: false, error: (error as Error).message };
    }
    send(reply);
  });
  exitWithTheSupervisor(log, spec.id);
  const port = await transport.listen();
  transport.connectAll();
  log.event("info", "control.listening", { id: spec.id, port });
  send({ type: "ready", port });
}

let spec: ReplicaSpec;
try {
  spec = parseReplicaSpec(process.argv[2]);
} catch (error) {
  if (!(error instanceof ReplicaSpecError)) throw error;
  process.stderr.write(`ldc control replica: ${error.message}\n`);
  process.exit(2);
}
main(spec).catch((error: unknown) => {
  process.stderr.write(`ldc control replica ${spec.id}: ${(error as Error).message}\n`);
  process.exit(2);
});
