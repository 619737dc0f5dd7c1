import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BatchCommand, LedgerCommand } from "../../../cells/ledger/commands.js";
import { encodeBatch } from "../../../cells/ledger/codec.js";
import { Ledger } from "../../../cells/ledger/ledger.js";
import type { LedgerBatchOutcome, LedgerOutcome } from "../../../cells/ledger/outcome.js";
import { LedgerStateMachine } from "../../../cells/ledger/state-machine.js";
import { commandsArb, PROPERTY_PARAMETERS } from "./arbitraries.js";

function opened(...accounts: [string, number][]): Ledger {
  const ledger = new Ledger();
  ledger.executeBatch({
    requestId: "open",
    linked: false,
    commands: accounts.map(([account, initialBalance]) => ({ type: "OpenAccount", account, initialBalance })),
  });
  return ledger;
}

const transfer = (id: string, from: string, to: string, amount: number): BatchCommand => ({ type: "Transfer", id, from, to, amount });

/** An outcome without the request it came in (a read's id is its request's). */
function comparable(outcome: LedgerOutcome): Partial<LedgerOutcome> {
  const { requestId: _requestId, ...rest } = outcome;
  if (rest.outcome === "read") return { outcome: rest.outcome, balances: rest.balances };
  return rest;
}

describe("ledger batches", () => {
  it("a batch decides exactly as its commands one at a time would: same outcomes, balances and idempotency (model: no batches)", () => {
    fc.assert(
      fc.property(commandsArb, fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 30 }), (commands, cuts) => {
        const single = new Ledger();
        const expected = commands.map((command) => comparable(single.execute(command)));
        const batched = new Ledger();
        const actual: ReturnType<typeof comparable>[] = [];
        let at = 0;
        for (let i = 0; at < commands.length; i++) {
          const size = cuts[i % cuts.length] as number;
          const outcomes = batched.executeBatch({
            requestId: `b${i}`,
            linked: false,
            commands: commands.slice(at, at + size) as LedgerCommand[],
          });
          actual.push(...outcomes.map(comparable));
          at += size;
        }
        expect(actual).toEqual(expected);
        expect([...batched.balances()]).toEqual([...single.balances()]);
        expect(batched.eventCount).toBe(single.eventCount);
        expect(batched.verify()).toMatchObject({ ok: true });
      }),
      PROPERTY_PARAMETERS,
    );
  });

  it("one chain link per batch: every event of a batch carries the batch's hash, and the next batch links to it", () => {
    const ledger = opened(["a", 100], ["b", 100]);
    const before = ledger.headHash;
    ledger.executeBatch({
      requestId: "r",
      linked: false,
      commands: [transfer("t1", "a", "b", 5), transfer("t2", "b", "a", 7), transfer("t3", "a", "b", 1)],
    });
    const events = ledger.events().slice(-3);
    expect(new Set(events.map((stored) => stored.hash)).size).toBe(1);
    expect(events.every((stored) => stored.previousHash === before)).toBe(true);
    expect(ledger.headHash).toBe(events[0]?.hash);
    ledger.executeBatch({ requestId: "r2", linked: false, commands: [transfer("t4", "a", "b", 1)] });
    expect(ledger.events().at(-1)?.previousHash).toBe(events[0]?.hash);
    expect(ledger.verify()).toEqual({ ok: true, eventsChecked: ledger.events().length });
  });

  it("one bad transfer does not fail its batch-mates", () => {
    const ledger = opened(["a", 10], ["b", 0]);
    const outcomes = ledger.executeBatch({
      requestId: "r",
      linked: false,
      commands: [transfer("t1", "a", "b", 4), transfer("t2", "b", "a", 50), transfer("t3", "a", "ghost", 1), transfer("t4", "a", "b", 6)],
    });
    expect(outcomes.map((outcome) => (outcome.outcome === "rejected" ? outcome.reason : outcome.outcome))).toEqual([
      "posted",
      "INSUFFICIENT_FUNDS",
      "UNKNOWN_ACCOUNT",
      "posted",
    ]);
    expect(ledger.balance("a")).toBe(0);
    expect(ledger.balance("b")).toBe(10);
  });

  it("each command's balancesAfter is the state right after it, not after the batch", () => {
    const ledger = opened(["a", 10], ["b", 0]);
    const [first, second] = ledger.executeBatch({
      requestId: "r",
      linked: false,
      commands: [transfer("t1", "a", "b", 4), transfer("t2", "a", "b", 1)],
    });
    expect(first).toMatchObject({
      balancesAfter: [
        { account: "a", balance: 6 },
        { account: "b", balance: 4 },
      ],
    });
    expect(second).toMatchObject({
      balancesAfter: [
        { account: "a", balance: 5 },
        { account: "b", balance: 5 },
      ],
    });
  });

  it("a transfer retried in another batch is applied once and the retry learns the first outcome", () => {
    const ledger = opened(["a", 10], ["b", 0]);
    ledger.executeBatch({ requestId: "first", linked: false, commands: [transfer("t1", "a", "b", 4), transfer("t2", "a", "b", 1)] });
    const retry = ledger.executeBatch({
      requestId: "second",
      linked: false,
      commands: [transfer("t9", "a", "b", 2), transfer("t1", "a", "b", 4)],
    });
    expect(retry[1]).toMatchObject({ id: "t1", outcome: "posted", duplicate: true });
    expect(ledger.balance("b")).toBe(7);
  });

  it("the same id twice in one batch applies once", () => {
    const ledger = opened(["a", 10], ["b", 0]);
    const outcomes = ledger.executeBatch({
      requestId: "r",
      linked: false,
      commands: [transfer("t1", "a", "b", 4), transfer("t1", "a", "b", 4), transfer("t1", "a", "b", 5)],
    });
    expect(
      outcomes.map((outcome) => [
        outcome.outcome,
        (outcome as { duplicate?: boolean }).duplicate,
        outcome.outcome === "rejected" ? outcome.reason : null,
      ]),
    ).toEqual([
      ["posted", false, null],
      ["posted", true, null],
      ["rejected", false, "ID_REUSED"],
    ]);
    expect(ledger.balance("b")).toBe(4);
  });
});

