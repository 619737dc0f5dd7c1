// `ldc sim --bug` (a deliberate bug of cells/bugs.ts), `--nemesis-interval` and `--report-html`:
// a seed the catalogue records as caught exits 1 naming its checkers, prints a reproducing command
// that carries the bug, and writes the HTML report; bad flags exit 2 naming the field.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ldc } from "./ldc.js";
import { mutant, type MutantEntry } from "../../harness/mutants.js";

/** The catalogue's world, mix and bug for `entry`, as the flags `ldc sim` and `ldc swarm` share. */
function mutantFlags(entry: MutantEntry): string[] {
  return [
    "--config",
    "bench/mutants-world.yaml",
    "--duration",
    "10s",
    "--nemesis",
    entry.nemesis.join(","),
    "--nemesis-interval",
    "1s",
    "--bug",
    entry.name,
    ...(entry.faultUs === undefined ? [] : ["--nemesis-fault", `${entry.faultUs / 1000}ms`]),
  ];
}

describe("ldc sim --bug", () => {
  it("a caught bug exits 1 with its catchers, the reproducing command and an HTML report", async () => {
    const entry = mutant("stale-local-read");
    const file = join(mkdtempSync(join(tmpdir(), "ldc-report-")), "failure.html");
    const run = await ldc(
      "sim",
      ...mutantFlags(entry),
      "--seed",
      String(entry.firstFailingSeed),
      "--check",
      "--report-html",
      file,
      "--json",
    );
    expect(run.status, run.stderr).toBe(1);
    const out = JSON.parse(run.stdout) as {
      valid: boolean;
      caughtBy: string[];
      reproduce: string;
      bugs: string[];
      checkers: Record<string, unknown>;
    };
    expect(out.valid).toBe(false);
    expect(out.bugs).toEqual(["stale-local-read"]);
    expect(out.caughtBy).toContain("linearizable");
    expect(out.reproduce).toContain("--bug stale-local-read");
    expect(out.reproduce).toContain("--nemesis-interval 1s");
    expect(out.checkers.liveness).toBe(true);
    const html = readFileSync(file, "utf8");
    expect(html).toContain("Operation that cannot be placed");
    expect(html).toContain("Longest linearizable prefix");
    expect(html).toContain(out.reproduce);
  }, 120_000);

  it("ldc swarm --bug runs every seed with the bug and reports the failing ones with it", async () => {
    const entry = mutant("stale-local-read");
    const seed = String(entry.firstFailingSeed);
    const run = await ldc("swarm", "--seeds", `${seed}..${seed}`, "--jobs", "1", ...mutantFlags(entry), "--json");
    expect(run.status, run.stderr).toBe(1);
    const summary = JSON.parse(run.stdout) as { violations: number; failing: { seed: number; reproduce: string }[] };
    expect(summary.violations).toBe(1);
    expect(summary.failing[0]?.reproduce).toContain("--bug stale-local-read");
  }, 120_000);

  it("a failing checker says what it found in words: in the text, in --json's findings and in the swarm's summary", async () => {
    const entry = mutant("transfer-to-lagging");
    const seed = String(entry.firstFailingSeed);
    const [text, json, swarm] = await Promise.all([
      ldc("sim", ...mutantFlags(entry), "--seed", seed, "--check"),
      ldc("sim", ...mutantFlags(entry), "--seed", seed, "--check", "--json"),
      ldc("swarm", "--seeds", `${seed}..${seed}`, "--jobs", "1", ...mutantFlags(entry), "--json"),
    ]);
    const finding =
      /^planned-switchover: move-\d+\/cell-1: leadership moved to cell-1\/\S+, \d+ entries behind cell-1\/\S+ at the request \(the controller's rule: at most 64\)/;
    expect(text.status, text.stderr).toBe(1);
    expect(text.stdout.split("\n").some((line) => finding.test(line))).toBe(true);
    const out = JSON.parse(json.stdout) as { caughtBy: string[]; findings: string[] };
    expect(out.caughtBy).toEqual(["planned-switchover"]);
    expect(out.findings[0]).toMatch(finding);
    const summary = JSON.parse(swarm.stdout) as { failing: { summary: string }[] };
    expect(summary.failing[0]?.summary).toContain(out.findings[0]);
  }, 120_000);

  it("bad flags exit 2 naming the field", async () => {
    const [unknownBug, badInterval, reportWithoutCheck] = await Promise.all([
      ldc("sim", "--bug", "no-such-bug", "--check"),
      ldc("sim", "--nemesis", "kill", "--nemesis-interval", "soon"),
      ldc("sim", "--report-html", "x.html"),
    ]);
    expect(unknownBug.status).toBe(2);
    expect(unknownBug.stderr).toMatch(/--bug: unknown bug "no-such-bug"/);
    expect(badInterval.status).toBe(2);
    expect(badInterval.stderr).toMatch(/--nemesis-interval/);
    expect(reportWithoutCheck.status).toBe(2);
    expect(reportWithoutCheck.stderr).toMatch(/--report-html: needs --check/);
  }, 60_000);
});
