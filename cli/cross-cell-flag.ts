// `--cross-cell-ratio R` on sim, start and drill run: the share of transfers whose payee is in
// another cell (workload.crossCellRatio, docs/cells.md "Cross-cell transfers"), over the config's.
import type { WorldConfig } from "../domain/config.js";
import { badInput } from "./errors.js";

export const CROSS_CELL_RATIO_FLAG = "--cross-cell-ratio <r>";
export const CROSS_CELL_RATIO_HELP = "share of transfers to another cell's account, in [0, 1] (default: the config's, 0.2)";

/** The config with the flag's ratio, or as it is when the flag is absent; exits 2 on a bad value. */
export function withCrossCellRatio(config: WorldConfig, text: string | undefined): WorldConfig {
  if (text === undefined) return config;
  return { ...config, workload: { ...config.workload, crossCellRatio: parseCrossCellRatio(text) } };
}

/** The flag's value as a ratio; exits 2 naming the flag on a bad value. */
export function parseCrossCellRatio(text: string): number {
  const ratio = Number(text);
  if (text.trim() === "" || !Number.isFinite(ratio) || ratio < 0 || ratio > 1)
    throw badInput("--cross-cell-ratio", "a number in [0, 1]", text);
  return ratio;
}

/** The flag as a reproducing command repeats it. */
export function crossCellRatioArgument(text: string | undefined): string {
  return text === undefined ? "" : ` --cross-cell-ratio ${text}`;
}
