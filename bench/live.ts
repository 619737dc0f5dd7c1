// `ldc bench live`: one cell of five replica OS processes with real WAL fsync, open-loop
// transfers at stepped offered loads until saturation, once over direct TCP and once with every
// link through the embedded Toxiproxy carrying the default world's latencies.
//
// The world is started as `ldc start --runtime live` starts it (runtime/live/controller-setup.ts
// startLiveWorld): the control group's five processes run beside the cell (their WALs, heartbeats
// and status polls share the machine), idle since the bench sends no mutating call; their CPU is
// reported apart. `controlPlane: false` measures without them.
//
// Method: a fresh live world per path; 64 accounts opened with a large balance (no transfer is
// rejected for funds); then for each offered rate, transfers are issued every millisecond tick
// (the count due since the step started, so the rate holds even when ticks are late) through the
// region client of the leader's region for `stepMs`; throughput = acknowledged transfers that
// completed inside the step / step seconds; latency = invoke to acknowledgement. A path stops
// stepping once it saturates (throughput < 80% of offered, or p99 above `p99MsSaturated`).
import os from "node:os";
import { performance } from "node:perf_hooks";
import { startLiveWorld } from "../runtime/live/controller-setup.js";
import { CONTROL_CELL } from "../runtime/live/control-plane.js";
import type { CellOutcome } from "../cells/cell/client.js";
import { processCpuUs, processesCpuUs } from "../runtime/live/proc-cpu.js";

export interface LiveBenchOptions {
  offered?: readonly number[];
  stepMs?: number;
  via?: readonly ("direct" | "toxiproxy")[];
  accounts?: number;
  p99MsSaturated?: number;
  /** Start the control group beside the cell, as `ldc start --runtime live` does (default true). */
  controlPlane?: boolean;
}

export interface LiveBenchStep {
  via: "direct" | "toxiproxy";
  offered: number;
  tps: number;
  p50Ms: number | null;
  p99Ms: number | null;
  errors: number;
  /**
   * CPU per acknowledged transfer, µs, from the step's start until its backlog drained (every
   * transfer of the step acknowledged, late ones included): the five replicas together, the
   * Toxiproxy process, this process (generator + region client), and the control group's five
   * processes together (null: no control group). Null without /proc.
   */
  cpuUsPerTransfer: { replicas: number | null; toxiproxy: number | null; client: number; control: number | null } | null;
}

/** Batching settings of the bench's cell (recorded with the figures in docs/BENCHMARKS.md). */
export const LIVE_BENCH_RAFT = { batchEntriesMax: 2_048, batchBytesMax: 4 * 1024 * 1024, inflightAppendsMax: 64 } as const;
const OFFERED_DEFAULT = [1_000, 2_000, 4_000, 8_000, 10_000, 12_000, 16_000, 24_000];
const STEP_MS_DEFAULT = 4_000;
/** Bound on transfers in flight in the generator (beyond it the step is saturated anyway). */
const INFLIGHT_MAX = 40_000;

function percentileMs(sortedUs: readonly number[], quantile: number): number | null {
  if (sortedUs.length === 0) return null;
  const index = Math.min(sortedUs.length - 1, Math.ceil(quantile * sortedUs.length) - 1);
  return Math.round((sortedUs[Math.max(0, index)] as number) / 10) / 100;
}

