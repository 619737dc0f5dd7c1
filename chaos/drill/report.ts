// The drill report's content, one model for every place that shows it (`ldc drill run` on the
// terminal and in --out, the controller's GET /api/v1/drills/runs/{id}/report): a summary first
// (outcome, RTO per cell, RPO as lost acknowledged transfers, error rate during the faults), then
// one timeline in seconds of drill time (faults, steps and actions, routing versions, audit
// entries; latency and error rate per cell in bins as wide as the page's chart period, computed
// the same way: harness/window-figures.ts), the checkers' verdicts with a one-line reason each,
// and the raw result for download. Renderers: report-html.ts, report-text.ts.
import { pairHistory, type Op } from "../../harness/history.js";
import { opCell } from "../../harness/models.js";
import { CHART_BIN_US, emptyCounts, roundRate, windowFigures, type WindowCounts } from "../../harness/window-figures.js";
import type { CheckerSummary, DrillResult } from "./result.js";

export interface ReportEvent {
  /** Seconds of drill time (negative: before the drill started). */
  readonly atS: number;
  readonly kind: "fault" | "heal" | "step" | "routing" | "audit";
  readonly text: string;
  /** A step that did not do what it should. */
  readonly failed?: boolean;
}

export interface CellBin {
  readonly atS: number;
  readonly ops: number;
  readonly errorRate: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface CellDuring {
  readonly cell: string;
  readonly ops: number;
  /** Over the whole span of the faults. */
  readonly errorRate: number;
  /** The worst bin, as the page's chart shows it, and when. */
  readonly errorRatePeak: number;
  readonly errorRatePeakAtS: number | null;
  readonly p99MsPeak: number;
}

export interface CheckerRow {
  readonly name: string;
  readonly verdict: "valid" | "INVALID" | "unknown";
  readonly reason: string;
}

export interface DrillReport {
  readonly drill: string;
  readonly runId: string | null;
  readonly seed: number;
  readonly runtime: "virtual" | "live";
  readonly outcome: DrillResult["outcome"];
  readonly durationS: number;
  readonly simulatedMs: number;
  readonly traceHash: string | null;
  readonly operations: number;
  readonly command: string | null;
  readonly reasons: readonly string[];
  readonly summary: {
    readonly rto: readonly { readonly cell: string; readonly ms: number | null }[];
    readonly rtoMsMax: number | null;
    readonly lostAckedTransfers: number | null;
    readonly during: readonly CellDuring[];
    readonly replicasNotUp: ReportableResult["replicasNotUp"];
    /** The stop conditions the run was watched by and the one that ended it (ABORTED), if any. */
    readonly stop: ReportableResult["stop"];
    readonly stoppedBy: ReportableResult["stoppedBy"];
    /** The rehearsal's prediction made before the run, if one was. */
    readonly prediction: ReportableResult["prediction"];
  };
  readonly timeline: {
    readonly binS: number;
    readonly fromS: number;
    readonly toS: number;
    readonly faults: readonly {
      readonly id: string;
      readonly type: string;
      readonly startS: number;
      readonly endS: number;
      readonly cells: readonly string[];
    }[];
    readonly events: readonly ReportEvent[];
    readonly cells: Readonly<Record<string, readonly CellBin[]>>;
  };
  readonly checkers: readonly CheckerRow[];
  readonly raw: ReportableResult;
}

/** A drill result; the live controller's outage drills do not check RPO online (null). */
export type ReportableResult = Omit<DrillResult, "lostAckedTransfers"> & { readonly lostAckedTransfers: number | null };

export interface DrillReportInput {
  readonly result: ReportableResult;
  /** The drill's window of the history (ops with times in µs), or its bins taken already (`reportBins`). */
  readonly history: readonly Op[] | ReportBins;
  /** Absolute simulated µs at which the drill's clock started (its steps count from here). */
  readonly startUs: number;
  readonly durationMs: number;
  readonly runtime?: "virtual" | "live";
  readonly runId?: string;
  readonly command?: string;
  readonly rtoMsMax?: number | null;
  /** Routing versions with absolute simulated ms (the controller's routing history). */
  readonly routing?: readonly { readonly atMs: number; readonly version: number; readonly reason: string }[];
  /** Audit entries with absolute simulated ms, already one line each. */
  readonly audit?: readonly { readonly atMs: number; readonly text: string }[];
  readonly binUs?: number;
  /** Absolute µs on which bins are aligned: the page's chart periods (default: the drill's start). */
  readonly binOriginUs?: number;
}

const seconds = (ms: number): number => Math.round(ms) / 1000;

/** One line on why a checker said what it said, for people who were not there. */
export function checkerReason(name: string, summary: CheckerSummary): string {
  if (summary.valid === "unknown") return "could not decide: the search ran out of budget";
  if (summary.valid === true) {
    const held: Record<string, string> = {
      linearizable: "every operation fits one sequential order consistent with real time",
      bank: "every read of the balances summed to the money in the cell",
      durability: "every acknowledged transfer is in the final ledgers",
      "replica-agreement": "the replicas of every cell agree on every committed entry",
      availability: "figures only (RTO and error rate above)",
      invariants: "no online invariant broke (one leader per term, money conserved on every apply)",
      "global-conservation":
        "money conserved across cells at every instant; every cross-cell transfer credited at most once, refunded only after a refusal",
      liveness: "after the final heal every cell committed again and was routed to its leader within the bound",
    };
    return held[name] ?? "held";
  }
  const stuck =
    typeof summary.evidence === "object" && summary.evidence !== null ? (summary.evidence as { stuck?: unknown }).stuck : undefined;
  if (name === "liveness" && Array.isArray(stuck) && stuck.length > 0) return oneLine(stuck.map(String).join("; "));
  const violations = summary.violations;
  if (Array.isArray(violations) && violations.length > 0)
    return `${String(violations[0])}${violations.length > 1 ? ` (and ${violations.length - 1} more)` : ""}`;
  const evidence = summary.evidence;
  const first = typeof evidence === "object" && evidence !== null ? (evidence as { first?: unknown }).first : undefined;
  if (typeof first === "object" && first !== null && typeof (first as { message?: unknown }).message === "string") {
    // global-conservation: the first violation names its transfer and the history index of its invocation.
    const { kind, message, historyIndex } = first as { kind?: unknown; message: string; historyIndex?: unknown };
    return oneLine(`${String(kind)}: ${message}${typeof historyIndex === "number" ? ` (history index ${historyIndex})` : ""}`);
  }
  const text = typeof evidence === "string" ? evidence : JSON.stringify(evidence ?? {});
  for (const key of ["reason", "error", "message", "first-error", "failure", "lost", "missing", "disagreements"]) {
    const value = typeof evidence === "object" && evidence !== null ? (evidence as Record<string, unknown>)[key] : undefined;
    if (value !== undefined) return oneLine(`${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
  }
  return oneLine(text);
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length > 160 ? `${flat.slice(0, 157)}...` : flat;
}

/**
 * A window's report bins as plain data, taken where the window is (a drill checked in a child
 * process: runtime/drill-check-child.ts): the report then needs no history. The report uses their
 * origin and width.
 */
export interface ReportBins {
  readonly originUs: number;
  readonly binUs: number;
  readonly cells: readonly (readonly [string, readonly (readonly [number, WindowCounts])[]])[];
}

export function reportBins(history: readonly Op[], originUs: number, binUs: number = CHART_BIN_US): ReportBins {
  const cells = [...binCells(history, originUs, binUs)].map(([cell, bins]) => [cell, [...bins]] as const);
  return { originUs, binUs, cells };
}

function isReportBins(history: readonly Op[] | ReportBins): history is ReportBins {
  return !Array.isArray(history);
}

/** Per cell, fixed bins aligned on `originUs`, counting each op when it finished. */
function binCells(history: readonly Op[], originUs: number, binUs: number): Map<string, Map<number, WindowCounts>> {
  const cells = new Map<string, Map<number, WindowCounts>>();
  for (const op of pairHistory(history)) {
    const completion = op.completion;
    if (completion === null || completion.time === undefined || op.invoke.time === undefined) continue;
    const cell = opCell(op);
    if (cell === "") continue;
    const bin = Math.floor((completion.time - originUs) / binUs);
    let bins = cells.get(cell);
    if (bins === undefined) cells.set(cell, (bins = new Map()));
    let counts = bins.get(bin);
    if (counts === undefined) bins.set(bin, (counts = emptyCounts()));
    if (op.type === "ok") counts.ok++;
    else counts.failed++;
    // Every finished request's latency, a timed-out one too: what the gateway records for the page.
    counts.latenciesUs.push(completion.time - op.invoke.time);
  }
  return cells;
}

export function buildDrillReport(input: DrillReportInput): DrillReport {
  const { result } = input;
  const taken = isReportBins(input.history) ? input.history : null;
  const binUs = taken?.binUs ?? input.binUs ?? CHART_BIN_US;
  const binS = binUs / 1_000_000;
  const startMs = input.startUs / 1000;
  const faults = result.faults.map((fault) => ({
    id: fault.id,
    type: fault.type,
    startS: seconds(fault.startMs),
    endS: seconds(fault.endMs),
    cells: fault.cells,
  }));

  const originUs = taken?.originUs ?? input.binOriginUs ?? input.startUs;
  const binned =
    taken === null
      ? binCells(input.history as readonly Op[], originUs, binUs)
      : new Map(taken.cells.map(([cell, bins]) => [cell, new Map(bins)]));
  const cellsBins: Record<string, CellBin[]> = {};
  const firstFaultS = faults.length === 0 ? null : Math.min(...faults.map((fault) => fault.startS));
  const lastFaultS = faults.length === 0 ? null : Math.max(...faults.map((fault) => fault.endS));
  const during: CellDuring[] = [];
  for (const cell of [...binned.keys()].sort()) {
    const bins = binned.get(cell) as Map<number, WindowCounts>;
    const rows: CellBin[] = [];
    const total = emptyCounts();
    let peak = 0;
    let peakAtS: number | null = null;
    let p99Peak = 0;
    for (const index of [...bins.keys()].sort((a, b) => a - b)) {
      const counts = bins.get(index) as WindowCounts;
      const atS = Math.round((originUs - input.startUs + index * binUs) / 1000) / 1000;
      const inFaults = firstFaultS !== null && lastFaultS !== null && atS + binS > firstFaultS && atS < lastFaultS;
      if (inFaults) {
        total.ok += counts.ok;
        total.failed += counts.failed;
      }
      const figures = windowFigures(counts, binUs);
      rows.push({ atS, ops: figures.ops, errorRate: figures.errorRate, p50Ms: figures.p50Ms, p99Ms: figures.p99Ms });
      if (inFaults && figures.errorRate > peak) {
        peak = figures.errorRate;
        peakAtS = atS;
      }
      if (inFaults) p99Peak = Math.max(p99Peak, figures.p99Ms);
    }
    cellsBins[cell] = rows;
    if (firstFaultS !== null) {
      const ops = total.ok + total.failed;
      during.push({
        cell,
        ops,
        errorRate: ops === 0 ? 0 : roundRate(total.failed / ops),
        errorRatePeak: peak,
        errorRatePeakAtS: peakAtS,
        p99MsPeak: p99Peak,
      });
    }
  }

  const events: ReportEvent[] = [];
  for (const fault of faults) {
    events.push({
      atS: fault.startS,
      kind: "fault",
      text: `fault ${fault.id} ${fault.type} injected${fault.cells.length > 0 ? ` (cells ${fault.cells.join(", ")})` : ""}`,
    });
    events.push({ atS: fault.endS, kind: "heal", text: `fault ${fault.id} ${fault.type} healed` });
  }
  for (const step of result.steps)
    events.push({ atS: seconds(step.atMs), kind: "step", text: `${step.kind}: ${step.detail}`, ...(step.ok ? {} : { failed: true }) });
  for (const version of input.routing ?? [])
    events.push({ atS: seconds(version.atMs - startMs), kind: "routing", text: `routing v${version.version}: ${version.reason}` });
  for (const entry of input.audit ?? []) events.push({ atS: seconds(entry.atMs - startMs), kind: "audit", text: entry.text });
  const order = { fault: 0, step: 1, routing: 2, audit: 3, heal: 4 } as const;
  events.sort((a, b) => a.atS - b.atS || order[a.kind] - order[b.kind]);

  const allBins = Object.values(cellsBins).flat();
  const fromS = Math.min(0, ...allBins.map((bin) => bin.atS), ...events.map((event) => event.atS));
  const toS = Math.max(input.durationMs / 1000, ...allBins.map((bin) => bin.atS + binS), ...events.map((event) => event.atS));
  return {
    drill: result.drill,
    runId: input.runId ?? null,
    seed: result.seed,
    runtime: input.runtime ?? "virtual",
    outcome: result.outcome,
    durationS: input.durationMs / 1000,
    simulatedMs: result.simulatedMs,
    traceHash: input.runtime === "live" ? null : result.traceHash,
    operations: result.operations,
    command: input.command ?? null,
    reasons: result.reasons,
    summary: {
      rto: Object.entries(result.rtoMs).map(([cell, ms]) => ({ cell, ms })),
      rtoMsMax: input.rtoMsMax ?? null,
      lostAckedTransfers: result.lostAckedTransfers,
      during,
      replicasNotUp: result.replicasNotUp,
      stop: result.stop ?? null,
      stoppedBy: result.stoppedBy ?? null,
      prediction: result.prediction ?? null,
    },
    timeline: { binS, fromS, toS, faults, events, cells: cellsBins },
    checkers: [
      ...Object.entries(result.checkers).map(([name, summary]): CheckerRow => ({
        name,
        verdict: summary.valid === true ? "valid" : summary.valid === false ? "INVALID" : "unknown",
        reason: checkerReason(name, summary),
      })),
      // A runtime that cannot watch liveness (live) says so rather than leave the row out.
      ...(result.checkers.liveness === undefined
        ? [{ name: "liveness", verdict: "unknown", reason: "not judged: this runtime does not watch liveness after the heal" } as const]
        : []),
    ],
    raw: result,
  };
}

/** A rate as a percentage that never reads 0 when it is not. */
export function formatRate(rate: number): string {
  if (rate === 0) return "0%";
  const percent = rate * 100;
  return percent < 0.01 ? "<0.01%" : `${percent.toFixed(2)}%`;
}
