// Every test run's temporary files under one directory of its own, removed when the run ends:
// tests make data directories, spools and reports with mkdtemp(os.tmpdir()), and runs used to
// leave them in /tmp (this machine had ~970 after a day of runs; not counted per run). TMPDIR is set before
// the test processes start, so they, and the processes they spawn, inherit it.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "ldc-test-run-"));
  process.env.TMPDIR = directory;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    fs.rmSync(directory, { recursive: true, force: true });
  };
}
