// A control replica process: the Raft replica of cells/replica.ts driving the control state
// machine (state-machine.ts), plus its client side over the same wire protocol as a cell's
// (cells/cell/protocol.ts): a `command` request is one control command proposed as one entry and
// answered once applied; a `read` is a linearizable read (ReadIndex) of the routing version.
import type { Clock, Disk, Log, Random, Transport } from "../../ground/ports.js";
import { Replica, type ReplicaOptions, type ReplicaStatus } from "../../cells/replica.js";
import type { ClientError, ClientRequest, ClientResponse } from "../../cells/cell/protocol.js";
import { isClientMessage } from "../../cells/cell/protocol.js";
import { ControlStateMachine, isControlCommand } from "./state-machine.js";

export interface ControlNodeDependencies {
  readonly clock: Clock;
  readonly random: Random;
  readonly transport: Transport;
  readonly disk: Disk;
  readonly log: Log;
}

/** Bytes a control command is charged on the simulated wire (audit entries dominate). */
export function controlMessageBytes(payload: unknown): number {
  const audit = (payload as { audit?: readonly unknown[]; entries?: readonly unknown[] } | null) ?? {};
  return 256 + 256 * ((audit.audit?.length ?? 0) + (audit.entries?.length ?? 0));
}

export class ControlNode {
  readonly stateMachine = new ControlStateMachine();
  readonly replica: Replica;
  private raftHandler: ((source: string, message: unknown) => void) | null = null;

  constructor(
    readonly id: string,
    options: ReplicaOptions,
    private readonly dependencies: ControlNodeDependencies,
  ) {
    const transport = dependencies.transport;
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

  status(): ReplicaStatus {
    return this.replica.status();
  }

  private onClientRequest(request: ClientRequest): void {
    const reply = (ok: boolean, result: unknown, error?: ClientError): void => {
      const response: ClientResponse = ok
        ? { type: "client-response", requestId: request.requestId, ok: true, result, from: this.id }
        : { type: "client-response", requestId: request.requestId, ok: false, error, from: this.id };
      this.dependencies.transport.send(request.replyTo, response, 128);
    };
    if (request.kind === "read") {
      this.replica.read((outcome) => {
        if (!outcome.ok) reply(false, undefined, outcome.error);
        else reply(true, { index: outcome.index, routingVersion: this.stateMachine.routing?.version ?? null });
      });
      return;
    }
    const command = request.payload;
    if (request.kind !== "command" || !isControlCommand(command) || command.requestId !== request.requestId) {
      reply(false, undefined, { code: "INVALID", message: "payload: expected a control command carrying the request's id" });
      return;
    }
    this.replica.submit(command, (outcome) => {
      if (outcome.ok) reply(true, outcome.result);
      else reply(false, undefined, outcome.error);
    });
  }
}
