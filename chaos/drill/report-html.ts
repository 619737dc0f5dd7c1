// The drill report as one self-contained HTML page (no script, no network): what `ldc drill run
// --out` writes and what the controller serves. Charts are inline SVG in seconds of drill time.
import { formatRate, type CellBin, type DrillReport } from "./report.js";

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
const CHART = { width: 900, height: 200, left: 56, right: 12, top: 10, bottom: 28 };

function chart(report: DrillReport, title: string, value: (bin: CellBin) => number, format: (value: number) => string): string {
  const { fromS, toS, faults, events, cells } = report.timeline;
  const names = Object.keys(cells);
  const maxValue = Math.max(...names.flatMap((cell) => (cells[cell] ?? []).map(value)), 0);
  const top = maxValue > 0 ? maxValue * 1.1 : 1;
  const x = (atS: number): number => CHART.left + ((atS - fromS) / Math.max(1e-9, toS - fromS)) * (CHART.width - CHART.left - CHART.right);
  const y = (v: number): number => CHART.height - CHART.bottom - (v / top) * (CHART.height - CHART.top - CHART.bottom);
  const shaded = faults
    .map(
      (fault) =>
        `<rect x="${x(fault.startS).toFixed(1)}" y="${CHART.top}" width="${Math.max(1, x(fault.endS) - x(fault.startS)).toFixed(1)}" height="${CHART.height - CHART.top - CHART.bottom}" fill="#adb5bd" opacity="0.3"><title>${escapeHtml(`${fault.id} ${fault.type} ${fault.startS}-${fault.endS} s`)}</title></rect>`,
    )
    .join("");
  const marks = events
    .filter((event) => event.kind === "step" || event.kind === "routing")
    .map(
      (event) =>
        `<line x1="${x(event.atS).toFixed(1)}" x2="${x(event.atS).toFixed(1)}" y1="${CHART.top}" y2="${CHART.height - CHART.bottom}" stroke="${event.kind === "routing" ? "#e67700" : "#495057"}" stroke-dasharray="3,3"><title>${escapeHtml(`${event.atS} s ${event.text}`)}</title></line>`,
    )
    .join("");
  const lines = names
    .map((cell, index) => {
      const points = (cells[cell] ?? [])
        .map((bin) => `${x(bin.atS + report.timeline.binS / 2).toFixed(1)},${y(value(bin)).toFixed(1)}`)
        .join(" ");
      return `<polyline fill="none" stroke="${PALETTE[index % PALETTE.length]}" stroke-width="1.5" points="${points}"><title>${escapeHtml(cell)}</title></polyline>`;
    })
    .join("");
  const step = niceStep(toS - fromS);
  const ticks: string[] = [];
  for (let atS = Math.ceil(fromS / step) * step; atS <= toS; atS += step)
    ticks.push(`<text x="${x(atS).toFixed(1)}" y="${CHART.height - 8}" text-anchor="middle">${atS}</text>`);
  const axis = `<line x1="${CHART.left}" x2="${CHART.width - CHART.right}" y1="${CHART.height - CHART.bottom}" y2="${CHART.height - CHART.bottom}" stroke="#868e96"/><text x="4" y="${CHART.top + 10}">${escapeHtml(format(top))}</text><text x="4" y="${CHART.height - CHART.bottom}">0</text>`;
  const legend = names
    .map((cell, index) => `<span style="color:${PALETTE[index % PALETTE.length]}">━ ${escapeHtml(cell)}</span>`)
    .join(" ");
  return `<h3>${escapeHtml(title)}</h3><svg viewBox="0 0 ${CHART.width} ${CHART.height}" width="${CHART.width}" height="${CHART.height}" font-size="11" role="img" aria-label="${escapeHtml(title)}">${shaded}${marks}${lines}${axis}${ticks.join("")}</svg><p class="legend">${legend} <span class="muted">▮ fault · ┆ step (grey) / routing (orange) · x: seconds of drill time, ${report.timeline.binS} s bins as on the page</span></p>`;
}

function niceStep(spanS: number): number {
  for (const step of [1, 2, 5, 10, 15, 30, 60, 120, 300, 600]) if (spanS / step <= 12) return step;
  return 1200;
}

function base64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

