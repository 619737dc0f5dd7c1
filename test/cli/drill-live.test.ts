// Bad input to the live verbs exits 2 with one line naming the flag, before any process starts.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..", "..");

function ldc(...args: string[]): { status: number | null; stderr: string; stdout: string } {
  const result = spawnSync(process.execPath, [join(ROOT, "bin", "ldc.mjs"), ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  return { status: result.status, stderr: result.stderr, stdout: result.stdout };
}

describe("live CLI bad input", () => {
  it("ldc drill run --runtime live rejects a bad --time-scale and --cells", () => {
    const scale = ldc("drill", "run", "region-outage", "--runtime", "live", "--time-scale", "0");
    expect(scale.status).toBe(2);
    expect(scale.stderr).toMatch(/--time-scale: expected a number in \[0\.05, 10\]/);
    expect(scale.stderr.trim().split("\n")).toHaveLength(1);
    const cells = ldc("drill", "run", "region-outage", "--runtime", "live", "--cells", "seven");
    expect(cells.status).toBe(2);
    expect(cells.stderr).toMatch(/--cells: expected an integer/);
  });

  it("ldc drill run and ldc start reject an unknown --runtime", () => {
    const drill = ldc("drill", "run", "region-outage", "--runtime", "docker");
    expect(drill.status).toBe(2);
    expect(drill.stderr).toMatch(/--runtime/);
    const start = ldc("start", "--runtime", "docker", "--port", "0");
    expect(start.status).toBe(2);
    expect(start.stderr).toMatch(/--runtime/);
  });

  it("ldc start --scale-out with the live runtime exits 2 naming the flag (the live runtime cannot add cells)", () => {
    const start = ldc("start", "--runtime", "live", "--scale-out", "--port", "0", "--data-dir", "/tmp/ldc-scale-out-live-refused");
    expect(start.status).toBe(2);
    expect(start.stderr.trim()).toBe(
      'ldc: --scale-out: expected --runtime virtual (the live runtime cannot add cells), got "--runtime live"',
    );
  });
});
