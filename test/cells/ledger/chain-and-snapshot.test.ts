import { describe, expect, it } from "vitest";
import { LedgerError } from "../../../cells/ledger/errors.js";
import { chainHash, GENESIS_HASH } from "../../../cells/ledger/hash-chain.js";
import { Ledger } from "../../../cells/ledger/ledger.js";
import { LedgerStateMachine } from "../../../cells/ledger/state-machine.js";
import { jsonOf } from "../../../cells/encoded-json.js";
import type { ChainLink } from "../../../cells/ledger/event-store.js";

function busyLedger(transfers: number, options: ConstructorParameters<typeof Ledger>[0] = {}): Ledger {
  const ledger = new Ledger(options);
  ledger.execute({ type: "OpenAccount", account: "a", initialBalance: 1_000_000 });
  ledger.execute({ type: "OpenAccount", account: "b", initialBalance: 1_000_000 });
  for (let i = 0; i < transfers; i++)
    ledger.execute({ type: "Transfer", id: `t${i}`, from: i % 2 === 0 ? "a" : "b", to: i % 2 === 0 ? "b" : "a", amount: 1 + (i % 5) });
  return ledger;
}

describe("hash chain", () => {
  it("links every event to its predecessor from the genesis hash", () => {
    const ledger = busyLedger(5);
    const events = ledger.events();
    expect(events[0].previousHash).toBe(GENESIS_HASH);
    for (let i = 1; i < events.length; i++) expect(events[i].previousHash).toBe(events[i - 1].hash);
    expect(events[3].hash).toBe(chainHash(events[2].hash, [events[3].event]));
    expect(ledger.headHash).toBe(events.at(-1)?.hash);
    expect(ledger.hashAt(3)).toBe(events[3].hash);
    expect(ledger.hashAt(ledger.eventCount)).toBeUndefined();
  });

  it("the encoding is unambiguous: moving a character between fields changes the hash", () => {
    const one = chainHash(GENESIS_HASH, [{ type: "TransferPosted", id: "t", from: "ab", to: "c", amount: 1 }]);
    const two = chainHash(GENESIS_HASH, [{ type: "TransferPosted", id: "t", from: "a", to: "bc", amount: 1 }]);
    expect(one).not.toBe(two);
  });

  it("keeps a bounded window of events, answers hashAt from checkpoints beyond it, and still verifies", () => {
    const ledger = busyLedger(200, { eventsRetainedMax: 16, checkpointEventsInterval: 32 });
    const full = busyLedger(200);
    expect(ledger.events().length).toBeLessThan(32);
    expect(ledger.events().length).toBeGreaterThanOrEqual(16);
    expect(ledger.firstRetainedEventIndex).toBe(ledger.eventCount - ledger.events().length);
    expect(ledger.hashAt(31)).toBe(full.hashAt(31));
    expect(ledger.hashAt(30)).toBeUndefined();
    expect(ledger.checkpoints().map((checkpoint) => checkpoint.eventCount)).toEqual([32, 64, 96, 128, 160, 192]);
    expect(ledger.headHash).toBe(full.headHash);
    expect(ledger.verify()).toEqual({ ok: true, eventsChecked: ledger.events().length });
  });

  it("keeps only the newest checkpoints when bounded (a world that runs for days), and still compares and restores by them", () => {
    const options = { eventsRetainedMax: 16, checkpointEventsInterval: 32, checkpointsRetainedMax: 2 };
    const ledger = busyLedger(400, options);
    const full = busyLedger(400, { checkpointEventsInterval: 32 });
    // 402 events: checkpoints at 32, 64, ..., 384; at 4 kept the oldest half goes (2 to 3 kept).
    const counts = ledger.checkpoints().map((checkpoint) => checkpoint.eventCount);
    expect(counts).toEqual([352, 384]);
    expect(full.checkpoints()).toHaveLength(12);
    for (const count of counts) expect(ledger.hashAt(count - 1)).toBe(full.hashAt(count - 1));
    expect(ledger.hashAt(319)).toBeUndefined();
    expect(ledger.verify()).toEqual({ ok: true, eventsChecked: ledger.events().length });
    const restored = Ledger.fromSnapshot(JSON.parse(JSON.stringify(ledger.snapshot())), options);
    expect(restored.checkpoints()).toEqual(ledger.checkpoints());
  });

  it("detects a tampered event by its link's hash, and a re-hashed one by the broken link to its successor", () => {
    const ledger = busyLedger(10);
    const store = (ledger as unknown as { store: { links(): ChainLink[]; eventBodies(): { amount: number }[]; linkHashes: Uint8Array } })
      .store;
    const bodies = store.eventBodies();
    (bodies[4] as { amount: number }).amount = 999;
    expect(ledger.verify()).toMatchObject({ ok: false, code: "EVENT_HASH_MISMATCH", eventIndex: 4 });
    // Re-hash the tampered event's link (as memory corruption or an attacker would), in the store's own bytes.
    const links = store.links();
    const at = links.findIndex((one) => one.firstIndex === 4);
    const rehashed = chainHash((links[at] as ChainLink).previousHash, [bodies[4] as never]);
    store.linkHashes.set(Buffer.from(rehashed, "hex"), at * 32);
    expect(store.links()[at]?.hash).toBe(rehashed);
    expect(store.links()[at + 1]?.previousHash).toBe(rehashed);
    expect(ledger.verify()).toMatchObject({ ok: false, code: "EVENT_HASH_MISMATCH", eventIndex: 5 });
  });

  it("lists posted transfers for the durability checker", () => {
    const ledger = busyLedger(3);
    ledger.execute({ type: "Transfer", id: "too-much", from: "b", to: "a", amount: 10 ** 9 });
    expect([...ledger.transfersApplied()].map((transfer) => transfer.id)).toEqual(["t0", "t1", "t2"]);
  });
});

