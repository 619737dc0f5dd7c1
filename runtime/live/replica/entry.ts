// How replica (and embedded Toxiproxy) processes are started: from an esbuild bundle of their
// entry (runtime/bundle.ts), which matters when a region's twelve replicas restart at once on a shared
// machine. If bundling fails, or LDC_LIVE_TSX=1, processes run the TypeScript through `--import tsx`.
import { join } from "node:path";
import { bundleEntry, REPO_ROOT } from "../../bundle.js";

export { REPO_ROOT };

/** node arguments that run `entry` (a path relative to the repository root). */
export async function nodeArgumentsFor(entry: string): Promise<string[]> {
  const bundled = process.env.LDC_LIVE_TSX === "1" ? null : await bundleEntry(entry);
  return bundled === null ? ["--import", "tsx", join(REPO_ROOT, entry)] : [bundled];
}
