// A replica process of a cell: the Raft replica (cells/replica.ts) driving the ledger state
// machine, plus the client-facing side: commands become proposals, reads go through ReadIndex
// and are answered from the local ledger once it has applied up to the read index.

import type { Clock, Disk, Log, Random, Transport } from "../../ground/ports.js";
import type { LedgerEventBody } from "../ledger/events.js";
import { LedgerStateMachine } from "../ledger/state-machine.js";
import { Replica, type ReplicaOptions } from "../replica.js";
import type { ClientError, ClientRequest, ClientResponse } from "./protocol.js";
import { isClientMessage } from "./protocol.js";

export const COMMIT_LATENCY_SAMPLES_MAX = 4096;

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
  private raftHandler: ((source: string, message: unknown) => void) | null = null;
  /** Latest commit latencies (proposal to applied outcome) at this replica while it leads, µs. */
  private readonly commitLatenciesUs = new Float64Array(COMMIT_LATENCY_SAMPLES_MAX);
  private commitLatencyCount = 0;

  constructor(
    readonly id: string,
    options: ReplicaOptions,
    private readonly dependencies: CellNodeDependencies,
    onLedgerEvent?: (eventIndex: number, event: LedgerEventBody, hash: string) => void,
  ) {
    this.stateMachine = new LedgerStateMachine({}, onLedgerEvent);
    const transport = dependencies.transport;
    // One wire, two protocols: client requests are ours, everything else is Raft's.
    const raftTransport: Transport = {
      self: transport.self,
      send: (target, message, sizeBytes) => transport.send(target, message, sizeBytes),
      onMessage: (handler) => {
        this.raftHandler = handler;
      },
    };
    transport.onMessage((source, message) => {
      if (isClientMessage(message)) {
        if (message.type === "client-request") this.onClientRequest(message);
        return;
      }
      this.raftHandler?.(source, message);
    });
    this.replica = new Replica(options, { ...dependencies, transport: raftTransport }, this.stateMachine);
  }

  /** The most recent commit latencies measured here (at most COMMIT_LATENCY_SAMPLES_MAX), µs. */
  commitLatencies(): number[] {
    const count = Math.min(this.commitLatencyCount, COMMIT_LATENCY_SAMPLES_MAX);
    return Array.from(this.commitLatenciesUs.subarray(0, count));
  }

  private onClientRequest(request: ClientRequest): void {
    const reply = (ok: boolean, result: unknown, error?: ClientError): void => {
      const response: ClientResponse = ok
        ? { type: "client-response", requestId: request.requestId, ok: true, result, from: this.id }
        : { type: "client-response", requestId: request.requestId, ok: false, error, from: this.id };
      this.dependencies.transport.send(request.replyTo, response, ok ? 128 : 64);
    };
    if (request.kind === "read") {
      this.replica.read((outcome) => {
        if (!outcome.ok) {
          reply(false, undefined, outcome.error);
          return;
        }
        const accounts = (request.payload as { accounts?: readonly string[] } | null)?.accounts;
        reply(true, { outcome: "read", balances: this.stateMachine.ledger.readBalances(accounts) });
      });
      return;
    }
    const submittedUs = this.dependencies.clock.nowUs();
    this.replica.submit({ requestId: request.requestId, command: request.payload }, (outcome) => {
      if (outcome.ok) {
        this.commitLatenciesUs[this.commitLatencyCount++ % COMMIT_LATENCY_SAMPLES_MAX] = this.dependencies.clock.nowUs() - submittedUs;
        reply(true, outcome.result);
      }
      else reply(false, undefined, outcome.error);
    });
  }
}
