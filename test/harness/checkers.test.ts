// Hand-made histories: each bug is caught by the checker meant for it, and its valid twin passes.
import { describe, expect, it } from "vitest";
import { checkAvailability } from "../../harness/checkers/availability.js";
import { checkBank } from "../../harness/checkers/bank.js";
import { checkDurability } from "../../harness/checkers/durability.js";
import { checkReplicaAgreement } from "../../harness/checkers/replica-agreement.js";
import { pairHistory, type Op } from "../../harness/history.js";
import type { Json } from "../../ground/json.js";
import { checkLinearizable } from "../../harness/linearizable.js";
import { casRegister, ledger } from "../../harness/models.js";

/** Builds a history from [process, type, f, value, timeUs?] rows. */
function history(rows: [number, Op["type"], string, Json, number?][]): Op[] {
  return rows.map(([process, type, f, value, time], index) => ({
    process,
    type,
    f,
    value,
    index,
    ...(time === undefined ? {} : { time }),
  }));
}

describe("linearizability: register", () => {
  const lostWrite = (readValue: number) =>
    history([
      [1, "invoke", "write", 1],
      [1, "ok", "write", 1],
      [2, "invoke", "write", 2],
      [2, "ok", "write", 2],
      [3, "invoke", "read", null],
      [3, "ok", "read", readValue],
    ]);
  it("catches a lost acknowledged write (the read sees the older value)", () => {
    const verdict = checkLinearizable(casRegister(0), pairHistory(lostWrite(1)));
    expect(verdict.valid).toBe(false);
    expect(verdict.failure?.op).toMatchObject({ f: "read", result: 1 });
  });
  it("passes the valid twin", () => {
    expect(checkLinearizable(casRegister(0), pairHistory(lostWrite(2))).valid).toBe(true);
  });
  it("lets an info write take effect later, or never", () => {
    const rows = (seen: number): Op[] =>
      history([
        [1, "invoke", "write", 5],
        [1, "info", "write", 5],
        [2, "invoke", "read", null],
        [2, "ok", "read", 0],
        [3, "invoke", "read", null],
        [3, "ok", "read", seen],
      ]);
    expect(checkLinearizable(casRegister(0), pairHistory(rows(5))).valid).toBe(true);
    expect(checkLinearizable(casRegister(0), pairHistory(rows(0))).valid).toBe(true);
    expect(checkLinearizable(casRegister(0), pairHistory(rows(7))).valid).toBe(false);
  });
});

