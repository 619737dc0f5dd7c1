// The drill timeline lines up the fault port's wall-clock notes, the replicas' own log lines and
// the drill's fault windows (live-clock µs) on one axis: ms from the first fault.
import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildDrillTimeline } from "../../../runtime/live/timeline.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("drill timeline", () => {
  it("puts windows, fault notes and replica Raft events on one axis from the fault, in order", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "ldc-timeline-"));
    dirs.push(dataDir);
    const nowWallMs = Date.parse("2026-11-22T05:00:10.000Z");
    // The live clock reads 10 s at nowWallMs, so live 0 is 05:00:00.000 and the fault (live 4 s) is 05:00:04.
    const line = (t: string, name: string, extra: Record<string, unknown> = {}): string =>
      JSON.stringify({ t, level: "info", replica: "cell-1/sh-a", name, ...extra });
    writeFileSync(
      join(dataDir, "replica.log"),
      [
        line("2026-11-22T05:00:04.300Z", "raft.leader", { term: 3 }),
        line("2026-11-22T05:00:04.250Z", "raft.campaign", { kind: "vote" }),
        line("2026-11-22T05:00:04.260Z", "raft.message.ignored"),
        "not json",
      ].join("\n"),
    );
    const timeline = buildDrillTimeline(
      {
        nowUs: () => 10_000_000,
        faults: { timeline: [{ wallMs: Date.parse("2026-11-22T05:00:04.020Z"), event: "sigkill.sent", detail: "cell-1/hz-a" }] },
        processes: new Map([["cell-1/sh-a", { spec: { id: "cell-1/sh-a", dataDir } }]]),
      },
      [{ id: "f-1", kind: "region-outage", startUs: 4_000_000, endUs: 6_000_000, cells: ["cell-1"] }],
      nowWallMs,
    );
    expect(timeline.faultStartWallMs).toBe(Date.parse("2026-11-22T05:00:04.000Z"));
    expect(timeline.rows.map((row) => [row.atMs, row.event])).toEqual([
      [0, "window.start"],
      [20, "sigkill.sent"],
      [250, "raft.campaign"],
      [300, "raft.leader"],
      [2000, "window.end"],
    ]);
    expect(timeline.rows[3]?.detail).toBe(JSON.stringify({ term: 3 }));
  });
});
