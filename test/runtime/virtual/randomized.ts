// Randomised simulated runs: one cell of five replicas under a random combined nemesis
// (partitions of every shape, crashes, pauses, disk faults, clock drift, loss). The online
// monitor asserts election safety and state-machine safety after every period (failFast); at the
// end every checker must be valid. A failure names the seed and the command that replays it.
import { expect } from "vitest";
import { runCells } from "../../../runtime/virtual/run.js";
import { nemesisFor } from "../../../chaos/nemesis.js";
import { oneCellConfig } from "./helpers.js";

export const RANDOMIZED_NEMESIS = ["partition", "kill", "pause", "disk", "clock", "loss"] as const;

export function seedRange(envName: string, first: number, last: number): number[] {
  const text = process.env[envName];
  const match = text === undefined ? null : /^(\d+)\.\.(\d+)$/.exec(text);
  const [from, to] = match ? [Number(match[1]), Number(match[2])] : [first, last];
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

export function runRandomizedSeed(seed: number): void {
  const config = oneCellConfig(100);
  // Compact every 50 entries (~0.5 s of load), so snapshots, WAL rewrites and InstallSnapshot to
  // replicas that were down or cut off run under the nemesis too.
  config.raft.snapshotEntries = 50;
  // Odd seeds build each snapshot in steps of 16 ids, 20 ms apart, so a snapshot is still being
  // built across crashes, partitions, elections and an InstallSnapshot replacing the state.
  if (seed % 2 === 1) {
    config.raft.snapshotStepUnits = 16;
    config.raft.snapshotStepDelayUs = 20_000;
  }
  const reproduce = `LDC_SEEDS_A=${seed}..${seed} npx vitest run test/runtime/virtual/randomized-a.test.ts`;
  let result: ReturnType<typeof runCells>;
  try {
    result = runCells({
      config,
      seed,
      durationUs: 6_000_000,
      check: true,
      failFast: true,
      nemesis: nemesisFor([...RANDOMIZED_NEMESIS], 1_500_000),
    });
  } catch (error) {
    throw new Error(`seed ${seed}: ${(error as Error).message}\n  reproduce: ${reproduce}`);
  }
  const verdicts = result.verdicts;
  const summary = JSON.stringify(
    Object.fromEntries(Object.entries(verdicts?.checkers ?? {}).map(([name, verdict]) => [name, verdict.valid])),
  );
  expect(
    verdicts?.valid,
    `seed ${seed}: ${summary} ${result.faultWindows.map((window) => window.kind).join(",")}\n  reproduce: ${reproduce}`,
  ).toBe(true);
  expect(verdicts?.lostAckedTransfers, `seed ${seed}`).toBe(0);
}