export function renderDrillReportHtml(report: DrillReport): string {
  const { summary } = report;
  const rows = (cells: readonly (readonly string[])[]): string =>
    cells.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join("")}</tr>`).join("");
  const rto =
    summary.rto.length === 0
      ? "<p>No cell was hit by a fault.</p>"
      : `<table><tr><th>cell</th><th>RTO</th>${summary.rtoMsMax === null ? "" : "<th>expected</th>"}</tr>${rows(summary.rto.map((entry) => [entry.cell, entry.ms === null ? "never recovered" : `${entry.ms} ms`, ...(summary.rtoMsMax === null ? [] : [`≤ ${summary.rtoMsMax} ms`])]))}</table>`;
  const rpo =
    summary.lostAckedTransfers === null
      ? "not checked by this runtime"
      : `${summary.lostAckedTransfers} acknowledged transfer${summary.lostAckedTransfers === 1 ? "" : "s"} lost`;
  const during =
    summary.during.length === 0
      ? ""
      : `<h3>Error rate and latency while faults were active</h3><table><tr><th>cell</th><th>requests</th><th>error rate (whole span)</th><th>worst ${report.timeline.binS} s (as on the page)</th><th>at</th><th>worst p99</th></tr>${rows(summary.during.map((cell) => [cell.cell, String(cell.ops), formatRate(cell.errorRate), formatRate(cell.errorRatePeak), cell.errorRatePeakAtS === null ? "–" : `${cell.errorRatePeakAtS} s`, `${cell.p99MsPeak} ms`]))}</table>`;
  const reasons =
    report.reasons.length === 0
      ? "<p>Every expectation held.</p>"
      : `<ul>${report.reasons.map((reason) => `<li>${escapeHtml(reason)}</li>`).join("")}</ul>`;
  const stop =
    summary.stop === null
      ? ""
      : `<h3>Stop conditions</h3><p>${escapeHtml(stopLine(summary.stop))}${summary.stoppedBy === null ? "" : ` — <strong>stopped by ${escapeHtml(summary.stoppedBy.condition)}</strong>: measured ${summary.stoppedBy.value} &gt; ${summary.stoppedBy.limit} at ${summary.stoppedBy.atMs / 1000} s; faults healed at once`}</p>`;
  const prediction =
    summary.prediction === null
      ? ""
      : `<h3>Prediction (rehearsed before the run)</h3><p>${escapeHtml(predictionLine(summary.prediction))}</p>`;
  const notUp =
    summary.replicasNotUp.length === 0
      ? ""
      : `<p>Replicas not up after the drill: ${escapeHtml(summary.replicasNotUp.map((replica) => `${replica.replica} (${replica.state})`).join(", "))}</p>`;
  const events = `<table><tr><th>t (s)</th><th>what</th></tr>${report.timeline.events.map((event) => `<tr class="${event.kind}${event.failed === true ? " failed" : ""}"><td>${event.atS.toFixed(1)}</td><td>${escapeHtml(event.text)}</td></tr>`).join("")}</table>`;
  const checkers = `<table><tr><th>checker</th><th>verdict</th><th>why</th></tr>${report.checkers.map((row) => `<tr class="${row.verdict}"><td>${escapeHtml(row.name)}</td><td>${row.verdict}</td><td>${escapeHtml(row.reason)}</td></tr>`).join("")}</table>`;
  const raw = JSON.stringify(report.raw, null, 2);
  const fileName = `drill-${report.drill}-${report.runId ?? `seed-${report.seed}`}.json`;
  const context = [
    report.runId === null ? null : `run ${report.runId}`,
    `seed ${report.seed}`,
    `${report.runtime} runtime`,
    `${report.durationS} s drill`,
    `${report.operations} history events`,
    report.traceHash === null ? null : `trace ${report.traceHash}`,
  ]
    .filter((part) => part !== null)
    .join(" · ");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>drill ${escapeHtml(report.drill)}: ${report.outcome}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:960px}table{border-collapse:collapse;margin:.5em 0 1.2em}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}
.outcome-SUCCEEDED{color:#2b8a3e}.outcome-FAILED,.outcome-INTERRUPTED,.outcome-ABORTED{color:#c92a2a}.INVALID td,.failed td{color:#c92a2a}.unknown td{color:#e67700}.muted{color:#868e96}.legend span{margin-right:1em}svg{display:block}</style></head><body>
<h1 class="outcome-${report.outcome}">Drill ${escapeHtml(report.drill)}: ${report.outcome}</h1>
<p class="muted">${escapeHtml(context)}</p>
<h2>Summary</h2>
${reasons}
<h3>RTO per cell hit by a fault</h3>${rto}
<h3>RPO</h3><p>${escapeHtml(rpo)}</p>
${during}${stop}${prediction}${notUp}
<h2>Timeline (seconds of drill time)</h2>
${chart(report, "Error rate per cell", (bin) => bin.errorRate, formatRate)}
${chart(
  report,
  "p99 latency per cell (ms)",
  (bin) => bin.p99Ms,
  (value) => `${Math.round(value)} ms`,
)}
${events}
<h2>Checkers</h2>
${checkers}
<h2>Raw result</h2>
<p><a download="${escapeHtml(fileName)}" href="data:application/json;base64,${base64(raw)}">Download the raw result (JSON)</a></p>
${report.command === null ? "" : `<p class="muted">Reproduce: <code>${escapeHtml(report.command)}</code></p>`}
</body></html>
`;
}

/** "p99MsMax 200, unavailableMsMax 3000 (window 5 s)". */
export function stopLine(stop: NonNullable<DrillReport["summary"]["stop"]>): string {
  const limits = (["errorRateMax", "p99MsMax", "lostAckedTransfersMax", "unavailableMsMax"] as const)
    .filter((name) => stop[name] !== null)
    .map((name) => `${name} ${stop[name]}`);
  return `${limits.join(", ")} (window ${stop.windowMs / 1000} s)`;
}

/** "SUCCEEDED, RTO cell-1 420 ms, 0 lost, error rate 0.2%, p99 30 ms (rehearsed at 12.3 s)". */
export function predictionLine(prediction: NonNullable<DrillReport["summary"]["prediction"]>): string {
  const rto =
    Object.entries(prediction.rtoMs)
      .map(([cell, ms]) => `${cell} ${ms === null ? "never" : `${ms} ms`}`)
      .join(", ") || "none";
  return `${prediction.outcome}, RTO ${rto}, ${prediction.lostAckedTransfers ?? "?"} lost, error rate ${(prediction.errorRate * 100).toFixed(2)}%, p99 ${prediction.p99Ms ?? "-"} ms (rehearsed at ${prediction.atMs / 1000} s of world time)`;
}
