// Codec: frames detect torn and damaged bytes; entries and messages round-trip.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  allocBytes,
  CodecError,
  decodeEntries,
  decodeFrame,
  decodeMessage,
  encodeEntries,
  encodeFrame,
  encodeJson,
  encodeMessage,
  entryBytes,
  entryDataBytes,
  utf8Bytes,
} from "../../../cells/raft/codec.js";
import { decodeRecord, encodeRecord, encodeRecords, type WalRecord } from "../../../cells/storage/records.js";
import { crc32, crc32Table } from "../../../cells/raft/crc32.js";
import type { Entry, Message } from "../../../cells/raft/types.js";
import { logIndex, nodeId, term } from "../../../cells/raft/types.js";

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
      fc.property(
        fc.array(fc.record({ term: fc.nat(), index: fc.nat(), kind: fc.constantFrom("normal", "noop", "config"), data: fc.jsonValue() }), {
          maxLength: 20,
        }),
        (raw) => {
          const entries = raw.map((entry) => ({ ...entry, term: term(entry.term * 1000), index: logIndex(entry.index * 1000) })) as Entry[];
          const shape = (list: Entry[]) => list.map((entry) => [entry.term, entry.index, entry.kind, JSON.stringify(entry.data)]);
          expect(shape(decodeEntries(encodeEntries(entries)))).toEqual(shape(entries));
        },
      ),
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
    new DataView(frame.buffer, frame.byteOffset, frame.byteLength).setUint32(0, 0xffffffff);
    expect(() => decodeFrame(frame, 0)).toThrow(CodecError);
  });

  it("slab-carved bytes are zeroed views that never overlap, and big ones get a buffer of their own", () => {
    const views = Array.from({ length: 200 }, (_, i) => allocBytes(1 + ((i * 37) % 900)));
    for (const view of views) expect(view.every((byte) => byte === 0)).toBe(true);
    views.forEach((view, i) => view.fill((i % 255) + 1));
    views.forEach((view, i) => expect(view.every((byte) => byte === (i % 255) + 1)).toBe(true));
    const big = allocBytes(100_000);
    expect(big.byteOffset).toBe(0);
    expect(big.buffer.byteLength).toBe(100_000);
  });

  it("utf8Bytes is TextEncoder's encoding for any string, and frames built on shared slabs decode (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "binary", maxLength: 2000 }), { minLength: 1, maxLength: 8 }), (texts) => {
        const frames = texts.map((text) => encodeFrame(7, utf8Bytes(text)));
        frames.forEach((frame, i) => {
          expect(utf8Bytes(texts[i] as string)).toEqual(new TextEncoder().encode(texts[i] as string));
          const decoded = decodeFrame(frame, 0);
          expect(decoded.end).toBe(frame.length);
          expect(new TextDecoder().decode(decoded.payload)).toBe(new TextDecoder().decode(new TextEncoder().encode(texts[i] as string)));
        });
      }),
    );
  });

  it("a WAL append's records in one allocation are the records' frames back to back (property)", () => {
    const record = fc.oneof(
      fc.record({
        kind: fc.constant("hardState" as const),
        hardState: fc.record({
          term: fc.nat().map(term),
          vote: fc.option(fc.constantFrom("a", "b").map(nodeId)),
          commit: fc.nat().map(logIndex),
        }),
      }),
      fc.record({ kind: fc.constant("snapshotMark" as const), index: fc.nat().map(logIndex), term: fc.nat().map(term) }),
      fc
        .array(fc.record({ kind: fc.constantFrom("normal" as const, "noop" as const), data: fc.jsonValue() }), {
          minLength: 1,
          maxLength: 5,
        })
        .map((entries) => ({
          kind: "entries" as const,
          entries: entries.map((e, i) => ({ kind: e.kind, term: term(1), index: logIndex(i + 1), data: e.data })),
        })),
    );
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 4 }), (records: WalRecord[]) => {
        const together = encodeRecords(records);
        const separately = records.map(encodeRecord);
        expect(together).toEqual(new Uint8Array(separately.flatMap((bytes) => [...bytes])));
        let offset = 0;
        for (const expected of records) {
          const frame = decodeFrame(together, offset);
          expect(decodeRecord(frame.type, frame.payload)).toEqual(JSON.parse(JSON.stringify(expected)) as WalRecord);
          offset = frame.end;
        }
        expect(offset).toBe(together.length);
      }),
    );
    expect(encodeJson({ a: 1 })).toEqual(new TextEncoder().encode('{"a":1}'));
  });
});

describe("log entries' bytes (issue 15: memory)", () => {
  it("are not carved from the slab shared with messages, which a kept entry would pin whole", () => {
    const shared = allocBytes(8).buffer;
    const entries = decodeEntries(encodeEntries([{ kind: "normal", term: term(1), index: logIndex(1), data: Uint8Array.from([1, 2, 3]) }]));
    const data = (entries[0] as Entry).data as Uint8Array;
    expect(Array.from(data)).toEqual([1, 2, 3]);
    expect(data.buffer).not.toBe(shared);
    expect(entryBytes(Uint8Array.from([4])).buffer).toBe(data.buffer);
  });

  it("a JSON entry's cached encoding has a buffer of its own: it lives as long as the entry, and a slab view would keep 64 KiB alive with it", () => {
    const entry = { kind: "normal" as const, term: term(1), index: logIndex(1), data: { command: "renew", lease: "f-1" } };
    const bytes = entryDataBytes(entry);
    expect(JSON.parse(new TextDecoder().decode(bytes))).toEqual(entry.data);
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.buffer.byteLength).toBe(bytes.byteLength);
    expect(entryDataBytes(entry)).toBe(bytes); // cached
  });
});
