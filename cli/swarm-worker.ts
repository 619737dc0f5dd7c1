// The swarm's long-lived worker: runs seeds of `ldc sim --check --json` in-process, one after the
// other, and answers each with exactly what the CLI would have printed and its exit code. A fresh
// `ldc sim` process per seed paid tsx's start-up and the JIT's warm-up every time (docs/BENCHMARKS.md,
// "Swarm throughput"); a worker pays them once. A seed depends on its flags and seed only (the world is
// built afresh per run; nothing a run changes outlives it), so a seed gives the same output here as in
// its own process; test/cli/swarm-pool.test.ts holds the two to the same bytes.
import { CliError, parseSeed } from "./errors.js";
import { loadConfigOrExit, parseDurationFlag } from "./sim.js";
import { withCrossCellRatio } from "./cross-cell-flag.js";
import type { CellsSimFlags } from "./sim-flags.js";

export interface SeedRequest {
  readonly seed: number;
  /** The flags `ldc sim` would have parsed (without --seed): duration, nemesis, config, check, json, bug, ... */
  readonly flags: CellsSimFlags;
}

export interface SeedReply {
  readonly seed: number;
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** One seed in this process: `ldc sim --seed N <flags>`'s output and exit code, errors as cli/main.ts prints them. */
export async function runSeedInProcess(request: SeedRequest): Promise<SeedReply> {
  const { seed } = request;
  try {
    const flags: CellsSimFlags = { ...request.flags, seed: String(seed) };
    const parsedSeed = parseSeed(flags.seed);
    const durationUs = parseDurationFlag(flags.duration);
    const config = withCrossCellRatio(loadConfigOrExit(flags.config), flags.crossCellRatio);
    const { cellsSimOutput } = await import("./sim-cells.js");
    return { seed, ...(await cellsSimOutput(flags, config, parsedSeed, durationUs)) };
  } catch (error) {
    if (error instanceof CliError) return { seed, exitCode: error.exitCode, stdout: "", stderr: `ldc: ${error.message.split("\n")[0]}\n` };
    return { seed, exitCode: 2, stdout: "", stderr: `ldc: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n` };
  }
}

/** The worker process's loop (bin/ldc-swarm-worker.mjs): a request in, a reply out, until the swarm disconnects. */
export function serveSeeds(): void {
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error("ldc swarm worker: started without an IPC channel (it is forked by `ldc swarm`)");
  let queue = Promise.resolve();
  process.on("message", (request: SeedRequest) => {
    // One seed at a time, in arrival order (the swarm sends the next only after the reply anyway).
    queue = queue.then(async () => {
      const reply = await runSeedInProcess(request);
      await new Promise<void>((resolve) => send(reply, undefined, {}, () => resolve()));
    });
  });
  process.on("disconnect", () => process.exit(0));
}
