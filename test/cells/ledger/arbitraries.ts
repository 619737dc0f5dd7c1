// fast-check generators of ledger command sequences: a small pool of accounts and ids so that
// unknown accounts, self-transfers, overdrafts and retried ids all happen often.
import fc from "fast-check";
import type { LedgerCommand } from "../../../cells/ledger/commands.js";

export const ACCOUNTS = ["a0", "a1", "a2", "a3", "a4"];
const accountArb = fc.constantFrom(...ACCOUNTS, "ghost");
const idArb = fc.constantFrom(...Array.from({ length: 12 }, (_, i) => `op-${i}`));
const amountArb = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 1, max: 400 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -3, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER) },
);

export const commandArb: fc.Arbitrary<LedgerCommand> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant("OpenAccount" as const),
      account: accountArb,
      initialBalance: fc.integer({ min: 0, max: 1000 }),
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({ type: fc.constant("Transfer" as const), id: idArb, from: accountArb, to: accountArb, amount: amountArb }),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("Deposit" as const), id: idArb, account: accountArb, amount: amountArb }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("Withdraw" as const), id: idArb, account: accountArb, amount: amountArb }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("ReadBalances" as const) }) },
);

export const commandsArb = fc.array(commandArb, { minLength: 1, maxLength: 80 });

/** Property runs are seeded so a failure reproduces; the seed is printed by fast-check on failure. */
export const PROPERTY_PARAMETERS = { seed: 20251111, numRuns: 150 } as const;
