// Issue 15 (expected by operators): `ldc start` prints `open http://...` as a plain line, the token
// on the first start, and on later starts where the token is kept. Spawns the real CLI twice on
// one data directory (port 0) and stops it by its pid once the lines are out.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { browserUrl } from "../../cli/start-banner.js";

const root = join(import.meta.dirname, "..", "..");

/** Runs `ldc start` until its plain token line is out, then SIGTERM; returns the non-JSON lines. */
function startUntilBanner(dataDirectory: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, "bin/ldc.mjs"), "start", "--port", "0", "--data-dir", dataDirectory], {
      cwd: root,
      env: { ...process.env, LDC_API_TOKEN: "" },
    });
    let stdout = "";
    const plain = (): string[] => stdout.split("\n").filter((line) => line !== "" && !line.startsWith("{"));
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
      if (plain().some((line) => line.startsWith("API token"))) child.kill("SIGTERM");
    });
    child.on("error", reject);
    child.on("exit", () => resolve(plain()));
  });
}

describe("ldc start's plain lines", () => {
  it("says where to open the page, the token once, and later where it is kept", async () => {
    const dataDirectory = mkdtempSync(join(tmpdir(), "ldc-start-"));
    const first = await startUntilBanner(dataDirectory);
    const token = readFileSync(join(dataDirectory, "api-token"), "utf8").trim();
    expect(first[0]).toMatch(/^open http:\/\/127\.0\.0\.1:\d+$/);
    expect(first[1]).toBe(`API token (kept in ${join(dataDirectory, "api-token")}): ${token}`);
    const again = await startUntilBanner(dataDirectory);
    expect(again[0]).toMatch(/^open http:\/\/127\.0\.0\.1:\d+$/);
    expect(again[1]).toBe(`API token: the one kept in ${join(dataDirectory, "api-token")}`);
    expect(again.join("\n")).not.toContain(token);
  }, 120_000);

  it("a wildcard bind is opened through loopback", () => {
    expect(browserUrl("0.0.0.0", 8080)).toBe("http://127.0.0.1:8080");
    expect(browserUrl("::1", 8080)).toBe("http://[::1]:8080");
    expect(browserUrl("127.0.0.1", 18_001)).toBe("http://127.0.0.1:18001");
  });
});
