// One esbuild bundle per repository entry per process, for code that should run as it would ship
// rather than through the development loader (tsx): live replica and Toxiproxy processes (they
// boot on ~0.15 s of CPU instead of ~0.6 s) and `ldc bench` (tsx's per-module export getters and
// `__name` wrappers cost ~30 % of the simulator's time). Bundles go next to node_modules, so
// their package imports resolve, and are removed at exit; ones left by a process killed with
// SIGKILL are removed by the next build after a day.
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

export const REPO_ROOT = join(import.meta.dirname, "..");
const BUNDLE_DIR = join(REPO_ROOT, "node_modules", ".cache", "ldc");
/** A bundle older than this was left over by a process killed with SIGKILL (a run lasts far less). */
const STALE_BUNDLE_AGE_MS = 24 * 3_600_000;

/** One build per entry per process: concurrent callers share the promise (a second build
 * rewriting the file while a process loads it would hand that process a truncated module). */
const bundles = new Map<string, Promise<string | null>>();
const built: string[] = [];
let cleanupInstalled = false;

interface EsbuildModule {
  buildSync(options: Record<string, unknown>): unknown;
}

/** The bundle of `entry` (a path relative to the repository root), or null if it cannot be built. */
export function bundleEntry(entry: string): Promise<string | null> {
  let pending = bundles.get(entry);
  if (pending === undefined) bundles.set(entry, (pending = build(entry)));
  return pending;
}

async function build(entry: string): Promise<string | null> {
  let output: string | null = null;
  try {
    const esbuild = (await import("esbuild")) as unknown as EsbuildModule;
    mkdirSync(BUNDLE_DIR, { recursive: true });
    removeStaleBundles();
    output = join(BUNDLE_DIR, `${entry.replace(/[^A-Za-z0-9]/g, "_")}-${process.pid}.mjs`);
    esbuild.buildSync({
      entryPoints: [join(REPO_ROOT, entry)],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      packages: "external",
      outfile: output,
      logLevel: "silent",
    });
    built.push(output);
    if (!cleanupInstalled) {
      cleanupInstalled = true;
      process.on("exit", () => {
        for (const file of built) rmSync(file, { force: true });
      });
    }
  } catch {
    output = null;
  }
  return output;
}

function removeStaleBundles(): void {
  const staleBeforeMs = Date.now() - STALE_BUNDLE_AGE_MS;
  for (const name of readdirSync(BUNDLE_DIR)) {
    const file = join(BUNDLE_DIR, name);
    try {
      if (statSync(file).mtimeMs < staleBeforeMs) rmSync(file, { force: true });
    } catch {
      // removed by another process meanwhile
    }
  }
}
