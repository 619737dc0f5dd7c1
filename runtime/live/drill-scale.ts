// Shortens (or stretches) a drill's timeline for the live runtime, where every simulated second
// is a real one: the drill's length, each step's time, fault durations and leases, and the
// time-like parameters of process faults (restart downMs, rolling-restart intervalMs/downMs).
// Network and disk magnitudes (latency ms, bandwidth) are not times of the timeline: unchanged.
import type { Drill, DrillStep } from "../../chaos/drill/format.js";
import type { FaultSpec } from "../../chaos/catalogue.js";

export const TIME_SCALE_MIN = 0.05;
export const TIME_SCALE_MAX = 10;

function scaleSpec(spec: FaultSpec, factor: number): FaultSpec {
  const scale = (us: number): number => Math.max(1, Math.round(us * factor));
  const base = { ...spec, durationUs: spec.durationUs === null ? null : scale(spec.durationUs), leaseUs: scale(spec.leaseUs) };
  switch (spec.type) {
    case "restart":
      return { ...base, params: { downMs: Math.round(spec.params.downMs * factor) } } as FaultSpec;
    case "rolling-restart":
      return {
        ...base,
        params: { intervalMs: Math.max(1, Math.round(spec.params.intervalMs * factor)), downMs: Math.round(spec.params.downMs * factor) },
      } as FaultSpec;
    default:
      return base as FaultSpec;
  }
}

export function scaleDrill(drill: Drill, factor: number): Drill {
  if (!(factor >= TIME_SCALE_MIN && factor <= TIME_SCALE_MAX))
    throw new RangeError(`timeScale: expected a number in [${TIME_SCALE_MIN}, ${TIME_SCALE_MAX}], got ${factor}`);
  if (factor === 1) return drill;
  const at = (us: number): number => Math.round(us * factor);
  const steps: DrillStep[] = drill.steps.map((step) =>
    step.kind === "inject" ? { ...step, atUs: at(step.atUs), spec: scaleSpec(step.spec, factor) } : { ...step, atUs: at(step.atUs) },
  );
  const nemesis =
    drill.nemesis === null
      ? null
      : {
          ...drill.nemesis,
          intervalUs: Math.max(1, at(drill.nemesis.intervalUs)),
          fromUs: at(drill.nemesis.fromUs),
          untilUs: at(drill.nemesis.untilUs),
        };
  return { ...drill, durationUs: at(drill.durationUs), steps, nemesis };
}
