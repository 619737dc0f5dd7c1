// The timeline of a live drill, for finding where a recovery's time goes: fault windows, the
// fault port's own work (SIGKILLs sent, exits seen, proxy cuts started and done) and the
// replicas' Raft events (campaigns with LDC_LIVE_LOG_LEVEL=debug, leaders), all in ms relative
// to the first fault window's start. Written as JSON when LDC_LIVE_TIMELINE names a file.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FaultWindow } from "../../harness/checkers/availability.js";
import type { FaultTimelineEntry } from "./faults.js";

/** What the timeline reads from a LiveRuntime. */
export interface TimelineSource {
  nowUs(): number;
  readonly faults: { readonly timeline: readonly FaultTimelineEntry[] };
  readonly processes: ReadonlyMap<string, { readonly spec: { readonly id: string; readonly dataDir: string } }>;
}

/** Replica log events worth a place on the timeline. */
const RAFT_EVENTS: ReadonlySet<string> = new Set(["raft.campaign", "raft.leader", "raft.checkQuorum.stepDown", "replica.started"]);
/** Bound on replica log lines read per replica (a debug log of a long run is large). */
export const TIMELINE_LOG_LINES_MAX = 200_000;

export interface TimelineRow {
  /** ms since the first fault window started (negative: before it). */
  readonly atMs: number;
  readonly source: string;
  readonly event: string;
  readonly detail: string;
}

export interface DrillTimeline {
  readonly faultStartWallMs: number | null;
  readonly rows: readonly TimelineRow[];
}

interface ReplicaLogLine {
  readonly t?: unknown;
  readonly name?: unknown;
  readonly replica?: unknown;
  readonly [field: string]: unknown;
}

export function buildDrillTimeline(live: TimelineSource, windows: readonly FaultWindow[], nowWallMs: number = Date.now()): DrillTimeline {
  // The live clock counts µs from the world's start; the replicas and the fault port stamp wall ms.
  const wallAtLiveZeroMs = nowWallMs - live.nowUs() / 1000;
  const first = windows.reduce<FaultWindow | null>(
    (earliest, window) => (earliest === null || window.startUs < earliest.startUs ? window : earliest),
    null,
  );
  const originWallMs = first === null ? wallAtLiveZeroMs : wallAtLiveZeroMs + first.startUs / 1000;
  const rows: TimelineRow[] = [];
  const at = (wallMs: number): number => Math.round(wallMs - originWallMs);
  for (const window of windows) {
    rows.push({
      atMs: at(wallAtLiveZeroMs + window.startUs / 1000),
      source: "drill",
      event: "window.start",
      detail: `${window.kind} ${window.id} cells ${(window.cells ?? []).join(",")}`,
    });
    rows.push({ atMs: at(wallAtLiveZeroMs + window.endUs / 1000), source: "drill", event: "window.end", detail: window.id });
  }
  for (const entry of live.faults.timeline)
    rows.push({ atMs: at(entry.wallMs), source: "faults", event: entry.event, detail: entry.detail });
  for (const process of live.processes.values()) {
    let text: string;
    try {
      text = readFileSync(join(process.spec.dataDir, "replica.log"), "utf8");
    } catch {
      continue;
    }
    const lines = text.split("\n");
    for (const line of lines.slice(Math.max(0, lines.length - TIMELINE_LOG_LINES_MAX))) {
      if (!line.startsWith("{")) continue;
      let parsed: ReplicaLogLine;
      try {
        parsed = JSON.parse(line) as ReplicaLogLine;
      } catch {
        continue;
      }
      if (typeof parsed.name !== "string" || !RAFT_EVENTS.has(parsed.name) || typeof parsed.t !== "string") continue;
      const { t, name, replica, level: _level, ...fields } = parsed;
      rows.push({ atMs: at(Date.parse(t)), source: String(replica ?? process.spec.id), event: name, detail: JSON.stringify(fields) });
    }
  }
  rows.sort((a, b) => a.atMs - b.atMs);
  return { faultStartWallMs: first === null ? null : Math.round(originWallMs), rows };
}

/** Writes the timeline when LDC_LIVE_TIMELINE names a file; a diagnostic, so failures only warn. */
export function writeDrillTimelineIfAsked(live: TimelineSource, windows: readonly FaultWindow[], extra: Record<string, unknown>): void {
  const path = process.env.LDC_LIVE_TIMELINE;
  if (path === undefined || path.length === 0) return;
  try {
    writeFileSync(path, `${JSON.stringify({ ...extra, ...buildDrillTimeline(live, windows) }, null, 1)}\n`);
  } catch (error) {
    process.stderr.write(`ldc: could not write LDC_LIVE_TIMELINE ${path}: ${(error as Error).message}\n`);
  }
}
