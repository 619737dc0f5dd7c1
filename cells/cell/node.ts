// A replica process of a cell: the Raft replica (cells/replica.ts) driving the ledger state
// machine, plus the client-facing side: commands become proposals, reads go through ReadIndex
// and are answered from the local ledger once it has applied up to the read index.

import type { Clock, Disk, Log, Random, Transport } from "../../ground/ports.js";
import type { LedgerEventBody } from "../ledger/events.js";
import { LedgerStateMachine } from "../ledger/state-machine.js";
import type { LedgerOptions } from "../ledger/ledger.js";
import { parseCommand } from "../ledger/commands.js";
import { batchEntryBytes, decodeBatchCached, encodeBatch, LedgerCodecError } from "../ledger/codec.js";
import { malformedOutcome, type LedgerBatchOutcome } from "../ledger/outcome.js";
import { Replica, type ReplicaOptions, type ReplicaStatus } from "../replica.js";
import type { TransferResult } from "../raft/raft.js";
import type { ClientRequest, ReplicaProbeStatus, TransferAnswer, TransferRequest } from "./protocol.js";
import { replyTo, splitClientWire } from "./serving.js";

export const COMMIT_LATENCY_SAMPLES_MAX = 4096;
/** Outbox records one relay read returns at most. */
export const OUTBOX_READ_RECORDS_MAX = 1024;

export interface CellNodeDependencies {
  readonly clock: Clock;
  readonly random: Random;
  readonly transport: Transport;
  readonly disk: Disk;
  readonly log: Log;
}

export class CellNode {
  readonly stateMachine: LedgerStateMachine;
  readonly replica: Replica;
  /** Latest commit latencies (proposal to applied outcome) at this replica while it leads, µs. */
  private readonly commitLatenciesUs = new Float64Array(COMMIT_LATENCY_SAMPLES_MAX);
  private commitLatencyCount = 0;

  constructor(
    readonly id: string,
    options: ReplicaOptions,
    private readonly dependencies: CellNodeDependencies,
    onLedgerEvent?: (eventIndex: number, event: LedgerEventBody, hash: string) => void,
    ledgerOptions: Partial<LedgerOptions> = {},
  ) {
    this.stateMachine = new LedgerStateMachine(ledgerOptions, onLedgerEvent);
    // One wire, two protocols: client requests are ours, everything else is Raft's.
    const raftTransport = splitClientWire(dependencies.transport, (request) => this.onClientRequest(request));
    this.replica = new Replica(options, { ...dependencies, transport: raftTransport }, this.stateMachine);
  }

  /** The most recent commit latencies measured here (at most COMMIT_LATENCY_SAMPLES_MAX), µs. */
  commitLatencies(): number[] {
    const count = Math.min(this.commitLatencyCount, COMMIT_LATENCY_SAMPLES_MAX);
    return Array.from(this.commitLatenciesUs.subarray(0, count));
  }

