// The cross-cell protocol broken on purpose (test-only switches), and the global-conservation
// checker finding it within 20 seeds, naming the transfer and the history index of its first
// invocation. Each search stops at the first seed that shows the bug; the seeds are printed so a
// failure here is reproducible with runCells and the same options.
import { describe, expect, it } from "vitest";
import { nemesisFor } from "../../../chaos/nemesis.js";
import { defaultWorldConfig } from "../../../domain/config.js";
import type { GlobalViolation } from "../../../harness/checkers/global-conservation.js";
import { runCells, type CellsRunOptions } from "../../../runtime/virtual/run.js";

const SEEDS_MAX = 20;

function findWithin(
  options: Omit<CellsRunOptions, "seed" | "config" | "check">,
): { seed: number; first: GlobalViolation; history: readonly { index: number; type: string; value: unknown }[] } | null {
  for (let seed = 1; seed <= SEEDS_MAX; seed++) {
    const result = runCells({ ...options, seed, config: defaultWorldConfig(), check: true });
    const verdict = result.verdicts?.checkers["global-conservation"] as { valid: unknown; first: GlobalViolation | null } | undefined;
    if (verdict?.valid === false && verdict.first !== null)
      return { seed, first: verdict.first, history: result.virtual.recorder.history() };
  }
  return null;
}

function expectNamed(found: ReturnType<typeof findWithin>, kinds: readonly string[]): void {
  expect(found, `not found within ${SEEDS_MAX} seeds`).not.toBeNull();
  const { first, history } = found as NonNullable<typeof found>;
  expect(kinds).toContain(first.kind);
  expect(first.transferId).toMatch(/^t\d+$/);
  // The index names the invocation of that very transfer.
  const op = history.find((candidate) => candidate.index === first.historyIndex);
  expect(op?.type).toBe("invoke");
  expect((op?.value as { id?: string } | undefined)?.id).toBe(first.transferId);
}

describe("the global-conservation checker catches a broken cross-cell protocol", () => {
  it("a destination that credits without its received-table check (double credit on redelivery)", () => {
    const found = findWithin({
      durationUs: 12_000_000,
      // Leaders killed and partitioned every 3 s: credits whose answers are lost get redelivered.
      nemesis: nemesisFor(["partition", "kill"], 3_000_000),
      ledger: { unsafeCreditWithoutIdempotency: true },
    });
    expectNamed(found, ["double-credit", "not-conserved"]);
  }, 1_800_000);

  it("a relay that refunds on a timeout (a refund without a refusal, or after a credit that did apply)", () => {
    const found = findWithin({
      durationUs: 12_000_000,
      nemesis: nemesisFor(["partition", "kill"], 3_000_000),
      // A relay deadline of 1 s (5 s by default): an election outlasts it, so credits time out, some after applying.
      relay: { unsafeRefundOnTimeout: true, clientRequestTimeoutUs: 1_000_000 },
    });
    expectNamed(found, ["refund-after-credit", "refund-without-refusal", "not-conserved"]);
  }, 1_800_000);

  it("the correct protocol under the same faults and the same 1 s relay deadline: nothing to find, everything settled", () => {
    const result = runCells({
      seed: 1,
      config: defaultWorldConfig(),
      check: true,
      durationUs: 12_000_000,
      nemesis: nemesisFor(["partition", "kill"], 3_000_000),
      relay: { clientRequestTimeoutUs: 1_000_000 },
    });
    expect(result.verdicts?.checkers["global-conservation"].valid).toBe(true);
    expect(result.crossCell.settled).toBeGreaterThan(0);
    expect(result.crossCell.refunded).toBe(0);
    expect(result.crossCell.inFlightAtEnd).toBe(0);
  }, 1_800_000);
});
