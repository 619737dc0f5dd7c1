// What every replica process that answers the client protocol (protocol.ts) does the same way: a
// cell's replica (node.ts) and a control replica (controller/control/node.ts). One wire carries two
// protocols: client requests are the process's own, every other message is Raft's. Pure plumbing,
// no time or randomness: the order messages arrive in is the order they are handled.
import type { Transport } from "../../ground/ports.js";
import type { ClientError, ClientRequest, ClientResponse } from "./protocol.js";
import { isClientMessage } from "./protocol.js";

/**
 * Takes `transport`'s messages: client requests go to `onClientRequest` (client responses addressed
 * here are dropped), everything else to the returned transport's handler, which is Raft's.
 */
export function splitClientWire(transport: Transport, onClientRequest: (request: ClientRequest) => void): Transport {
  let raftHandler: ((source: string, message: unknown) => void) | null = null;
  transport.onMessage((source, message) => {
    if (isClientMessage(message)) {
      if (message.type === "client-request") onClientRequest(message);
      return;
    }
    raftHandler?.(source, message);
  });
  return {
    self: transport.self,
    send: (target, message, sizeBytes) => transport.send(target, message, sizeBytes),
    onMessage: (handler) => {
      raftHandler = handler;
    },
  };
}

/** Answers one client request: a result (`ok`) or an error. */
export type ClientReply = (ok: boolean, result: unknown, error?: ClientError) => void;

/**
 * The reply to `request` from replica `from`, sent to the request's `replyTo` and charged
 * `sizeBytes(ok, result)` on the wire.
 */
export function replyTo(
  transport: Transport,
  request: ClientRequest,
  from: string,
  sizeBytes: (ok: boolean, result: unknown) => number,
): ClientReply {
  return (ok, result, error) => {
    const response: ClientResponse = ok
      ? { type: "client-response", requestId: request.requestId, ok: true, result, from }
      : { type: "client-response", requestId: request.requestId, ok: false, error, from };
    transport.send(request.replyTo, response, sizeBytes(ok, result));
  };
}
