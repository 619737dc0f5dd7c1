// `ldc bench sim`: (1) a pure scheduler micro-benchmark, the classic "hold" model: a constant
// population of pending events, each delivered event schedules one more at a pseudo-random
// delay; (2) the simulated-to-wall time ratio of the default ping world.
import { createRandom } from "../sim/kernel/random.js";
import { Scheduler } from "../sim/kernel/scheduler.js";
import { defaultWorldConfig } from "../sim/world/config.js";
import { buildPingWorld } from "../sim/world/ping.js";

export interface SimBenchOptions {
  /** Events per scheduler measurement; the default takes ~1 s on the reference machine. */
  schedulerEvents?: number;
  pendingEvents?: number;
  pingSimulatedUs?: number;
  repetitions?: number;
}

export interface SimBenchResult {
  schedulerEventsPerSecond: number;
  schedulerEventsPerSecondRuns: number[];
  simToWallRatio: number;
  pingWorld: { simulatedMs: number; wallMs: number; events: number; eventsPerSecond: number; hosts: number };
  method: string;
  machine: { node: string; platform: string; cpus: number; cpuModel: string; loadAverage1m: number };
}

function schedulerRun(events: number, pending: number): number {
  // Delays are drawn before timing so the figure is the scheduler's, not the PRNG's.
  const random = createRandom(1);
  const delaysUs = new Uint32Array(1 << 16);
  for (let i = 0; i < delaysUs.length; i++) delaysUs[i] = random.intBetween(1, 10_000);
  const scheduler = new Scheduler();
  let cursor = 0;
  const callback = (): void => {
    scheduler.after(delaysUs[cursor++ & 0xffff] as number, callback, 1);
  };
  for (let i = 0; i < pending; i++) scheduler.after(delaysUs[cursor++ & 0xffff] as number, callback, 1);
  const startedMs = performance.now();
  const delivered = scheduler.runUntil(Number.MAX_SAFE_INTEGER, events);
  const elapsedMs = performance.now() - startedMs;
  return delivered / (elapsedMs / 1000);
}

export async function run(options: SimBenchOptions = {}): Promise<SimBenchResult> {
  const events = options.schedulerEvents ?? 3_000_000;
  const pending = options.pendingEvents ?? 10_000;
  const repetitions = options.repetitions ?? 5;
  schedulerRun(Math.min(events, 200_000), pending); // warm-up: let the JIT settle
  const runs: number[] = [];
  for (let i = 0; i < repetitions; i++) runs.push(Math.round(schedulerRun(events, pending)));
  const sorted = [...runs].sort((a, b) => a - b);

  const simulatedUs = options.pingSimulatedUs ?? 600_000_000;
  const startedMs = performance.now();
  const ping = buildPingWorld(defaultWorldConfig(), 1);
  ping.world.runFor(simulatedUs);
  const wallMs = performance.now() - startedMs;
  const summary = ping.world.summary();
  const os = await import("node:os");
  return {
    schedulerEventsPerSecond: sorted[Math.floor(sorted.length / 2)] as number,
    schedulerEventsPerSecondRuns: runs,
    simToWallRatio: Math.round(simulatedUs / 1000 / wallMs),
    pingWorld: {
      simulatedMs: summary.simulatedMs,
      wallMs: Math.round(wallMs),
      events: summary.events,
      eventsPerSecond: Math.round(summary.events / (wallMs / 1000)),
      hosts: summary.hosts,
    },
    method:
      `scheduler: hold model, ${pending} pending events, ${events} deliveries per run, median of ${repetitions} runs after a warm-up; ` +
      `ping world: default config, 2 hosts per datacenter pinging all others every 100 ms, seed 1, ${simulatedUs / 1_000_000} s simulated, wall time includes building the world`,
    machine: { node: process.version, platform: `${process.platform}/${process.arch}`, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? "unknown", loadAverage1m: Math.round((os.loadavg()[0] ?? 0) * 100) / 100 },
  };
}
