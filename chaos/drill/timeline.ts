// A drill's plan as the page draws it while the drill runs: its timed steps (with the heal of
// each timed fault as a step of its own), the settle and the verdict, and what it expects
// (RTO <= x, lost acked <= y), so an operator sees what comes next and what "good" means.
import type { TargetSelector } from "../catalogue.js";
import type { Drill, DrillStep } from "./format.js";

export interface DrillTimelineStep {
  /** Simulated ms after the run started. */
  readonly atMs: number;
  readonly kind: "inject" | "heal" | "action" | "expect" | "nemesis" | "settle" | "verdict";
  readonly label: string;
}

export interface DrillExpectation {
  readonly rtoMsMax: number | null;
  readonly lostAckedTransfersMax: number;
  readonly checkers: readonly string[];
}

/** "region hangzhou", "leader's datacenter": what the operator reads in the timeline. */
function describeTarget(target: TargetSelector): string {
  const named = [...(target.regions ?? []), ...(target.datacenters ?? []), ...(target.cells ?? []), ...(target.hosts ?? [])];
  if (named.length > 0) return named.join(", ");
  if (target.select === "percent") return `${target.percent ?? "?"}% of replicas`;
  return target.select === "leader" ? "where the most leaders are" : `(${target.select})`;
}

const ms = (us: number): number => Math.round(us / 1000);
const seconds = (us: number): string => `${Math.round(us / 100_000) / 10}s`;

function stepLabel(step: DrillStep): string {
  switch (step.kind) {
    case "inject":
      return `inject ${step.spec.type} ${describeTarget(step.spec.target)}${step.spec.durationUs === null ? "" : ` for ${seconds(step.spec.durationUs)}`}`;
    case "heal":
      return `heal ${step.which}`;
    case "action":
      return step.action.kind === "failover"
        ? `failover ${step.action.target} to ${step.action.to}`
        : `${step.action.kind} ${step.action.target}`;
    case "expect":
      return `expect ${[...step.unavailable.map((cell) => `${cell} unavailable`), ...step.available.map((cell) => `${cell} available`)].join(", ")}`;
  }
}

export function drillTimeline(drill: Drill, settleUs: number): DrillTimelineStep[] {
  const steps: DrillTimelineStep[] = [];
  for (const step of drill.steps) {
    steps.push({ atMs: ms(step.atUs), kind: step.kind, label: stepLabel(step) });
    if (step.kind === "inject" && step.spec.durationUs !== null)
      steps.push({ atMs: ms(step.atUs + step.spec.durationUs), kind: "heal", label: `${step.spec.type} ends` });
  }
  if (drill.nemesis !== null) {
    steps.push({
      atMs: ms(drill.nemesis.fromUs),
      kind: "nemesis",
      label: `nemesis starts: ${drill.nemesis.families.join(", ")} every ${seconds(drill.nemesis.intervalUs)}`,
    });
    steps.push({ atMs: ms(drill.nemesis.untilUs), kind: "nemesis", label: "nemesis stops" });
  }
  steps.push({ atMs: ms(drill.durationUs), kind: "settle", label: "faults healed, world settles" });
  steps.push({ atMs: ms(drill.durationUs + settleUs), kind: "verdict", label: "checkers judge the run" });
  return steps.sort((a, b) => a.atMs - b.atMs);
}

export function drillExpectation(drill: Drill): DrillExpectation {
  return {
    rtoMsMax: drill.expect.rtoMsMax,
    lostAckedTransfersMax: drill.expect.lostAckedTransfersMax,
    checkers: [...drill.expect.checkers],
  };
}
