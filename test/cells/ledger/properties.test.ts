import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isCrossCellCommand, type LedgerCommand } from "../../../cells/ledger/commands.js";
import { isValidAmount } from "../../../cells/ledger/decide.js";
import { Ledger } from "../../../cells/ledger/ledger.js";
import type { LedgerOutcome } from "../../../cells/ledger/outcome.js";
import { commandsArb, PROPERTY_PARAMETERS } from "./arbitraries.js";

// An independent reference: plain objects, no hashing, written from the rules in docs/cells.md.
class ReferenceLedger {
  readonly balances = new Map<string, number>();
  readonly first = new Map<string, { key: string; result: string }>();

  run(command: LedgerCommand): string {
    // Cross-cell steps have their own tests (cross-cell.test.ts); the arbitraries draw none.
    if (isCrossCellCommand(command)) throw new Error(`the reference covers one cell's commands, not ${command.type}`);
    if (command.type === "ReadBalances") return "read";
    if (command.type === "OpenAccount") {
      const initial = command.initialBalance ?? 0;
      if (this.balances.has(command.account)) return "rejected:ACCOUNT_EXISTS";
      this.balances.set(command.account, initial);
      return "posted";
    }
    const key =
      command.type === "Transfer"
        ? `T${command.from}>${command.to}:${command.amount}`
        : `${command.type}${command.account}:${command.amount}`;
    const previous = this.first.get(command.id);
    if (previous !== undefined) return previous.key === key ? `${previous.result}+dup` : "rejected:ID_REUSED";
    const result = this.fresh(command);
    this.first.set(command.id, { key, result });
    return result;
  }

  private fresh(
    command: Exclude<LedgerCommand, { type: "ReadBalances" | "OpenAccount" | "TransferOut" | "CreditIn" | "SettleTransfer" }>,
  ): string {
    if (!isValidAmount(command.amount)) return "rejected:INVALID_AMOUNT";
    const total = [...this.balances.values()].reduce((sum, value) => sum + value, 0);
    if (command.type === "Transfer") {
      if (command.from === command.to) return "rejected:SAME_ACCOUNT";
      const from = this.balances.get(command.from);
      const to = this.balances.get(command.to);
      if (from === undefined || to === undefined) return "rejected:UNKNOWN_ACCOUNT";
      if (from < command.amount) return "rejected:INSUFFICIENT_FUNDS";
      this.balances.set(command.from, from - command.amount);
      this.balances.set(command.to, to + command.amount);
      return "posted";
    }
    const balance = this.balances.get(command.account);
    if (balance === undefined) return "rejected:UNKNOWN_ACCOUNT";
    if (command.type === "Deposit") {
      if (!Number.isSafeInteger(total + command.amount)) return "rejected:BALANCE_OVERFLOW";
      this.balances.set(command.account, balance + command.amount);
      return "posted";
    }
    if (balance < command.amount) return "rejected:INSUFFICIENT_FUNDS";
    this.balances.set(command.account, balance - command.amount);
    return "posted";
  }
}

function summary(outcome: LedgerOutcome): string {
  if (outcome.outcome === "read") return "read";
  const base = outcome.outcome === "posted" ? "posted" : `rejected:${outcome.reason}`;
  return outcome.duplicate ? `${base}+dup` : base;
}

function runAll(ledger: Ledger, commands: readonly LedgerCommand[]): LedgerOutcome[] {
  return commands.map((command) => ledger.execute(command));
}

