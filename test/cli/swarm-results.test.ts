// The swarm's JSONL results: a resumed run skips what is done, drops a torn last line, refuses a
// file of other parameters, and the summary counts violations per checker.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CliError } from "../../cli/errors.js";
import { appendResult, readResults, seedResultOf, summarise, type SwarmParameters } from "../../cli/swarm-results.js";
import { ldc, REPO_ROOT } from "./ldc.js";

const PARAMETERS: SwarmParameters = { duration: "10s", nemesis: "kill,disk", config: null };

function result(seed: number, stdout: string, exitCode: number) {
  return seedResultOf(seed, PARAMETERS, { exitCode, stdout, stderr: "", wallMs: 5, reproduce: `ldc sim --seed ${seed}` });
}

const VALID = JSON.stringify({ traceHash: "abc", checkers: { linearizable: true, bank: true }, invariantViolations: [] });
const BROKEN = JSON.stringify({ traceHash: "def", checkers: { linearizable: false, bank: true }, invariantViolations: ["money"] });

describe("swarm results", () => {
  it("names the checkers that failed, invariants included", () => {
    expect(result(1, VALID, 0).failedCheckers).toEqual([]);
    expect(result(2, BROKEN, 1).failedCheckers).toEqual(["linearizable", "invariants"]);
    expect(result(3, "", 2)).toMatchObject({ ok: false, failedCheckers: [], traceHash: null });
  });

  it("summarises violations by checker with each failure's reproducing command", () => {
    const summary = summarise([result(5, BROKEN, 1), result(1, VALID, 0), result(3, "", 2)]);
    expect(summary).toMatchObject({ seeds: 3, violations: 1, errors: 1, violationsByChecker: { linearizable: 1, invariants: 1 } });
    expect(summary.failing.map((failure) => [failure.seed, failure.reproduce])).toEqual([
      [3, "ldc sim --seed 3"],
      [5, "ldc sim --seed 5"],
    ]);
  });

  it("counts a checker whose verdict is an object by its validity", () => {
    const conserved = JSON.stringify({ checkers: { linearizable: true, "global-conservation": { valid: true, first: null } } });
    const broken = JSON.stringify({ checkers: { linearizable: true, "global-conservation": { valid: false, first: { index: 3 } } } });
    expect(result(1, conserved, 0).failedCheckers).toEqual([]);
    expect(result(2, broken, 1).failedCheckers).toEqual(["global-conservation"]);
  });

  it("says which commits and versions ran the seeds (a resumed run may span commits)", () => {
    const run = (seed: number, commit: string) =>
      seedResultOf(seed, PARAMETERS, { exitCode: 0, stdout: VALID, stderr: "", wallMs: 5, reproduce: "" }, { commit, version: "0.1.0" });
    const before = result(3, VALID, 0); // a line written before commits were recorded
    const summary = summarise([run(1, "a".repeat(40)), run(2, "b".repeat(40)), before]);
    expect(summary.commits).toEqual({ ["a".repeat(40)]: 1, ["b".repeat(40)]: 1, unknown: 1 });
    expect(summary.versions).toEqual({ "0.1.0": 2, unknown: 1 });
  });

  it("reads back what was appended and drops a torn last line", () => {
    const path = join(mkdtempSync(join(tmpdir(), "swarm-")), "results.jsonl");
    expect(readResults(path, PARAMETERS).size).toBe(0);
    appendResult(path, result(1, VALID, 0));
    appendResult(path, result(2, BROKEN, 1));
    writeFileSync(path, `${readFileSync(path, "utf8")}{"seed":3,"dur`);
    const read = readResults(path, PARAMETERS);
    expect([...read.keys()]).toEqual([1, 2]);
    expect(read.get(2)?.failedCheckers).toEqual(["linearizable", "invariants"]);
  });

  it("refuses a file of other parameters, or one corrupt before its last line", () => {
    const path = join(mkdtempSync(join(tmpdir(), "swarm-")), "results.jsonl");
    appendResult(path, result(1, VALID, 0));
    expect(() => readResults(path, { ...PARAMETERS, nemesis: "kill" })).toThrow(CliError);
    expect(() => readResults(path, { ...PARAMETERS, nemesis: "kill" })).toThrow(/--resume: .*nemesis/);
    writeFileSync(path, `garbage\n${readFileSync(path, "utf8")}`);
    expect(() => readResults(path, PARAMETERS)).toThrow(/--resume: .*line 1/);
  });
});

describe("ldc swarm --resume", () => {
  it("runs only the seeds missing from the file and summarises them all", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "swarm-")), "results.jsonl");
    const first = await ldc("swarm", "--seeds", "1..1", "--duration", "1s", "--jobs", "1", "--nemesis", "all", "--resume", path, "--json");
    expect(first.status).toBe(0);
    const second = await ldc("swarm", "--seeds", "1..2", "--duration", "1s", "--jobs", "1", "--nemesis", "all", "--resume", path, "--json");
    expect(second.status).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ seeds: 2, ran: 1, resumed: 1, violations: 0, violationsByChecker: {} });
    // Not a terminal, but resumable (a background run into a log): plain progress lines.
    expect(second.stderr).toMatch(/^swarm 1\/1 seeds, 0 failed, ETA \S+ \(2\/2 with resumed, \d+ seeds\/h\)$/m);
    const lines = readFileSync(path, "utf8").trim().split("\n");
    expect(lines.map((line) => (JSON.parse(line) as { seed: number }).seed)).toEqual([1, 2]);
  });

  it("a stopped swarm records only the seeds that finished, says how to resume, and exits 130", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "swarm-")), "results.jsonl");
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, "bin/ldc.mjs"), "swarm", "--seeds", "1..50", "--duration", "1s", "--jobs", "1", "--resume", path],
      {
        cwd: REPO_ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const closed = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    while (!existsSync(path) || readFileSync(path, "utf8").trim() === "") await new Promise((resolve) => setTimeout(resolve, 100));
    child.kill("SIGTERM");
    expect(await closed).toBe(130);
    expect(stderr).toMatch(/swarm stopped: \d+\/50 seeds done, rerun the same command to resume/);
    const lines = readFileSync(path, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { ok: boolean });
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThan(50);
    // The seed in flight at the stop is not recorded as a failure: it runs again on resume.
    expect(lines.every((line) => line.ok)).toBe(true);
  }, 60_000);
});