async function measurePath(
  via: "direct" | "toxiproxy",
  options: Required<LiveBenchOptions>,
  log: (line: string) => void,
): Promise<LiveBenchStep[]> {
  const live = await startLiveWorld({
    seed: 1,
    cellCount: 1,
    via,
    workload: { opsPerSecond: 0 },
    raft: LIVE_BENCH_RAFT,
    pendingRequestsMax: 100_000,
    client: { inflightRequestsMax: INFLIGHT_MAX, requestTimeoutUs: 10_000_000, attemptTimeoutUs: 2_000_000 },
    ...(options.controlPlane ? {} : { controlPlane: false as const }),
    progress: log,
  });
  try {
    if ((live.cluster.cell("cell-1")?.leader ?? null) === null) throw new Error(`bench live (${via}): no leader within 30 s`);
    const leader = live.cluster.cell("cell-1")?.leader;
    const client = live.regionClients.get(leader?.region ?? "hangzhou");
    if (client === undefined) throw new Error("bench live: no region client");
    let sequence = 0;
    const submit = (payload: unknown): Promise<CellOutcome> =>
      new Promise((resolve) => client.submit("cell-1", `b${++sequence}`, "command", payload, resolve));
    const accounts = Array.from({ length: options.accounts }, (_, i) => `acct-${i}`);
    const opened = await Promise.all(
      accounts.map((account) => submit({ type: "OpenAccount", account, initialBalance: 1_000_000_000_000 })),
    );
    if (!opened.every((outcome) => outcome.ok)) throw new Error("bench live: opening the accounts failed");
    const steps: LiveBenchStep[] = [];
    for (const offered of options.offered) {
      const latenciesUs: number[] = [];
      let errors = 0;
      let issued = 0;
      let inflight = 0;
      let acked = 0;
      const processes = [...live.processes.values()];
      const replicaPids = processes.filter((replica) => replica.spec.cell !== CONTROL_CELL).map((replica) => replica.pid);
      const controlPids = processes.filter((replica) => replica.spec.cell === CONTROL_CELL).map((replica) => replica.pid);
      const replicaCpuStartUs = processesCpuUs(replicaPids);
      const controlCpuStartUs = controlPids.length === 0 ? null : processesCpuUs(controlPids);
      const toxiproxyCpuStartUs = processCpuUs(live.toxiproxyPid);
      const clientCpuStart = process.cpuUsage();
      const startMs = performance.now();
      const endMs = startMs + options.stepMs;
      await new Promise<void>((resolve) => {
        const tick = setInterval(() => {
          const nowMs = performance.now();
          const due = Math.min(
            Math.floor(((Math.min(nowMs, endMs) - startMs) / 1000) * offered),
            Math.ceil((options.stepMs / 1000) * offered),
          );
          while (issued < due && inflight < INFLIGHT_MAX) {
            issued++;
            inflight++;
            const from = accounts[sequence % accounts.length] as string;
            const to = accounts[(sequence + 1 + (issued % (accounts.length - 1))) % accounts.length] as string;
            const invokedMs = performance.now();
            const id = `x${sequence + 1}`;
            void submit({ type: "Transfer", id, from, to: to === from ? (accounts[0] as string) : to, amount: 1 }).then((outcome) => {
              inflight--;
              if (outcome.ok) acked++;
              const doneMs = performance.now();
              if (doneMs > endMs) return; // counted only if it completed inside the step
              if (outcome.ok) latenciesUs.push((doneMs - invokedMs) * 1000);
              else errors++;
            });
          }
          if (nowMs >= endMs) {
            clearInterval(tick);
            resolve();
          }
        }, 1);
      });
      latenciesUs.sort((a, b) => a - b);
      // Let the backlog of this step drain before the next one starts (and count its CPU).
      const drainDeadline = performance.now() + 10_000;
      while (inflight > 0 && performance.now() < drainDeadline) await live.sleep(20);
      const perTransfer = (startUs: number | null, endUs: number | null): number | null =>
        startUs === null || endUs === null || acked === 0 ? null : Math.round((endUs - startUs) / acked);
      const clientCpu = process.cpuUsage(clientCpuStart);
      const cpuUsPerTransfer =
        replicaCpuStartUs === null
          ? null
          : {
              replicas: perTransfer(replicaCpuStartUs, processesCpuUs(replicaPids)),
              toxiproxy: perTransfer(toxiproxyCpuStartUs, processCpuUs(live.toxiproxyPid)),
              client: acked === 0 ? 0 : Math.round((clientCpu.user + clientCpu.system) / acked),
              control: controlPids.length === 0 ? null : perTransfer(controlCpuStartUs, processesCpuUs(controlPids)),
            };
      const step: LiveBenchStep = {
        via,
        offered,
        tps: Math.round(latenciesUs.length / (options.stepMs / 1000)),
        p50Ms: percentileMs(latenciesUs, 0.5),
        p99Ms: percentileMs(latenciesUs, 0.99),
        errors,
        cpuUsPerTransfer,
      };
      steps.push(step);
      log(
        `bench live ${via}: offered ${offered}/s -> ${step.tps}/s p50 ${step.p50Ms} ms p99 ${step.p99Ms} ms errors ${errors} cpu/transfer us ${JSON.stringify(cpuUsPerTransfer)}`,
      );
      if (step.tps < offered * 0.8 || (step.p99Ms ?? Number.POSITIVE_INFINITY) > options.p99MsSaturated) break;
    }
    return steps;
  } finally {
    await live.close();
  }
}

export async function run(raw: Record<string, unknown> = {}): Promise<object> {
  const input = raw as LiveBenchOptions;
  const options: Required<LiveBenchOptions> = {
    offered: input.offered ?? OFFERED_DEFAULT,
    stepMs: input.stepMs ?? STEP_MS_DEFAULT,
    via: input.via ?? ["direct", "toxiproxy"],
    accounts: input.accounts ?? 64,
    p99MsSaturated: input.p99MsSaturated ?? 1_000,
    controlPlane: input.controlPlane ?? true,
  };
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const steps: LiveBenchStep[] = [];
  for (const via of options.via) steps.push(...(await measurePath(via, options, log)));
  const maxOf = (via: string): number => Math.max(0, ...steps.filter((step) => step.via === via).map((step) => step.tps));
  const maxWithin100 = (via: string): number =>
    Math.max(0, ...steps.filter((step) => step.via === via && step.p99Ms !== null && step.p99Ms <= 100).map((step) => step.tps));
  return {
    steps,
    maxTpsDirect: maxOf("direct"),
    maxTpsToxiproxy: maxOf("toxiproxy"),
    maxTpsDirectP99Within100Ms: maxWithin100("direct"),
    maxTpsToxiproxyP99Within100Ms: maxWithin100("toxiproxy"),
    batching: {
      ...LIVE_BENCH_RAFT,
      tickUs: 10_000,
      transport: "one TCP connection per directed link, frames of one event-loop turn corked together",
    },
    controlPlane: options.controlPlane ? "5 control replica processes beside the cell (idle: no mutating call)" : "none",
    method: `one cell, 5 replica processes (real fsync per Raft Ready), open-loop transfers at stepped offered rates for ${options.stepMs} ms each from one region client; tps = acknowledged within the step`,
    machine: {
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? "unknown",
      loadAverage1m: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
    },
  };
}
