// Writes a virtual run's harness report (history, verdicts, HTML) to a directory.

import { writeReport } from "../../harness/report.js";
import type { Json } from "../../ground/json.js";
import type { CellsRunResult } from "./run.js";

export function writeRunReport(dir: string, result: CellsRunResult, meta: { command: string }): void {
  writeReport(dir, {
    history: result.virtual.recorder.history(),
    verdicts: (result.verdicts?.checkers ?? {}) as Record<string, unknown>,
    faultWindows: result.faultWindows,
    meta: {
      seed: result.seed,
      traceHash: result.traceHash,
      simulatedMs: result.simulatedMs,
      command: meta.command,
      cells: result.cells as unknown as Json,
    },
  });
}
