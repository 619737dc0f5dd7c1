// A one-page HTML report of a failed run in the manner of Porcupine's visualizer: the smallest
// window of the history around the violation, one row per client (process) on a time axis, the
// operations of the longest linearizable prefix marked as placed, and the operation that cannot
// be placed in red. Self-contained (inline SVG and CSS, no script), readable without the JSON.
//
// Where the facts come from: the linearizability search (checkHistory, ledger model) over the
// failing cell's history gives the deepest partial linearization and the op it could not place;
// when the search cannot decide in its budget, the witness checker's first violation names the op
// at fault and its partners, and the prefix is the ops completed before it was invoked.

import { checkHistory } from "./check.js";
import { pairHistory, type Op, type PairedOp } from "./history.js";
import type { OpSummary } from "./linearizable.js";
import type { Json } from "../ground/json.js";

export interface FailureReportInput {
  readonly history: readonly Op[];
  /** verdicts.checkers of the run (run-check.ts). */
  readonly checkers: Readonly<Record<string, { valid: boolean | "unknown"; [key: string]: unknown } | undefined>>;
  readonly invariantViolations: readonly string[];
  readonly title: string;
  readonly reproduce: string;
  /** Budget of the search for the longest linearizable prefix. */
  readonly searchTimeoutMs?: number;
}

/** One operation as drawn. */
export interface ReportOp {
  readonly process: string;
  readonly f: string;
  readonly type: "ok" | "fail" | "info";
  readonly invokeUs: number;
  /** null: never returned (info): drawn to the window's end. */
  readonly completeUs: number | null;
  readonly label: string;
  readonly role: "placed" | "unplaceable" | "concurrent" | "other";
}

export interface FailureFocus {
  readonly cell: string | null;
  readonly checker: string;
  readonly message: string;
  /** How the prefix was found: the search's deepest path, or (search undecided) the witness's order. */
  readonly method: "search" | "witness" | "none";
  readonly prefixLength: number | null;
  readonly unplaceable: ReportOp | null;
  readonly windowStartUs: number;
  readonly windowEndUs: number;
  readonly ops: readonly ReportOp[];
  readonly lastPlaced: readonly string[];
  /** The ops the violation names beside the failing one (what it conflicts with). */
  readonly partners: readonly ReportOp[];
}

/** Ops drawn at most (the nearest to the failing op win). */
export const REPORT_OPS_MAX = 80;
/** Margin around the failing op and its partners. */
const WINDOW_MARGIN_US = 20_000;

function cellOf(op: Op): string | null {
  const value = op.value as { cell?: unknown } | null;
  return value !== null && typeof value === "object" && typeof value.cell === "string" ? value.cell : null;
}

