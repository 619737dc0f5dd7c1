// Codec: frames detect torn and damaged bytes; entries and messages round-trip.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodecError, decodeEntries, decodeFrame, decodeMessage, encodeEntries, encodeFrame, encodeMessage } from "../../cells/raft/codec.js";
import { crc32, crc32Table } from "../../cells/raft/crc32.js";
import type { Entry, Message } from "../../cells/raft/types.js";
import { logIndex, nodeId, term } from "../../cells/raft/types.js";

describe("codec", () => {
  it("crc32 matches the standard check value", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    expect(crc32Table(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
  });

  it("the native crc32 and the table-driven reference agree on every range (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const start = bytes.length === 0 ? 0 : a % (bytes.length + 1);
        const end = start + (bytes.length - start === 0 ? 0 : b % (bytes.length - start + 1));
        expect(crc32(bytes, start, end)).toBe(crc32Table(bytes, start, end));
      }),
      { seed: 3, numRuns: 300 },
    );
  });

  it("round-trips entries with large terms and indexes", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ term: fc.nat(), index: fc.nat(), kind: fc.constantFrom("normal", "noop", "config"), data: fc.jsonValue() }), { maxLength: 20 }), (raw) => {
        const entries = raw.map((entry) => ({ ...entry, term: term(entry.term * 1000), index: logIndex(entry.index * 1000) })) as Entry[];
        const shape = (list: Entry[]) => list.map((entry) => [entry.term, entry.index, entry.kind, JSON.stringify(entry.data)]);
        expect(shape(decodeEntries(encodeEntries(entries)))).toEqual(shape(entries));
      }),
      { numRuns: 100 },
    );
  });

  it("round-trips a message and rejects a flipped bit or a cut frame", () => {
    const message: Message = {
      type: "append",
      from: nodeId("a"),
      to: nodeId("b"),
      term: term(3),
      index: logIndex(7),
      logTerm: term(2),
      commit: logIndex(6),
      entries: [{ term: term(3), index: logIndex(8), kind: "normal", data: { requestId: "r1", command: { amount: 5 } } }],
    };
    const bytes = encodeMessage(message);
    expect(decodeMessage(bytes).message).toEqual(message);
    const damaged = bytes.slice();
    damaged[bytes.length - 3] = (damaged[bytes.length - 3] as number) ^ 4;
    expect(() => decodeMessage(damaged)).toThrow(expect.objectContaining({ code: "CHECKSUM" }));
    expect(() => decodeMessage(bytes.subarray(0, bytes.length - 1))).toThrow(expect.objectContaining({ code: "TORN" }));
  });

  it("refuses a frame that claims an absurd length instead of allocating it", () => {
    const frame = encodeFrame(1, new Uint8Array([1, 2, 3]));
    new DataView(frame.buffer).setUint32(0, 0xffffffff);
    expect(() => decodeFrame(frame, 0)).toThrow(CodecError);
  });
});
