import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Ledger } from "../../../cells/ledger/ledger.js";
import type { LedgerOutcome } from "../../../cells/ledger/outcome.js";

function opened(balances: Record<string, number>): Ledger {
  const ledger = new Ledger();
  for (const [account, initialBalance] of Object.entries(balances)) {
    expect(ledger.execute({ type: "OpenAccount", account, initialBalance }).outcome).toBe("posted");
  }
  return ledger;
}

function rejection(outcome: LedgerOutcome): string | undefined {
  return outcome.outcome === "rejected" ? outcome.reason : undefined;
}

describe("OpenAccount", () => {
  it("opens with an initial balance, or zero when absent", () => {
    const ledger = new Ledger();
    expect(ledger.execute({ type: "OpenAccount", account: "a", initialBalance: 500 })).toMatchObject({
      outcome: "posted",
      id: "a",
      balancesAfter: [{ account: "a", balance: 500 }],
    });
    ledger.execute({ type: "OpenAccount", account: "b" });
    expect(ledger.readBalances()).toEqual({ a: 500, b: 0 });
    expect(ledger.events().map((stored) => stored.event.type)).toEqual(["AccountOpened", "AccountOpened"]);
  });

  it("rejects an existing account, a negative or fractional balance, and a full ledger", () => {
    const ledger = new Ledger({ accountsMax: 2 });
    ledger.execute({ type: "OpenAccount", account: "a", initialBalance: 1 });
    // A retried open (same initial balance) learns the first outcome; a different one is a conflict.
    expect(ledger.execute({ type: "OpenAccount", account: "a", initialBalance: 1 })).toMatchObject({ outcome: "posted", duplicate: true });
    expect(rejection(ledger.execute({ type: "OpenAccount", account: "a", initialBalance: 2 }))).toBe("ACCOUNT_EXISTS");
    expect(rejection(ledger.execute({ type: "OpenAccount", account: "b", initialBalance: -1 }))).toBe("INVALID_AMOUNT");
    expect(rejection(ledger.execute({ type: "OpenAccount", account: "b", initialBalance: 0.5 }))).toBe("INVALID_AMOUNT");
    ledger.execute({ type: "OpenAccount", account: "b" });
    expect(rejection(ledger.execute({ type: "OpenAccount", account: "c" }))).toBe("ACCOUNTS_FULL");
    expect(ledger.balance("a")).toBe(1);
    expect(ledger.events().at(-1)?.event).toEqual({
      type: "AccountOpenRejected",
      account: "c",
      initialBalance: 0,
      reason: "ACCOUNTS_FULL",
    });
  });
});

describe("Transfer", () => {
  it("moves money and reports both balances", () => {
    const ledger = opened({ a: 100, b: 5 });
    const outcome = ledger.execute({ type: "Transfer", id: "t1", from: "a", to: "b", amount: 30 });
    expect(outcome).toEqual({
      requestId: "",
      id: "t1",
      outcome: "posted",
      duplicate: false,
      eventIndex: 2,
      balancesAfter: [
        { account: "a", balance: 70 },
        { account: "b", balance: 35 },
      ],
    });
    expect(ledger.totalBalance()).toBe(105);
  });

  it.each([
    ["INSUFFICIENT_FUNDS", { from: "a", to: "b", amount: 101 }],
    ["UNKNOWN_ACCOUNT", { from: "a", to: "nobody", amount: 1 }],
    ["UNKNOWN_ACCOUNT", { from: "nobody", to: "a", amount: 1 }],
    ["SAME_ACCOUNT", { from: "a", to: "a", amount: 1 }],
    ["INVALID_AMOUNT", { from: "a", to: "b", amount: 0 }],
    ["INVALID_AMOUNT", { from: "a", to: "b", amount: -5 }],
    ["INVALID_AMOUNT", { from: "a", to: "b", amount: 1.5 }],
    ["INVALID_AMOUNT", { from: "a", to: "b", amount: Number.NaN }],
    ["INVALID_AMOUNT", { from: "a", to: "b", amount: Number.POSITIVE_INFINITY }],
    ["INVALID_AMOUNT", { from: "a", to: "b", amount: 2 ** 53 }],
  ])("rejects %s (%o) without moving money, as an event", (reason, fields) => {
    const ledger = opened({ a: 100, b: 5 });
    const outcome = ledger.execute({ type: "Transfer", id: "t", ...fields });
    expect(rejection(outcome)).toBe(reason);
    expect(ledger.readBalances()).toEqual({ a: 100, b: 5 });
    expect(ledger.events().at(-1)?.event).toMatchObject({ type: "TransferRejected", id: "t", reason });
    expect(ledger.verify().ok).toBe(true);
  });

  it("allows spending a balance down to exactly zero", () => {
    const ledger = opened({ a: 10, b: 0 });
    expect(ledger.execute({ type: "Transfer", id: "t", from: "a", to: "b", amount: 10 }).outcome).toBe("posted");
    expect(ledger.balance("a")).toBe(0);
  });
});

