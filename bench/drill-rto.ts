// `ldc bench drill-rto`: the recovery time users see when the region holding the most leaders
// loses power. Runs the built-in `region-outage` drill over seeds 1..N (default 100) in the
// virtual runtime and reports the median and max per-cell RTO (fault start to the first
// acknowledged op invoked after it), with the Raft and client timeouts that produce it.
// Simulated time, so the figures do not depend on the machine; wall time is reported beside them.
import { cpus, loadavg } from "node:os";
import { builtinDrill } from "../chaos/drill/builtin.js";
import { runDrill } from "../runtime/virtual/drill.js";
import { percentile } from "../harness/checkers/availability.js";
import { defaultClientTimeouts } from "../runtime/virtual/runtime.js";
import { defaultWorldConfig } from "../domain/config.js";

export interface DrillRtoOptions {
  readonly seeds?: number;
  readonly drill?: string;
}

export async function run(options: DrillRtoOptions = {}): Promise<object> {
  const seeds = options.seeds ?? 100;
  const name = options.drill ?? "region-outage";
  const base = builtinDrill(name);
  // RTO comes from the availability checker; the other checkers are the drill test's job.
  const drill = { ...base, expect: { ...base.expect, checkers: ["durability" as const] } };
  const rtoMsPerRun: number[] = [];
  const rtoMsAllCells: number[] = [];
  const worst: { seed: number; cell: string; rtoMs: number }[] = [];
  let lostAckedTransfers = 0;
  let neverRecovered = 0;
  const startedMs = performance.now();
  for (let seed = 1; seed <= seeds; seed++) {
    const { result } = await runDrill(drill, { seed });
    lostAckedTransfers += result.lostAckedTransfers;
    let runMax = 0;
    for (const [cell, rto] of Object.entries(result.rtoMs)) {
      if (rto === null) {
        neverRecovered++;
        continue;
      }
      rtoMsAllCells.push(rto);
      if (rto > runMax) runMax = rto;
      worst.push({ seed, cell, rtoMs: rto });
    }
    rtoMsPerRun.push(runMax);
  }
  const wallMs = Math.round(performance.now() - startedMs);
  const sortedRuns = [...rtoMsPerRun].sort((a, b) => a - b);
  const sortedCells = [...rtoMsAllCells].sort((a, b) => a - b);
  const raft = defaultWorldConfig().raft;
  return {
    drill: name,
    seeds: `1..${seeds}`,
    rtoMsWorstCellPerRun: { p50: percentile(sortedRuns, 0.5), p90: percentile(sortedRuns, 0.9), max: sortedRuns.at(-1) ?? null },
    rtoMsEveryCell: {
      p50: percentile(sortedCells, 0.5),
      p99: percentile(sortedCells, 0.99),
      max: sortedCells.at(-1) ?? null,
      samples: sortedCells.length,
    },
    worstRuns: worst.sort((a, b) => b.rtoMs - a.rtoMs).slice(0, 5),
    neverRecovered,
    lostAckedTransfers,
    timeouts: {
      raftTickMs: raft.tickUs / 1000,
      electionTimeoutMs: `[${(raft.electionTicks * raft.tickUs) / 1000}, ${(2 * raft.electionTicks * raft.tickUs) / 1000})`,
      heartbeatMs: (raft.heartbeatTicks * raft.tickUs) / 1000,
      clientAttemptTimeoutMs: defaultClientTimeouts.attemptTimeoutUs / 1000,
      clientRetryBackoffMs: defaultClientTimeouts.retryBackoffUs / 1000,
    },
    method: `ldc drill ${name} (${base.workload.profile} ${base.workload.opsPerSecond} ops/s, outage from 10 s for 60 s) on each seed; per-cell RTO = fault start to the completion of the first ok op invoked after it (harness availability checker), over the cells with a replica in the lost region; simulated ms`,
    wallMs,
    machine: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown", loadAverage1m: loadavg()[0] },
  };
}
