// `ldc bench soak` runs `ldc start` as `npm start` runs it: the node flags come from the checkout's
// package.json start script (the young generation's size among them: docs/operator.md "Memory
// bounds"), so a soak of an older checkout measures what that checkout's `npm start` ran.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { startNodeFlags } from "../../bench/soak.js";

describe("soak: npm start's node flags", () => {
  it("reads the flags of `node [FLAGS] bin/ldc.mjs start`, none or several", () => {
    expect(startNodeFlags("node bin/ldc.mjs start")).toEqual([]);
    expect(startNodeFlags("node --max-semi-space-size=4 bin/ldc.mjs start")).toEqual(["--max-semi-space-size=4"]);
    expect(startNodeFlags(" node --max-semi-space-size=4 --expose-gc bin/ldc.mjs start ")).toEqual([
      "--max-semi-space-size=4",
      "--expose-gc",
    ]);
  });

  it("refuses a start script it cannot run the same way, naming it", () => {
    expect(() => startNodeFlags("tsx cli/main.ts start")).toThrow(/scripts\.start: expected "node \[--flag \.\.\.\] bin\/ldc\.mjs start"/);
    expect(() => startNodeFlags(undefined)).toThrow(/scripts\.start/);
  });

  it("this checkout's npm start sizes the young generation (4 MiB semi-spaces)", () => {
    const packageJson = JSON.parse(readFileSync("package.json", "utf8")) as { scripts: { start: string } };
    expect(startNodeFlags(packageJson.scripts.start)).toContain("--max-semi-space-size=4");
  });
});
