// A long-running `ldc start` must be flat, not merely bounded (issue 15 defect 1): a structure
// that grows with the ledger's events until a named bound is a slope in the server's memory for as
// long as it takes to fill. At 1,024 (to 2,048) chain checkpoints per replica that was ~100
// minutes of a soak. This measures the running world's event rate at its default load and
// checks that every per-event bound of runningWorldBounds reaches its steady state (its
// saw-tooth) within a quarter of an hour.
import { afterEach, describe, expect, it } from "vitest";
import { defaultLedgerOptions } from "../../../cells/ledger/ledger.js";
import { runningWorldBounds, setupController, type ControllerSetup } from "../../../runtime/virtual/controller-setup.js";

const FILL_SECONDS_MAX = 15 * 60;

let setup: ControllerSetup | undefined;
afterEach(() => {
  setup?.close();
  setup = undefined;
});

describe("the running world's per-event bounds", () => {
  it("fill within a quarter of an hour at the default load, so a soak's memory levels off early", () => {
    setup = setupController({ seed: 11, dataDirectory: null, wallTimeIso: () => "2026-01-01T00:00:00.000Z", deferDrillCheckStep: null });
    const virtual = setup.virtual;
    virtual.startWorkload({ sink: setup.sink });
    virtual.runFor(5_000_000);
    const furthestEventCounts = () =>
      virtual.placement.cells.map((cell) =>
        Math.max(...cell.replicas.map((replica) => virtual.node(replica.replica)?.stateMachine.ledger.eventCount ?? 0)),
      );
    const before = furthestEventCounts();
    const seconds = 20;
    virtual.runFor(seconds * 1_000_000);
    const after = furthestEventCounts();
    // Events per second of the slowest cell: the longest fill.
    const slowest = Math.min(...after.map((count, i) => (count - (before[i] as number)) / seconds));
    expect(slowest).toBeGreaterThan(100);
    const fillSeconds = {
      chainCheckpoints: (2 * runningWorldBounds.chainCheckpointsRetainedMax * defaultLedgerOptions.checkpointEventsInterval) / slowest,
      ledgerEvents: (2 * runningWorldBounds.ledgerEventsRetainedMax) / slowest,
      appliedEvents: runningWorldBounds.appliedEventsMax / slowest,
    };
    for (const [bound, fill] of Object.entries(fillSeconds))
      expect(fill, `${bound} fills in ${Math.round(fill)} s at ${Math.round(slowest)} events/s`).toBeLessThanOrEqual(FILL_SECONDS_MAX);
  }, 120_000);
});
