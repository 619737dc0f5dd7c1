// The five replicas of a simulated cell share one entry's bytes and decode them once between them;
// the decodings are kept for a bounded number of batches, not for as long as the log keeps the
// entry (issue 15: ~450 bytes per entry over 30 logs).
import { describe, expect, it } from "vitest";
import { BATCH_DECODINGS_KEPT, batchEntryBytes, decodeBatchCached, encodeBatch } from "../../../cells/ledger/codec.js";

const batch = (requestId: string) =>
  encodeBatch({ requestId, linked: false, commands: [{ type: "Transfer", id: `t-${requestId}`, from: "a", to: "b", amount: 5 }] });

describe("batch decodings", () => {
  it("the same bytes decode to the same batch (shared by the replicas); an entry's copy takes the decoding over", () => {
    const wire = batch("r-1");
    const decoded = decodeBatchCached(wire);
    expect(decodeBatchCached(wire)).toBe(decoded);
    const entry = batchEntryBytes(wire);
    expect(entry).not.toBe(wire);
    expect(decodeBatchCached(entry)).toBe(decoded);
    // The wire bytes (a view of a shared slab) are no longer a key: decoded afresh, equal.
    const again = decodeBatchCached(wire);
    expect(again).not.toBe(decoded);
    expect(again).toEqual(decoded);
  });

  it("keeps at most BATCH_DECODINGS_KEPT decodings: the oldest is decoded again, to an equal batch", () => {
    const first = batchEntryBytes(batch("first"));
    const decoded = decodeBatchCached(first);
    const recent: Uint8Array[] = [];
    for (let i = 0; i < BATCH_DECODINGS_KEPT; i++) {
      const bytes = batchEntryBytes(batch(`r${i}`));
      decodeBatchCached(bytes);
      recent.push(bytes);
    }
    const last = recent[recent.length - 1] as Uint8Array;
    expect(decodeBatchCached(last)).toBe(decodeBatchCached(last));
    const redecoded = decodeBatchCached(first);
    expect(redecoded).not.toBe(decoded);
    expect(redecoded).toEqual(decoded);
    expect(redecoded.requestId).toBe("first");
  });
});
