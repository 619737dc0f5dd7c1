// What every live replica OS process does around its node, whether it replicates a cell's ledger
// (runtime/live/replica-main.ts) or the control state machine (runtime/live/control-main.ts): parse
// the spec from argv (bad spec: exit 2), build the live adapters (stderr log, RealClock, the seeded
// Random, TcpTransport through the peers' Toxiproxy proxies, FileDisk in its data directory), answer
// the supervisor's admin requests over IPC, exit when the supervisor is gone, then listen and say ready.
import { createRandom, type Random } from "../../../ground/random.js";
import type { Log, LogLevel } from "../../../ground/ports.js";
import { RealClock } from "../adapters/real-clock.js";
import { TcpTransport } from "../adapters/tcp-transport.js";
import { FileDisk } from "../adapters/file-disk.js";
import { parseReplicaSpec, ReplicaSpecError, type ReplicaSpec } from "./spec.js";
import { isAdminRequest, type AdminOp, type AdminReply, type ReplicaToParent } from "./admin.js";

const PARENT_CHECK_MS = 500;

export interface ReplicaProcessParts {
  readonly log: Log;
  readonly clock: RealClock;
  readonly random: Random;
  readonly transport: TcpTransport;
  readonly disk: FileDisk;
}

function stderrLog(id: string, minimum: LogLevel): Log {
  const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
  return {
    event(level, name, fields) {
      if (rank[level] < rank[minimum]) return;
      process.stderr.write(`${JSON.stringify({ t: new Date().toISOString(), level, replica: id, name, ...fields })}\n`);
    },
  };
}

export function sendToSupervisor(message: ReplicaToParent): void {
  if (process.connected) process.send?.(message);
}

/** The live adapters of one replica process. LDC_LIVE_LOG_LEVEL=debug adds Raft campaigns to replica.log. */
export function processParts(spec: ReplicaSpec): ReplicaProcessParts {
  const level = process.env.LDC_LIVE_LOG_LEVEL;
  const log = stderrLog(spec.id, level === "debug" || level === "warn" || level === "error" ? level : "info");
  const transport = new TcpTransport({
    self: spec.id,
    listen: { host: spec.host, port: spec.port },
    peers: new Map(Object.entries(spec.peers).filter(([peer]) => peer !== spec.id)),
    log,
  });
  return { log, clock: new RealClock(), random: createRandom(spec.seed).fork(spec.id), transport, disk: new FileDisk(spec.dataDir) };
}

/** Answers the supervisor's admin requests with `handle` (a throw is an error reply). */
export function serveAdmin(handle: (body: AdminOp) => unknown): void {
  process.on("message", (message: unknown) => {
    if (!isAdminRequest(message)) return;
    let reply: AdminReply;
    try {
      reply = { type: "admin-reply", requestId: message.requestId, ok: true, result: handle(message.body) };
    } catch (error) {
      reply = { type: "admin-reply", requestId: message.requestId, ok: false, error: (error as Error).message };
    }
    sendToSupervisor(reply);
  });
}

/** The replica never outlives its supervisor: IPC closed, a new parent, or a signal ends it. */
function exitWithTheSupervisor(id: string, log: Log): void {
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

/** Ties the process to its supervisor, listens, dials the peers and tells the supervisor it is ready. */
export async function listenAndAnnounce(spec: ReplicaSpec, parts: ReplicaProcessParts, listeningEvent: string): Promise<void> {
  exitWithTheSupervisor(spec.id, parts.log);
  const port = await parts.transport.listen();
  parts.transport.connectAll();
  parts.log.event("info", listeningEvent, { id: spec.id, port });
  sendToSupervisor({ type: "ready", port });
}

/** Runs `main` on the spec in argv; a bad spec or a failed start exits 2 with one line named `what`. */
export function runReplicaProcess(what: string, main: (spec: ReplicaSpec) => Promise<void>): void {
  let spec: ReplicaSpec;
  try {
    spec = parseReplicaSpec(process.argv[2]);
  } catch (error) {
    if (!(error instanceof ReplicaSpecError)) throw error;
    process.stderr.write(`${what}: ${error.message}\n`);
    process.exit(2);
  }
  main(spec).catch((error: unknown) => {
    process.stderr.write(`${what} ${spec.id}: ${(error as Error).message}\n`);
    process.exit(2);
  });
}
