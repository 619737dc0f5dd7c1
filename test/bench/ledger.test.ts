import { describe, expect, it } from "vitest";
import { run } from "../../bench/ledger.js";

// Not a timing test: checks that the benchmark runs its transfers to completion on a verified
// ledger and reports a figure (the figure itself comes from `ldc bench`).
describe("bench/ledger run()", () => {
  it("applies every timed transfer and reports a rate", () => {
    const result = run({ transfers: 2_000, accounts: 10, warmupTransfers: 100 });
    expect(result.transfers).toBe(2_000);
    expect(result.appliesPerSecond).toBeGreaterThan(0);
    expect(result.microsecondsPerApply).toBeGreaterThan(0);
    expect(result.batches.map((figure) => figure.batchSize)).toEqual([1, 8, 64, 512]);
    // 2,000 transfers in entries of 512: four entries, so a batch costs 500 transfers' worth.
    const largest = result.batches.at(-1);
    expect(largest?.microsecondsPerBatch).toBeCloseTo((largest?.microsecondsPerTransfer ?? 0) * 500, -1);
    expect(() => run({ accounts: 1 })).toThrow(/accounts/);
  });
});
