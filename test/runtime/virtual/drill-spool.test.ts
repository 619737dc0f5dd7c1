// A drill in the running world spools its window to disk as it is recorded and a child process
// checks it (runtime/drill-spool.ts, as `ldc start` runs drills): the server holds only its
// steady-state history through the drill (issue 15), and the verdicts, the result and the report
// are those of checking the window in memory, in this process.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { DrillRunRecord } from "../../../domain/records.js";
import { startRealHarness, type RealHarness } from "./real-world.js";
import { HISTORY_PINNED_OPS_MAX, type SetupOptions } from "../../../runtime/virtual/controller-setup.js";
import { HistoryRecorder, WindowFilter } from "../../../sim/workload/recorder.js";
import { DrillSpool, readSpooledOps } from "../../../runtime/drill-spool.js";

const harnesses: RealHarness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

const RETAIN_OPS = 2_000;

/** dc-outage at the same simulated moment, run to its end; the most ops the history held meanwhile. */
async function dcOutage(drillSpool?: SetupOptions["drillSpool"]): Promise<{ run: DrillRunRecord; heldMax: number; h: RealHarness }> {
  const h = await startRealHarness({
    seed: 2,
    opsPerSecond: 200,
    deferDrillCheckStep: null,
    bounds: { historyRetention: { opsMax: RETAIN_OPS, pinnedOpsMax: HISTORY_PINNED_OPS_MAX } },
    ...(drillSpool === undefined ? {} : { drillSpool }),
  });
  harnesses.push(h);
  await h.run(1_000_000);
  const started = h.setup.controller.runDrill("dc-outage", { actor: "test" });
  if (!started.ok) throw new Error(started.error);
  let heldMax = 0;
  const deadlineUs = h.setup.virtual.nowUs() + 400_000_000;
  for (;;) {
    heldMax = Math.max(heldMax, h.setup.virtual.recorder.length);
    const run = h.setup.controller.drillRun(started.value.id);
    if (run === undefined) throw new Error("run vanished");
    if (run.state === "done" || h.setup.virtual.nowUs() >= deadlineUs) return { run, heldMax, h };
    await h.run(100_000);
  }
}

describe("a drill's window spooled and checked in a child process", () => {
  it("gives the verdicts, result and report of checking it in memory, while the server holds only its steady-state history", async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "ldc-spool-"));
    const spooled = await dcOutage({ directory });
    const inMemory = await dcOutage();
    expect(spooled.run.state).toBe("done");
    expect(spooled.run.outcome).toBe("SUCCEEDED");
    expect(spooled.run.outcome).toBe(inMemory.run.outcome);
    expect(spooled.run.checkers).toEqual(inMemory.run.checkers);
    expect(spooled.run.rtoMs).toEqual(inMemory.run.rtoMs);
    expect(spooled.run.lostAckedTransfers).toBe(inMemory.run.lostAckedTransfers);
    expect(spooled.run.reasons).toEqual(inMemory.run.reasons);
    // The report (timeline bins from the child's figures) reads the same.
    const spooledReport = spooled.h.setup.controller.drillReport(spooled.run.id);
    const inMemoryReport = inMemory.h.setup.controller.drillReport(inMemory.run.id);
    expect(spooledReport).toBeDefined();
    // But for the world's trace and clock when the result was built: the child's answer comes a few
    // simulated seconds later than the in-memory checks (the world runs on meanwhile, as between steps).
    const parts = (report: string | undefined): { page: string; raw: Record<string, unknown> } => {
      const raw = /href="data:application\/json;base64,([^"]+)"/.exec(report ?? "")?.[1] ?? "";
      const {
        simulatedMs: _simulatedMs,
        traceHash: _traceHash,
        ...rest
      } = JSON.parse(Buffer.from(raw, "base64").toString("utf8")) as Record<string, unknown>;
      return { page: (report ?? "").replace(raw, "").replace(/trace [0-9a-f]{8}/, "trace"), raw: rest };
    };
    expect(parts(spooledReport).raw).toEqual(parts(inMemoryReport).raw);
    expect(parts(spooledReport).page).toBe(parts(inMemoryReport).page);
    expect(parts(spooledReport).page).toContain("history events");
    // In memory the window (~100 s of ops) was pinned past the bound; spooled, the history stayed within it.
    expect(inMemory.heldMax).toBeGreaterThan(4 * RETAIN_OPS);
    expect(spooled.heldMax).toBeLessThanOrEqual(RETAIN_OPS);
    // The window is removed once checked.
    expect(fs.readdirSync(directory)).toEqual([]);
  }, 600_000);

  it("a check that cannot run fails the drill with the reason, and removes the window", async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "ldc-spool-"));
    const { run } = await dcOutage({ directory, check: () => Promise.reject(new Error("the check process ended (SIGKILL)")) });
    expect(run.outcome).toBe("FAILED");
    expect(run.reasons).toContain("checks did not run: the check process ended (SIGKILL)");
    expect(fs.readdirSync(directory)).toEqual([]);
  }, 600_000);

  it("without a place on disk for the window, the drill holds and checks it in memory", async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ldc-spool-")), "a-file");
    fs.writeFileSync(file, "");
    const { run, heldMax } = await dcOutage({ directory: path.join(file, "windows") });
    expect(run.outcome).toBe("SUCCEEDED");
    expect(heldMax).toBeGreaterThan(4 * RETAIN_OPS);
  }, 600_000);
});

describe("the window filter", () => {
  it("keeps what since() keeps: invocations from the time on, their completions, nemesis notes from then", () => {
    const recorder = new HistoryRecorder();
    const early = recorder.invoke("transfer", { id: "a" }, 10);
    const late = recorder.invoke("read", { cell: "c" }, 20);
    recorder.note("partition", { from: "x" }, 25);
    recorder.complete(early, "ok", "transfer", { id: "a" }, 30);
    recorder.complete(late, "ok", "read", { cell: "c" }, 40);
    const crashed = recorder.invoke("transfer", { id: "b" }, 50);
    recorder.complete(crashed, "info", "transfer", { id: "b" }, 60);
    const lengths: number[] = [];
    for (const fromUs of [0, 15, 26, 55]) {
      const filter = new WindowFilter(fromUs);
      const kept = recorder.history().filter((op) => filter.keeps(op));
      expect(kept).toEqual(recorder.since(fromUs));
      lengths.push(kept.length);
    }
    expect(lengths).toEqual([7, 5, 2, 0]);
  });
});

describe("a spooled ops file read back", () => {
  it("gives the ops written, whatever falls on a read boundary (lines longer than a read, characters of several bytes)", () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "ldc-spool-"));
    const recorder = new HistoryRecorder();
    const spool = new DrillSpool(directory, recorder, 0);
    const long = "é".repeat(700_000); // 1.4 MB of two-byte characters: longer than one read
    for (let i = 0; i < 3_000; i++) {
      const process = recorder.invoke("transfer", { id: `t${i}`, note: i === 1_500 ? long : "ä€😀".repeat(i % 7) }, i * 10);
      recorder.complete(process, "ok", "transfer", { id: `t${i}` }, i * 10 + 5);
    }
    spool.close();
    expect(readSpooledOps(spool.opsPath)).toEqual(recorder.history());
    spool.remove();
    expect(fs.existsSync(directory)).toBe(false);
  });
});
