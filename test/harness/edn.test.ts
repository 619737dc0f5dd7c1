import { describe, expect, it } from "vitest";
import { EdnError, readEdn, readEdnAll, writeEdn } from "../../harness/edn.js";
import { HistoryError, pairHistory, parseHistory, toEdn, toJsonArray, toJsonl, type Op } from "../../harness/history.js";

function errorAt(text: string): { line: number; column: number; detail: string } {
  try {
    readEdn(text);
  } catch (error) {
    if (error instanceof EdnError) return { line: error.line, column: error.column, detail: error.detail };
    throw error;
  }
  throw new Error("expected an EdnError");
}

describe("EDN reader", () => {
  it("reads the data types histories use", () => {
    expect(readEdn('[1 -2 3.5 nil true false :ok "a\\"b\\n\\u0041" sym (1 2) #{3} {:a 1, "b" [2]}]')).toEqual([
      1,
      -2,
      3.5,
      null,
      true,
      false,
      "ok",
      'a"b\nA',
      "sym",
      [1, 2],
      [3],
      { a: 1, b: [2] },
    ]);
  });
  it("treats commas as whitespace, skips ; comments and #_ forms", () => {
    expect(readEdn("; head\n[1,,2 ; two\n #_ 99 3]")).toEqual([1, 2, 3]);
  });
  it("maps integer keys to strings (Jepsen bank reads)", () => {
    expect(readEdn("{0 10 1 -3}")).toEqual({ "0": 10, "1": -3 });
  });
  it("skips or rejects tagged literals", () => {
    expect(readEdn('#inst "2020-01-01"')).toBe("2020-01-01");
    expect(() => readEdn('#inst "x"', { taggedLiterals: "reject" })).toThrow(EdnError);
  });
  it("reads several top-level forms", () => {
    expect(readEdnAll("{:a 1}\n{:a 2}")).toEqual([{ a: 1 }, { a: 2 }]);
  });
  it("names line and column of errors", () => {
    expect(errorAt("[1 2\n 3")).toMatchObject({ line: 1, column: 1 });
    expect(errorAt("[1\n  ]]")).toMatchObject({ line: 2, column: 4 });
    expect(errorAt('{:a 1\n :b "x\\q"}')).toMatchObject({ line: 2, column: 7 });
    expect(errorAt("[1 2)")).toMatchObject({ line: 1, column: 5 });
    expect(errorAt("{:a}")).toMatchObject({ line: 1, column: 2 });
    expect(errorAt("[99999999999999999999]").detail).toContain("malformed number");
  });
  it("round-trips ops through EDN, JSON Lines and JSON", () => {
    const ops: Op[] = [
      { process: 0, type: "invoke", f: "cas", value: [1, 2], index: 0 },
      { process: 0, type: "ok", f: "cas", value: [1, 2], index: 1, time: 5 },
    ];
    for (const text of [toEdn(ops), toJsonl(ops), toJsonArray(ops)]) expect(parseHistory(text)).toEqual(ops);
    expect(writeEdn({ type: "ok" }, new Set(["type"]))).toBe("{:type :ok}");
  });
});

describe("history pairing", () => {
  const op = (index: number, process: number, type: Op["type"]): Op => ({ process, type, f: "read", value: null, index });
  it("pairs invokes with completions and leaves the open ones as info", () => {
    const paired = pairHistory([op(0, 1, "invoke"), op(1, 2, "invoke"), op(2, 1, "ok")]);
    expect(paired.map((entry) => [entry.process, entry.type, entry.completion?.index ?? null])).toEqual([
      [1, "ok", 2],
      [2, "info", null],
    ]);
  });
  it("rejects an ok without invoke, naming the op index", () => {
    expect(() => pairHistory([op(0, 1, "invoke"), op(1, 1, "ok"), op(2, 1, "ok")])).toThrow(
      /op 2: ok by process 1 has no preceding invoke/,
    );
  });
  it("rejects a double invoke and an invoke after info", () => {
    expect(() => pairHistory([op(0, 1, "invoke"), op(1, 1, "invoke")])).toThrow(HistoryError);
    expect(() => pairHistory([op(0, 1, "invoke"), op(1, 1, "info"), op(2, 1, "invoke")])).toThrow(/fresh process/);
  });
  it("ignores nemesis ops", () => {
    expect(pairHistory(parseHistory("[{:process :nemesis, :type :info, :f :kill}]"))).toEqual([]);
  });
});
