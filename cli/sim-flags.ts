// The flags of `ldc sim` and the command that reproduces a run, shared by cli/sim.ts (the command)
// and cli/sim-cells.ts (the cells run it loads on demand).

export interface SimFlags {
  config?: string;
  seed?: string;
  duration: string;
  json?: boolean;
}

export interface CellsSimFlags extends SimFlags {
  nemesis?: string;
  check?: boolean;
  out?: string;
  workload?: string;
  /** Deliberate bugs (cells/bugs.ts), comma-separated: the harness's own tests only. */
  bug?: string;
  nemesisInterval?: string;
  nemesisFault?: string;
  reportHtml?: string;
  crossCellRatio?: string;
  moves?: boolean;
}

/** The command that reproduces a run: printed with every failure. */
export function reproduceCommand(flags: CellsSimFlags, seed: number): string {
  const parts = ["ldc sim", `--seed ${seed}`, `--duration ${flags.duration}`];
  if (flags.config) parts.push(`--config ${flags.config}`);
  if (flags.nemesis) parts.push(`--nemesis ${flags.nemesis}`);
  if (flags.nemesisInterval) parts.push(`--nemesis-interval ${flags.nemesisInterval}`);
  if (flags.nemesisFault) parts.push(`--nemesis-fault ${flags.nemesisFault}`);
  if (flags.bug) parts.push(`--bug ${flags.bug}`);
  if (flags.crossCellRatio !== undefined) parts.push(`--cross-cell-ratio ${flags.crossCellRatio}`);
  if (flags.moves) parts.push("--moves");
  if (flags.check) parts.push("--check");
  return parts.join(" ");
}
