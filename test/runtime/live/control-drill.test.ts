// `ldc drill run --runtime live` runs in a live controller world with the control group (issue 19):
// the built-in control-plane-region-outage drill powers off the region holding the control
// leader's process, presses the failover button (evacuate that region) through the gate, and the
// drill's fault, routing and audit records are in the control group's log at the end. One cell and
// the timeline at half speed keep it under a minute of wall time; every process it started is gone
// afterwards (the replicas' command lines carry their data directory, looked for in /proc).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { builtinDrill } from "../../../chaos/drill/builtin.js";
import { runLiveDrill } from "../../../runtime/live/drill.js";

const dataDir = mkdtempSync(join(tmpdir(), "ldc-live-control-drill-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Pids of the processes whose command line names `text` (Linux /proc; none elsewhere). */
function processesNaming(text: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  return entries
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe("a live drill through the control group", () => {
  it("control-plane-region-outage: the evacuation commits through the gate, the fault, routing and audit are in the control log (seed 1)", async () => {
    const { result, controlState, liveNotes } = await runLiveDrill(builtinDrill("control-plane-region-outage"), {
      seed: 1,
      cellCount: 1,
      timeScale: 0.5,
      dataDir,
    });
    expect(liveNotes.errors).toEqual([]);
    expect(result.lostAckedTransfers).toBe(0);
    const figures = result.controlPlane;
    expect(figures).toBeDefined();
    if (figures === undefined) return;
    // The outage hit the control leader's region, and the group elected a leader elsewhere with a quorum.
    expect(figures.leaderBefore).not.toBeNull();
    expect(figures.leaderAfter).not.toBe(figures.leaderBefore);
    expect(figures.termAfter).toBeGreaterThan(figures.termBefore);
    expect(figures.quorumAfter).toBe(true);
    const evacuation = figures.actions.find((action) => action.kind === "evacuate");
    expect(evacuation?.target).toBe(figures.leaderRegionBefore);
    expect(evacuation?.ok).toBe(true);
    expect(evacuation?.committedMs).not.toBeNull();
    // The audit RPO: the two operator calls before the faults and the evacuation, all in the log.
    expect(figures.auditAcknowledged).toBeGreaterThanOrEqual(3);
    expect(figures.auditLost).toEqual([]);
    // The control leader's own state: the drill's fault with its lease, the evacuation's routing version.
    expect(controlState).not.toBeNull();
    const faults = controlState?.faults ?? [];
    expect(faults.some((fault) => fault.type === "region-outage" && fault.origin === "drill:control-plane-region-outage")).toBe(true);
    expect(controlState?.routingVersion).toBe(figures.routingVersionCommitted);
    expect(figures.routingVersionCommitted ?? 0).toBeGreaterThanOrEqual(2);
    expect(result.reasons).toEqual([]);
    expect(result.outcome).toBe("SUCCEEDED");
    expect(processesNaming(dataDir)).toEqual([]);
  }, 180_000);
});