function shortJson(value: Json | undefined, max = 60): string {
  if (value === undefined || value === null) return "";
  const text = JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function labelOf(op: PairedOp): string {
  const value = op.invoke.value as Record<string, Json> | null;
  const parts: string[] = [op.f];
  if (value !== null && typeof value === "object") {
    if (typeof value.from === "string" && typeof value.to === "string") parts.push(`${value.from}→${value.to}`);
    if (typeof value.amount === "number") parts.push(String(value.amount));
    if (typeof value.account === "string") parts.push(value.account);
  }
  if (op.type !== "ok") parts.push(`(${op.type})`);
  return parts.join(" ");
}

function sameOp(op: PairedOp, summary: OpSummary): boolean {
  return op.invoke.index === summary.invokeIndex;
}

/** The first failing checker with something to point at: its cell and its summaries of the ops involved. */
function firstFailure(
  input: FailureReportInput,
): { checker: string; cell: string | null; message: string; involved: OpSummary[]; searchOp: OpSummary | null } | null {
  const linearizable = input.checkers.linearizable;
  if (linearizable !== undefined && linearizable.valid === false) {
    const cells = (linearizable.cells ?? {}) as Record<string, Record<string, unknown>>;
    for (const [cell, verdict] of Object.entries(cells)) {
      if (verdict.valid !== false) continue;
      const violations = (verdict.violations ?? []) as { message: string; ops: OpSummary[] }[];
      const first = violations[0];
      if (first !== undefined) return { checker: "linearizable", cell, message: first.message, involved: first.ops, searchOp: null };
      const failure = verdict.failure as { op: OpSummary; window: OpSummary[] } | undefined;
      if (failure !== undefined)
        return {
          checker: "linearizable",
          cell,
          message: "no linearization places this op",
          involved: [failure.op, ...failure.window],
          searchOp: failure.op,
        };
      return { checker: "linearizable", cell, message: "not linearizable", involved: [], searchOp: null };
    }
  }
  for (const [name, verdict] of Object.entries(input.checkers)) {
    if (verdict === undefined || verdict.valid !== false) continue;
    const violations = (verdict.violations ?? []) as { message?: string; kind?: string }[];
    const message = violations[0]?.message ?? violations[0]?.kind ?? `${name} failed`;
    return { checker: name, cell: null, message: String(message), involved: [], searchOp: null };
  }
  const invariant = input.invariantViolations[0];
  if (invariant !== undefined)
    return {
      checker: "online invariant",
      cell: /\b(cell-\d+)\b/.exec(invariant)?.[1] ?? null,
      message: invariant,
      involved: [],
      searchOp: null,
    };
  return null;
}

export function failureFocus(input: FailureReportInput): FailureFocus | null {
  const failure = firstFailure(input);
  if (failure === null) return null;
  const cellOps = failure.cell === null ? input.history : input.history.filter((op) => cellOf(op) === failure.cell);
  const paired = pairHistory(cellOps);
  // The search's deepest path: Porcupine's longest linearizable prefix.
  let method: FailureFocus["method"] = "none";
  let prefixLength: number | null = null;
  let unplaceableSummary: OpSummary | null = failure.searchOp ?? failure.involved[0] ?? null;
  let partners: OpSummary[] = failure.involved.slice(1);
  let lastPlacedSummaries: OpSummary[] = [];
  if (failure.cell !== null && failure.checker === "linearizable") {
    const verdict = checkHistory(cellOps, { model: "ledger", timeoutMs: input.searchTimeoutMs ?? 5_000 });
    if (verdict.checker === "linearizable" && verdict.valid === false && verdict.failure !== undefined) {
      method = "search";
      prefixLength = verdict.failure.linearizedCount;
      unplaceableSummary = verdict.failure.op;
      partners = verdict.failure.window;
      lastPlacedSummaries = verdict.failure.lastLinearized;
    }
  }
  const unplaceablePaired = unplaceableSummary === null ? undefined : paired.find((op) => sameOp(op, unplaceableSummary));
  if (method === "none" && unplaceablePaired !== undefined) {
    method = "witness";
    const invokedUs = unplaceablePaired.invoke.time ?? 0;
    prefixLength = paired.filter((op) => op.completion !== null && (op.completion.time ?? 0) < invokedUs).length;
  }
  // The smallest window: the failing op and its partners, plus a margin.
  const involved = [unplaceablePaired, ...partners.map((summary) => paired.find((op) => sameOp(op, summary)))].filter(
    (op): op is PairedOp => op !== undefined,
  );
  const timeOf = (op: PairedOp): [number, number] => [op.invoke.time ?? 0, op.completion?.time ?? op.invoke.time ?? 0];
  // What the violation is about: the failing op's own span, and when each partner took effect at
  // the latest (its answer) or, unanswered, was invoked.
  const partnerTimes = involved.slice(1).map((op) => (op.completion === null ? timeOf(op)[0] : timeOf(op)[1]));
  const own = unplaceablePaired === undefined ? [] : timeOf(unplaceablePaired);
  let startUs = Math.min(...own, ...partnerTimes);
  let endUs = Math.max(...own, ...partnerTimes);
  if (!Number.isFinite(startUs)) {
    const last = paired[paired.length - 1];
    endUs = last === undefined ? 0 : timeOf(last)[1];
    startUs = Math.max(0, endUs - 200_000);
  }
  startUs = Math.max(0, startUs - WINDOW_MARGIN_US);
  endUs += WINDOW_MARGIN_US;
  const unplaceableIndex = unplaceablePaired?.invoke.index;
  const partnerIndexes = new Set(partners.map((summary) => summary.invokeIndex));
  const placedBefore = unplaceablePaired?.invoke.time ?? endUs;
  const inWindow = paired
    .filter((op) => {
      const [invokeUs, completeUs] = timeOf(op);
      return (op.completion === null ? endUs : completeUs) >= startUs && invokeUs <= endUs;
    })
    .sort((a, b) => Math.abs((a.invoke.time ?? 0) - placedBefore) - Math.abs((b.invoke.time ?? 0) - placedBefore))
    .slice(0, REPORT_OPS_MAX);
  const ops: ReportOp[] = inWindow
    .map((op) => {
      const [invokeUs, completeUs] = timeOf(op);
      const role: ReportOp["role"] =
        op.invoke.index === unplaceableIndex
          ? "unplaceable"
          : partnerIndexes.has(op.invoke.index)
            ? "concurrent"
            : op.completion !== null && completeUs < placedBefore && op.type === "ok"
              ? "placed"
              : "other";
      return {
        process: String(op.process),
        f: op.f,
        type: op.type,
        invokeUs,
        completeUs: op.completion === null || op.type === "info" ? null : completeUs,
        label: labelOf(op),
        role,
      };
    })
    .sort((a, b) => a.invokeUs - b.invokeUs);
  const unplaceable = ops.find((op) => op.role === "unplaceable") ?? null;
  const partnerOps = ops.filter((op) => op.role === "concurrent");
  return {
    cell: failure.cell,
    checker: failure.checker,
    message: failure.message,
    method,
    prefixLength,
    unplaceable,
    windowStartUs: startUs,
    windowEndUs: endUs,
    ops,
    partners: partnerOps,
    lastPlaced: lastPlacedSummaries.map((summary) => `${summary.f} ${shortJson(summary.value)} → ${shortJson(summary.result)}`),
  };
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const ROLE_COLOURS: Record<ReportOp["role"], string> = {
  placed: "#7fbf7f",
  unplaceable: "#d62728",
  concurrent: "#ff9f40",
  other: "#b8b8b8",
};

function svgOf(focus: FailureFocus): string {
  const processes = [...new Set(focus.ops.map((op) => op.process))].sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : 1));
  const rowHeight = 26;
  const left = 90;
  const width = 1100;
  const plotWidth = width - left - 20;
  const height = 40 + processes.length * rowHeight + 30;
  const spanUs = Math.max(1, focus.windowEndUs - focus.windowStartUs);
  const x = (us: number): number =>
    left + ((Math.min(Math.max(us, focus.windowStartUs), focus.windowEndUs) - focus.windowStartUs) / spanUs) * plotWidth;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="operations per client">`,
  ];
  const ticks = 8;
  for (let i = 0; i <= ticks; i++) {
    const us = focus.windowStartUs + (spanUs * i) / ticks;
    const tx = x(us);
    parts.push(`<line x1="${tx}" y1="30" x2="${tx}" y2="${height - 25}" stroke="#eee"/>`);
    parts.push(`<text x="${tx}" y="${height - 8}" font-size="11" text-anchor="middle">${(us / 1000).toFixed(1)} ms</text>`);
  }
  processes.forEach((process, row) => {
    const y = 40 + row * rowHeight;
    parts.push(`<text x="${left - 8}" y="${y + 14}" font-size="12" text-anchor="end">client ${escape(process)}</text>`);
    for (const op of focus.ops.filter((candidate) => candidate.process === process)) {
      const x1 = x(op.invokeUs);
      const x2 = Math.max(x1 + 3, x(op.completeUs ?? focus.windowEndUs));
      const dash = op.completeUs === null ? ' stroke-dasharray="4 2"' : "";
      parts.push(
        `<g class="op ${op.role}"><title>${escape(`${op.label}: ${(op.invokeUs / 1000).toFixed(3)} ms → ${op.completeUs === null ? "no answer" : `${(op.completeUs / 1000).toFixed(3)} ms`} (${op.role})`)}</title>` +
          `<rect x="${x1.toFixed(1)}" y="${y}" width="${(x2 - x1).toFixed(1)}" height="${rowHeight - 8}" rx="3" fill="${ROLE_COLOURS[op.role]}" stroke="#333"${dash}/>` +
          `<text x="${(x1 + 3).toFixed(1)}" y="${y + 13}" font-size="10">${escape(op.label.length * 5.5 > x2 - x1 ? op.f : op.label)}</text></g>`,
      );
    }
  });
  parts.push("</svg>");
  return parts.join("");
}

/** The report page; null when the run had no violation to show. */
export function failureReportHtml(input: FailureReportInput): string | null {
  const focus = failureFocus(input);
  if (focus === null) return null;
  const prefix =
    focus.prefixLength === null
      ? "unknown"
      : focus.method === "search"
        ? `${focus.prefixLength} operations (the search's deepest linearization)`
        : `${focus.prefixLength} operations completed before it was invoked (the witness placed them; the search could not decide in its budget)`;
  const unplaceable =
    focus.unplaceable === null
      ? "none identified"
      : `client ${escape(focus.unplaceable.process)}: ${escape(focus.unplaceable.label)}, invoked at ${(focus.unplaceable.invokeUs / 1000).toFixed(3)} ms, ${
          focus.unplaceable.completeUs === null ? "no answer" : `answered at ${(focus.unplaceable.completeUs / 1000).toFixed(3)} ms`
        }`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(input.title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:20px} dt{font-weight:600;margin-top:8px} dd{margin-left:16px}
.legend span{display:inline-block;padding:2px 8px;margin-right:8px;border:1px solid #333;border-radius:3px;font-size:12px}
code{background:#f4f4f4;padding:2px 4px}
</style></head><body>
<h1>${escape(input.title)}</h1>
<dl>
<dt>Caught by</dt><dd id="checker">${escape(focus.checker)}${focus.cell === null ? "" : ` (${escape(focus.cell)})`}</dd>
<dt>Violation</dt><dd id="violation">${escape(focus.message)}</dd>
<dt>Operation that cannot be placed</dt><dd id="unplaceable">${unplaceable}</dd>
${focus.partners.length > 0 ? `<dt>It conflicts with</dt><dd id="partners"><ul>${focus.partners.map((op) => `<li>client ${escape(op.process)}: ${escape(op.label)}, ${(op.invokeUs / 1000).toFixed(3)} ms → ${op.completeUs === null ? "no answer" : `${(op.completeUs / 1000).toFixed(3)} ms`}</li>`).join("")}</ul></dd>` : ""}
<dt>Longest linearizable prefix</dt><dd id="prefix">${escape(prefix)}</dd>
${focus.lastPlaced.length > 0 ? `<dt>Last operations placed</dt><dd><ol>${focus.lastPlaced.map((line) => `<li>${escape(line)}</li>`).join("")}</ol></dd>` : ""}
<dt>Window shown</dt><dd id="window">${(focus.windowStartUs / 1000).toFixed(3)} ms to ${(focus.windowEndUs / 1000).toFixed(3)} ms simulated, ${focus.ops.length} operations</dd>
<dt>Reproduce</dt><dd><code>${escape(input.reproduce)}</code></dd>
</dl>
<p class="legend"><span style="background:${ROLE_COLOURS.placed}">placed (in the prefix)</span><span style="background:${ROLE_COLOURS.unplaceable}">cannot be placed</span><span style="background:${ROLE_COLOURS.concurrent}">it conflicts with (or concurrent, unplaced)</span><span style="background:${ROLE_COLOURS.other}">later or failed</span> dashed: no answer (outcome unknown)</p>
${svgOf(focus)}
</body></html>
`;
}
