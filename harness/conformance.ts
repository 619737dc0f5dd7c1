// Where Knossos' example histories are: $LDC_KNOSSOS_DIR, else the shared folder beside this
// checkout (../shared/conformance/knossos), else /work/shared/... They are read in place, never
// copied into the project.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export function knossosDir(): string {
  const candidates = [
    process.env.LDC_KNOSSOS_DIR,
    fileURLToPath(new URL("../../shared/conformance/knossos", import.meta.url)),
    "/work/shared/conformance/knossos",
  ].filter((candidate): candidate is string => candidate !== undefined && candidate !== "");
  return candidates.find((candidate) => existsSync(candidate)) ?? (candidates[0] as string);
}
