// Every Knossos example history gets the verdict Knossos' own tests expect (README table),
// read straight from the shared EDN files.
import { knossosDir } from "../../harness/conformance.js";
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { pairHistory, parseHistory } from "../../harness/history.js";
import { checkLinearizable } from "../../harness/linearizable.js";
import { generateLedgerHistory } from "../../harness/generate.js";
import { casRegister, ledger, multiRegister } from "../../harness/models.js";

const ROOT = knossosDir();
const read = (path: string) => pairHistory(parseHistory(readFileSync(`${ROOT}/${path}`, "utf8"), "edn"));

describe("knossos conformance", () => {
  const table = [
    { dir: "cas-register/good", expected: true, count: 113 },
    { dir: "cas-register/bad", expected: false, count: 7 },
    { dir: "multi-register/good", expected: true, count: 1 },
  ] as const;
  for (const { dir, expected, count } of table) {
    it(`${dir}: all ${count} files ${expected ? "linearizable" : "not linearizable"}`, () => {
      const files = readdirSync(`${ROOT}/${dir}`).filter((file) => file.endsWith(".edn"));
      expect(files).toHaveLength(count);
      const wrong: string[] = [];
      for (const file of files) {
        const history = read(`${dir}/${file}`);
        const options = { timeoutMs: 20_000 };
        const verdict = dir.startsWith("multi")
          ? checkLinearizable(multiRegister({ x: 0, y: 0 }), history, options)
          : checkLinearizable(casRegister(0), history, options);
        if (verdict.valid !== expected) wrong.push(`${file}: ${String(verdict.valid)}`);
      }
      expect(wrong).toEqual([]);
    });
  }

  it("wgl_test: rethink-fail-minimal and -smaller are not linearizable from nil either", () => {
    for (const file of ["rethink-fail-minimal.edn", "rethink-fail-smaller.edn"]) {
      expect(checkLinearizable(casRegister(null), read(`cas-register/bad/${file}`)).valid).toBe(false);
    }
  });

  it("names the read of 3 as the op that cannot be placed, not the later read", () => {
    const verdict = checkLinearizable(casRegister(null), read("cas-register/bad/rethink-fail-minimal.edn"));
    expect(verdict.failure?.op).toMatchObject({ f: "read", process: 1, result: 3, invokeIndex: 2 });
    expect(verdict.failure?.linearizedCount).toBe(2);
  });

  it("a spent budget turns the search into unknown, never a wrong answer", () => {
    let nowMs = 0;
    const history = pairHistory(generateLedgerHistory({ seed: 3, ops: 2000, clients: 20 }));
    const timedOut = checkLinearizable(ledger(), history, { timeoutMs: 1, nowMs: () => (nowMs += 10) });
    expect(timedOut).toMatchObject({ valid: "unknown", reason: "timeout" });
    const tooBig = checkLinearizable(casRegister(0), read("cas-register/good/memstress3-51.edn"), { cacheEntriesMax: 10 });
    expect(tooBig).toMatchObject({ valid: "unknown", reason: "cache-limit" });
  });
});
