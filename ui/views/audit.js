// The audit log, newest first (bounded in the store).
import { escapeHtml, formatDuration, formatWallTime } from "./format.js";

/** @param {HTMLElement} tbody @param {import("../lib/store.js").Store} store */
export function drawAudit(tbody, store) {
  tbody.innerHTML = store.audit
    .map((entry) => {
      // A refusal changed nothing: the controller records the version it saw and no "after".
      const before = entry.routingVersionBefore ?? null;
      const after = entry.routingVersionAfter ?? null;
      const routing = before === null ? "" : after === null || after === before ? `v${before}` : `v${before}→v${after}`;
      const rule = entry.rule ? ` rule ${entry.rule}` : entry.overrodeRule ? ` overrode ${entry.overrodeRule}` : "";
      return (
        `<tr class="kind-${escapeHtml(entry.kind)}" data-audit-id="${escapeHtml(entry.id)}" title="${escapeHtml(entry.reason ?? "")}">` +
        `<td class="wall-time" title="${escapeHtml(entry.wallTime ?? "")} · simulated t=${formatDuration(entry.atMs)}">${escapeHtml(formatWallTime(entry.wallTime))}</td><td>${escapeHtml(entry.actor)}</td><td>${escapeHtml(entry.kind)}</td>` +
        `<td>${escapeHtml(entry.action)}</td><td>${escapeHtml(typeof entry.target === "object" ? JSON.stringify(entry.target) : entry.target)}</td>` +
        `<td>${escapeHtml(entry.outcome)}${escapeHtml(rule)}</td><td>${routing}</td></tr>`
      );
    })
    .join("");
}
