// A control replica process: the Raft replica of cells/replica.ts driving the control state
// machine (state-machine.ts), plus its client side over the same wire protocol as a cell's
// (cells/cell/protocol.ts): a `command` request is one control command proposed as one entry and
// answered once applied; a `read` is a linearizable read (ReadIndex) of the routing version.
import type { Clock, Disk, Log, Random, Transport } from "../../ground/ports.js";
import { Replica, type ReplicaOptions, type ReplicaStatus } from "../../cells/replica.js";
import type { ClientRequest } from "../../cells/cell/protocol.js";
import { replyTo, splitClientWire } from "../../cells/cell/serving.js";
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

  constructor(
    readonly id: string,
    options: ReplicaOptions,
    private readonly dependencies: ControlNodeDependencies,
  ) {
    const raftTransport = splitClientWire(dependencies.transport, (request) => this.onClientRequest(request));
    this.replica = new Replica(options, { ...dependencies, transport: raftTransport }, this.stateMachine);
  }

  status(): ReplicaStatus {
    return this.replica.status();
  }

  private onClientRequest(request: ClientRequest): void {
    const reply = replyTo(this.dependencies.transport, request, this.id, () => 128);
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
