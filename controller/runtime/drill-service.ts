// The controller's drill service over the chaos module's drill runner (chaos/drill): a built-in
// drill runs its steps against the RUNNING virtual world through the shared FaultManager, and its
// actions go through the controller (safety rules, audit). The runner judges the run with the
// harness checkers; a fault it did not inject makes it INTERRUPTED. Scheduled and operator runs
// both come through here (controller/drills.ts).
import { builtinDrill, builtinDrillNames } from "../../chaos/drill/builtin.js";
import type { DrillController } from "../../chaos/drill/execution.js";
import { drillDurationMs, type Drill } from "../../chaos/drill/format.js";
import type { DrillResult as ChaosDrillResult } from "../../chaos/drill/result.js";
import { startDrill } from "../../chaos/drill/runner.js";
import { universeOfConfig } from "../../chaos/drill/universe.js";
import type { FaultManager } from "../../chaos/fault-manager.js";
import type { VirtualWorld } from "../../sim/virtual/world.js";
import type { DrillDescription, DrillHandle, DrillProgress, DrillResult, DrillService } from "../ports.js";

/** How often progress is published while a drill runs (simulated). */
export const drillProgressPeriodUs = 1_000_000;
export const DRILL_ORIGIN_PREFIX = "drill:";

export interface ChaosDrillDependencies {
  readonly virtual: VirtualWorld;
  readonly faults: FaultManager;
  /** Late-bound: the controller is built after its drill service. */
  readonly controller: () => DrillController | null;
}

export class ChaosDrillService implements DrillService {
  private readonly drills: ReadonlyMap<string, Drill>;

  constructor(private readonly dependencies: ChaosDrillDependencies) {
    const universe = universeOfConfig(dependencies.virtual.config);
    this.drills = new Map(builtinDrillNames().map((name) => [name, builtinDrill(name, universe)]));
  }

  list(): readonly DrillDescription[] {
    return [...this.drills.values()].map((drill) => ({ name: drill.name, description: drill.description, durationMs: drillDurationMs(drill) }));
  }

  ownsFault(faultId: string): boolean {
    return this.dependencies.faults.originOf(faultId)?.startsWith(DRILL_ORIGIN_PREFIX) === true;
  }

  start(name: string, _seed: number, callbacks: { progress(progress: DrillProgress): void; done(result: DrillResult): void }): DrillHandle | { readonly error: string } {
    const drill = this.drills.get(name);
    if (drill === undefined) return { error: `no drill ${name}` };
    const { virtual, faults } = this.dependencies;
    const clock = virtual.cluster.clock;
    const controller = this.dependencies.controller();
    let finished = false;
    let progressTimer: ReturnType<typeof clock.setTimer> | null = null;
    const handle = startDrill(virtual, drill, { faults, ...(controller === null ? {} : { controller }) }, (result) => {
      finished = true;
      if (progressTimer !== null) clock.cancelTimer(progressTimer);
      callbacks.done(toControllerResult(result));
    });
    const publishProgress = (): void => {
      progressTimer = null;
      if (finished) return;
      callbacks.progress({ progressPct: handle.progressPct() });
      progressTimer = clock.setTimer(drillProgressPeriodUs, publishProgress);
    };
    progressTimer = clock.setTimer(drillProgressPeriodUs, publishProgress);
    return { abort: (reason) => handle.cancel(reason) };
  }
}

function toControllerResult(result: ChaosDrillResult): DrillResult {
  return {
    outcome: result.outcome,
    rtoMs: result.rtoMs,
    lostAckedTransfers: result.lostAckedTransfers,
    checkers: result.checkers,
    reasons: result.reasons,
    reportHtml: reportHtml(result),
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

const cell = (value: unknown): string => `<td>${escapeHtml(value === null || value === undefined ? "–" : typeof value === "string" ? value : JSON.stringify(value))}</td>`;

function reportHtml(result: ChaosDrillResult): string {
  const rows = (entries: readonly (readonly unknown[])[]): string => entries.map((entry) => `<tr>${entry.map(cell).join("")}</tr>`).join("");
  const phases = (["before", "during", "after"] as const).map((phase) => [phase, result.latency[phase].ops, result.latency[phase].errorRate, result.latency[phase].p50Ms, result.latency[phase].p99Ms]);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>drill ${escapeHtml(result.drill)}: ${result.outcome}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}</style></head><body>
<h1>Drill ${escapeHtml(result.drill)}: ${escapeHtml(result.outcome)}</h1>
<p>Seed ${result.seed}, simulated ${result.simulatedMs} ms, ${result.operations} operations in the history, trace ${escapeHtml(result.traceHash)}.</p>
<h2>Reasons</h2><ul>${result.reasons.map((reason) => `<li>${escapeHtml(reason)}</li>`).join("") || "<li>none: every expectation held</li>"}</ul>
<h2>RTO per affected cell (ms)</h2><table><tr><th>cell</th><th>RTO</th></tr>${rows(Object.entries(result.rtoMs))}</table>
<h2>RPO</h2><p>Lost acknowledged transfers: ${result.lostAckedTransfers}</p>
<h2>Checkers</h2><table><tr><th>checker</th><th>valid</th></tr>${rows(Object.entries(result.checkers).map(([name, verdict]) => [name, verdict.valid]))}</table>
<h2>Latency by phase</h2><table><tr><th>phase</th><th>ops</th><th>error rate</th><th>p50 ms</th><th>p99 ms</th></tr>${rows(phases)}</table>
<h2>Faults</h2><table><tr><th>id</th><th>type</th><th>start ms</th><th>end ms</th><th>cells</th></tr>${rows(result.faults.map((fault) => [fault.id, fault.type, fault.startMs, fault.endMs, fault.cells.join(", ")]))}</table>
<h2>Steps</h2><table><tr><th>at ms</th><th>kind</th><th>ok</th><th>detail</th></tr>${rows(result.steps.map((step) => [step.atMs, step.kind, step.ok, step.detail]))}</table>
<h2>Replicas not up after the drill</h2><p>${result.replicasNotUp.map((replica) => `${escapeHtml(replica.replica)} (${escapeHtml(replica.state)})`).join(", ") || "none"}</p>
</body></html>`;
}
