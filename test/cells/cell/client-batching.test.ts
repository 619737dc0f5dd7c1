import { describe, expect, it } from "vitest";
import { BATCH_WAIT_GROWTH_MAX, CellClient, type BatchingOptions, type CellOutcome } from "../../../cells/cell/client.js";
import { decodeBatch } from "../../../cells/ledger/codec.js";
import type { ClientRequest, ClientResponse } from "../../../cells/cell/protocol.js";
import { createRandom } from "../../../ground/random.js";
import type { Transport } from "../../../ground/ports.js";
import { ManualClock } from "../../ground/manual-clock.js";

/** A hand-driven clock and a transport that records what the client sends. */
function harness(batching: BatchingOptions) {
  const clock = new ManualClock();
  const sent: { target: string; request: ClientRequest }[] = [];
  let deliver: (source: string, message: unknown) => void = () => undefined;
  const transport: Transport = {
    self: "client/a",
    send: (target, message) => sent.push({ target, request: message as ClientRequest }),
    onMessage: (handler) => (deliver = handler),
  };
  const client = new CellClient(
    {
      cells: new Map([["cell-1", ["r1", "r2", "r3"]]]),
      attemptTimeoutUs: 100_000,
      requestTimeoutUs: 1_000_000,
      inflightRequestsMax: 100,
      retryBackoffUs: 1_000,
      batching,
    },
    { clock, random: createRandom(7), transport },
  );
  const advance = (us: number): void => clock.advance(us);
  const answer = (index: number, from = "r1"): void => {
    const request = sent[index]?.request as ClientRequest;
    const batch = decodeBatch(request.payload as Uint8Array);
    const response: ClientResponse = {
      type: "client-response",
      requestId: request.requestId,
      ok: true,
      result: {
        requestId: request.requestId,
        outcomes: batch.commands.map((command) => ({
          requestId: request.requestId,
          id: (command as { id: string }).id,
          outcome: "posted",
          duplicate: false,
        })),
      },
      from,
    };
    deliver(from, response);
  };
  const outcomes = new Map<string, CellOutcome>();
  const transfer = (id: string): void =>
    client.submit("cell-1", `req-${id}`, "command", { type: "Transfer", id, from: "a", to: "b", amount: 1 }, (outcome) =>
      outcomes.set(id, outcome),
    );
  return { client, sent, advance, answer, outcomes, transfer, deliver: (source: string, message: unknown) => deliver(source, message) };
}

const ids = (request: ClientRequest | undefined): string[] =>
  decodeBatch(request?.payload as Uint8Array).commands.map((command) => (command as { id: string }).id);

