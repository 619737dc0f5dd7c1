// One deliberate click: every action goes through this confirmation dialog, which says what will
// happen, and, when a safety rule refuses (409 {error, rule}), shows the rule and why, with a
// break-glass override that needs a reason (sent as force: true, reason).
import { ApiError } from "../lib/api.js";
import { escapeHtml } from "./format.js";

/** Why each safety rule exists (docs/API.md lists the ids), in the operator's words. */
export const RULE_EXPLANATIONS = {
  "quorum-reachable": "The action would leave a cell without a reachable majority of its five replicas, so it could not commit transfers.",
  "one-region-evacuated":
    "Only one region may be evacuated at a time: with two regions drained the cells have no room to fail over and lose their quorum margin.",
  "target-caught-up":
    "The target replica has not caught up with the committed log; making it leader would stall until it does (or lose the tail if forced).",
  "gateway-remaining": "At least one regional gateway must stay active to take user traffic.",
  "wait-period": "A previous failover of this target happened too recently; moving it again so soon risks flapping.",
  "target-unavailable": "The chosen target region or datacenter is down or partitioned away.",
  "target-region-evacuated":
    "The target region is evacuated: its gateway takes no users, so a leader there would serve everyone across regions. Restore the region first; if forced, the controller moves the leader back out after the wait period.",
  capacity:
    "The gateways that would take the moved users cannot admit their measured load within their admission budgets: the excess would be shed (OVERLOADED).",
  halted: "The kill switch is on: no new fault or drill until it is released. Recovery actions stay allowed.",
};

/** The rehearsal's prediction (POST /api/v1/rehearsals) as a few lines of HTML. @param {any} prediction */
export function describePrediction(prediction) {
  const rto = Object.entries(prediction.rtoMs ?? {})
    .map(([cell, ms]) => `${cell} ${ms === null ? "never" : `${Math.round(Number(ms))} ms`}`)
    .join(", ");
  const lines = [
    `<p><strong>Predicted: ${escapeHtml(String(prediction.outcome))}</strong> (a simulated copy of routing v${prediction.basedOn?.routingVersion ?? "?"} at ${prediction.basedOn?.loadOpsPerSecond ?? "?"} ops/s; ${Math.round((prediction.simulatedMs ?? 0) / 1000)} s simulated in ${Math.round((prediction.wallMs ?? 0) / 1000)} s)</p>`,
  ];
  if (prediction.refused)
    lines.push(
      `<p class="bad">would be refused by <code>${escapeHtml(String(prediction.refused.rule ?? "-"))}</code>: ${escapeHtml(String(prediction.refused.error))}</p>`,
    );
  if (rto) lines.push(`<p>RTO per cell: ${escapeHtml(rto)}</p>`);
  lines.push(
    `<p>error rate ${((prediction.errorRate ?? 0) * 100).toFixed(2)}% · p99 ${prediction.p99Ms ?? "–"} ms · shed ${prediction.shedRequests ?? 0} · lost acked ${prediction.lostAckedTransfers ?? "–"} · routing v${prediction.basedOn?.routingVersion ?? "?"} → v${prediction.routingVersionAfter ?? "?"}</p>`,
  );
  return lines.join("");
}

/**
 * `reasonRequired`: the action is not sent without a reason (fault injection: the audit log must
 * say why someone broke the world on purpose).
 * @typedef {{ title: string, description: string, confirmLabel?: string, reasonRequired?: boolean,
 *   run: (options: { reason?: string, force?: boolean }) => Promise<any>,
 *   describeResult: (result: any) => string,
 *   rehearse?: () => Promise<any>, rehearseNow?: boolean }} ActionRequest
 */