describe("snapshots", () => {
  it("refuses a snapshot whose content no longer matches its checksum", () => {
    const snapshot = JSON.parse(JSON.stringify(busyLedger(10).snapshot()));
    snapshot.accounts[0][1] += 5;
    snapshot.openedTotal += 5;
    expect(() => Ledger.fromSnapshot(snapshot)).toThrow(/snapshot\.checksum/);
  });

  it("names the bad field of a malformed snapshot", () => {
    const snapshot = JSON.parse(JSON.stringify(busyLedger(2).snapshot()));
    snapshot.accounts[1] = ["b", -1];
    try {
      Ledger.fromSnapshot(snapshot);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(LedgerError);
      expect((error as LedgerError).code).toBe("SNAPSHOT_INVALID");
      expect((error as LedgerError).field).toBe("snapshot.accounts[1]");
    }
  });

  it("a snapshot built in steps is the state at its start, whatever is executed meanwhile, and its attached JSON is JSON.stringify's", () => {
    const ledger = busyLedger(50, { checkpointEventsInterval: 8 });
    const expected = JSON.stringify(busyLedger(50, { checkpointEventsInterval: 8 }).snapshot());
    const builder = ledger.beginSnapshot();
    let steps = 0;
    for (let i = 0; !builder.step(7); i++) {
      steps++;
      // Keeps going between steps: new ids, new balances, new checkpoints.
      ledger.execute({ type: "Transfer", id: `later${i}`, from: "a", to: "b", amount: 1 });
      ledger.execute({ type: "OpenAccount", account: `new${i}` });
    }
    expect(steps).toBe(7); // 50 ids, 7 per step
    const snapshot = builder.result();
    expect(JSON.stringify(snapshot)).toBe(expected);
    expect(jsonOf(snapshot)).toBe(expected);
    // It verifies (checksum included) and restores to the state at its start.
    const restored = Ledger.fromSnapshot(JSON.parse(jsonOf(snapshot)));
    expect(restored.headHash).toBe(busyLedger(50).headHash);
    expect(restored.readBalances()).toEqual(busyLedger(50).readBalances());
    expect(ledger.eventCount).toBeGreaterThan(restored.eventCount);
  });

  it("a later snapshot encodes only the ids recorded since the one before, and still verifies and restores", () => {
    const ledger = busyLedger(100);
    ledger.snapshot();
    for (let i = 0; i < 10; i++) ledger.execute({ type: "Transfer", id: `more${i}`, from: "a", to: "b", amount: 1 });
    const builder = ledger.beginSnapshot();
    let steps = 1;
    while (!builder.step(3)) steps++;
    expect(steps).toBe(4); // the 10 new ids, 3 per step: not the 112 in the table
    const snapshot = builder.result();
    expect(snapshot.idempotency).toHaveLength(112); // two opens, 110 transfers
    const restored = Ledger.fromSnapshot(JSON.parse(jsonOf(snapshot)));
    expect(restored.headHash).toBe(ledger.headHash);
    expect(restored.execute({ type: "Transfer", id: "t7", from: "b", to: "a", amount: 3 })).toMatchObject({
      outcome: "posted",
      duplicate: true,
    });
  });

  it("a full snapshot taken while a stepped one is being built leaves both correct", () => {
    const ledger = busyLedger(40);
    const expected = JSON.stringify(busyLedger(40).snapshot());
    const builder = ledger.beginSnapshot();
    builder.step(5);
    ledger.execute({ type: "Transfer", id: "late", from: "a", to: "b", amount: 1 });
    const full = ledger.snapshot(); // encodes all 43 ids, past the builder's 42
    expect(full.idempotency).toHaveLength(43);
    while (!builder.step(5));
    expect(jsonOf(builder.result())).toBe(expected);
    expect(JSON.stringify(builder.result())).toBe(expected);
    expect(Ledger.fromSnapshot(JSON.parse(JSON.stringify(full))).headHash).toBe(ledger.headHash);
  });

  it("the state machine's stepped snapshot carries the applied index at its start and the same JSON as snapshot()", () => {
    const machine = new LedgerStateMachine();
    machine.apply({ index: 1, term: 1, data: { requestId: "r1", command: { type: "OpenAccount", account: "a", initialBalance: 10 } } });
    const expected = JSON.stringify(machine.snapshot());
    const task = machine.beginSnapshot();
    machine.apply({ index: 2, term: 1, data: { requestId: "r2", command: { type: "OpenAccount", account: "b" } } });
    expect(task.index).toBe(1);
    expect(task.step(1)).toBe(true);
    expect(jsonOf(task.result())).toBe(expected);
    expect(JSON.stringify(task.result())).toBe(expected);
  });

  it("keeps the idempotency table across a snapshot", () => {
    const restored = Ledger.fromSnapshot(busyLedger(4).snapshot());
    expect(restored.execute({ type: "Transfer", id: "t1", from: "b", to: "a", amount: 2 })).toMatchObject({
      outcome: "posted",
      duplicate: true,
    });
    expect(restored.execute({ type: "Transfer", id: "t1", from: "b", to: "a", amount: 3 })).toMatchObject({
      outcome: "rejected",
      reason: "ID_REUSED",
    });
  });
});