describe("Deposit and Withdraw", () => {
  it("change the total by exactly the amount and are tracked for the bank checker", () => {
    const ledger = opened({ a: 10 });
    expect(ledger.execute({ type: "Deposit", id: "d1", account: "a", amount: 7 })).toMatchObject({
      outcome: "posted",
      balancesAfter: [{ account: "a", balance: 17 }],
    });
    expect(ledger.execute({ type: "Withdraw", id: "w1", account: "a", amount: 12 })).toMatchObject({
      outcome: "posted",
      balancesAfter: [{ account: "a", balance: 5 }],
    });
    expect(ledger.totalBalance()).toBe(5);
    expect(ledger.totals()).toEqual({ opened: 10, deposited: 7, withdrawn: 12, crossCellNet: 0 });
  });

  it("reject bad amounts, unknown accounts, overdrafts and overflow", () => {
    const ledger = opened({ a: 10 });
    expect(rejection(ledger.execute({ type: "Deposit", id: "d1", account: "a", amount: -1 }))).toBe("INVALID_AMOUNT");
    expect(rejection(ledger.execute({ type: "Deposit", id: "d2", account: "x", amount: 1 }))).toBe("UNKNOWN_ACCOUNT");
    expect(rejection(ledger.execute({ type: "Deposit", id: "d3", account: "a", amount: Number.MAX_SAFE_INTEGER }))).toBe(
      "BALANCE_OVERFLOW",
    );
    expect(rejection(ledger.execute({ type: "Withdraw", id: "w1", account: "a", amount: 11 }))).toBe("INSUFFICIENT_FUNDS");
    expect(rejection(ledger.execute({ type: "Withdraw", id: "w2", account: "x", amount: 1 }))).toBe("UNKNOWN_ACCOUNT");
    expect(rejection(ledger.execute({ type: "Withdraw", id: "w3", account: "a", amount: 0.1 }))).toBe("INVALID_AMOUNT");
    expect(ledger.readBalances()).toEqual({ a: 10 });
    expect(
      ledger
        .events()
        .map((stored) => stored.event.type)
        .filter((type) => type.endsWith("Rejected")),
    ).toHaveLength(6);
  });
});

describe("idempotency", () => {
  it("applies an id once; a retry returns the first outcome and adds no event", () => {
    const ledger = opened({ a: 100, b: 0 });
    const transfer = { type: "Transfer", id: "t1", from: "a", to: "b", amount: 60 } as const;
    expect(ledger.execute(transfer).outcome).toBe("posted");
    const eventsBefore = ledger.eventCount;
    expect(ledger.execute(transfer)).toEqual({ requestId: "", id: "t1", outcome: "posted", duplicate: true });
    expect(ledger.eventCount).toBe(eventsBefore);
    expect(ledger.readBalances()).toEqual({ a: 40, b: 60 });
  });

  it("a rejected id stays rejected on retry, even after the funds arrived", () => {
    const ledger = opened({ a: 10, b: 0 });
    const transfer = { type: "Transfer", id: "t1", from: "a", to: "b", amount: 50 } as const;
    expect(rejection(ledger.execute(transfer))).toBe("INSUFFICIENT_FUNDS");
    ledger.execute({ type: "Deposit", id: "d1", account: "a", amount: 100 });
    expect(ledger.execute(transfer)).toMatchObject({ outcome: "rejected", reason: "INSUFFICIENT_FUNDS", duplicate: true });
    expect(ledger.balance("b")).toBe(0);
  });

  it("rejects a reused id with different parameters as ID_REUSED, across command types", () => {
    const ledger = opened({ a: 100, b: 0 });
    ledger.execute({ type: "Transfer", id: "x", from: "a", to: "b", amount: 1 });
    expect(rejection(ledger.execute({ type: "Transfer", id: "x", from: "a", to: "b", amount: 2 }))).toBe("ID_REUSED");
    expect(rejection(ledger.execute({ type: "Deposit", id: "x", account: "a", amount: 1 }))).toBe("ID_REUSED");
    expect(ledger.readBalances()).toEqual({ a: 99, b: 1 });
  });

  it("when the table is full, new ids are rejected and nothing is applied twice", () => {
    const ledger = new Ledger({ idempotencyEntriesMax: 3 }); // the open takes one entry
    ledger.execute({ type: "OpenAccount", account: "a", initialBalance: 10 });
    ledger.execute({ type: "Deposit", id: "d1", account: "a", amount: 1 });
    ledger.execute({ type: "Deposit", id: "d2", account: "a", amount: 1 });
    expect(rejection(ledger.execute({ type: "Deposit", id: "d3", account: "a", amount: 1 }))).toBe("IDEMPOTENCY_TABLE_FULL");
    expect(ledger.execute({ type: "Deposit", id: "d1", account: "a", amount: 1 })).toMatchObject({ outcome: "posted", duplicate: true });
    expect(ledger.balance("a")).toBe(12);
    expect(ledger.idempotencyEntries).toBe(3);
  });
});

