// The always-visible header: routing version, simulated time and the online checkers' verdict.
import { formatDuration } from "./format.js";
import { simNowMs } from "../lib/store.js";

/** @param {import("../lib/store.js").Store} store */
export function drawHeader(store) {
  const version = /** @type {HTMLElement} */ (document.getElementById("routing-version"));
  version.textContent = store.routing ? String(store.routing.version) : "–";
  drawClock(store);
  const consistency = /** @type {HTMLElement} */ (document.getElementById("consistency"));
  const verdict = store.consistency;
  if (!verdict) return;
  const conserved = Object.entries(verdict.moneyConserved ?? {});
  const agreement = Object.entries(verdict.replicaAgreement ?? {});
  const badConserved = conserved.filter(([, ok]) => !ok).map(([cell]) => cell);
  const badAgreement = agreement.filter(([, ok]) => !ok).map(([cell]) => cell);
  const lost = Number(verdict.lostAckedTransfers ?? 0);
  const valid = verdict.valid !== false && badConserved.length === 0 && badAgreement.length === 0 && lost === 0;
  consistency.dataset.valid = String(valid);
  consistency.textContent =
    `${valid ? "✓ consistent" : "✗ VIOLATION"} · money ${badConserved.length ? `✗ ${badConserved.join(",")}` : `✓ ${conserved.length}`}` +
    ` · agreement ${badAgreement.length ? `✗ ${badAgreement.join(",")}` : `✓ ${agreement.length}`} · lost acked ${lost}`;
}

/** @param {import("../lib/store.js").Store} store */
export function drawClock(store) {
  /** @type {HTMLElement} */ (document.getElementById("sim-time")).textContent = formatDuration(simNowMs(store));
}
