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
