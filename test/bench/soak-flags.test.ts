// `ldc bench soak` runs `ldc start` as `npm start` runs it: the environment and node flags come
// from the checkout's package.json start script (the allocator's settings and the young
// generation's size among them: docs/operator.md "Memory bounds"), so a soak of an older checkout
// measures what that checkout's `npm start` ran.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { startCommand } from "../../bench/soak.js";

describe("soak: npm start's command", () => {
  it("reads the flags of `node [FLAGS] bin/ldc.mjs start`, none or several", () => {
    expect(startCommand("node bin/ldc.mjs start")).toEqual({ env: {}, nodeFlags: [] });
    expect(startCommand("node --max-semi-space-size=4 bin/ldc.mjs start").nodeFlags).toEqual(["--max-semi-space-size=4"]);
    expect(startCommand(" node --max-semi-space-size=4 --expose-gc bin/ldc.mjs start ").nodeFlags).toEqual([
      "--max-semi-space-size=4",
      "--expose-gc",
    ]);
  });

  it("reads environment assignments before node, values with '=' and ':' kept whole", () => {
    expect(
      startCommand("GLIBC_TUNABLES=glibc.malloc.mmap_threshold=32768:glibc.malloc.arena_max=2 A_B=1 node --x=1 bin/ldc.mjs start"),
    ).toEqual({
      env: { GLIBC_TUNABLES: "glibc.malloc.mmap_threshold=32768:glibc.malloc.arena_max=2", A_B: "1" },
      nodeFlags: ["--x=1"],
    });
  });

  it("refuses a start script it cannot run the same way, naming it", () => {
    expect(() => startCommand("tsx cli/main.ts start")).toThrow(
      /scripts\.start: expected "\[NAME=VALUE \.\.\.\] node \[--flag \.\.\.\] bin\/ldc\.mjs start"/,
    );
    expect(() => startCommand("lower=1 node bin/ldc.mjs start")).toThrow(/scripts\.start/);
    expect(() => startCommand(undefined)).toThrow(/scripts\.start/);
  });

  it("this checkout's npm start sizes the young generation (4 MiB semi-spaces) and fixes glibc's mmap threshold at 32 KiB", () => {
    const packageJson = JSON.parse(readFileSync("package.json", "utf8")) as { scripts: { start: string } };
    const command = startCommand(packageJson.scripts.start);
    expect(command.nodeFlags).toContain("--max-semi-space-size=4");
    expect(command.env.GLIBC_TUNABLES?.split(":")).toContain("glibc.malloc.mmap_threshold=32768");
  });
});
