// `ldc sim` over the cells and `ldc swarm`, through the real CLI.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);

async function ldc(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["bin/ldc.mjs", ...args], { maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

describe("ldc sim (cells)", () => {
  it("reports per-cell RTO after a region outage, with every checker valid", async () => {
    const result = await ldc("sim", "--seed", "4", "--duration", "12s", "--nemesis", "region-outage", "--check", "--json");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as {
      rtoMs: Record<string, number | null>;
      checkers: Record<string, unknown>;
      lostAckedTransfers: number;
      leaders: Record<string, string | null>;
      crossCell: { settled: number; inFlightAtEnd: number };
    };
    expect(Object.keys(out.leaders)).toHaveLength(6);
    expect(out.lostAckedTransfers).toBe(0);
    // Every checker a boolean but global-conservation, which also names its first violation.
    const { "global-conservation": global, ...others } = out.checkers;
    expect(Object.values(others).every((valid) => valid === true)).toBe(true);
    expect(global).toMatchObject({ valid: true, violationCount: 0, first: null });
    expect(out.crossCell.settled).toBeGreaterThan(0);
    expect(out.crossCell.inFlightAtEnd).toBe(0);
    const rtos = Object.values(out.rtoMs);
    expect(rtos.length).toBeGreaterThan(0);
    for (const rto of rtos) {
      expect(rto).not.toBeNull();
      expect(rto as number).toBeLessThanOrEqual(1_500);
    }
  });

  it("exits 2 naming the field for a bad nemesis or workload", async () => {
    const nemesis = await ldc("sim", "--nemesis", "meteor");
    expect(nemesis.code).toBe(2);
    expect(nemesis.stderr).toMatch(/--nemesis/);
    const workload = await ldc("sim", "--workload", "bogus");
    expect(workload.code).toBe(2);
    expect(workload.stderr).toMatch(/--workload/);
  });
});

describe("ldc swarm", () => {
  it("runs seeds in parallel workers and summarises", async () => {
    const result = await ldc("swarm", "--seeds", "1..2", "--duration", "1s", "--jobs", "2", "--json");
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as { seeds: number; violations: number; failing: unknown[] };
    expect(summary.seeds).toBe(2);
    expect(summary.violations).toBe(0);
    expect(summary.failing).toEqual([]);
    // stderr is a pipe here, not a terminal: the progress line stays off it entirely.
    expect(result.stderr).toBe("");
  });

  it("exits 2 on a bad range", async () => {
    const result = await ldc("swarm", "--seeds", "9");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--seeds/);
  });
});