describe("malformed commands and reads", () => {
  it.each([
    [null, "command"],
    [{ type: "Steal" }, "command.type"],
    [{ type: "Transfer", id: "", from: "a", to: "b", amount: 1 }, "command.id"],
    [{ type: "Transfer", id: "t", from: 7, to: "b", amount: 1 }, "command.from"],
    [{ type: "Transfer", id: "t", from: "a", to: "b", amount: "1" }, "command.amount"],
    [{ type: "Deposit", id: "t", amount: 1 }, "command.account"],
    [{ type: "OpenAccount", account: "a", initialBalance: "5" }, "command.initialBalance"],
    [{ type: "ReadBalances", accounts: [1] }, "command.accounts[0]"],
  ])("rejects %o as MALFORMED_COMMAND naming %s, with no event", (command, field) => {
    const ledger = opened({ a: 1 });
    expect(ledger.submit(command)).toMatchObject({ outcome: "rejected", reason: "MALFORMED_COMMAND", field });
    expect(ledger.eventCount).toBe(1);
  });

  it("reads through a command or locally, leaving unknown accounts out, with no event", () => {
    const ledger = opened({ a: 3, b: 4 });
    expect(ledger.execute({ type: "ReadBalances", accounts: ["b", "zz"] }, "r1")).toEqual({
      requestId: "r1",
      id: "r1",
      outcome: "read",
      balances: { b: 4 },
    });
    expect(ledger.execute({ type: "ReadBalances" })).toMatchObject({ balances: { a: 3, b: 4 } });
    expect(ledger.readBalances(["a"])).toEqual({ a: 3 });
    expect(ledger.eventCount).toBe(2);
  });
});

describe("readBalances", () => {
  it("answers every account in opening order, as a plain copy, across opens and transfers (property)", () => {
    const step = fc.oneof(
      fc.record({ open: fc.string({ minLength: 1, maxLength: 6 }), balance: fc.nat({ max: 1000 }) }),
      fc.record({ from: fc.nat({ max: 40 }), to: fc.nat({ max: 40 }), amount: fc.integer({ min: 1, max: 300 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const ledger = new Ledger();
        const model = new Map<string, number>();
        let transfers = 0;
        for (const s of steps) {
          if ("open" in s) {
            if (ledger.execute({ type: "OpenAccount", account: s.open, initialBalance: s.balance }).outcome === "posted")
              model.set(s.open, s.balance);
          } else {
            const accounts = [...model.keys()];
            if (accounts.length < 2) continue;
            const from = accounts[s.from % accounts.length] as string;
            const to = accounts[s.to % accounts.length] as string;
            const outcome = ledger.execute({ type: "Transfer", id: `t${transfers++}`, from, to, amount: s.amount });
            if (outcome.outcome === "posted") {
              model.set(from, (model.get(from) as number) - s.amount);
              model.set(to, (model.get(to) as number) + s.amount);
            }
          }
          const read = ledger.readBalances();
          expect(JSON.stringify(read)).toBe(JSON.stringify(Object.fromEntries(model)));
          // The answer is the caller's: changing it changes nothing in the ledger or the next read.
          for (const account of Object.keys(read)) read[account] = -1;
          expect(ledger.readBalances()).toEqual(Object.fromEntries(model));
        }
      }),
    );
  });
});
