import { describe, expect, it } from "vitest";
import { IdempotencyTable } from "../../../cells/ledger/idempotency.js";
import { LedgerError } from "../../../cells/ledger/errors.js";

describe("idempotency table", () => {
  it("records an id once and answers its first outcome", () => {
    const table = new IdempotencyTable(10);
    table.record("t-1", 42, "posted");
    expect(table.lookup("t-1")).toEqual({ fingerprint: 42, outcome: "posted" });
    expect(table.lookup("t-2")).toBeUndefined();
  });

  it("treats a second record of the same id as a broken invariant", () => {
    const table = new IdempotencyTable(10);
    table.record("t-1", 42, "posted");
    expect(() => table.record("t-1", 43, "INSUFFICIENT_FUNDS")).toThrow(LedgerError);
  });

  it("refuses to grow past its bound", () => {
    const table = new IdempotencyTable(1);
    table.record("t-1", 1, "posted");
    expect(() => table.record("t-2", 2, "posted")).toThrow(/over its limit/);
    expect(table.size).toBe(1);
  });
});
