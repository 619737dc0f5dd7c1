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
  // null: the runtime does not check it online (the live runtime); shown as "not checked", never as 0.
  const lostUnknown = verdict.lostAckedTransfers === null || verdict.lostAckedTransfers === undefined;
  const lost = lostUnknown ? 0 : Number(verdict.lostAckedTransfers);
  const valid = verdict.valid !== false && badConserved.length === 0 && badAgreement.length === 0 && lost === 0;
  consistency.dataset.valid = String(valid);
  consistency.textContent =
    `${valid ? "✓ consistent" : "✗ VIOLATION"} · money ${badConserved.length ? `✗ ${badConserved.join(",")}` : `✓ ${conserved.length}`}` +
    ` · agreement ${badAgreement.length ? `✗ ${badAgreement.join(",")}` : `✓ ${agreement.length}`} · lost acked ${lostUnknown ? "not checked" : lost}`;
}

/** @param {import("../lib/store.js").Store} store */
export function drawClock(store) {
  /** @type {HTMLElement} */ (document.getElementById("sim-time")).textContent = formatDuration(simNowMs(store));
}
