// The drill report on a terminal (`ldc drill run` without --json): the same model and order as
// the HTML page (report-html.ts), summary first, the timeline's events, the checkers' table.
import { formatRate, type DrillReport } from "./report.js";
import { predictionLine, stopLine } from "./report-html.js";

export function renderDrillReportText(report: DrillReport, wallMs: number | null = null): string {
  const { summary } = report;
  const lines: string[] = [];
  const wall = wallMs === null ? "" : ` in ${wallMs} ms wall`;
  lines.push(
    `drill ${report.drill} seed ${report.seed}: ${report.outcome} (${report.durationS} s drill, ${report.simulatedMs} ms simulated${wall}, ${report.operations} history events${report.traceHash === null ? "" : `, trace ${report.traceHash}`})`,
  );
  lines.push("summary");
  for (const reason of report.reasons) lines.push(`  reason: ${reason}`);
  if (summary.rto.length > 0)
    lines.push(
      `  rto: ${summary.rto.map((entry) => `${entry.cell} ${entry.ms === null ? "never" : `${entry.ms} ms`}`).join(", ")}${summary.rtoMsMax === null ? "" : ` (expected <= ${summary.rtoMsMax} ms)`}`,
    );
  lines.push(
    `  rpo: ${summary.lostAckedTransfers === null ? "not checked by this runtime" : `${summary.lostAckedTransfers} acknowledged transfers lost`}`,
  );
  if (summary.during.length > 0) {
    lines.push(`  during the faults, per cell: error rate over the span / worst ${report.timeline.binS} s (as on the page), worst p99`);
    for (const cell of summary.during)
      lines.push(
        `    ${cell.cell.padEnd(8)} ${formatRate(cell.errorRate).padStart(7)} / ${formatRate(cell.errorRatePeak).padStart(7)}${cell.errorRatePeakAtS === null ? "" : ` at ${cell.errorRatePeakAtS} s`}, p99 ${cell.p99MsPeak} ms`,
      );
  }
  if (summary.stop !== null)
    lines.push(
      `  stop conditions: ${stopLine(summary.stop)}${summary.stoppedBy === null ? "" : `; stopped by ${summary.stoppedBy.condition} (${summary.stoppedBy.value} > ${summary.stoppedBy.limit}) at ${summary.stoppedBy.atMs / 1000} s`}`,
    );
  if (summary.prediction !== null) lines.push(`  predicted: ${predictionLine(summary.prediction)}`);
  if (summary.replicasNotUp.length > 0)
    lines.push(
      `  replicas not up after the drill: ${summary.replicasNotUp.map((replica) => `${replica.replica} (${replica.state})`).join(", ")}`,
    );
  lines.push("timeline (s of drill time)");
  for (const event of report.timeline.events)
    lines.push(`  ${event.atS.toFixed(1).padStart(7)}  ${event.failed === true ? "FAIL " : ""}${event.text}`);
  lines.push("checkers");
  const width = Math.max(0, ...report.checkers.map((row) => row.name.length));
  for (const row of report.checkers) lines.push(`  ${row.name.padEnd(width)}  ${row.verdict.padEnd(7)}  ${row.reason}`);
  if (report.command !== null && report.outcome !== "SUCCEEDED") lines.push(`reproduce: ${report.command}`);
  return `${lines.join("\n")}\n`;
}
