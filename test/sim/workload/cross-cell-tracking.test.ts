// The workload remembers when each cross-cell transfer was invoked, for the settle-latency sample
// taken when the payee's cell settles it. A transfer that is never sent is never settled, so its
// entry must go when that is known (rejected at the payer's cell, refused, not invoked at all), and
// one whose outcome stays unknown must go after CROSS_CELL_INVOKED_TRACKED_US. Before issue 15's
// soak these stayed until the 100,000-entry bound: the running world's heap grew ~0.2 MB a minute.
import { describe, expect, it } from "vitest";
import { planPlacement } from "../../../cells/placement.js";
import type { CellOutcome } from "../../../cells/cell/client.js";
import type { Clock, TimerHandle } from "../../../ground/ports.js";
import { createRandom } from "../../../ground/random.js";
import { HistoryRecorder } from "../../../sim/workload/recorder.js";
import { CROSS_CELL_INVOKED_TRACKED_US, Workload, defaultWorkloadOptions, type UserRequest } from "../../../sim/workload/workload.js";

/** Timers in a sorted list, run by `advance`: enough for the arrival process. */
class ManualClock implements Clock {
  private now = 0;
  private timers: { atUs: number; callback: () => void; handle: TimerHandle }[] = [];
  nowUs(): number {
    return this.now;
  }
  setTimer(delayUs: number, callback: () => void): TimerHandle {
    const handle = {} as TimerHandle;
    this.timers.push({ atUs: this.now + delayUs, callback, handle });
    return handle;
  }
  cancelTimer(handle: TimerHandle): void {
    this.timers = this.timers.filter((timer) => timer.handle !== handle);
  }
  advance(us: number): void {
    const end = this.now + us;
    for (;;) {
      this.timers.sort((a, b) => a.atUs - b.atUs);
      const next = this.timers[0];
      if (next === undefined || next.atUs > end) break;
      this.timers.shift();
      this.now = next.atUs;
      next.callback();
    }
    this.now = end;
  }
}

type Answer = "posted" | "rejected" | "overloaded" | "timeout" | "hold";

/** What the sink answers for each kind; null: it holds the request (never answers). */
const OUTCOMES: Readonly<Record<Answer, CellOutcome | null>> = {
  posted: { ok: true, result: { outcome: "posted" }, replica: "r" },
  rejected: { ok: true, result: { outcome: "rejected", reason: "INSUFFICIENT_FUNDS" }, replica: "r" },
  overloaded: { ok: false, error: { code: "OVERLOADED" } },
  timeout: { ok: false, error: { code: "TIMEOUT" } },
  hold: null,
};

function workloadAnswering(answer: (request: UserRequest, nowUs: number) => Answer, inflightMax = 20_000) {
  const clock = new ManualClock();
  const placement = planPlacement({
    regions: [
      { name: "hangzhou", datacenters: ["hz-a", "hz-b"] },
      { name: "shanghai", datacenters: ["sh-a", "sh-b"] },
      { name: "shenzhen", datacenters: ["sz-a"] },
    ],
  });
  const recorder = new HistoryRecorder();
  const held: ((outcome: CellOutcome) => void)[] = [];
  const sent: string[] = [];
  const sink = {
    submit(request: UserRequest, callback: (outcome: CellOutcome) => void): void {
      const payload = request.payload as { type: string; id?: string };
      const kind = payload.type === "TransferOut" ? answer(request, clock.nowUs()) : "posted";
      if (payload.type === "TransferOut" && kind === "posted") sent.push(payload.id as string);
      const outcome = OUTCOMES[kind];
      if (outcome === null) held.push(callback);
      else clock.setTimer(1_000, () => callback(outcome));
    },
  };
  const workload = new Workload(
    { ...defaultWorkloadOptions, opsPerSecond: 200, crossCellRatio: 1, readFraction: 0, inflightMax },
    { clock, random: createRandom(7), placement, recorder },
    sink,
  );
  return { clock, workload, sent, held };
}

describe("cross-cell transfers awaited for a settle-latency sample", () => {
  it("a sent transfer is remembered until taken; one rejected or refused at its payer's cell is forgotten", () => {
    let k = 0;
    const answers: Answer[] = ["posted", "rejected", "overloaded"];
    const { clock, workload, sent } = workloadAnswering(() => answers[k++ % 3] as Answer);
    workload.start();
    clock.advance(5_000_000);
    workload.stop();
    clock.advance(10_000);
    expect(k).toBeGreaterThan(600);
    // Only the sent ones are awaited (they settle later, at the payee's cell).
    expect(workload.crossCellTracked).toBe(sent.length);
    for (const id of sent) expect(workload.takeCrossCellInvokedUs(id)).toBeTypeOf("number");
    expect(workload.crossCellTracked).toBe(0);
  });

  it("a transfer not invoked (the client saturated) is not remembered", () => {
    const { clock, workload, held } = workloadAnswering(() => "hold", 10);
    workload.start();
    clock.advance(2_000_000);
    workload.stop();
    // Ten in flight (held by the sink: their outcome may still be "sent"); every later one was not invoked.
    expect(held).toHaveLength(10);
    expect(workload.crossCellTracked).toBe(10);
  });

  it("one whose outcome stays unknown is forgotten once older than CROSS_CELL_INVOKED_TRACKED_US", () => {
    const timedOut: string[] = [];
    const sentAtUs: number[] = [];
    const { clock, workload } = workloadAnswering((request, nowUs) => {
      const id = (request.payload as { id: string }).id;
      if (nowUs < 10_000_000) {
        timedOut.push(id);
        return "timeout";
      }
      sentAtUs.push(nowUs);
      return "posted";
    });
    workload.start();
    clock.advance(CROSS_CELL_INVOKED_TRACKED_US);
    expect(timedOut.length).toBeGreaterThan(1_000);
    // Within the bound every one is still awaited: a timed-out transfer may yet have applied and settle.
    expect(workload.crossCellTracked).toBe(timedOut.length + sentAtUs.length);
    clock.advance(11_000_000);
    workload.stop();
    const horizonUs = clock.nowUs() - CROSS_CELL_INVOKED_TRACKED_US;
    const lastInvokedUs = sentAtUs.at(-1) as number;
    expect(workload.crossCellTracked).toBe(sentAtUs.filter((atUs) => lastInvokedUs - atUs <= CROSS_CELL_INVOKED_TRACKED_US).length);
    expect(horizonUs).toBeGreaterThan(10_000_000);
    for (const id of timedOut) expect(workload.takeCrossCellInvokedUs(id)).toBeUndefined();
  });
});
