// A replica keeps its latest snapshot for a long time: the stepped snapshot is kept as its JSON
// text only (EncodedJson), not as the object with the idempotency window's [id, packed] pairs
// beside the text (issue 15: the pairs were the largest single item of a running world's heap).
import { describe, expect, it } from "vitest";
import { LedgerStateMachine } from "../../../cells/ledger/state-machine.js";
import { EncodedJson, decodedJson, jsonOf } from "../../../cells/encoded-json.js";
import { encodeSnapshotFile, decodeSnapshotFile } from "../../../cells/storage/storage.js";
import { logIndex, nodeId, term } from "../../../cells/raft/types.js";

function busyMachine(transfers: number): LedgerStateMachine {
  const machine = new LedgerStateMachine({ idempotencyWindowEntries: 8 });
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
    expect(Object.keys(result)).toEqual(["json"]);
    const expected = JSON.stringify(machine.snapshot());
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
    const bad = new EncodedJson(
      jsonOf(task.result())
        .replace('"initialBalance"', '"x"')
        .replace(/"headHash":"[0-9a-f]/, '"headHash":"Z'),
    );
    expect(() => copy.restore(bad)).toThrow(/headHash/);
    expect(copy.appliedIndex).toBe(0);
  });
});
