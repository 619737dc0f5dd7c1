import { describe, expect, it } from "vitest";
import { HISTORY_DROP_CHUNK_OPS, HistoryRecorder } from "../../../sim/workload/recorder.js";
import { pairHistory } from "../../../harness/history.js";

describe("HistoryRecorder", () => {
  it("reuses idle processes, retires a process after info", () => {
    const recorder = new HistoryRecorder();
    const a = recorder.invoke("read", null, 1);
    recorder.complete(a, "info", "read", null, 2);
    const b = recorder.invoke("read", null, 3);
    expect(b).not.toBe(a);
    recorder.complete(b, "ok", "read", null, 4);
    expect(recorder.invoke("read", null, 5)).toBe(b);
    expect(recorder.inflight).toBe(1);
  });

  it("keeps a bounded window with global indexes when retention is on", () => {
    const recorder = new HistoryRecorder(1_000, { opsMax: 100 });
    for (let t = 0; t < 500; t++) recorder.complete(recorder.invoke("read", null, t * 10), "ok", "read", null, t * 10 + 5);
    expect(recorder.history().length).toBeLessThanOrEqual(100);
    expect(recorder.firstIndex).toBeGreaterThan(0);
    const first = recorder.history()[0];
    expect(first?.index).toBe(recorder.firstIndex);
    // far past opsMax in total, but never more than the window at once
    expect(recorder.firstIndex + recorder.history().length).toBe(1_000);
  });

  it("with a duration, keeps every op of the last durationUs (and not much more), dropping older ones a chunk at a time", () => {
    const durationUs = 1_000_000;
    const recorder = new HistoryRecorder(10_000_000, { durationUs, opsMax: 1_000_000 });
    // 20,000 history ops a second (an op every 50 us) for 10 s.
    let heldMax = 0;
    let cut = 0;
    for (let t = 0; t < 200_000; t++) {
      const nowUs = t * 50;
      recorder.note("tick", null, nowUs);
      const history = recorder.history();
      // Everything since nowUs - durationUs is held: the oldest op held is at least that old (once the run is that long).
      if (nowUs >= durationUs && (history[0]?.time ?? Infinity) > nowUs - durationUs) cut++;
      heldMax = Math.max(heldMax, history.length);
    }
    expect(cut).toBe(0);
    expect(recorder.holdsSince(10_000_000 - durationUs)).toBe(true);
    expect(recorder.firstIndex).toBeGreaterThan(150_000);
    // durationUs holds 20,000 ops; what ages out goes once a chunk of it has.
    expect(heldMax).toBeLessThanOrEqual(20_000 + 2 * HISTORY_DROP_CHUNK_OPS);
  });

  it("past opsMax the oldest quarter goes, however recent", () => {
    const recorder = new HistoryRecorder(10_000_000, { durationUs: 60_000_000, opsMax: 1_000 });
    for (let t = 0; t < 5_000; t++) recorder.note("tick", null, t);
    expect(recorder.length).toBeLessThanOrEqual(1_000);
    expect(recorder.length).toBeGreaterThanOrEqual(750);
    expect(recorder.firstIndex + recorder.length).toBe(5_000);
  });

  it("keeps a pinned window (a drill's) past the retention bound, up to pinnedOpsMax, and says when it could not", () => {
    const recorder = new HistoryRecorder(1_000_000, { opsMax: 100, pinnedOpsMax: 400 });
    for (let t = 0; t < 200; t++) recorder.complete(recorder.invoke("read", null, t * 10), "ok", "read", null, t * 10 + 5);
    expect(recorder.length).toBeLessThanOrEqual(100);
    const pinUs = 2_000;
    recorder.pin(pinUs);
    for (let t = 200; t < 350; t++) recorder.complete(recorder.invoke("read", null, t * 10), "ok", "read", null, t * 10 + 5);
    // 300 ops since the pin, all kept although the bound is 100; ops before it were dropped.
    expect(recorder.since(pinUs)).toHaveLength(300);
    expect(recorder.holdsSince(pinUs)).toBe(true);
    for (let t = 350; t < 600; t++) recorder.complete(recorder.invoke("read", null, t * 10), "ok", "read", null, t * 10 + 5);
    // Past pinnedOpsMax the pin gives way: memory stays bounded, and the window is known to be cut.
    expect(recorder.length).toBeLessThanOrEqual(400);
    expect(recorder.holdsSince(pinUs)).toBe(false);
    recorder.pin(null);
    for (let t = 600; t < 700; t++) recorder.complete(recorder.invoke("read", null, t * 10), "ok", "read", null, t * 10 + 5);
    expect(recorder.length).toBeLessThanOrEqual(100);
  });

  it("since(t) is a self-contained history: completions only of ops invoked in the window", () => {
    const recorder = new HistoryRecorder();
    const early = recorder.invoke("transfer", { id: "x" }, 10);
    const late = recorder.invoke("transfer", { id: "y" }, 30);
    recorder.complete(early, "ok", "transfer", { id: "x" }, 40);
    recorder.complete(late, "ok", "transfer", { id: "y" }, 50);
    const window = recorder.since(20);
    expect(window.map((op) => [op.type, (op.value as { id: string }).id])).toEqual([
      ["invoke", "y"],
      ["ok", "y"],
    ]);
    expect(() => pairHistory(window)).not.toThrow();
  });

  it("sinceSteps copies the window as it was when called, a slice per step, while the run goes on", () => {
    const recorder = new HistoryRecorder(1_000_000, { opsMax: 100, pinnedOpsMax: 100_000 });
    const tick = (t: number) => recorder.complete(recorder.invoke("read", { t }, t * 10), "ok", "read", { t }, t * 10 + 5);
    for (let t = 0; t < 200; t++) tick(t);
    const pinUs = 1_000;
    recorder.pin(pinUs);
    for (let t = 200; t < 1_000; t++) tick(t);
    // One open at the cut: its completion comes after, so it is not in the window.
    const open = recorder.invoke("read", { t: "open" }, 10_000);
    const expected = recorder.since(pinUs);
    const steps = recorder.sinceSteps(pinUs, 64);
    let yields = 0;
    let next = steps.next();
    for (let t = 1_001; next.done !== true; t++) {
      yields++;
      tick(t);
      if (t === 1_001) recorder.complete(open, "ok", "read", { t: "open" }, 10_011);
      next = steps.next();
    }
    expect(next.value).toEqual(expected);
    expect(next.value.at(-1)?.type).toBe("invoke");
    // ~1,600 ops from the pin on, 64 a step.
    expect(yields).toBeGreaterThanOrEqual(24);
  });
});