describe("linked batches (all or nothing)", () => {
  it("a failure rolls back its batch-mates: the failing command keeps its reason, the rest are LINKED_EVENT_FAILED", () => {
    const ledger = opened(["a", 10], ["b", 0], ["c", 0]);
    const total = ledger.totalBalance();
    const outcomes = ledger.executeBatch({
      requestId: "r",
      linked: true,
      commands: [transfer("t1", "a", "b", 6), transfer("t2", "b", "c", 6), transfer("t3", "a", "c", 5), transfer("t4", "c", "a", 1)],
    });
    expect(outcomes.map((outcome) => (outcome.outcome === "rejected" ? outcome.reason : outcome.outcome))).toEqual([
      "LINKED_EVENT_FAILED",
      "LINKED_EVENT_FAILED",
      "INSUFFICIENT_FUNDS",
      "LINKED_EVENT_FAILED",
    ]);
    expect([ledger.balance("a"), ledger.balance("b"), ledger.balance("c")]).toEqual([10, 0, 0]);
    expect(ledger.totalBalance()).toBe(total);
    expect(ledger.verify()).toMatchObject({ ok: true });
    // The rejections are recorded: the same batch again answers the same, as duplicates.
    const retry = ledger.executeBatch({
      requestId: "r",
      linked: true,
      commands: [transfer("t1", "a", "b", 6), transfer("t2", "b", "c", 6), transfer("t3", "a", "c", 5), transfer("t4", "c", "a", 1)],
    });
    expect(retry.every((outcome) => outcome.outcome === "rejected" && (outcome as { duplicate?: boolean }).duplicate)).toBe(true);
    expect(ledger.balance("a")).toBe(10);
  });

  it("rolls back an account opened earlier in the failed batch", () => {
    const ledger = opened(["a", 10]);
    const outcomes = ledger.executeBatch({
      requestId: "r",
      linked: true,
      commands: [{ type: "OpenAccount", account: "n", initialBalance: 3 }, transfer("t1", "a", "n", 20)],
    });
    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(["rejected", "rejected"]);
    expect(ledger.balance("n")).toBeUndefined();
    expect(ledger.totals()).toEqual({ opened: 10, deposited: 0, withdrawn: 0, crossCellNet: 0 });
  });

  it("when every command succeeds the batch posts as a whole, and its retry is all duplicates", () => {
    const ledger = opened(["a", 10], ["b", 0]);
    const batch = { requestId: "r", linked: true, commands: [transfer("t1", "a", "b", 6), transfer("t2", "b", "a", 2)] };
    expect(ledger.executeBatch(batch).map((outcome) => outcome.outcome)).toEqual(["posted", "posted"]);
    expect(ledger.executeBatch(batch).map((outcome) => [outcome.outcome, (outcome as { duplicate?: boolean }).duplicate])).toEqual([
      ["posted", true],
      ["posted", true],
    ]);
    expect(ledger.balance("b")).toBe(4);
  });

  it("linked or not, money is conserved over random batches (property)", () => {
    fc.assert(
      fc.property(
        commandsArb,
        fc.array(fc.tuple(fc.integer({ min: 1, max: 6 }), fc.boolean()), { minLength: 1, maxLength: 20 }),
        (commands, shape) => {
          const ledger = new Ledger();
          let at = 0;
          for (let i = 0; at < commands.length; i++) {
            const [size, linked] = shape[i % shape.length] as [number, boolean];
            const slice = commands.slice(at, at + size).filter((command) => !linked || command.type !== "ReadBalances") as LedgerCommand[];
            at += size;
            if (slice.length > 0) ledger.executeBatch({ requestId: `b${i}`, linked, commands: slice });
            const totals = ledger.totals();
            expect(ledger.totalBalance()).toBe(totals.opened + totals.deposited - totals.withdrawn);
          }
          expect(ledger.verify()).toMatchObject({ ok: true });
        },
      ),
      PROPERTY_PARAMETERS,
    );
  });
});

