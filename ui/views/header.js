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

/**
 * The control group (GET /api/v1/control-plane): leader and its region, term, replicas up, quorum,
 * and which region's endpoint served the page. Without quorum the pill turns into a warning:
 * mutating calls answer 503 control-quorum until it is back.
 * @param {{leader: string|null, leaderRegion: string|null, term: number, quorum: boolean,
 *   replicas: {id: string, region: string, state: string, matchIndex: number|null}[]} | null} status
 * @param {string | null} servedBy
 */
export function drawControlPlane(status, servedBy) {
  const pill = /** @type {HTMLElement} */ (document.getElementById("control-plane"));
  if (!pill) return;
  if (status === null) {
    pill.dataset.quorum = "unknown";
    pill.textContent = "control: this runtime has no control group";
    pill.title = "";
    return;
  }
  const up = status.replicas.filter((replica) => replica.state !== "down").length;
  pill.dataset.quorum = String(status.quorum);
  pill.textContent = status.quorum
    ? `control ✓ ${status.leader ?? "–"} (${status.leaderRegion ?? "–"}) · term ${status.term} · ${up}/${status.replicas.length} up · via ${servedBy ?? "–"}`
    : `⚠ control plane has NO QUORUM (${up}/${status.replicas.length} up): changes answer 503 · via ${servedBy ?? "–"}`;
  pill.title = status.replicas
    .map((replica) => `${replica.id} ${replica.region} ${replica.state} match ${replica.matchIndex ?? "–"}`)
    .join("\n");
}

/** An answer older than this is marked stale on the pill (the page asks every second). */
export const CONTROL_PLANE_STALE_MS = 2500;

/**
 * How old the pill's answer is: past CONTROL_PLANE_STALE_MS (the endpoint is slow or down, or the
 * server does not answer) the pill says so and since when, so an operator does not read a
 * leader or a quorum from before an outage as the present one.
 * @param {number} ageMs
 */
export function drawControlPlaneAge(ageMs) {
  const pill = /** @type {HTMLElement} */ (document.getElementById("control-plane"));
  if (!pill) return;
  const text = (pill.textContent ?? "").replace(/ · STALE: no answer for \d+ s$/, "");
  if (ageMs <= CONTROL_PLANE_STALE_MS) {
    delete pill.dataset.stale;
    pill.textContent = text;
    return;
  }
  pill.dataset.stale = "true";
  pill.textContent = `${text} · STALE: no answer for ${Math.floor(ageMs / 1000)} s`;
}
