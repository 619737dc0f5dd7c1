// The audit log, newest first (bounded in the store).
import { escapeHtml, formatDuration } from "./format.js";

/** @param {HTMLElement} tbody @param {import("../lib/store.js").Store} store */
export function drawAudit(tbody, store) {
  tbody.innerHTML = store.audit.map((entry) => {
    const routing = entry.routingVersionBefore !== undefined && entry.routingVersionAfter !== undefined && entry.routingVersionBefore !== null
      ? `v${entry.routingVersionBefore}→v${entry.routingVersionAfter}` : "";
    const rule = entry.rule ? ` rule ${entry.rule}` : entry.overrodeRule ? ` overrode ${entry.overrodeRule}` : "";
    return `<tr class="kind-${escapeHtml(entry.kind)}" title="${escapeHtml(entry.wallTime ?? "")} ${escapeHtml(entry.reason ?? "")}">` +
      `<td>${formatDuration(entry.atMs)}</td><td>${escapeHtml(entry.actor)}</td><td>${escapeHtml(entry.kind)}</td>` +
      `<td>${escapeHtml(entry.action)}</td><td>${escapeHtml(typeof entry.target === "object" ? JSON.stringify(entry.target) : entry.target)}</td>` +
      `<td>${escapeHtml(entry.outcome)}${escapeHtml(rule)}</td><td>${routing}</td></tr>`;
  }).join("");
}
