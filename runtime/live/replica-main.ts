// The entry of one live replica OS process: a CellNode (Raft replica + ledger + client handling)
// on the live adapters: RealClock, TcpTransport listening on host:port and dialling its peers
// through their Toxiproxy proxies, FileDisk in its own data directory (WAL + snapshot, fsync
// before acknowledging; recovery and torn-tail truncation happen in cells/storage on start).
//
// Spawned by the supervisor (runtime/live/replica/process.ts) as
//   node --import tsx runtime/live/replica-main.ts '<spec JSON>'
// with an IPC channel: the admin channel (status, disk faults, leadership transfer, ledger
// dump). It exits when its parent is gone (IPC disconnect, or a changed ppid as a backstop), so
// a supervisor killed with SIGKILL leaves no replica running. Bad spec: exit 2.

import { CellNode } from "../../cells/cell/node.js";
import type { Random } from "../../ground/random.js";
import type { RealClock } from "./adapters/real-clock.js";
import type { FileDisk } from "./adapters/file-disk.js";
import type { ReplicaSpec } from "./replica/spec.js";
import type { AdminOp, LiveReplicaStatus } from "./replica/admin.js";
import { listenAndAnnounce, processParts, runReplicaProcess, serveAdmin } from "./replica/process-host.js";
import { dumpLedger } from "./replica/ledger-dump.js";

/** What the supervisor polls: the replica's Raft position, its ledger head and its disk faults. */
function statusOf(spec: ReplicaSpec, node: CellNode, disk: FileDisk): LiveReplicaStatus {
  const replica = node.replica.status();
  const ledger = node.stateMachine.ledger;
  return {
    id: spec.id,
    phase: replica.phase,
    reason: replica.reason,
    role: replica.role ?? null,
    term: (replica.term as number | undefined) ?? 0,
    leader: (replica.leader as string | null | undefined) ?? null,
    commit: (replica.commit as number | undefined) ?? 0,
    applied: (replica.applied as number | undefined) ?? 0,
    lastIndex: (replica.lastIndex as number | undefined) ?? 0,
    eventCount: ledger.eventCount,
    headHash: ledger.headHash,
    walBytes: replica.walBytes,
    diskFaulted: disk.faults.fsyncEio || disk.faults.enospc || disk.faults.slowFsyncMultiplier > 1,
    readies: replica.readies,
    readiesPersisted: replica.readiesPersisted,
  };
}

interface AdminTarget {
  readonly node: CellNode;
  readonly disk: FileDisk;
  readonly clock: RealClock;
  readonly corruptRandom: Random;
  readonly status: () => LiveReplicaStatus;
}

/** The admin channel: status, ledger dump, leadership transfer, clock and disk faults. */
function adminHandler(target: AdminTarget): (body: AdminOp) => unknown {
  const { node, disk, clock, status } = target;
  return (body) => {
    switch (body.op) {
      case "status":
        return status();
      case "ledger":
        return dumpLedger(node.stateMachine);
      case "clock":
        clock.driftPpm = body.driftPpm;
        return status();
      case "transfer-leadership":
        return node.replica.transferLeadership(body.target);
      case "heal-disk":
        disk.faults.fsyncEio = false;
        disk.faults.enospc = false;
        disk.faults.slowFsyncMultiplier = 1;
        return status();
      case "disk":
        return applyDiskFault(body.fault, target);
      case "control-state":
      case "control-store":
      case "probes":
        throw new Error(`${node.id} is a cell replica, not a control replica`);
      default: {
        const unreachable: never = body;
        throw new Error(`unknown admin op ${JSON.stringify(unreachable)}`);
      }
    }
  };
}

function applyDiskFault(fault: Extract<AdminOp, { op: "disk" }>["fault"], target: AdminTarget): unknown {
  const { disk, status } = target;
  switch (fault.kind) {
    case "fsync-eio":
      disk.faults.fsyncEio = true;
      return status();
    case "enospc":
      disk.faults.enospc = true;
      return status();
    case "slow-fsync":
      disk.faults.slowFsyncMultiplier = Math.max(1, fault.latencyMultiplier);
      return status();
    case "corrupt-synced-record":
      return disk.corruptSyncedRecord("raft.wal", target.corruptRandom);
    case "torn-write-at-crash":
      // A SIGKILL keeps the page cache, so a torn write is made by the supervisor after
      // the kill (it appends a partial record); nothing to arm in here.
      return status();
    default: {
      const unreachable: never = fault;
      throw new Error(`unknown disk fault ${JSON.stringify(unreachable)}`);
    }
  }
}

async function main(spec: ReplicaSpec): Promise<void> {
  const parts = processParts(spec);
  const { clock, random, transport, disk, log } = parts;
  const node = new CellNode(
    spec.id,
    {
      id: spec.id,
      voters: spec.voters,
      raft: spec.raft,
      walFile: "raft.wal",
      snapshotFile: "raft.snap",
      ...(spec.pendingRequestsMax !== undefined ? { pendingRequestsMax: spec.pendingRequestsMax } : {}),
    },
    { clock, random, transport, disk, log },
  );
  const status = (): LiveReplicaStatus => statusOf(spec, node, disk);
  const handle = adminHandler({ node, disk, clock, corruptRandom: random.fork("disk-corruption"), status });
  serveAdmin(handle);
  await listenAndAnnounce(spec, parts, "replica.listening");
}

runReplicaProcess("ldc replica", main);
