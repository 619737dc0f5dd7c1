// What the report URL of a drill run answers before the report exists: the report is written when
// the run ends, and a link followed (or bookmarked, or shared in the incident channel) while the
// drill runs used to answer a bare 404 JSON. Now it is a small page with the run's progress that
// reloads itself until the report replaces it.
import type { DrillRunRecord } from "../../domain/records.js";

/** How often the progress page reloads itself (wall seconds). */
export const runProgressRefreshSeconds = 5;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

export function runProgressHtml(run: DrillRunRecord): string {
  const title = `drill ${run.drill} ${run.id}: running, ${run.progressPct} %`;
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="${runProgressRefreshSeconds}">` +
    `<title>${escapeHtml(title)}</title><style>body{font:14px system-ui,sans-serif;margin:2em}progress{width:20em}</style></head><body>` +
    `<h1>Drill ${escapeHtml(run.drill)} <code>${escapeHtml(run.id)}</code> is running</h1>` +
    `<p><progress max="100" value="${run.progressPct}"></progress> ${run.progressPct} % (started at simulated t=${run.startedMs} ms, seed ${run.seed})</p>` +
    `<p>The report is written when the run ends; this page reloads every ${runProgressRefreshSeconds} s until then.</p></body></html>`
  );
}
