// A long-running `ldc start` keeps its memory flat (issue 15 defect 1, issue 16): every structure
// that grows with operations stops at its named bound (runtime/virtual/controller-setup.ts), counted after
// N simulated operations rather than timed. The bounds are shrunk here so a few minutes of
// simulated time cross each of them; a drill forced while hangzhou is evacuated (the run that ran a
// first server out of heap) still has its own window checked exactly after the harness's
// applied-event log folded its oldest events.
import { afterEach, describe, expect, it } from "vitest";
import type { DrillRunRecord } from "../../../domain/records.js";
import { startRealHarness, type RealHarness, runUntilDone } from "./real-world.js";
import { HISTORY_DROP_CHUNK_OPS } from "../../../sim/workload/recorder.js";

let harness: RealHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

// 300 ops/s: ~56 ledger events/s per cell (a fifth of the transfers cross cells, and each is three
// events in two cells: sent, credited, settled). The applied-event log keeps >= 6,500 events per
// cell (~115 s: a drill's window) and folds once a cell passes 13,000 (~230 s).
const bounds = {
  historyRetention: { durationUs: 10_000_000, opsMax: 20_000, pinnedOpsMax: 200_000 },
  idempotencyWindowEntries: 1_000,
  ledgerEventsRetainedMax: 256,
  appliedEventsMax: 13_000,
};

describe("memory bounds of the running world", () => {
  it("history, idempotency tables, ledger events and the applied-event log stay within their bounds; a drill forced while evacuated is still checked", async () => {
    const h = (harness = await startRealHarness({ seed: 5, opsPerSecond: 300, bounds }));
    await h.run(240_000_000);
    const virtual = h.setup.virtual;
    // Past the applied-event bound already: the drill below is checked over a folded log.
    expect(virtual.recorder.firstIndex).toBeGreaterThan(0);
    const evacuated = await h.request("POST", "/api/v1/regions/hangzhou/evacuate", { reason: "memory-bounds test" });
    expect(evacuated.status).toBe(200);
    const refused = await h.request("POST", "/api/v1/drills/region-outage/runs", {});
    expect(refused.status).toBe(409);
    const started = await h.request("POST", "/api/v1/drills/region-outage/runs", { force: true, reason: "the issue 15 scenario" });
    expect(started.status).toBe(202);
    const run = await runUntilDone(h, (started.body as DrillRunRecord).id, 200_000_000, 1_000_000);
    expect(run.state).toBe("done");
    // Checked, not "unknown": the witness had a complete log of the drill's window.
    expect(run.checkers.linearizable).toMatchObject({ valid: true });
    expect(run.checkers.durability).toMatchObject({ valid: true });
    expect(run.lostAckedTransfers).toBe(0);
    // Past the drill's pin, what aged goes at the next look (every HISTORY_DROP_CHUNK_OPS ops, ~7 s here).
    await h.run(10_000_000);

    // 10 s at 600 history ops/s (300 operations a second): the duration bounds it, well below opsMax.
    expect(virtual.recorder.length).toBeLessThanOrEqual(6_000 + 2 * HISTORY_DROP_CHUNK_OPS);
    const eventCounts: number[] = [];
    for (const cell of virtual.placement.cells) {
      for (const replica of cell.replicas) {
        const ledger = virtual.node(replica.replica)?.stateMachine.ledger;
        if (ledger === undefined) continue;
        eventCounts.push(ledger.eventCount);
        expect(ledger.idempotencyEntries).toBeLessThanOrEqual(bounds.idempotencyWindowEntries);
        expect(ledger.events().length).toBeLessThan(2 * bounds.ledgerEventsRetainedMax);
      }
    }
    // Every bound was crossed many times over, not merely approached.
    expect(Math.min(...eventCounts)).toBeGreaterThan(bounds.appliedEventsMax);
    for (const kept of Object.values(virtual.appliedEventsKept())) expect(kept).toBeLessThanOrEqual(bounds.appliedEventsMax);
  }, 600_000);
});