  private onClientRequest(request: ClientRequest): void {
    const reply = replyTo(this.dependencies.transport, request, this.id, (ok, result) =>
      ok ? 64 + 64 * ((result as { outcomes?: readonly unknown[] } | undefined)?.outcomes?.length ?? 1) : 64,
    );
    if (request.kind === "status") {
      reply(true, probeStatusOf(this.replica.status()));
      return;
    }
    if (request.kind === "transfer") {
      const target = (request.payload as Partial<TransferRequest> | null)?.target;
      if (typeof target !== "string") return reply(false, undefined, { code: "INVALID", message: "payload.target: expected a replica id" });
      reply(true, transferAnswerOf(this.replica.transferLeadership(target)));
      return;
    }
    if (request.kind === "read") {
      this.replica.read((outcome) => {
        if (!outcome.ok) {
          reply(false, undefined, outcome.error);
          return;
        }
        const payload = request.payload as { accounts?: readonly string[]; outbox?: { limit?: unknown } } | null;
        const ledger = this.stateMachine.ledger;
        if (payload?.outbox !== undefined) {
          // A relay resumes from the committed outbox (this read went through ReadIndex), never from its memory.
          const limit = payload.outbox.limit;
          const recordsMax =
            typeof limit === "number" && Number.isSafeInteger(limit) && limit > 0 ? Math.min(limit, OUTBOX_READ_RECORDS_MAX) : 1;
          reply(true, { outcome: "outbox", records: ledger.openOutbox(recordsMax) });
          return;
        }
        const balances = ledger.readBalances(payload?.accounts);
        // The read's own cross-cell net (same state as the balances): the bank checker's expected total moves with it.
        const crossCellNet = ledger.totals().crossCellNet;
        reply(true, crossCellNet === 0 ? { outcome: "read", balances } : { outcome: "read", balances, crossCellNet });
      });
      return;
    }
    let data: Uint8Array;
    let single = false;
    if (request.kind === "batch") {
      if (!(request.payload instanceof Uint8Array))
        return reply(false, undefined, { code: "INVALID", message: "payload: expected a ledger batch's bytes" });
      try {
        // Checked before proposing: the bytes become the entry as they are (no re-encoding).
        const batch = decodeBatchCached(request.payload);
        if (batch.requestId !== request.requestId)
          return reply(false, undefined, {
            code: "INVALID",
            message: `payload: the batch's request id ${batch.requestId} is not the request's ${request.requestId}`,
          });
      } catch (error) {
        if (!(error instanceof LedgerCodecError)) throw error;
        return reply(false, undefined, { code: "INVALID", message: `payload: ${error.code}: ${error.message}` });
      }
      data = request.payload;
    } else {
      // One command as plain data: proposed as a batch of one, answered with its outcome.
      const parsed = parseCommand(request.payload);
      if (!parsed.ok) return reply(true, malformedOutcome(request.requestId, parsed.error));
      data = encodeBatch({ requestId: request.requestId, linked: false, commands: [parsed.command] });
      single = true;
    }
    // The entry keeps its bytes until compaction: copied out of the wire frame's (or encoder's)
    // shared slab so they do not keep it alive (raft codec `entryBytes`).
    data = batchEntryBytes(data);
    const submittedUs = this.dependencies.clock.nowUs();
    this.replica.submit(data, (outcome) => {
      if (outcome.ok) {
        this.commitLatenciesUs[this.commitLatencyCount++ % COMMIT_LATENCY_SAMPLES_MAX] = this.dependencies.clock.nowUs() - submittedUs;
        reply(true, single ? ((outcome.result as Partial<LedgerBatchOutcome>).outcomes?.[0] ?? outcome.result) : outcome.result);
      } else reply(false, undefined, outcome.error);
    });
  }
}

/** A replica's status as a health probe answers it (protocol.ts ReplicaProbeStatus). */
export function probeStatusOf(status: ReplicaStatus): ReplicaProbeStatus {
  const progress = status.progress ?? null;
  return {
    role: status.role,
    term: status.term ?? 0,
    lastIndex: status.lastIndex ?? 0,
    commit: status.commit ?? 0,
    applied: status.applied ?? 0,
    running: status.phase === "running",
    corrupted: status.corrupted,
    repairing: status.phase === "repairing",
    failed: status.failed,
    activePeers:
      progress === null || status.role !== "leader"
        ? null
        : Object.entries(progress)
            .filter(([, peer]) => peer.recentActive)
            .map(([id]) => id),
  };
}

/** A replica's transfer result as the `transfer` request answers it (plain data over the wire). */
export function transferAnswerOf(result: TransferResult | { readonly code: "UNAVAILABLE"; readonly reason: string }): TransferAnswer {
  switch (result.code) {
    case "OK":
      return { code: "OK" };
    case "NOT_LEADER":
      return { code: "NOT_LEADER", leaderHint: result.leaderHint };
    default:
      return { code: result.code, reason: result.reason };
  }
}
