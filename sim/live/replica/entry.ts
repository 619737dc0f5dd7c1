// How replica (and embedded Toxiproxy) processes are started. By default the entry is bundled
// once per supervisor with esbuild (already installed as tsx's compiler) into one ESM file next
// to node_modules: a replica then boots on ~0.15 s of CPU instead of ~0.6 s through the tsx
// loader, which matters when a region's twelve replicas restart at once on a shared machine.
// If bundling fails, or LDC_LIVE_TSX=1, processes run the TypeScript through `--import tsx`.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";

export const REPO_ROOT = join(import.meta.dirname, "..", "..", "..");
const BUNDLE_DIR = join(REPO_ROOT, "node_modules", ".cache", "ldc-live");

const bundles = new Map<string, string | null>();
let cleanupInstalled = false;

interface EsbuildModule {
  buildSync(options: Record<string, unknown>): unknown;
}

async function bundle(entry: string): Promise<string | null> {
  if (process.env.LDC_LIVE_TSX === "1") return null;
  const known = bundles.get(entry);
  if (known !== undefined) return known;
  let output: string | null = null;
  try {
    const esbuild = (await import("esbuild")) as unknown as EsbuildModule;
    mkdirSync(BUNDLE_DIR, { recursive: true });
    output = join(BUNDLE_DIR, `${entry.replace(/[^A-Za-z0-9]/g, "_")}-${process.pid}.mjs`);
    esbuild.buildSync({ entryPoints: [join(REPO_ROOT, entry)], bundle: true, platform: "node", format: "esm", target: "node20", packages: "external", outfile: output, logLevel: "silent" });
    if (!cleanupInstalled) {
      cleanupInstalled = true;
      process.on("exit", () => {
        for (const file of bundles.values()) if (file !== null) rmSync(file, { force: true });
      });
    }
  } catch {
    output = null;
  }
  bundles.set(entry, output);
  return output;
}

/** node arguments that run `entry` (a path relative to the repository root). */
export async function nodeArgumentsFor(entry: string): Promise<string[]> {
  const bundled = await bundle(entry);
  return bundled === null ? ["--import", "tsx", join(REPO_ROOT, entry)] : [bundled];
}