describe("CellClient coalescing", () => {
  it("sends a lone command at once, and commands arriving while it is unanswered together when it is answered", () => {
    const h = harness({ waitUs: 1_000, commandsMax: 64, bytesMax: 65_536, eagerInflightMax: 1 });
    h.transfer("t1");
    expect(h.sent.map((s) => ids(s.request))).toEqual([["t1"]]);
    h.transfer("t2");
    h.transfer("t3");
    h.transfer("t4");
    expect(h.sent).toHaveLength(1);
    h.answer(0);
    expect(h.sent.map((s) => ids(s.request))).toEqual([["t1"], ["t2", "t3", "t4"]]);
    h.answer(1);
    expect([...h.outcomes].map(([id, outcome]) => [id, outcome.ok && (outcome.result as { id: string }).id])).toEqual([
      ["t1", "t1"],
      ["t2", "t2"],
      ["t3", "t3"],
      ["t4", "t4"],
    ]);
    expect(h.client.inflight).toBe(0);
    expect([h.client.batchesSent, h.client.commandsSent]).toEqual([2, 4]);
  });

  it("waits at most waitUs for batch-mates", () => {
    const h = harness({ waitUs: 1_000, commandsMax: 64, bytesMax: 65_536, eagerInflightMax: 1 });
    h.transfer("t1");
    h.transfer("t2");
    h.advance(999);
    expect(h.sent).toHaveLength(1);
    h.advance(1);
    expect(h.sent.map((s) => ids(s.request))).toEqual([["t1"], ["t2"]]);
  });

  it("waits longer with more batches unanswered (load-adaptive), at most BATCH_WAIT_GROWTH_MAX x waitUs", () => {
    const h = harness({ waitUs: 1_000, commandsMax: 64, bytesMax: 65_536, eagerInflightMax: 1 });
    h.transfer("t1"); // eager: nothing unanswered
    h.transfer("t2"); // one unanswered: waits waitUs, as at low load
    h.advance(1_000);
    expect(h.sent).toHaveLength(2);
    h.transfer("t3"); // two unanswered: waits 2 x waitUs
    h.advance(1_999);
    expect(h.sent).toHaveLength(2);
    h.advance(1);
    expect(h.sent.map((s) => ids(s.request))).toEqual([["t1"], ["t2"], ["t3"]]);
    for (const id of ["t4", "t5", "t6"]) {
      h.transfer(id);
      h.advance(1_000 * BATCH_WAIT_GROWTH_MAX);
    }
    // Five unanswered: the wait stays at the bound.
    h.transfer("t7");
    h.transfer("t8");
    h.advance(1_000 * BATCH_WAIT_GROWTH_MAX - 1);
    expect(ids(h.sent.at(-1)?.request)).toEqual(["t6"]);
    h.advance(1);
    expect(ids(h.sent.at(-1)?.request)).toEqual(["t7", "t8"]);
  });

  it("bounds a batch by commandsMax and by bytesMax", () => {
    const byCount = harness({ waitUs: 1_000, commandsMax: 2, bytesMax: 65_536, eagerInflightMax: 1 });
    for (const id of ["t1", "t2", "t3", "t4", "t5"]) byCount.transfer(id);
    expect(byCount.sent.map((s) => ids(s.request))).toEqual([["t1"], ["t2", "t3"], ["t4", "t5"]]);
    const byBytes = harness({ waitUs: 1_000, commandsMax: 64, bytesMax: 120, eagerInflightMax: 1 });
    for (const id of ["t1", "t2", "t3", "t4", "t5", "t6", "t7"]) byBytes.transfer(id);
    for (const s of byBytes.sent) expect((s.request.payload as Uint8Array).length).toBeLessThanOrEqual(120);
    expect(byBytes.sent.length).toBeGreaterThan(2);
  });

  it("waitUs 0 turns coalescing off: every command is its own batch", () => {
    const h = harness({ waitUs: 0, commandsMax: 64, bytesMax: 65_536, eagerInflightMax: 1 });
    for (const id of ["t1", "t2", "t3"]) h.transfer(id);
    expect(h.sent.map((s) => ids(s.request))).toEqual([["t1"], ["t2"], ["t3"]]);
  });

  it("retries a batch with the same request id and bytes, following a NotLeader hint", () => {
    const h = harness({ waitUs: 1_000, commandsMax: 64, bytesMax: 65_536, eagerInflightMax: 1 });
    h.transfer("t1");
    const first = h.sent[0]?.request as ClientRequest;
    h.deliver("r1", {
      type: "client-response",
      requestId: first.requestId,
      ok: false,
      error: { code: "NOT_LEADER", leaderHint: "r3" },
      from: "r1",
    } satisfies ClientResponse);
    expect(h.sent[1]?.target).toBe("r3");
    expect(h.sent[1]?.request.requestId).toBe(first.requestId);
    expect(h.sent[1]?.request.payload).toBe(first.payload);
  });

  it("an error answer reaches every command of the batch; a crash ends waiting ones as unknown", () => {
    const h = harness({ waitUs: 1_000, commandsMax: 64, bytesMax: 65_536, eagerInflightMax: 1 });
    h.transfer("t1");
    h.transfer("t2");
    h.client.abandonAll("crashed");
    expect([...h.outcomes].map(([id, outcome]) => [id, outcome.ok ? "ok" : outcome.error.code])).toEqual([
      ["t2", "TIMEOUT"],
      ["t1", "TIMEOUT"],
    ]);
  });

  it("sends a caller's own batch as it is, linked flag included, and answers with every outcome", () => {
    const h = harness({ waitUs: 1_000, commandsMax: 64, bytesMax: 65_536, eagerInflightMax: 1 });
    let answered: CellOutcome | null = null;
    h.client.submit(
      "cell-1",
      "mine",
      "batch",
      {
        linked: true,
        commands: [
          { type: "Transfer", id: "x1", from: "a", to: "b", amount: 1 },
          { type: "Transfer", id: "x2", from: "b", to: "a", amount: 1 },
        ],
      },
      (outcome) => (answered = outcome),
    );
    const request = h.sent[0]?.request as ClientRequest;
    expect(request.kind).toBe("batch");
    expect(decodeBatch(request.payload as Uint8Array).linked).toBe(true);
    h.answer(0);
    expect(
      (answered as CellOutcome | null)?.ok && (answered as unknown as { result: { outcomes: unknown[] } }).result.outcomes.length,
    ).toBe(2);
    let refused: CellOutcome | null = null;
    h.client.submit("cell-1", "bad", "batch", { linked: true, commands: [{ type: "ReadBalances" }] }, (outcome) => (refused = outcome));
    expect(refused).toMatchObject({ ok: false, error: { code: "INVALID" } });
  });
});

describe("CellClient and cross-cell transfers", () => {
  it("refuses a transfer to a cell it does not know before anything is sent (no debit)", () => {
    const h = harness({ waitUs: 1_000, commandsMax: 64, bytesMax: 65_536, eagerInflightMax: 1 });
    let refused: CellOutcome | undefined;
    h.client.submit(
      "cell-1",
      "req-x",
      "command",
      { type: "TransferOut", id: "x", from: "a", to: "z", toCell: "cell-9", amount: 1 },
      (outcome) => {
        refused = outcome;
      },
    );
    expect(refused).toMatchObject({ ok: false, error: { code: "INVALID", message: expect.stringContaining("payload.toCell") } });
    expect(h.sent).toHaveLength(0);
    expect(h.client.inflight).toBe(0);
  });
});
