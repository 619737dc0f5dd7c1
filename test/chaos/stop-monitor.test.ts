// The stop monitor's judgement on a scripted history: a sliding window, a minimum of completed
// operations before rates and percentiles count, unavailability as the current stretch without a
// quorum, lost transfers counted from the drill's start.
import { describe, expect, it } from "vitest";
import { StopMonitor, type StopConditions, type StoppedBy } from "../../chaos/drill/stop.js";
import type { Op } from "../../harness/history.js";
import type { CellView } from "../../domain/cluster.js";
import type { Clock, TimerHandle } from "../../ground/ports.js";

const none: StopConditions = {
  errorRateMax: null,
  p99MsMax: null,
  lostAckedTransfersMax: null,
  unavailableMsMax: null,
  windowUs: 1_000_000,
};

function scripted(conditions: Partial<StopConditions>) {
  let nowUs = 0;
  let lost: number | null = 3;
  const ops: Op[] = [];
  let quorum = true;
  let process = 0;
  const clock: Clock = { nowUs: () => nowUs, setTimer: () => 0 as unknown as TimerHandle, cancelTimer: () => {} };
  const cell = (): CellView =>
    ({
      id: "cell-1",
      quorumAvailable: quorum,
      leader: quorum ? { replica: "cell-1/hz-a", datacenter: "hz-a", region: "hangzhou" } : null,
    }) as unknown as CellView;
  const breaches: StoppedBy[] = [];
  const monitor = new StopMonitor(
    { ...none, ...conditions },
    { recorder: { history: () => ops, firstIndex: 0 }, cluster: { clock, cells: () => [cell()] }, lostAckedTransfers: () => lost },
    0,
    (stoppedBy) => breaches.push(stoppedBy),
  );
  monitor.start();
  return {
    monitor,
    breaches,
    /** `count` operations invoked now, completing `latencyUs` later with `type`. */
    ops(count: number, latencyUs: number, type: "ok" | "fail" | "info" = "ok") {
      for (let index = 0; index < count; index++) {
        const id = process++;
        ops.push({ process: id, type: "invoke", f: "transfer", value: null, time: nowUs, index: ops.length });
        ops.push({ process: id, type, f: "transfer", value: null, time: nowUs + latencyUs, index: ops.length });
      }
    },
    advance(us: number) {
      nowUs += us;
    },
    setQuorum(value: boolean) {
      quorum = value;
    },
    setLost(value: number | null) {
      lost = value;
    },
  };
}

describe("the stop monitor", () => {
  it("judges p99 and error rate only once the window holds enough completed operations", () => {
    const world = scripted({ p99MsMax: 10, errorRateMax: 0.1 });
    world.ops(5, 50_000, "fail");
    world.advance(100_000);
    expect(world.monitor.check()).toBeNull();
    expect(world.monitor.figures()).toMatchObject({ ops: 5, errorRate: 1 });
    world.ops(30, 2_000);
    world.advance(100_000);
    const stopped = world.monitor.check();
    expect(stopped).toMatchObject({ condition: "errorRateMax", limit: 0.1, atMs: 200 });
    expect(stopped?.value).toBeCloseTo(5 / 35, 3);
    expect(world.breaches).toHaveLength(1);
    // Once stopped it stays stopped and does not call back twice.
    expect(world.monitor.check()).toBe(stopped);
    expect(world.breaches).toHaveLength(1);
  });

  it("slides its window: slow operations that completed before it no longer count", () => {
    const world = scripted({ p99MsMax: 10, windowUs: 1_000_000 });
    world.ops(25, 8_000);
    world.advance(100_000);
    expect(world.monitor.check()).toBeNull();
    expect(world.monitor.figures().p99Ms).toBe(8);
    world.ops(25, 40_000);
    world.advance(950_000);
    // Now 1.05 s: the fast ones completed at 8 ms, outside the 1 s window; the slow ones at 140 ms, inside.
    expect(world.monitor.check()).toMatchObject({ condition: "p99MsMax", value: 40 });
  });

  it("unavailableMsMax: the current stretch without a quorum, reset when it comes back", () => {
    const world = scripted({ unavailableMsMax: 1_000 });
    world.setQuorum(false);
    world.monitor.check();
    world.advance(800_000);
    expect(world.monitor.check()).toBeNull();
    world.setQuorum(true);
    world.monitor.check();
    world.setQuorum(false);
    world.monitor.check();
    world.advance(900_000);
    expect(world.monitor.check()).toBeNull();
    world.advance(200_000);
    expect(world.monitor.check()).toMatchObject({ condition: "unavailableMsMax", value: 1_100, limit: 1_000, atMs: 1_900 });
  });

  it("lostAckedTransfersMax counts from the drill's start; no online count, no judgement", () => {
    const world = scripted({ lostAckedTransfersMax: 0 });
    expect(world.monitor.check()).toBeNull();
    world.setLost(4);
    expect(world.monitor.check()).toMatchObject({ condition: "lostAckedTransfersMax", value: 1, limit: 0 });
    const unchecked = scripted({ lostAckedTransfersMax: 0 });
    unchecked.setLost(null);
    expect(unchecked.monitor.check()).toBeNull();
  });
});