/** @param {{ onDone: (message: string) => void }} hooks */
export function createActionDialog(hooks) {
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById("action-dialog"));
  const byId = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
  const title = byId("action-title");
  const description = byId("action-description");
  const reason = /** @type {HTMLInputElement} */ (byId("action-reason"));
  const reasonLabel = byId("action-reason-label");
  const refusal = byId("refusal");
  const refusalRule = byId("refusal-rule");
  const refusalError = byId("refusal-error");
  const refusalWhy = byId("refusal-why");
  const forceReason = /** @type {HTMLInputElement} */ (byId("force-reason"));
  const forceButton = /** @type {HTMLButtonElement} */ (byId("force-action"));
  const confirmButton = /** @type {HTMLButtonElement} */ (byId("confirm-action"));
  const result = byId("action-result");
  const prediction = byId("prediction");
  const rehearseButton = /** @type {HTMLButtonElement} */ (byId("rehearse-action"));
  /** @type {ActionRequest | null} */
  let current = null;
  let busy = false;

  /** @param {{ reason?: string, force?: boolean }} options */
  async function execute(options) {
    if (!current || busy) return;
    busy = true;
    confirmButton.disabled = true;
    forceButton.disabled = true;
    result.textContent = "working…";
    const request = current;
    try {
      const outcome = await request.run(options);
      const message = request.describeResult(outcome);
      dialog.close();
      hooks.onDone(message);
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        refusal.hidden = false;
        refusalRule.textContent = error.rule ?? "(no rule id)";
        refusal.dataset.rule = error.rule ?? "";
        refusalError.textContent = error.message;
        refusalWhy.textContent = RULE_EXPLANATIONS[/** @type {keyof typeof RULE_EXPLANATIONS} */ (error.rule)] ?? "";
        result.textContent = "";
        // The kill switch is not a rule to break glass on: releasing it is the override.
        const overridable = error.rule !== "halted";
        // (style, not the hidden attribute: label.stacked's display: flex would win over it)
        /** @type {HTMLElement} */ (forceReason.closest("label")).style.display = overridable ? "" : "none";
        forceButton.style.display = overridable ? "" : "none";
        if (overridable) forceReason.focus();
      } else {
        result.textContent = `Failed: ${error instanceof Error ? error.message : String(error)}`;
      }
    } finally {
      busy = false;
      confirmButton.disabled = false;
      forceButton.disabled = false;
    }
  }

  confirmButton.addEventListener("click", () => {
    const text = reason.value.trim();
    if (text === "" && current?.reasonRequired) {
      result.textContent = "This action needs a reason: it is recorded in the audit log.";
      result.classList.add("bad");
      reason.setAttribute("aria-invalid", "true");
      reason.focus();
      return;
    }
    reason.removeAttribute("aria-invalid");
    result.classList.remove("bad");
    void execute(text === "" ? {} : { reason: text });
  });
  forceButton.addEventListener("click", () => {
    const text = forceReason.value.trim();
    if (text === "") {
      result.textContent = "Overriding a safety rule needs a reason.";
      forceReason.focus();
      return;
    }
    void execute({ reason: text, force: true });
  });
  byId("cancel-action").addEventListener("click", () => dialog.close());

  async function rehearse() {
    const request = current;
    if (!request?.rehearse || busy) return;
    busy = true;
    rehearseButton.disabled = true;
    prediction.hidden = false;
    prediction.dataset.state = "running";
    prediction.textContent = "rehearsing in a simulated copy of the current state…";
    try {
      const predicted = await request.rehearse();
      if (current !== request) return;
      prediction.dataset.state = "done";
      prediction.dataset.outcome = String(predicted?.outcome ?? "");
      prediction.innerHTML = describePrediction(predicted);
    } catch (error) {
      prediction.dataset.state = "failed";
      prediction.textContent = `Rehearsal failed: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      busy = false;
      rehearseButton.disabled = false;
    }
  }
  rehearseButton.addEventListener("click", () => void rehearse());

  return {
    /** @param {ActionRequest} request */
    open(request) {
      current = request;
      title.textContent = request.title;
      description.textContent = request.description;
      confirmButton.textContent = request.confirmLabel ?? "Confirm";
      reason.value = "";
      reason.required = request.reasonRequired === true;
      result.classList.remove("bad");
      reason.removeAttribute("aria-invalid");
      reasonLabel.textContent = request.reasonRequired
        ? "reason (required, recorded in the audit log)"
        : "reason (recorded in the audit log)";
      forceReason.value = "";
      refusal.hidden = true;
      result.textContent = "";
      prediction.hidden = true;
      prediction.textContent = "";
      prediction.dataset.state = "";
      rehearseButton.hidden = request.rehearse === undefined;
      dialog.showModal();
      if (request.reasonRequired) reason.focus();
      else confirmButton.focus();
      if (request.rehearseNow && request.rehearse) void rehearse();
    },
  };
}
