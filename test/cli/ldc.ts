// Runs the `ldc` CLI in a child process, for the CLI tests. Start runs together (Promise.all) so a
// suite pays tsx's start-up once, not per run.
import { execFile } from "node:child_process";
import { join } from "node:path";

export const REPO_ROOT = join(import.meta.dirname, "..", "..");

export interface LdcRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function ldc(...args: string[]): Promise<LdcRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(REPO_ROOT, "bin/ldc.mjs"), ...args],
      { cwd: REPO_ROOT, encoding: "utf8", timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ status: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout, stderr });
      },
    );
  });
}