describe("ledger properties (seeded fast-check)", () => {
  it("agrees with an independent reference model on every outcome and balance", () => {
    fc.assert(
      fc.property(commandsArb, (commands) => {
        const ledger = new Ledger();
        const reference = new ReferenceLedger();
        for (const command of commands) expect(summary(ledger.execute(command))).toBe(reference.run(command));
        expect(new Map(ledger.balances())).toEqual(reference.balances);
      }),
      PROPERTY_PARAMETERS,
    );
  });

  it("conserves money and never produces a negative or fractional balance", () => {
    fc.assert(
      fc.property(commandsArb, (commands) => {
        const ledger = new Ledger({ conservationRecountEventsInterval: 1 });
        for (const command of commands) {
          ledger.execute(command);
          const sum = [...ledger.balances().values()].reduce((total, balance) => total + balance, 0);
          const totals = ledger.totals();
          expect(sum).toBe(totals.opened + totals.deposited - totals.withdrawn);
          expect(ledger.totalBalance()).toBe(sum);
          for (const balance of ledger.balances().values()) {
            expect(Number.isSafeInteger(balance) && balance >= 0).toBe(true);
          }
        }
      }),
      PROPERTY_PARAMETERS,
    );
  });

  it("applies each id at most once, and every retry returns the first outcome", () => {
    fc.assert(
      fc.property(commandsArb, (commands) => {
        const ledger = new Ledger();
        // Replay the whole sequence twice, interleaving every command with an immediate retry.
        const firsts = new Map<string, string>();
        for (const command of [...commands, ...commands]) {
          const outcome = ledger.execute(command);
          const retry = ledger.execute(command);
          if (command.type !== "Transfer" && command.type !== "Deposit" && command.type !== "Withdraw") continue;
          if (outcome.outcome === "rejected" && (outcome.reason === "ID_REUSED" || outcome.reason === "IDEMPOTENCY_TABLE_FULL")) continue;
          const first = firsts.get(command.id) ?? summary(outcome).replace("+dup", "");
          firsts.set(command.id, first);
          expect(summary(retry)).toBe(`${first}+dup`);
        }
        const postedIds = ledger
          .events()
          .flatMap((stored) => ("id" in stored.event && !stored.event.type.endsWith("Rejected") ? [stored.event.id] : []));
        expect(new Set(postedIds).size).toBe(postedIds.length);
        const decidedIds = ledger.events().flatMap((stored) => ("id" in stored.event ? [stored.event.id] : []));
        expect(new Set(decidedIds).size).toBe(decidedIds.length);
      }),
      PROPERTY_PARAMETERS,
    );
  });

  it("two ledgers fed the same commands have equal head hashes, and a different history differs", () => {
    fc.assert(
      fc.property(commandsArb, (commands) => {
        const first = new Ledger();
        const second = new Ledger();
        runAll(first, commands);
        runAll(second, commands);
        expect(second.headHash).toBe(first.headHash);
        expect(second.eventCount).toBe(first.eventCount);
        for (let i = 0; i < first.eventCount; i++) expect(second.hashAt(i)).toBe(first.hashAt(i));
        const third = new Ledger();
        runAll(third, [{ type: "OpenAccount", account: "extra", initialBalance: 1 }, ...commands]);
        expect(third.headHash).not.toBe(first.headHash);
      }),
      PROPERTY_PARAMETERS,
    );
  });

  it("snapshot (through JSON) + restore + more commands equals never snapshotting", () => {
    fc.assert(
      fc.property(commandsArb, commandsArb, (before, after) => {
        const straight = new Ledger({ checkpointEventsInterval: 4 });
        const straightOutcomes = runAll(straight, [...before, ...after]).slice(before.length);
        const original = new Ledger({ checkpointEventsInterval: 4 });
        runAll(original, before);
        const restored = Ledger.fromSnapshot(JSON.parse(JSON.stringify(original.snapshot())), { checkpointEventsInterval: 4 });
        expect(runAll(restored, after)).toEqual(straightOutcomes);
        expect(restored.headHash).toBe(straight.headHash);
        expect(restored.eventCount).toBe(straight.eventCount);
        expect(restored.readBalances()).toEqual(straight.readBalances());
        expect(restored.checkpoints()).toEqual(straight.checkpoints());
        expect(restored.verify()).toMatchObject({ ok: true });
      }),
      PROPERTY_PARAMETERS,
    );
  });

  it("verify() detects tampering with any one stored event", () => {
    fc.assert(
      fc.property(commandsArb, fc.nat(), fc.nat(1_000_000), (commands, pick, newAmount) => {
        const ledger = new Ledger();
        runAll(ledger, [{ type: "OpenAccount", account: "a0", initialBalance: 1 }, ...commands]);
        expect(ledger.verify().ok).toBe(true);
        const victim = ledger.events()[pick % ledger.events().length];
        const mutable = victim.event as unknown as Record<string, unknown>;
        // Change the event's content (a different amount, or a different account name).
        if (typeof mutable.amount === "number") mutable.amount = mutable.amount === newAmount ? newAmount + 1 : newAmount;
        else mutable.account = `${String(mutable.account)}x`;
        const result = ledger.verify();
        expect(result).toMatchObject({ ok: false, code: "EVENT_HASH_MISMATCH", eventIndex: victim.index });
      }),
      PROPERTY_PARAMETERS,
    );
  });
});