describe("the state machine applies batch entries", () => {
  it("answers an outcome per command and announces each event with its link's hash", () => {
    const seen: [number, string, string][] = [];
    const machine = new LedgerStateMachine({}, (index, event, hash) => seen.push([index, event.type, hash]));
    const result = machine.apply({
      index: 1,
      term: 1,
      data: encodeBatch({
        requestId: "r",
        linked: false,
        commands: [
          { type: "OpenAccount", account: "a", initialBalance: 5 },
          { type: "OpenAccount", account: "b" },
          transfer("t", "a", "b", 2),
        ],
      }),
    }) as LedgerBatchOutcome;
    expect(result.requestId).toBe("r");
    expect(result.outcomes.map((outcome) => outcome.outcome)).toEqual(["posted", "posted", "posted"]);
    expect(seen.map(([index, type]) => [index, type])).toEqual([
      [0, "AccountOpened"],
      [1, "AccountOpened"],
      [2, "TransferPosted"],
    ]);
    expect(new Set(seen.map(([, , hash]) => hash))).toEqual(new Set([machine.headHash]));
    expect(machine.requestIdOf(encodeBatch({ requestId: "x", linked: false, commands: [] }))).toBe("x");
  });

  it("answers corrupt entry bytes with MALFORMED_COMMAND on every replica, never an exception", () => {
    const bytes = encodeBatch({ requestId: "r", linked: false, commands: [transfer("t", "a", "b", 2)] }).slice();
    bytes[bytes.length - 1] ^= 0x40;
    const machine = new LedgerStateMachine();
    expect(machine.apply({ index: 1, term: 1, data: bytes })).toMatchObject({
      outcome: "rejected",
      reason: "MALFORMED_COMMAND",
      field: "data",
    });
    expect(machine.requestIdOf(bytes)).toBeNull();
  });
});
