// A client transport that fails fast on a replica the supervisor knows cannot answer (its
// process is not running, or the link from this client is cut): the request is answered at
// once with UNAVAILABLE, as a real RPC client sees a refused connection. Without it the proxy
// hides the refusal (its queue just waits for a redial) and the client spends a whole attempt
// timeout on a dead replica before trying the next one.
import type { Transport } from "../../ground/ports.js";
import type { ClientResponse } from "../../cells/cell/protocol.js";

export function failFastTransport(inner: Transport, usable: (target: string) => boolean): Transport {
  let handler: ((source: string, message: unknown) => void) | null = null;
  return {
    self: inner.self,
    onMessage(next) {
      handler = next;
      inner.onMessage(next);
    },
    send(target, message, sizeBytes) {
      const request = message as { type?: unknown; requestId?: unknown };
      if (request?.type === "client-request" && typeof request.requestId === "string" && !usable(target)) {
        const refused: ClientResponse = {
          type: "client-response",
          requestId: request.requestId,
          ok: false,
          error: { code: "UNAVAILABLE", message: `${target}: connection refused` },
          from: target,
        };
        // Never re-entrant: the client arms its attempt timer after send() returns.
        setImmediate(() => handler?.(target, refused));
        return;
      }
      inner.send(target, message, sizeBytes);
    },
  };
}
