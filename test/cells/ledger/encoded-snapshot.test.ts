// A replica keeps its latest snapshot for a long time: the stepped snapshot is kept as its JSON
// text only (EncodedJson), not as the object with the idempotency window's [id, packed] pairs
// beside the text (issue 15: the pairs were the largest single item of a running world's heap).
import { describe, expect, it } from "vitest";
import { LedgerStateMachine } from "../../../cells/ledger/state-machine.js";
import { EncodedJson, decodedJson, jsonOf } from "../../../cells/encoded-json.js";
import { encodeSnapshotFile, decodeSnapshotFile, snapshotFile } from "../../../cells/storage/storage.js";
import { logIndex, nodeId, term } from "../../../cells/raft/types.js";

function busyMachine(transfers: number, idempotencyWindowEntries = 8): LedgerStateMachine {
  const machine = new LedgerStateMachine({ idempotencyWindowEntries });
  let index = 0;
  const apply = (command: unknown): void => void machine.apply({ index: ++index, term: 1, data: { requestId: `r${index}`, command } });
  apply({ type: "OpenAccount", account: "a", initialBalance: 1_000 });
  apply({ type: "OpenAccount", account: "b", initialBalance: 1_000 });
  for (let i = 0; i < transfers; i++) apply({ type: "Transfer", id: `t${i}`, from: i % 2 ? "a" : "b", to: i % 2 ? "b" : "a", amount: 1 });
  return machine;
}

describe("stepped snapshots are kept encoded", () => {
  it("the result is only its JSON text, equal to the object snapshot's, and restores the same state", () => {
    const machine = busyMachine(20); // past the window of 8: the evicting path
    const task = machine.beginSnapshot();
    while (!task.step(3));
    const result = task.result();
    expect(result).toBeInstanceOf(EncodedJson);
    const expected = JSON.stringify(machine.snapshot());
    // Nothing but the text: no object form beside it.
    expect(Object.values(result).filter((held) => held !== null)).toEqual([expected]);
    expect(jsonOf(result)).toBe(expected);
    expect(JSON.stringify(result)).toBe(expected);
    expect(decodedJson(result)).toEqual(JSON.parse(expected));

    const copy = new LedgerStateMachine({ idempotencyWindowEntries: 8 });
    copy.restore(result);
    expect(copy.headHash).toBe(machine.headHash);
    expect(copy.appliedIndex).toBe(machine.appliedIndex);
    // A retry of a remembered id is still a duplicate after the restore.
    const retry = copy.apply({
      index: copy.appliedIndex + 1,
      term: 1,
      data: { requestId: "again", command: { type: "Transfer", id: "t19", from: "a", to: "b", amount: 1 } },
    });
    expect(retry).toMatchObject({ outcome: "posted", duplicate: true });
  });

  it("the snapshot file of an encoded snapshot is byte-identical to the object's, and corrupt text is refused on restore", () => {
    const machine = busyMachine(5);
    const task = machine.beginSnapshot();
    task.step(Number.POSITIVE_INFINITY);
    const metadata = { index: logIndex(7), term: term(1), voters: [nodeId("a")] };
    const encoded = encodeSnapshotFile({ metadata, data: task.result() });
    expect(encoded).toEqual(encodeSnapshotFile({ metadata, data: machine.snapshot() }));
    expect(decodeSnapshotFile(encoded).data).toEqual(JSON.parse(JSON.stringify(machine.snapshot())));
    const copy = new LedgerStateMachine();
    const bad = EncodedJson.of(
      jsonOf(task.result())
        .replace('"initialBalance"', '"x"')
        .replace(/"headHash":"[0-9a-f]/, '"headHash":"Z'),
    );
    expect(() => copy.restore(bad)).toThrow(/headHash/);
    expect(copy.appliedIndex).toBe(0);
  });

  it("once its file is made, the snapshot held is its text as a view of the file's bytes: one copy, not two", () => {
    const machine = busyMachine(400, 1_024); // a file larger than a codec slab's carving (4 KiB)
    const task = machine.beginSnapshot();
    task.step(Number.POSITIVE_INFINITY);
    const text = jsonOf(task.result());
    const metadata = { index: logIndex(402), term: term(3), voters: [nodeId("a"), nodeId("b")] };
    const file = snapshotFile({ metadata, data: task.result() });
    expect(file.bytes.length).toBeGreaterThan(4_096);
    expect(file.bytes).toEqual(encodeSnapshotFile({ metadata, data: machine.snapshot() }));
    expect(file.held.metadata).toEqual(metadata);
    const held = file.held.data as EncodedJson;
    expect(held).toBeInstanceOf(EncodedJson);
    expect(held.utf8Bytes().buffer).toBe(file.bytes.buffer);
    expect(Object.values(held).filter((part) => part !== null)).toHaveLength(1); // the bytes only, no string
    expect(held.json).toBe(text);
    expect(held.size).toBe(text.length);
    expect(JSON.stringify(held)).toBe(text);
    // What is held writes the same file again, and what the file decodes to restores the same state.
    expect(encodeSnapshotFile(file.held)).toEqual(file.bytes);
    expect(decodeSnapshotFile(file.bytes).data).toEqual(JSON.parse(text));
    const copy = new LedgerStateMachine({ idempotencyWindowEntries: 1_024 });
    copy.restore(held);
    expect(copy.headHash).toBe(machine.headHash);
  });

  it("a small snapshot file (carved from a shared slab) is not held as a view: that would keep the slab alive", () => {
    const machine = busyMachine(1);
    const task = machine.beginSnapshot();
    task.step(Number.POSITIVE_INFINITY);
    const snapshot = { metadata: { index: logIndex(3), term: term(1), voters: [nodeId("a")] }, data: task.result() };
    const file = snapshotFile(snapshot);
    expect(file.bytes.byteLength).toBeLessThan(file.bytes.buffer.byteLength);
    expect(file.held).toBe(snapshot);
    expect(file.bytes).toEqual(encodeSnapshotFile({ metadata: snapshot.metadata, data: machine.snapshot() }));
  });
});
