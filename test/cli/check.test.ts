// `ldc check` exit codes, by spawning the real CLI.
import { knossosDir } from "../../harness/conformance.js";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateLedgerHistory } from "../../harness/generate.js";
import { toJsonl } from "../../harness/history.js";

const K = knossosDir();
const dir = mkdtempSync(join(tmpdir(), "ldc-check-"));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const ldc = (...args: string[]) => spawnSync("node", ["bin/ldc.mjs", "check", ...args], { encoding: "utf8", timeout: 60_000 });

describe("ldc check", () => {
  it("exits 0 for valid files and prints one JSON line per file", () => {
    const run = ldc(
      "--model",
      "cas-register",
      "--json",
      `${K}/cas-register/good/cas-register-bug.edn`,
      `${K}/cas-register/good/memstress3-1.edn`,
    );
    expect(run.status).toBe(0);
    const lines = run.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { valid: unknown; model: string; ops: number; ms: number; file: string });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ valid: true, model: "cas-register", file: `${K}/cas-register/good/cas-register-bug.edn` });
    expect(typeof lines[1]?.ms).toBe("number");
  });
  it("exits 1 for an invalid history, with the failing op", () => {
    const run = ldc("--model", "cas-register", "--initial", "null", `${K}/cas-register/bad/rethink-fail-minimal.edn`);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("INVALID");
  });
  it("exits 1 for a bank history with a wrong total and 0 for a multi-register one", () => {
    const bank = file("bank.edn", "[{:process 0 :type :invoke :f :read} {:process 0 :type :ok :f :read :value {0 50 1 49}}]");
    expect(ldc("--model", "bank", "--initial", '{"accounts":[0,1],"total":100}', bank).status).toBe(1);
    expect(ldc("--model", "multi-register", "--initial", '{"x":0,"y":0}', `${K}/multi-register/good/multi-register.edn`).status).toBe(0);
  });
  it("multi-register without --initial assumes Knossos' convention (every register 0) and says so (issue 15: defect 14)", () => {
    const knossosFile = `${K}/multi-register/good/multi-register.edn`;
    const human = ldc("--model", "multi-register", knossosFile);
    expect(human.status, human.stdout).toBe(0);
    expect(human.stdout).toContain("valid");
    expect(human.stdout).toContain('assumed initial state {"x":0,"y":0}');
    const json = ldc("--model", "multi-register", "--json", knossosFile);
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, initial: { x: 0, y: 0 }, initialAssumed: true });
    const given = ldc("--model", "multi-register", "--json", "--initial", '{"x":1,"y":0}', knossosFile);
    expect(JSON.parse(given.stdout)).toMatchObject({ initial: { x: 1, y: 0 }, initialAssumed: false });
  });
  it("exits 3 when the budget runs out", () => {
    const hard = file("hard.jsonl", toJsonl(generateLedgerHistory({ seed: 7, ops: 3000, clients: 20 })));
    const run = ldc("--model", "ledger", "--timeout", "200ms", "--json", hard);
    expect(run.status).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({ valid: "unknown", reason: "timeout" });
  });
  it("exits 2 with one line naming the place for bad input", () => {
    const cases: [string[], RegExp][] = [
      [["--model", "foo", "x"], /--model: expected cas-register \| multi-register \| bank \| ledger/],
      [
        ["--model", "cas-register", file("unpaired.edn", "[{:process 1 :type :ok :f :read :value 1}]")],
        /op 0: ok by process 1 has no preceding invoke/,
      ],
      [["--model", "cas-register", file("bad.edn", "[{:process 1\n  :type :invoke :f :read]")], /bad\.edn:2:25: unexpected "\]"/],
      [["--model", "bank", "--initial", "{nope", `${K}/multi-register/good/multi-register.edn`], /--initial: expected JSON/],
      [["--model", "bank", "--initial", "{}", `${K}/multi-register/good/multi-register.edn`], /--initial: expected bank options/],
    ];
    for (const [args, message] of cases) {
      const run = ldc(...args);
      expect(run.status, args.join(" ")).toBe(2);
      expect(run.stderr.trim().split("\n")).toHaveLength(1);
      expect(run.stderr).toMatch(message);
    }
  });
});
