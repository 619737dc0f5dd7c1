// Drill safety in the page: the kill switch in the header (one large control that halts every
// experiment; a banner says so while it is on), and the resilience score per drill.
import { mutate } from "../lib/api.js";
import { escapeHtml, formatDuration } from "./format.js";

/**
 * @param {import("../lib/store.js").Store} store
 * @param {{ open: (request: import("./dialog.js").ActionRequest) => void }} dialog
 */
export function setupSafety(store, dialog) {
  const button = /** @type {HTMLButtonElement} */ (document.getElementById("halt-button"));
  const banner = /** @type {HTMLElement} */ (document.getElementById("halt-banner"));
  const resilienceRows = /** @type {HTMLElement} */ (document.getElementById("resilience-rows"));

  button.addEventListener("click", () => {
    if (store.halt.halted) {
      dialog.open({
        title: "Release the kill switch?",
        description: "Faults and drills will be allowed again and the schedules resume at their next slot.",
        confirmLabel: "Release",
        run: (/** @type {any} */ options) => mutate("POST", "/api/v1/halt/release", { reason: options.reason ?? "released from the UI" }),
        describeResult: () => "kill switch released: chaos allowed again",
      });
      return;
    }
    dialog.open({
      title: "Halt all chaos now?",
      description:
        "Heals every active fault, ends the running drill (INTERRUPTED, its faults healed), pauses every schedule, and refuses " +
        "new faults and drills until released. Failover, evacuate and restore stay allowed.",
      confirmLabel: "Halt all chaos",
      run: (/** @type {any} */ options) => mutate("POST", "/api/v1/halt", { reason: options.reason ?? "halted from the UI" }),
      describeResult: (/** @type {any} */ state) => {
        store.halt = state;
        draw();
        return `chaos halted: ${state?.healedFaults ?? 0} faults healed${state?.interruptedRun ? `, ${state.interruptedRun} interrupted` : ""}`;
      },
    });
  });

  function draw() {
    const halt = store.halt;
    button.dataset.halted = String(halt.halted);
    button.textContent = halt.halted ? "▶ RELEASE KILL SWITCH" : "■ HALT ALL CHAOS";
    button.setAttribute("aria-label", halt.halted ? "Release the kill switch" : "Halt all chaos");
    banner.hidden = !halt.halted;
    banner.textContent = halt.halted
      ? `CHAOS HALTED since t=${formatDuration(halt.sinceMs ?? NaN)} by ${halt.actor ?? "?"}: ${halt.reason ?? ""} — new faults and drills are refused; recovery actions are allowed.`
      : "";
    const drills = store.resilience?.drills ?? [];
    resilienceRows.innerHTML =
      drills
        .map(
          (/** @type {any} */ row) =>
            `<tr data-testid="resilience-${escapeHtml(row.drill)}"><td>${escapeHtml(row.drill)}</td>` +
            `<td class="score ${row.score === null ? "muted" : row.score >= 0.99 ? "good" : "bad"}">${row.score === null ? "–" : `${Math.round(row.score * 100)}%`}</td>` +
            `<td>${row.passed}</td><td>${row.failed}</td><td>${row.aborted}</td><td>${row.notRun}</td></tr>`,
        )
        .join("") || `<tr><td colspan="6" class="muted">no drill has run</td></tr>`;
  }

  return { draw };
}
