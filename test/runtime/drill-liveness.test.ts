// Liveness is part of every drill's verdict (runtime/drill-runner.ts): after the final heal every
// cell must commit again and be routed to its leader within 5 s simulated. A drill whose world
// leaves a cell unable to elect (here an injected bug: a heal that leaves three of cell-1's five
// replicas crashed) FAILS on liveness, naming the cell, even though its expect.checkers do not list it;
// so does a drill the controller schedules in an already running world (startDrill).
import { describe, expect, it } from "vitest";
import { parseDrillText } from "../../chaos/drill/format.js";
import { FaultManager } from "../../chaos/fault-manager.js";
import { runDrillOn, startDrill, VIRTUAL_DRILL_TIMINGS } from "../../runtime/drill-runner.js";
import type { DrillResult } from "../../chaos/drill/result.js";
import { runDrill } from "../../runtime/virtual/drill.js";
import { VirtualRuntime } from "../../runtime/virtual/runtime.js";

const DRILL_TEXT = `
name: short-pause
duration: 10s
workload: {profile: steady, opsPerSecond: 100}
steps:
  - at: 3s
    inject: {type: pause, target: {cell: cell-2, select: followers}, duration: 3s}
expect: {lostAckedTransfersMax: 0, checkers: [linearizable, bank, durability, invariants]}
`;
const DRILL = parseDrillText(DRILL_TEXT);

/** As DRILL, but the pause lasts until the drill's end, so the drill's final heal is what ends it. */
const HELD_TO_THE_END = { ...DRILL, steps: parseDrillText(DRILL_TEXT.replace("duration: 3s}", "duration: 20s}")).steps };

/** The injected bug: healAll heals, then crashes a majority of cell-1 behind the drill's back. */
class HealThatLeavesCell1Down extends FaultManager {
  override healAll(actor?: string): void {
    super.healAll(actor);
    const cell = this.cluster.cells().find((view) => view.id === "cell-1");
    const replicas = cell?.replicas.map((replica) => replica.id) ?? [];
    for (const host of replicas.slice(0, Math.floor(replicas.length / 2) + 1)) this.cluster.faults.crash(host);
  }
}

/** The same bug for a drill in a running world, whose end heals its own faults one by one. */
class HealThatLeavesCell1DownOneByOne extends FaultManager {
  override heal(id: string, actor?: string): ReturnType<FaultManager["heal"]> {
    const result = super.heal(id, actor);
    const cell = this.cluster.cells().find((view) => view.id === "cell-1");
    const replicas = cell?.replicas.map((replica) => replica.id) ?? [];
    for (const host of replicas.slice(0, Math.floor(replicas.length / 2) + 1)) this.cluster.faults.crash(host);
    return result;
  }
}

/** A drill scheduled in an already running world (the controller's startDrill path), run to its result. */
function scheduled(faults: (virtual: VirtualRuntime) => FaultManager): DrillResult | null {
  const virtual = runtime(1);
  virtual.awaitLeaders(2_000_000);
  virtual.startWorkload();
  let result: DrillResult | null = null;
  startDrill(virtual, HELD_TO_THE_END, { faults: faults(virtual) }, (done) => (result = done));
  virtual.runFor(25_000_000);
  return result;
}

function runtime(seed: number): VirtualRuntime {
  return new VirtualRuntime({ seed, workload: { profile: "steady", opsPerSecond: 100, depositFraction: 0 } });
}

describe("liveness in drills", () => {
  it("a drill judges liveness after the final heal: every cell committed and routed within the bound", async () => {
    const { result } = await runDrill(DRILL, { seed: 1 });
    expect(result.checkers.liveness?.valid).toBe(true);
    expect(result.reasons).toEqual([]);
    expect(result.outcome).toBe("SUCCEEDED");
  }, 120_000);

  it("a cell that cannot re-elect after the heal fails the drill on liveness, naming the cell", async () => {
    const virtual = runtime(1);
    const { result } = await runDrillOn(virtual, DRILL, {
      timings: VIRTUAL_DRILL_TIMINGS,
      faults: new HealThatLeavesCell1Down(virtual.cluster),
    });
    expect(result.outcome).toBe("FAILED");
    expect(result.checkers.liveness?.valid).toBe(false);
    const evidence = result.checkers.liveness?.evidence as { stuck: string[]; cells: Record<string, { valid: boolean }>; boundMs: number };
    expect(evidence.boundMs).toBe(5_000);
    expect(evidence.stuck).toEqual(["cell-1: no commit within 5000 ms of the heal"]);
    expect(evidence.cells["cell-2"]?.valid).toBe(true);
    expect(result.reasons).toContain("checker liveness: invalid (cell-1: no commit within 5000 ms of the heal)");
  }, 120_000);

  it("a drill the controller schedules in a running world judges liveness too (startDrill)", () => {
    const result = scheduled((virtual) => new FaultManager(virtual.cluster));
    // Judged, not left out: before, a scheduled drill's report had no liveness row at all.
    expect(result?.checkers.liveness?.valid).toBe(true);
    expect(result?.reasons).toEqual([]);
    expect(result?.outcome).toBe("SUCCEEDED");
  }, 120_000);

  it("a scheduled drill whose heal leaves a cell unable to re-elect FAILS on liveness, naming the cell", () => {
    const result = scheduled((virtual) => new HealThatLeavesCell1DownOneByOne(virtual.cluster));
    expect(result?.outcome).toBe("FAILED");
    expect(result?.checkers.liveness?.valid).toBe(false);
    const evidence = result?.checkers.liveness?.evidence as { stuck: string[]; cells: Record<string, { valid: boolean }> };
    expect(evidence.stuck).toEqual(["cell-1: no commit within 5000 ms of the heal"]);
    expect(evidence.cells["cell-2"]?.valid).toBe(true);
    expect(result?.reasons).toContain("checker liveness: invalid (cell-1: no commit within 5000 ms of the heal)");
  }, 120_000);

  it("liveness can be listed in a drill's expect.checkers", () => {
    const drill = parseDrillText(`name: x\nduration: 5s\nsteps: []\nexpect: {checkers: [liveness]}\n`);
    expect(drill.expect.checkers).toEqual(["liveness"]);
  });
});
