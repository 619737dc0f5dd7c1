// The wire plumbing a cell replica and a control replica share (cells/cell/serving.ts): client
// requests reach the process, client responses addressed to it are dropped, everything else
// reaches Raft; a reply carries the request's id and the answering replica, sized by its caller.
import { describe, expect, it } from "vitest";
import type { Transport } from "../../../ground/ports.js";
import type { ClientRequest } from "../../../cells/cell/protocol.js";
import { replyTo, splitClientWire } from "../../../cells/cell/serving.js";

function fakeTransport() {
  let handler: ((source: string, message: unknown) => void) | null = null;
  const sent: { target: string; message: unknown; sizeBytes: number | undefined }[] = [];
  const transport: Transport = {
    self: "r1",
    send: (target, message, sizeBytes) => sent.push({ target, message, sizeBytes }),
    onMessage: (installed) => {
      handler = installed;
    },
  };
  return { transport, sent, deliver: (source: string, message: unknown) => handler?.(source, message) };
}

const request: ClientRequest = { type: "client-request", requestId: "q-1", kind: "read", payload: null, replyTo: "gw" };

describe("splitClientWire", () => {
  it("hands client requests to the process, Raft messages to Raft, and drops stray client responses", () => {
    const wire = fakeTransport();
    const requests: ClientRequest[] = [];
    const raft: [string, unknown][] = [];
    const raftTransport = splitClientWire(wire.transport, (received) => requests.push(received));
    raftTransport.onMessage((source, message) => raft.push([source, message]));
    wire.deliver("gw", request);
    wire.deliver("r2", { type: "append-entries", term: 3 });
    wire.deliver("r2", { type: "client-response", requestId: "q-0", ok: true, from: "r2" });
    expect(requests).toEqual([request]);
    expect(raft).toEqual([["r2", { type: "append-entries", term: 3 }]]);
    raftTransport.send("r3", { type: "vote" }, 40);
    expect(raftTransport.self).toBe("r1");
    expect(wire.sent).toEqual([{ target: "r3", message: { type: "vote" }, sizeBytes: 40 }]);
  });
});

describe("replyTo", () => {
  it("answers to the request's replyTo with its id and the replica's, a result or an error, sized by the caller", () => {
    const wire = fakeTransport();
    const reply = replyTo(wire.transport, request, "r1", (ok, result) => (ok ? 100 + Number(result) : 7));
    reply(true, 5);
    reply(false, undefined, { code: "NOT_LEADER", leaderHint: "r2" });
    expect(wire.sent).toEqual([
      { target: "gw", message: { type: "client-response", requestId: "q-1", ok: true, result: 5, from: "r1" }, sizeBytes: 105 },
      {
        target: "gw",
        message: { type: "client-response", requestId: "q-1", ok: false, error: { code: "NOT_LEADER", leaderHint: "r2" }, from: "r1" },
        sizeBytes: 7,
      },
    ]);
  });
});
