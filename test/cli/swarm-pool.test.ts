// The swarm's long-lived workers (cli/swarm-pool.ts, cli/swarm-worker.ts) give exactly what `ldc sim`
// in a process of its own gives: the same output (trace hash, every checker's verdict, everything but
// the wall time) and exit code, for a clean seed, a seed a deliberate bug makes fail, a seed run after
// those in the same worker, and bad input. And `ldc swarm` records the commit and version per result.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NEMESIS_FAMILIES } from "../../chaos/nemesis.js";
import { mutant } from "../../harness/mutants.js";
import { SeedWorker } from "../../cli/swarm-pool.js";
import type { SeedReply } from "../../cli/swarm-worker.js";
import type { CellsSimFlags } from "../../cli/sim-flags.js";
import { ldc } from "./ldc.js";

const ALL = NEMESIS_FAMILIES.join(",");
const BUG = mutant("stale-local-read");

interface Case {
  readonly name: string;
  readonly seed: number;
  readonly flags: CellsSimFlags;
  readonly args: readonly string[];
}

const CASES: readonly Case[] = [
  {
    name: "all nemeses, clean",
    seed: 3,
    flags: { duration: "2s", nemesis: ALL, check: true, json: true, workload: "cells" },
    args: ["--duration", "2s", "--nemesis", ALL, "--check", "--json"],
  },
  {
    name: "a deliberate bug the checkers catch",
    seed: BUG.firstFailingSeed as number,
    flags: {
      duration: "10s",
      config: "bench/mutants-world.yaml",
      nemesis: BUG.nemesis.join(","),
      nemesisInterval: "1s",
      bug: BUG.name,
      check: true,
      json: true,
      workload: "cells",
    },
    args: [
      "--duration",
      "10s",
      "--config",
      "bench/mutants-world.yaml",
      "--nemesis",
      BUG.nemesis.join(","),
      "--nemesis-interval",
      "1s",
      "--bug",
      BUG.name,
      "--check",
      "--json",
    ],
  },
  {
    name: "all nemeses after the others in the same worker",
    seed: 5,
    flags: { duration: "2s", nemesis: ALL, check: true, json: true, workload: "cells" },
    args: ["--duration", "2s", "--nemesis", ALL, "--check", "--json"],
  },
  {
    name: "bad input",
    seed: 1,
    flags: { duration: "2s", config: "no/such/world.yaml", check: true, json: true, workload: "cells" },
    args: ["--duration", "2s", "--config", "no/such/world.yaml", "--check", "--json"],
  },
];

/** The output without its wall time, the one field that depends on the machine. */
function comparable(stdout: string): unknown {
  if (stdout === "") return "";
  const parsed = JSON.parse(stdout) as Record<string, unknown>;
  delete parsed.wallMs;
  return parsed;
}

describe("swarm worker", () => {
  const worker = new SeedWorker();
  afterAll(() => worker.close());

  it("runs each seed exactly as ldc sim does in its own process", async () => {
    // The CLI runs start together (their start-up overlaps); the worker runs the cases one after the other.
    const cli = Promise.all(CASES.map((c) => ldc("sim", "--seed", String(c.seed), ...c.args)));
    const pooled: (SeedReply | null)[] = [];
    for (const c of CASES) pooled.push(await worker.run({ seed: c.seed, flags: c.flags }));
    const direct = await cli;
    CASES.forEach((c, index) => {
      const fromWorker = pooled[index];
      const fromCli = direct[index];
      expect(fromWorker, c.name).not.toBeNull();
      expect(fromWorker?.exitCode, c.name).toBe(fromCli?.status);
      expect(comparable(fromWorker?.stdout ?? ""), c.name).toEqual(comparable(fromCli?.stdout ?? ""));
      expect(fromWorker?.stderr, c.name).toBe(fromCli?.stderr);
    });
    // The cases cover what they claim: a valid seed with a trace, a caught bug, a bad input.
    const clean = JSON.parse(pooled[0]?.stdout ?? "") as { traceHash: string; valid: boolean; checkers: Record<string, unknown> };
    expect(clean.valid).toBe(true);
    expect(clean.traceHash).toMatch(/^[0-9a-f]{8}$/);
    expect(Object.keys(clean.checkers)).toContain("liveness");
    expect(pooled[1]?.exitCode).toBe(1);
    expect((JSON.parse(pooled[1]?.stdout ?? "") as { caughtBy: string[] }).caughtBy).toContain("linearizable");
    expect(pooled[3]?.exitCode).toBe(2);
    expect(pooled[3]?.stderr).toMatch(/^ldc: .*--config/);
  }, 300_000);
});

describe("ldc swarm results", () => {
  it("records the commit and version with each seed and in the summary", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "swarm-")), "results.jsonl");
    const run = await ldc("swarm", "--seeds", "1..2", "--duration", "1s", "--jobs", "1", "--resume", path, "--json");
    expect(run.status, run.stderr).toBe(0);
    const lines = readFileSync(path, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { commit: string; version: string; failedCheckers: string[] });
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line.commit).toMatch(/^([0-9a-f]{40}|unknown)$/);
      expect(line.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(line.failedCheckers).toEqual([]);
    }
    const summary = JSON.parse(run.stdout) as { commits: Record<string, number>; versions: Record<string, number> };
    expect(summary.commits).toEqual({ [lines[0]?.commit as string]: 2 });
    expect(summary.versions).toEqual({ [lines[0]?.version as string]: 2 });
  }, 120_000);
});
