import { describe, expect, it } from "vitest";
import { checkLogWitness, type LogEntry } from "../../chaos/drill/log-witness.js";
import type { Op } from "../../harness/history.js";
import type { Json } from "../../harness/json.js";

// A tiny cell: two accounts opened, then transfers; ops are [process, type, f, value, timeUs].
function history(rows: readonly [number, Op["type"], string, Json, number][]): Op[] {
  return rows.map(([process, type, f, value, time], index) => ({ process, type, f, value, time, index }));
}

const opened: LogEntry[] = [
  { input: { f: "open", account: "a", initialBalance: 100 }, outcome: "posted" },
  { input: { f: "open", account: "b", initialBalance: 100 }, outcome: "posted" },
];
const t1: LogEntry = { input: { f: "transfer", id: "t1", from: "a", to: "b", amount: 30 }, outcome: "posted" };
const t2: LogEntry = { input: { f: "transfer", id: "t2", from: "b", to: "a", amount: 500 }, outcome: "rejected" };
const opens: [number, Op["type"], string, Json, number][] = [
  [0, "invoke", "open", { account: "a", initialBalance: 100, cell: "c" }, 0],
  [1, "invoke", "open", { account: "b", initialBalance: 100, cell: "c" }, 0],
  [0, "ok", "open", { account: "a", initialBalance: 100, cell: "c", outcome: "posted" }, 10],
  [1, "ok", "open", { account: "b", initialBalance: 100, cell: "c", outcome: "posted" }, 10],
];
const transfer = (process: number, id: string, from: string, to: string, amount: number, invokeUs: number, completeUs: number, outcome: "posted" | "rejected", type: Op["type"] = "ok"): [number, Op["type"], string, Json, number][] => [
  [process, "invoke", "transfer", { id, from, to, amount, cell: "c" }, invokeUs],
  [process, type, "transfer", type === "ok" ? { id, from, to, amount, cell: "c", outcome } : { id, from, to, amount, cell: "c" }, completeUs],
];
const read = (process: number, invokeUs: number, completeUs: number, a: number, b: number): [number, Op["type"], string, Json, number][] => [
  [process, "invoke", "read", { cell: "c" }, invokeUs],
  [process, "ok", "read", { cell: "c", balances: { a, b } }, completeUs],
];

describe("log-order witness", () => {
  it("accepts a history the log order linearizes, with concurrent reads placed at a matching prefix", () => {
    const ops = history([...opens, ...transfer(2, "t1", "a", "b", 30, 20, 40, "posted"), ...read(3, 25, 45, 100, 100), ...read(4, 50, 60, 70, 130), ...transfer(5, "t2", "b", "a", 500, 70, 80, "rejected")]);
    expect(checkLogWitness(ops, [...opened, t1, t2])).toMatchObject({ valid: true, commands: 4, reads: 2 });
  });

  it("rejects a stale read: the transfer completed before the read began, but the read missed it", () => {
    const ops = history([...opens, ...transfer(2, "t1", "a", "b", 30, 20, 40, "posted"), ...read(3, 50, 60, 100, 100)]);
    const verdict = checkLogWitness(ops, [...opened, t1]);
    expect(verdict.valid).toBe(false);
    expect(verdict.problem).toContain("read balances match no log prefix");
  });

  it("rejects reads that go back in time", () => {
    const ops = history([...opens, ...transfer(2, "t1", "a", "b", 30, 20, 100, "posted"), ...read(3, 25, 30, 70, 130), ...read(4, 40, 50, 100, 100)]);
    expect(checkLogWitness(ops, [...opened, t1]).valid).toBe(false);
  });

  it("rejects an acknowledged transfer missing from the log, a failed one present, and a wrong outcome", () => {
    expect(checkLogWitness(history([...opens, ...transfer(2, "t1", "a", "b", 30, 20, 40, "posted")]), opened).problem).toContain("acknowledged but is not in the log");
    expect(checkLogWitness(history([...opens, ...transfer(2, "t1", "a", "b", 30, 20, 40, "posted", "fail")]), [...opened, t1]).problem).toContain("failed but is in the log");
    expect(checkLogWitness(history([...opens, ...transfer(2, "t1", "a", "b", 30, 20, 40, "rejected")]), [...opened, t1]).problem).toContain("acknowledged rejected");
  });

  it("accepts an info transfer either way, and rejects a log that breaks real-time order", () => {
    const info = history([...opens, ...transfer(2, "t1", "a", "b", 30, 20, 40, "posted", "info")]);
    expect(checkLogWitness(info, [...opened, t1]).valid).toBe(true);
    expect(checkLogWitness(info, opened).valid).toBe(true);
    const sequential = history([...opens, ...transfer(2, "t1", "a", "b", 30, 20, 40, "posted"), ...transfer(3, "t3", "a", "b", 10, 50, 60, "posted")]);
    const t3: LogEntry = { input: { f: "transfer", id: "t3", from: "a", to: "b", amount: 10 }, outcome: "posted" };
    expect(checkLogWitness(sequential, [...opened, t1, t3]).valid).toBe(true);
    expect(checkLogWitness(sequential, [...opened, t3, t1]).problem).toContain("before that of a command completed before it was invoked");
  });

  it("rejects a log whose outcome the ledger model contradicts", () => {
    const overdraft: LogEntry = { input: { f: "transfer", id: "t9", from: "a", to: "b", amount: 1000 }, outcome: "posted" };
    expect(checkLogWitness(history(opens), [...opened, overdraft]).problem).toContain("contradicts the ledger model");
  });
});