describe("LedgerStateMachine", () => {
  const request = (requestId: string, command: unknown) => ({ requestId, command });

  it("applies committed entries and returns the client's outcome", () => {
    const machine = new LedgerStateMachine();
    machine.apply({ index: 1, term: 1, data: request("r1", { type: "OpenAccount", account: "a", initialBalance: 10 }) });
    machine.apply({ index: 3, term: 1, data: request("r2", { type: "OpenAccount", account: "b" }) });
    const outcome = machine.apply({
      index: 4,
      term: 2,
      data: request("r3", { type: "Transfer", id: "t1", from: "a", to: "b", amount: 4 }),
    });
    expect(outcome).toEqual({
      requestId: "r3",
      id: "t1",
      outcome: "posted",
      duplicate: false,
      eventIndex: 2,
      balancesAfter: [
        { account: "a", balance: 6 },
        { account: "b", balance: 4 },
      ],
    });
    expect([machine.appliedIndex, machine.appliedTerm, machine.eventCount]).toEqual([4, 2, 3]);
  });

  it("turns garbage entries into typed rejections instead of crashing", () => {
    const machine = new LedgerStateMachine();
    expect(machine.apply({ index: 1, term: 1, data: "garbage" })).toMatchObject({
      outcome: "rejected",
      reason: "MALFORMED_COMMAND",
      field: "data",
    });
    expect(
      machine.apply({ index: 2, term: 1, data: request("r", { type: "Transfer", id: "t", from: "a", to: "b", amount: null }) }),
    ).toMatchObject({
      requestId: "r",
      reason: "MALFORMED_COMMAND",
      field: "data.command.amount",
    });
    expect(machine.eventCount).toBe(0);
  });

  it("throws APPLY_OUT_OF_ORDER on a replayed or out-of-order index", () => {
    const machine = new LedgerStateMachine();
    machine.apply({ index: 5, term: 1, data: request("r", { type: "OpenAccount", account: "a" }) });
    expect(() => machine.apply({ index: 5, term: 1, data: request("r", { type: "OpenAccount", account: "a" }) })).toThrow(
      /APPLY_OUT_OF_ORDER/,
    );
  });

  it("restores from a JSON round-tripped snapshot and continues identically; bad data leaves the state alone", () => {
    const live = new LedgerStateMachine();
    live.apply({ index: 1, term: 1, data: request("r1", { type: "OpenAccount", account: "a", initialBalance: 10 }) });
    live.apply({ index: 2, term: 1, data: request("r2", { type: "OpenAccount", account: "b" }) });
    const copy = new LedgerStateMachine();
    copy.restore(JSON.parse(JSON.stringify(live.snapshot())));
    expect([copy.appliedIndex, copy.headHash]).toEqual([2, live.headHash]);
    const next = { index: 3, term: 2, data: request("r3", { type: "Transfer", id: "t", from: "a", to: "b", amount: 3 }) };
    expect(copy.apply(next)).toEqual(live.apply(next));
    expect(copy.headHash).toBe(live.headHash);
    expect(() => copy.restore({ ...copy.snapshot(), appliedIndex: -1 })).toThrow(/snapshot\.appliedIndex/);
    expect(copy.appliedIndex).toBe(3);
    expect(copy.ledger.readBalances()).toEqual({ a: 7, b: 3 });
  });
});

describe("always-on conservation assertion", () => {
  it("crashes loudly with INVARIANT_VIOLATED when balances stop summing to the total", () => {
    const ledger = busyLedger(3, { conservationRecountEventsInterval: 1 });
    (ledger.balances() as Map<string, number>).set("a", 5); // simulate a bug corrupting state
    expect(() => ledger.execute({ type: "Deposit", id: "d", account: "b", amount: 1 })).toThrow(/INVARIANT_VIOLATED/);
    expect(ledger.verify()).toMatchObject({ ok: false, code: "BALANCES_NOT_CONSERVED" });
  });
});
