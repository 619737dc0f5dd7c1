// How replica (and embedded Toxiproxy) processes are started. By default the entry is bundled
// once per supervisor with esbuild (already installed as tsx's compiler) into one ESM file next
// to node_modules: a replica then boots on ~0.15 s of CPU instead of ~0.6 s through the tsx
// loader, which matters when a region's twelve replicas restart at once on a shared machine.
// If bundling fails, or LDC_LIVE_TSX=1, processes run the TypeScript through `--import tsx`.
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

export const REPO_ROOT = join(import.meta.dirname, "..", "..", "..");
const BUNDLE_DIR = join(REPO_ROOT, "node_modules", ".cache", "ldc-live");
/** A bundle older than this is left over by a supervisor killed with SIGKILL (a run lasts far less). */
const STALE_BUNDLE_AGE_MS = 24 * 3_600_000;

/** One build per entry per supervisor: concurrent starters share the promise (a second build
 * rewriting the file while a process loads it would hand that process a truncated module). */
const bundles = new Map<string, Promise<string | null>>();
const built: string[] = [];
let cleanupInstalled = false;

interface EsbuildModule {
  buildSync(options: Record<string, unknown>): unknown;
}

function bundle(entry: string): Promise<string | null> {
  if (process.env.LDC_LIVE_TSX === "1") return Promise.resolve(null);
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
    esbuild.buildSync({ entryPoints: [join(REPO_ROOT, entry)], bundle: true, platform: "node", format: "esm", target: "node20", packages: "external", outfile: output, logLevel: "silent" });
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

/** Bundles of supervisors that were killed with SIGKILL (their exit handler never ran). */
function removeStaleBundles(): void {
  const staleBeforeMs = Date.now() - STALE_BUNDLE_AGE_MS;
  for (const name of readdirSync(BUNDLE_DIR)) {
    const file = join(BUNDLE_DIR, name);
    try {
      if (statSync(file).mtimeMs < staleBeforeMs) rmSync(file, { force: true });
    } catch {
      // removed by another supervisor meanwhile
    }
  }
}

/** node arguments that run `entry` (a path relative to the repository root). */
export async function nodeArgumentsFor(entry: string): Promise<string[]> {
  const bundled = await bundle(entry);
  return bundled === null ? ["--import", "tsx", join(REPO_ROOT, entry)] : [bundled];
}