describe("linearizability: ledger", () => {
  const opening: [number, Op["type"], string, Json][] = [
    [0, "invoke", "open", { account: "a", initialBalance: 100 }],
    [0, "ok", "open", { account: "a", outcome: "posted" }],
    [0, "invoke", "open", { account: "b", initialBalance: 0 }],
    [0, "ok", "open", { account: "b", outcome: "posted" }],
  ];
  const transfer = { id: "t1", from: "a", to: "b", amount: 30 };
  it("catches a stale read: a read after an acknowledged transfer shows the old balances", () => {
    const rows = (balances: Json) =>
      history([
        ...opening,
        [1, "invoke", "transfer", transfer],
        [1, "ok", "transfer", { id: "t1", outcome: "posted" }],
        [2, "invoke", "read", null],
        [2, "ok", "read", { balances }],
      ]);
    const stale = checkLinearizable(ledger(), pairHistory(rows({ a: 100, b: 0 })));
    expect(stale.valid).toBe(false);
    expect(stale.failure?.op.f).toBe("read");
    expect(checkLinearizable(ledger(), pairHistory(rows({ a: 70, b: 30 }))).valid).toBe(true);
  });
  it("catches a double-applied transfer (a retry applied twice)", () => {
    const rows = (balances: Json) =>
      history([
        ...opening,
        [1, "invoke", "transfer", transfer],
        [1, "info", "transfer", transfer],
        [2, "invoke", "transfer", transfer],
        [2, "ok", "transfer", { id: "t1", outcome: "posted" }],
        [3, "invoke", "read", null],
        [3, "ok", "read", { balances }],
      ]);
    const paired = pairHistory(rows({ a: 40, b: 60 }));
    expect(checkLinearizable(ledger({ repeatedIds: new Set(["t1"]) }), paired).valid).toBe(false);
    expect(checkLinearizable(ledger({ repeatedIds: new Set(["t1"]) }), pairHistory(rows({ a: 70, b: 30 }))).valid).toBe(true);
  });
  it("checks posted/rejected outcomes against the funds", () => {
    const rows = (outcome: string) =>
      history([
        ...opening,
        [1, "invoke", "transfer", { id: "t2", from: "b", to: "a", amount: 5 }],
        [1, "ok", "transfer", { id: "t2", outcome }],
      ]);
    expect(checkLinearizable(ledger(), pairHistory(rows("posted"))).valid).toBe(false);
    expect(checkLinearizable(ledger(), pairHistory(rows("rejected"))).valid).toBe(true);
  });
  it("partitions by cell", () => {
    const rows = history([
      [1, "invoke", "open", { cell: "c1", account: "a", initialBalance: 1 }],
      [2, "invoke", "open", { cell: "c2", account: "a", initialBalance: 2 }],
      [1, "ok", "open", { cell: "c1", outcome: "posted" }],
      [2, "ok", "open", { cell: "c2", outcome: "posted" }],
      [3, "invoke", "read", { cell: "c2" }],
      [3, "ok", "read", { cell: "c2", balances: { a: 2 } }],
    ]);
    expect(checkLinearizable(ledger(), pairHistory(rows))).toMatchObject({ valid: true, partitions: 2 });
  });
});

describe("bank (Jepsen semantics)", () => {
  const reads = (...values: Json[]): Op[] =>
    history(
      values.flatMap((value, i): [number, Op["type"], string, Json][] => [
        [i, "invoke", "read", null],
        [i, "ok", "read", value],
      ]),
    );
  it("catches a read with a wrong total, with count, first, worst, last, lowest, highest", () => {
    const verdict = checkBank(reads({ "0": 50, "1": 50 }, { "0": 50, "1": 49 }, { "0": 90, "1": 50 }, { "0": 50, "1": 51 }), {
      accounts: [0, 1],
      total: 100,
    });
    expect(verdict).toMatchObject({ valid: false, "read-count": 4, "error-count": 3 });
    const group = verdict.errors["wrong-total"];
    expect(group?.count).toBe(3);
    expect(group?.first.op.index).toBe(3);
    expect(group?.worst.op.index).toBe(5);
    expect(group?.last.op.index).toBe(7);
    expect(group?.lowest).toMatchObject({ total: 99 });
    expect(group?.highest).toMatchObject({ total: 140 });
    expect(verdict["first-error"]?.op.index).toBe(3);
  });
  it("reports unexpected keys, nil balances and negative values, in Jepsen's precedence", () => {
    const verdict = checkBank(reads({ "0": 100, "9": 0 }, { "0": null, "1": 100 }, { "0": 120, "1": -20 }), {
      accounts: [0, 1],
      total: 100,
    });
    expect(Object.keys(verdict.errors).sort()).toEqual(["negative-value", "nil-balance", "unexpected-key"]);
    expect(verdict.errors["negative-value"]?.first).toMatchObject({ negative: [-20] });
    expect(checkBank(reads({ "0": 120, "1": -20 }), { accounts: [0, 1], total: 100, negativeBalances: true }).valid).toBe(true);
  });
  it("passes the valid twin", () => {
    expect(checkBank(reads({ "0": 30, "1": 70 }, { balances: { "0": 0, "1": 100 } }), { accounts: [0, 1], total: 100 })).toMatchObject({
      valid: true,
      "error-count": 0,
    });
  });
});

