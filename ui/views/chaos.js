// The chaos panel: any catalogue fault on any of its targets, with a lease, and healing.
// The catalogue comes from GET /api/v1/faults; targets are sent back exactly as listed.
// Injecting goes through the confirmation dialog, like a failover, and needs a reason: the
// reason is sent with the fault and recorded in the audit log.
import { mutate } from "../lib/api.js";
import { describeTarget, escapeHtml, formatDuration } from "./format.js";
import { simNowMs } from "../lib/store.js";

/** Upper bound on a lease from the page: a forgotten fault heals itself within the hour. */
const LEASE_SECONDS_MAX = 3600;

/**
 * @param {import("../lib/store.js").Store} store
 * @param {{ onChange: () => void, toast: (message: string) => void }} hooks
 * @param {{ open: (request: import("./dialog.js").ActionRequest) => void }} dialog
 */
export function setupChaos(store, hooks, dialog) {
  const typeSelect = /** @type {HTMLSelectElement} */ (document.getElementById("chaos-type"));
  const targetSelect = /** @type {HTMLSelectElement} */ (document.getElementById("chaos-target"));
  const params = /** @type {HTMLElement} */ (document.getElementById("chaos-params"));
  const lease = /** @type {HTMLInputElement} */ (document.getElementById("chaos-lease"));
  const error = /** @type {HTMLElement} */ (document.getElementById("chaos-error"));
  const form = /** @type {HTMLFormElement} */ (document.getElementById("chaos-form"));
  let drawnCatalogue = "";

  const entry = () => store.catalogue.find((candidate) => candidate.type === typeSelect.value);

  function drawTargets() {
    const current = entry();
    const targets = current?.targets ?? [];
    targetSelect.innerHTML = targets
      .map(
        (/** @type {unknown} */ target, /** @type {number} */ index) =>
          `<option value="${index}">${escapeHtml(describeTarget(target))}</option>`,
      )
      .join("");
    // Parameters: the catalogue gives {name: default} or {name: {default, ...}}.
    params.innerHTML = Object.entries(current?.params ?? {})
      .map(([name, spec]) => {
        const fallback = spec && typeof spec === "object" && "default" in spec ? spec.default : spec;
        const kind = typeof fallback === "number" ? "number" : "text";
        return (
          `<label>${escapeHtml(name)} <input placeholder="${fallback === null ? "default" : ""}" data-param="${escapeHtml(name)}" data-kind="${kind}" type="${kind}" step="any" ` +
          `value="${escapeHtml(fallback ?? "")}" aria-label="${escapeHtml(name)}"></label>`
        );
      })
      .join("");
  }

  typeSelect.addEventListener("change", drawTargets);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    error.textContent = "";
    const current = entry();
    const target = current?.targets?.[Number(targetSelect.value)];
    if (!current || target === undefined) {
      error.textContent = "chaos-target: choose a fault type and a target";
      return;
    }
    const leaseSeconds = Number(lease.value);
    if (!Number.isFinite(leaseSeconds) || leaseSeconds <= 0 || leaseSeconds > LEASE_SECONDS_MAX) {
      error.textContent = `lease: expected 1..${LEASE_SECONDS_MAX} seconds`;
      return;
    }
    /** @type {Record<string, unknown>} */
    const body = { type: current.type, target, leaseMs: Math.round(leaseSeconds * 1000) };
    /** @type {Record<string, unknown>} */
    const values = {};
    for (const input of params.querySelectorAll("input")) {
      const name = /** @type {string} */ (input.dataset.param);
      // An empty field is "use the catalogue default" (e.g. partition's shape: null picks the
      // shape from the target); sending "" would be refused as an unknown value.
      if (input.value.trim() === "") continue;
      values[name] = input.dataset.kind === "number" ? Number(input.value) : input.value;
    }
    if (Object.keys(values).length > 0) body.params = values;
    const paramText = Object.entries(values)
      .map(([name, value]) => `${name}=${value}`)
      .join(", ");
    dialog.open({
      title: `Inject ${current.type}?`,
      description:
        `Inject ${current.type} on ${describeTarget(target)}${paramText ? ` (${paramText})` : ""} into the running world for up to ` +
        `${formatDuration(leaseSeconds * 1000)} of simulated time (the lease heals it then, if nothing else does). Traffic to the cells it touches may fail or slow down.`,
      confirmLabel: `Inject ${current.type}`,
      reasonRequired: true,
      run: (/** @type {any} */ options) =>
        mutate("POST", "/api/v1/faults", { ...body, ...(options.reason ? { reason: options.reason } : {}) }),
      describeResult: (/** @type {any} */ fault) => `injected ${fault?.id ?? current.type}`,
    });
  });

  /** @type {HTMLButtonElement} */ (document.getElementById("heal-all")).addEventListener("click", () => {
    mutate("DELETE", "/api/v1/faults")
      .then(() => {
        hooks.toast("healed all faults");
        hooks.onChange();
      })
      .catch((/** @type {Error} */ failure) => {
        error.textContent = `heal failed: ${failure.message}`;
      });
  });

  return {
    draw() {
      const key = JSON.stringify(store.catalogue.map((c) => [c.type, c.targets]));
      if (key === drawnCatalogue) return;
      drawnCatalogue = key;
      const previous = typeSelect.value;
      typeSelect.innerHTML = store.catalogue.map((c) => `<option value="${escapeHtml(c.type)}">${escapeHtml(c.type)}</option>`).join("");
      if (store.catalogue.some((c) => c.type === previous)) typeSelect.value = previous;
      drawTargets();
    },
  };
}

