import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeBatch,
  decodeEvents,
  encodeBatch,
  encodeEvents,
  LEDGER_BATCH_VERSION_SHARD_MOVE,
  LedgerCodecError,
} from "../../../cells/ledger/codec.js";
import type { BatchCommand, LedgerBatchRequest } from "../../../cells/ledger/commands.js";
import type { LedgerEventBody } from "../../../cells/ledger/events.js";
import { PROPERTY_PARAMETERS } from "./arbitraries.js";

const text = fc.string({ unit: "binary", minLength: 1, maxLength: 40 });
const amount = fc.oneof(fc.integer({ min: -5, max: 1_000_000 }), fc.double(), fc.constantFrom(Number.NaN, Number.MAX_SAFE_INTEGER, -0));

const commandArb: fc.Arbitrary<BatchCommand> = fc.oneof(
  fc.record({ type: fc.constant("Transfer" as const), id: text, from: text, to: text, amount }),
  fc.record({ type: fc.constantFrom("Deposit" as const, "Withdraw" as const), id: text, account: text, amount }),
  fc.record({ type: fc.constant("OpenAccount" as const), account: text, initialBalance: amount }),
  fc.constant({ type: "ReadBalances" as const }),
  fc.record({ type: fc.constant("ReadBalances" as const), accounts: fc.array(text, { maxLength: 4 }) }),
);

const batchArb: fc.Arbitrary<LedgerBatchRequest> = fc.record({
  requestId: text,
  linked: fc.boolean(),
  commands: fc.array(commandArb, { minLength: 0, maxLength: 20 }),
});

const reasonArb = fc.constantFrom(
  "INSUFFICIENT_FUNDS",
  "UNKNOWN_ACCOUNT",
  "SAME_ACCOUNT",
  "INVALID_AMOUNT",
  "IDEMPOTENCY_TABLE_FULL",
  "LINKED_EVENT_FAILED" as const,
);
const eventArb: fc.Arbitrary<LedgerEventBody> = fc.oneof(
  fc.record({ type: fc.constant("TransferPosted" as const), id: text, from: text, to: text, amount }),
  fc.record({ type: fc.constant("TransferRejected" as const), id: text, from: text, to: text, amount, reason: reasonArb }),
  fc.record({ type: fc.constant("Deposited" as const), id: text, account: text, amount }),
  fc.record({
    type: fc.constant("WithdrawRejected" as const),
    id: text,
    account: text,
    amount,
    reason: fc.constantFrom("INSUFFICIENT_FUNDS" as const, "LINKED_EVENT_FAILED" as const),
  }),
  fc.record({ type: fc.constant("AccountOpened" as const), account: text, initialBalance: amount }),
  fc.record({
    type: fc.constant("AccountOpenRejected" as const),
    account: text,
    initialBalance: amount,
    reason: fc.constantFrom("ACCOUNT_EXISTS" as const, "ACCOUNTS_FULL" as const),
  }),
);

/** Whatever a corrupted input decodes to, it must be a LedgerCodecError, never a value or another exception. */
function expectCodecError(decode: () => unknown): LedgerCodecError {
  let caught: unknown = null;
  try {
    decode();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(LedgerCodecError);
  return caught as LedgerCodecError;
}

describe("ledger batch codec", () => {
  it("round-trips every batch (any strings, any amounts, linked or not)", () => {
    fc.assert(
      fc.property(batchArb, (batch) => {
        expect(decodeBatch(encodeBatch(batch))).toEqual({
          ...batch,
          commands: batch.commands.map((command) =>
            command.type === "OpenAccount" ? { ...command, initialBalance: command.initialBalance ?? 0 } : command,
          ),
        });
      }),
      PROPERTY_PARAMETERS,
    );
  });

  it("a corrupted byte, anywhere, is a named error: never a different batch, never a crash", () => {
    fc.assert(
      fc.property(batchArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (batch, at, flip) => {
        const bytes = encodeBatch(batch).slice();
        const position = at % bytes.length;
        bytes[position] = (bytes[position] as number) ^ flip;
        const error = expectCodecError(() => decodeBatch(bytes));
        expect(["BAD_VERSION", "CHECKSUM"]).toContain(error.code);
      }),
      PROPERTY_PARAMETERS,
    );
  });

  it("a cut-short or extended batch is a named error", () => {
    fc.assert(
      fc.property(batchArb, fc.nat(), (batch, cut) => {
        const bytes = encodeBatch(batch);
        expectCodecError(() => decodeBatch(bytes.subarray(0, cut % bytes.length)));
        const longer = new Uint8Array(bytes.length + 1);
        longer.set(bytes);
        expectCodecError(() => decodeBatch(longer));
      }),
      PROPERTY_PARAMETERS,
    );
  });

  it("names what is wrong: version, checksum, trailing bytes", () => {
    const bytes = encodeBatch({ requestId: "r", linked: false, commands: [{ type: "Transfer", id: "t", from: "a", to: "b", amount: 5 }] });
    const future = bytes.slice();
    future[0] = LEDGER_BATCH_VERSION_SHARD_MOVE + 1;
    expect(expectCodecError(() => decodeBatch(future)).code).toBe("BAD_VERSION");
    const damaged = bytes.slice();
    damaged[damaged.length - 1] ^= 1;
    expect(expectCodecError(() => decodeBatch(damaged)).code).toBe("CHECKSUM");
    expect(expectCodecError(() => decodeBatch(new Uint8Array(0))).code).toBe("TRUNCATED");
  });
});

describe("ledger event codec", () => {
  it("round-trips events and rejects any corrupted byte with a named error", () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 12 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (events, at, flip) => {
        const bytes = encodeEvents(events);
        expect(decodeEvents(bytes)).toEqual(events);
        const corrupted = bytes.slice();
        corrupted[at % corrupted.length] ^= flip;
        expectCodecError(() => decodeEvents(corrupted));
      }),
      PROPERTY_PARAMETERS,
    );
  });
});