describe("durability", () => {
  const ops = history([
    [1, "invoke", "transfer", { id: "t1", cell: "c1" }],
    [1, "ok", "transfer", { id: "t1", outcome: "posted" }],
    [2, "invoke", "transfer", { id: "t2", cell: "c1" }],
    [2, "fail", "transfer", { id: "t2" }],
    [3, "invoke", "transfer", { id: "t3", cell: "c1" }],
    [3, "info", "transfer", { id: "t3" }],
  ]);
  it("passes when every ok transfer is there once and no failed one is", () => {
    const verdict = checkDurability(ops, { c1: [{ id: "t1", outcome: "posted" }] });
    expect(verdict).toMatchObject({ valid: true, acknowledged: 1, failed: 1, infoAbsent: ["t3"], infoPresent: [] });
  });
  it("catches a lost acknowledged transfer, a double-applied one and a failed one applied", () => {
    expect(checkDurability(ops, { c1: [] }).violations).toMatchObject([{ kind: "lost", id: "t1" }]);
    expect(
      checkDurability(ops, {
        c1: [
          { id: "t1", outcome: "posted" },
          { id: "t1", outcome: "posted" },
        ],
      }).violations,
    ).toMatchObject([{ kind: "duplicated", id: "t1", copies: 2 }]);
    const failed = checkDurability(ops, {
      c1: [
        { id: "t1", outcome: "posted" },
        { id: "t2", outcome: "posted" },
        { id: "t3", outcome: "posted" },
      ],
    });
    expect(failed.violations).toMatchObject([{ kind: "failed-but-present", id: "t2" }]);
    expect(failed.infoPresent).toEqual(["t3"]);
  });
});

describe("replica agreement", () => {
  it("names the diverged replica and the first index where it differs", () => {
    const verdict = checkReplicaAgreement({
      "cell-1": {
        r1: [
          { index: 1, hash: "a" },
          { index: 2, hash: "b" },
          { index: 3, hash: "c" },
        ],
        r2: [
          { index: 1, hash: "a" },
          { index: 2, hash: "b" },
        ],
        r3: [
          { index: 1, hash: "a" },
          { index: 2, hash: "X" },
        ],
      },
    });
    expect(verdict.valid).toBe(false);
    expect(verdict.commonPrefix["cell-1"]).toBe(2);
    expect(verdict.divergences).toEqual([{ cell: "cell-1", replica: "r3", index: 2, hash: "X", expectedHash: "b" }]);
  });
  it("passes replicas that agree on the common prefix (heads of equal count)", () => {
    expect(checkReplicaAgreement({ c: { r1: { headHash: "h", count: 4 }, r2: { headHash: "h", count: 4 } } })).toMatchObject({
      valid: true,
      comparedPoints: 1,
    });
  });
});

describe("availability", () => {
  it("measures RTO and per-phase error rate and latency", () => {
    const ops = history([
      [1, "invoke", "read", { cell: "c1" }, 0],
      [1, "ok", "read", { cell: "c1" }, 10],
      [2, "invoke", "read", { cell: "c1" }, 100],
      [2, "info", "read", null, 300],
      [3, "invoke", "read", { cell: "c1" }, 150],
      [3, "ok", "read", { cell: "c1" }, 400],
      [4, "invoke", "read", { cell: "c1" }, 600],
      [4, "ok", "read", { cell: "c1" }, 620],
    ]);
    const verdict = checkAvailability(ops, [{ id: "w1", kind: "region-outage", startUs: 100, endUs: 500 }], { rtoUsMax: 250 });
    const cell = verdict.windows[0]?.cells[0];
    expect(cell).toMatchObject({
      cell: "c1",
      rtoUs: 300,
      before: { ops: 1, errorRate: 0, latencyUsP50: 10 },
      during: { ops: 2, errorRate: 0.5 },
      after: { ops: 1, latencyUsP99: 20 },
    });
    expect(verdict).toMatchObject({ valid: false, slow: ["w1/c1"] });
    expect(checkAvailability(ops, [{ id: "w1", kind: "x", startUs: 100, endUs: 500 }], { rtoUsMax: 300 }).valid).toBe(true);
  });
});
