// Small text formatters shared by the views.

/** @param {number} ms simulated milliseconds */
export function formatDuration(ms) {
  if (!Number.isFinite(ms)) return "–";
  const seconds = Math.max(0, ms) / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(Math.floor(seconds % 60)).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

/**
 * Wall-clock time of a row (ISO 8601) as HH:MM:SS UTC, with the date when it is not today's.
 * Rows are ordered by the controller's sequence, never by simulated time, which restarts at 0.
 * @param {unknown} iso @param {string} [todayIso] defaults to now
 */
export function formatWallTime(iso, todayIso = new Date().toISOString()) {
  if (typeof iso !== "string" || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(iso)) return "–";
  const time = iso.slice(11, 19);
  return iso.slice(0, 10) === todayIso.slice(0, 10) ? time : `${iso.slice(0, 10)} ${time}`;
}

/** A fault target is an object in the API; show it compactly. @param {unknown} target */
export function describeTarget(target) {
  if (target === null || target === undefined) return "–";
  if (typeof target !== "object") return String(target);
  const record = /** @type {Record<string, unknown>} */ (target);
  if (typeof record.label === "string") return record.label;
  return Object.entries(record)
    .map(
      ([key, value]) =>
        `${key}=${Array.isArray(value) ? value.join("↔") : typeof value === "object" ? JSON.stringify(value) : String(value)}`,
    )
    .join(" ");
}

/** Escapes text for innerHTML templates. @param {unknown} value */
export function escapeHtml(value) {
  return String(value ?? "").replace(
    /[&<>"']/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch] ?? ch,
  );
}

/** Natural order: cell-2 before cell-10. @param {string} a @param {string} b */
export function naturalCompare(a, b) {
  return a.localeCompare(b, undefined, { numeric: true });
}

/**
 * An error rate (a fraction) as a percentage the operator can trust: up to two decimals, and a
 * non-zero rate is never shown as "0%" (the report keeps four decimals of the same figure,
 * harness/window-figures.ts; a 0.4 % spike must not read 0 on the page).
 * @param {number} rate
 */
export function formatErrorRate(rate) {
  if (!Number.isFinite(rate)) return "–";
  if (rate <= 0) return "0%";
  const percent = rate * 100;
  if (percent < 0.01) return "<0.01%";
  return `${Number(percent.toFixed(2))}%`;
}
