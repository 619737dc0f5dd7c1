// A drill's checks in the running world go a step (a checker or a cell) at a time, so the API
// answers while a drill's window is checked (issue 15: /healthz missed its 5 s deadline while a
// drill's checkers held the event loop). The world's state is taken when the drill concludes: the
// verdicts are those of checking everything at once at that moment, though the world goes on
// between the steps.
import { afterEach, describe, expect, it } from "vitest";
import type { DrillRunRecord } from "../../../domain/records.js";
import { startRealHarness, type RealHarness, runUntilDone } from "./real-world.js";
import { CHECK_STEP_ITEMS } from "../../../harness/history.js";

const harnesses: RealHarness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

/** dc-outage started at the same simulated moment (not through HTTP, whose timing is real), run until done. */
async function runDcOutage(h: RealHarness): Promise<DrillRunRecord> {
  await h.run(1_000_000);
  const started = h.setup.controller.runDrill("dc-outage", { actor: "test" });
  if (!started.ok) throw new Error(started.error);
  return runUntilDone(h, started.value.id, 120_000_000, 100_000);
}

describe("a drill's checks yield to the API", () => {
  it("/healthz answers between the check steps, and the verdicts equal those of checking all at once", async () => {
    const healthDuringChecks: { status: number; state: string | undefined; simUs: number }[] = [];
    // Set once the harness is up and the drill started (the step function is given before both).
    const late: { harness?: RealHarness; runId?: string; startUs?: number } = {};
    const windowOps = { count: 0 };
    const deferStep = (step: () => void): void => {
      const h = late.harness as RealHarness;
      const runId = late.runId;
      if (windowOps.count === 0) {
        const nowUs = h.setup.virtual.nowUs();
        windowOps.count = h.setup.virtual.recorder
          .history()
          .filter((op) => (op.time ?? 0) >= (late.startUs ?? nowUs) && (op.time ?? 0) <= nowUs).length;
      }
      // A real HTTP request on the same event loop, answered before the next step runs.
      void fetch(`${h.url}/healthz`, { signal: AbortSignal.timeout(5_000) }).then(
        (response) => {
          const running = runId === undefined ? undefined : h.setup.controller.drillRun(runId)?.state;
          healthDuringChecks.push({ status: response.status, state: running, simUs: h.setup.virtual.nowUs() });
          step();
        },
        () => step(),
      );
    };
    const stepped = (late.harness = await startRealHarness({ seed: 2, opsPerSecond: 200, deferDrillCheckStep: deferStep }));
    harnesses.push(stepped);
    await stepped.run(1_000_000);
    late.startUs = stepped.setup.virtual.nowUs();
    const started = stepped.setup.controller.runDrill("dc-outage", { actor: "test" });
    if (!started.ok) throw new Error(started.error);
    late.runId = started.value.id;
    const steppedRun = await runUntilDone(stepped, started.value.id, 120_000_000, 100_000);
    expect(steppedRun.state).toBe("done");

    // One answer per step: the capture, each cell's linearizability, bank, durability, and within
    // each checker one per CHECK_STEP_ITEMS ops (the witness pairs, collects and matches its
    // cell's ops in slices; durability and availability pair the whole window in slices).
    expect(healthDuringChecks.length).toBeGreaterThanOrEqual(6);
    // The window's ops (at least those invoked from the drill's start to its checks' first step).
    expect(windowOps.count).toBeGreaterThan(4 * CHECK_STEP_ITEMS);
    // Pairing alone passes every op of the window in the witness, durability and availability.
    expect(healthDuringChecks.length).toBeGreaterThan((3 * windowOps.count) / CHECK_STEP_ITEMS);
    for (const answer of healthDuringChecks) expect(answer).toMatchObject({ status: 200, state: "running" });
    // The world went on while the checks ran.
    expect((healthDuringChecks.at(-1)?.simUs ?? 0) - (healthDuringChecks[0]?.simUs ?? 0)).toBeGreaterThan(0);

    const atOnce = await startRealHarness({ seed: 2, opsPerSecond: 200, deferDrillCheckStep: null });
    harnesses.push(atOnce);
    const atOnceRun = await runDcOutage(atOnce);
    expect(steppedRun.outcome).toBe("SUCCEEDED");
    expect(steppedRun.outcome).toBe(atOnceRun.outcome);
    expect(steppedRun.checkers).toEqual(atOnceRun.checkers);
    expect(steppedRun.rtoMs).toEqual(atOnceRun.rtoMs);
    expect(steppedRun.lostAckedTransfers).toBe(atOnceRun.lostAckedTransfers);
  }, 300_000);
});
