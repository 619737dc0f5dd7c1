import { describe, expect, it } from "vitest";
import { corruptLedgerHistory, generateLedgerHistory } from "../../harness/generate.js";
import { pairHistory } from "../../harness/history.js";
import { checkLinearizable } from "../../harness/linearizable.js";
import { ledger, repeatedLedgerIds } from "../../harness/models.js";

const check = (ops: ReturnType<typeof generateLedgerHistory>) => {
  const paired = pairHistory(ops);
  return checkLinearizable(ledger({ repeatedIds: repeatedLedgerIds(paired) }), paired, { timeoutMs: 20_000 });
};

describe("generated ledger histories", () => {
  it("are deterministic per seed", () => {
    expect(generateLedgerHistory({ seed: 9, ops: 200, clients: 4 })).toEqual(generateLedgerHistory({ seed: 9, ops: 200, clients: 4 }));
  });
  it("are valid, with concurrency, fails and infos", () => {
    const ops = generateLedgerHistory({ seed: 11, ops: 1500, clients: 5, cells: 2, infoProbability: 0.01 });
    const types = new Set(ops.map((op) => op.type));
    expect([...types].sort()).toEqual(["fail", "info", "invoke", "ok"]);
    expect(check(ops)).toMatchObject({ valid: true, partitions: 2 });
  });
  for (const corruption of ["wrong-balance", "stale-read", "flip-outcome"] as const) {
    it(`have an invalid ${corruption} twin`, () => {
      const ops = generateLedgerHistory({ seed: 12, ops: 800, clients: 4 });
      const twin = corruptLedgerHistory(ops, corruption, 1);
      expect(twin).not.toBeNull();
      expect(check(twin?.history ?? []).valid).toBe(false);
    });
  }
});
