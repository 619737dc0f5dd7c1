// `ldc bench control-plane` (issue 19): for seeds 1..N, in the controller world of `ldc start`
// (cells, gateways, the control group of five replicas 2 + 2 + 1 over the regions):
//   - healthy: an evacuation pressed through the control gate; the time its begin and end take to
//     commit through the control group (the control plane's cost), and the whole call;
//   - outage: the region holding the control leader loses power; the time until the first mutating
//     call (a gate admission through the first region that answers) is accepted.
// Simulated milliseconds: the figures are deterministic for a seed, whatever the host's load.
import { setupController } from "../runtime/virtual/controller-setup.js";
import type { ControllerSetup } from "../runtime/virtual/controller-setup-types.js";
import { gatedDrillController } from "../controller/control/drill-controller.js";
import type { Admission } from "../controller/control/gate.js";
import { percentile } from "../controller/traffic-stats.js";

export interface ControlPlaneBenchOptions {
  readonly seeds?: number;
  readonly progress?: (phase: string) => void;
}

function runWhile(setup: ControllerSetup, pending: () => boolean, maxUs: number): void {
  const deadlineUs = setup.virtual.nowUs() + maxUs;
  while (pending() && setup.virtual.nowUs() < deadlineUs) setup.virtual.runFor(1_000);
}

function world(seed: number): ControllerSetup {
  const setup = setupController({ seed, dataDirectory: null, wallTimeIso: () => "1970-01-01T00:00:00.000Z", opsPerSecond: 100 });
  setup.virtual.startWorkload({ sink: setup.sink });
  setup.virtual.runFor(2_000_000);
  return setup;
}

/** Healthy group: evacuate the last region through the gate; total call time and the two commits' share. */
function healthyEvacuation(seed: number): { totalMs: number; commitMs: number; ok: boolean } {
  const setup = world(seed);
  const clock = setup.virtual.cluster.clock;
  let actionUs = 0;
  let answer: { totalUs: number; ok: boolean } | null = null;
  const controller = gatedDrillController(
    {
      gate: setup.control.gate,
      clock,
      act: (request, callback) => {
        const startUs = clock.nowUs();
        setup.controller.act(request, (outcome) => {
          actionUs = clock.nowUs() - startUs;
          callback(outcome);
        });
      },
    },
    10_000_000,
  );
  const region = setup.virtual.regions[setup.virtual.regions.length - 1]?.name as string;
  const pressedUs = clock.nowUs();
  controller.act({ kind: "evacuate", target: region, reason: "bench", actor: "bench" }, (outcome) => {
    answer = { totalUs: clock.nowUs() - pressedUs, ok: outcome.ok };
  });
  runWhile(setup, () => answer === null, 15_000_000);
  setup.close();
  const done = answer as { totalUs: number; ok: boolean } | null;
  if (done === null) return { totalMs: Number.NaN, commitMs: Number.NaN, ok: false };
  return { totalMs: done.totalUs / 1000, commitMs: (done.totalUs - actionUs) / 1000, ok: done.ok };
}

/** The control leader's region loses power; time until a mutating call is admitted again. */
function outageToAccepted(seed: number): number | null {
  const setup = world(seed);
  const clock = setup.virtual.cluster.clock;
  const injected = setup.faults.inject({ type: "region-outage", select: "control-leader", duration: "30s" }, { origin: "bench" });
  if (!injected.ok) throw new Error(`seed ${seed}: ${injected.error}`);
  const outageUs = clock.nowUs();
  let acceptedUs: number | null = null;
  let inFlight = false;
  // An operator pressing the button again as soon as it answers 503.
  const press = (): void => {
    inFlight = true;
    setup.control.gate.admit({ key: null, via: null, method: "POST", path: "/api/v1/bench", actor: "bench" }, (admission: Admission) => {
      inFlight = false;
      if (admission.kind === "go") acceptedUs = clock.nowUs();
    });
  };
  runWhile(
    setup,
    () => {
      if (acceptedUs === null && !inFlight) press();
      return acceptedUs === null;
    },
    10_000_000,
  );
  setup.close();
  return acceptedUs === null ? null : (acceptedUs - outageUs) / 1000;
}

export async function run(options: ControlPlaneBenchOptions = {}): Promise<object> {
  const seeds = options.seeds ?? 50;
  const commitMs: number[] = [];
  const totalMs: number[] = [];
  const outageMs: number[] = [];
  let refusedEvacuations = 0;
  let neverAccepted = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    options.progress?.(`seed ${seed}/${seeds}`);
    const healthy = healthyEvacuation(seed);
    if (healthy.ok) {
      commitMs.push(healthy.commitMs);
      totalMs.push(healthy.totalMs);
    } else refusedEvacuations++;
    const accepted = outageToAccepted(seed);
    if (accepted === null) neverAccepted++;
    else outageMs.push(accepted);
  }
  const figures = (values: number[]): { p50: number; p99: number; max: number } => {
    const sorted = [...values].sort((a, b) => a - b);
    return {
      p50: Math.round(percentile(sorted, 0.5) * 10) / 10,
      p99: Math.round(percentile(sorted, 0.99) * 10) / 10,
      max: Math.round((sorted[sorted.length - 1] ?? Number.NaN) * 10) / 10,
    };
  };
  return {
    seeds,
    unit: "simulated ms",
    outageToFirstAcceptedMs: figures(outageMs),
    outageTargetP99Ms: 1500,
    neverAccepted,
    evacuateControlCommitMs: figures(commitMs),
    evacuateCommitTargetP99Ms: 100,
    evacuateWholeCallMs: figures(totalMs),
    refusedEvacuations,
  };
}
