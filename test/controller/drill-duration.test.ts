// Issue 15, defect 11: a drill's duration has one definition (the file's `duration`), and the
// CLI (`ldc drill list`), the API (`GET /api/v1/drills`) and the UI's text all show it.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { builtinDrill, builtinDrillNames } from "../../chaos/drill/builtin.js";
// @ts-expect-error the UI is plain JavaScript (checked by the browser tests)
import { formatDuration } from "../../ui/views/format.js";
import { startRealHarness, type RealHarness } from "../runtime/virtual/real-world.js";

const root = join(import.meta.dirname, "..", "..");
let harness: RealHarness | undefined;
afterAll(async () => {
  await harness?.close();
});

function cliDrillList(): Promise<{ drills: { name: string; durationMs: number }[] }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(root, "bin/ldc.mjs"), "drill", "list", "--json"],
      { cwd: root, encoding: "utf8", timeout: 60_000 },
      (error, stdout) => {
        if (error !== null) reject(error);
        else resolve(JSON.parse(stdout) as { drills: { name: string; durationMs: number }[] });
      },
    );
  });
}

describe("a drill's duration (issue 15: defect 11)", () => {
  it("is the same in the CLI, the API and the UI: the drill file's duration", async () => {
    harness = await startRealHarness({ seed: 3, opsPerSecond: 50 });
    const [cli, api] = await Promise.all([cliDrillList(), harness.request("GET", "/api/v1/drills")]);
    const apiDrills = (api.body as { drills: { name: string; durationMs: number }[] }).drills;
    const declared = Object.fromEntries(builtinDrillNames().map((name) => [name, builtinDrill(name).durationUs / 1000]));
    expect(declared["region-outage"]).toBe(90_000);
    expect(Object.fromEntries(cli.drills.map((drill) => [drill.name, drill.durationMs]))).toEqual(declared);
    expect(Object.fromEntries(apiDrills.map((drill) => [drill.name, drill.durationMs]))).toEqual(declared);
    // What the UI prints from the API's figure, and what the CLI prints, both read 90 s.
    const regionOutage = apiDrills.find((drill) => drill.name === "region-outage");
    expect((formatDuration as (ms: number) => string)(regionOutage?.durationMs ?? NaN)).toBe("1m30s");
  });
});
