import { describe, expect, it } from "vitest";
import { HistoryRecorder } from "../../../sim/workload/recorder.js";
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
    const recorder = new HistoryRecorder(1_000, 100);
    for (let t = 0; t < 500; t++) recorder.complete(recorder.invoke("read", null, t * 10), "ok", "read", null, t * 10 + 5);
    expect(recorder.history().length).toBeLessThanOrEqual(100);
    expect(recorder.firstIndex).toBeGreaterThan(0);
    const first = recorder.history()[0];
    expect(first?.index).toBe(recorder.firstIndex);
    // far past opsMax in total, but never more than the window at once
    expect(recorder.firstIndex + recorder.history().length).toBe(1_000);
  });

  it("keeps a pinned window (a drill's) past the retention bound, up to pinnedOpsMax, and says when it could not", () => {
    const recorder = new HistoryRecorder(1_000_000, 100, 400);
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
});