/**
 * Active faults, each with its lease counting down in simulated time and a heal button.
 * @param {HTMLElement} list @param {import("../lib/store.js").Store} store @param {{ onChange: () => void, toast: (m: string) => void }} hooks
 */
export function drawFaultList(list, store, hooks) {
  const faults = [...store.faults.values()].sort((a, b) => a.startedMs - b.startedMs);
  const ids = new Set(faults.map((fault) => fault.id));
  for (const item of [...list.children]) if (!ids.has(/** @type {HTMLElement} */ (item).dataset.fault ?? "")) item.remove();
  if (faults.length === 0) {
    if (!list.querySelector(".empty")) list.innerHTML = `<li class="empty muted">none</li>`;
    return;
  }
  list.querySelector(".empty")?.remove();
  for (const fault of faults) {
    let item = /** @type {HTMLElement | null} */ (list.querySelector(`[data-fault="${fault.id}"]`));
    if (!item) {
      item = document.createElement("li");
      item.dataset.fault = fault.id;
      item.dataset.testid = `fault-${fault.id}`;
      const where = [...(fault.affects?.links ?? []).map((pair) => pair.join("↔")), ...(fault.affects?.hosts ?? [])].join(", ");
      item.innerHTML =
        `<code>${escapeHtml(fault.id)}</code> <strong>${escapeHtml(fault.type)}</strong> ${escapeHtml(describeTarget(fault.target))}` +
        `${where ? ` <span class="muted">on ${escapeHtml(where)}</span>` : ""} <span class="countdown" aria-label="lease remaining"></span> ` +
        `<button type="button" data-testid="heal-${escapeHtml(fault.id)}" aria-label="Heal ${escapeHtml(fault.id)}">Heal</button>`;
      const faultId = fault.id;
      /** @type {HTMLButtonElement} */ (item.querySelector("button")).addEventListener("click", () => {
        mutate("DELETE", `/api/v1/faults/${encodeURIComponent(faultId)}`)
          .then(() => {
            hooks.toast(`healed ${faultId}`);
            hooks.onChange();
          })
          .catch((/** @type {Error} */ failure) => hooks.toast(`heal ${faultId} failed: ${failure.message}`));
      });
      list.append(item);
    }
    updateCountdown(item, fault, store);
  }
}

/** Cheap per-second refresh of the lease countdowns only. @param {HTMLElement} list @param {import("../lib/store.js").Store} store */
export function tickCountdowns(list, store) {
  for (const item of list.querySelectorAll("[data-fault]")) {
    const fault = store.faults.get(/** @type {string} */ (/** @type {HTMLElement} */ (item).dataset.fault));
    if (fault) updateCountdown(/** @type {HTMLElement} */ (item), fault, store);
  }
}

/** @param {HTMLElement} item @param {any} fault @param {import("../lib/store.js").Store} store */
function updateCountdown(item, fault, store) {
  const remainingMs = typeof fault.expiresMs === "number" ? fault.expiresMs - simNowMs(store) : fault.remainingMs;
  /** @type {HTMLElement} */ (item.querySelector(".countdown")).textContent = `lease ${formatDuration(remainingMs)} left`;
}
