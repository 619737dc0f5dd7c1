// The failover controls: per region evacuate/restore, per cell "fail over to" a region or a
// datacenter. Rows are keyed and built once, so a health event every 250 ms updates the text
// without resetting a select the operator is in the middle of choosing.
import { mutate } from "../lib/api.js";
import { escapeHtml, naturalCompare } from "./format.js";
import { drainedRegions } from "../lib/store.js";

/**
 * @param {{ regions: HTMLElement, cellRows: HTMLElement }} elements
 * @param {import("../lib/store.js").Store} store
 * @param {{ open: (request: import("./dialog.js").ActionRequest) => void }} dialog
 */
export function drawActions(elements, store, dialog) {
  drawRegions(elements.regions, store, dialog);
  drawCellRows(elements.cellRows, store, dialog);
}

/** @param {HTMLElement} container @param {import("../lib/store.js").Store} store @param {any} dialog */
function drawRegions(container, store, dialog) {
  const names = store.topology ? store.topology.regions.map((/** @type {any} */ r) => r.name) : store.regions.map((r) => r.name);
  for (const name of names) {
    let card = /** @type {HTMLElement | null} */ (container.querySelector(`[data-region="${name}"]`));
    if (!card) {
      card = document.createElement("div");
      card.className = "region-card";
      card.dataset.region = name;
      card.innerHTML =
        `<div class="region-title">${escapeHtml(name)}</div><div class="region-info"></div>` +
        `<button type="button" data-testid="evacuate-${escapeHtml(name)}" aria-label="Evacuate ${escapeHtml(name)}">Evacuate</button>` +
        `<button type="button" data-testid="rehearse-evacuate-${escapeHtml(name)}" aria-label="Rehearse evacuating ${escapeHtml(name)}">Rehearse</button>` +
        `<button type="button" data-testid="restore-${escapeHtml(name)}" aria-label="Restore ${escapeHtml(name)}">Restore</button>`;
      const [evacuate, rehearse, restore] = card.querySelectorAll("button");
      evacuate.addEventListener("click", () => openRegionAction(dialog, store, name, "evacuate", false));
      rehearse.addEventListener("click", () => openRegionAction(dialog, store, name, "evacuate", true));
      restore.addEventListener("click", () => openRegionAction(dialog, store, name, "restore", false));
      container.append(card);
    }
    const region = store.regions.find((r) => r.name === name);
    const drained = drainedRegions(store).has(name);
    card.classList.toggle("evacuated", drained);
    card.dataset.state = region?.state ?? (region?.up === false ? "down" : "up");
    const info = /** @type {HTMLElement} */ (card.querySelector(".region-info"));
    const readiness = (store.readiness?.regions ?? []).find((/** @type {any} */ entry) => entry.region === name);
    card.dataset.canAbsorb = readiness ? String(readiness.canAbsorbLoss) : "";
    info.textContent = region
      ? `gateway ${region.gateway?.state ?? "?"} · ${Math.round(region.gateway?.rps ?? 0)} req/s · leads ${(region.leaders ?? []).length}` +
        `${drained ? " · EVACUATED" : ""}${regionStateText(region)}` +
        (readiness
          ? ` · loss ${readiness.canAbsorbLoss ? "absorbable" : "NOT absorbable"}${readiness.headroomOpsPerSecond === null ? "" : ` (headroom ${Math.round(readiness.headroomOpsPerSecond)} ops/s)`}`
          : "")
      : drained
        ? "EVACUATED"
        : "";
  }
}

/** The controller's region state: DOWN only when its datacenters are. @param {any} region */
function regionStateText(region) {
  const state = region.state ?? (region.up === false ? "down" : "up");
  // A down region's cuts go without saying.
  const cut = state !== "down" && (region.cutFrom ?? []).length ? ` · cut from ${region.cutFrom.join(", ")}` : "";
  return `${state === "down" ? " · DOWN" : state === "partitioned" ? " · PARTITIONED" : ""}${cut}`;
}

/** @param {any} dialog @param {import("../lib/store.js").Store} store @param {string} region @param {"evacuate" | "restore"} verb @param {boolean} rehearseNow */
function openRegionAction(dialog, store, region, verb, rehearseNow) {
  const leaders = [...store.cells.values()].filter((cell) => cell.leader?.region === region).map((cell) => cell.id);
  const description =
    verb === "evacuate"
      ? `Evacuate ${region}: move the leaders of ${leaders.length ? leaders.join(", ") : "no cell"} out of ${region}, drain its gateway and ` +
        `route its users to the other regions. The routing version will go up; in-flight transfers are retried by clients.`
      : `Restore ${region}: re-enable its gateway and let cells that prefer ${region} move their leaders back. The routing version will go up.`;
  dialog.open({
    title: `${verb === "evacuate" ? "Evacuate" : "Restore"} ${region}?`,
    description,
    confirmLabel: verb === "evacuate" ? `Evacuate ${region}` : `Restore ${region}`,
    run: (/** @type {any} */ options) => mutate("POST", `/api/v1/regions/${encodeURIComponent(region)}/${verb}`, options),
    rehearse: () => mutate("POST", "/api/v1/rehearsals", { action: { kind: verb, target: region } }),
    rehearseNow,
    describeResult: (/** @type {any} */ result) =>
      `${verb} ${region}: ${result?.moved ? `moved ${result.moved.join(", ") || "nothing"}, ` : ""}routing v${result?.routingVersion ?? "?"}`,
  });
}

/** @param {HTMLElement} tbody @param {import("../lib/store.js").Store} store @param {any} dialog */
function drawCellRows(tbody, store, dialog) {
  const cells = [...store.cells.values()].sort((a, b) => naturalCompare(a.id, b.id));
  const targets = store.topology
    ? [
        ...store.topology.regions.map((/** @type {any} */ r) => r.name),
        ...store.topology.regions.flatMap((/** @type {any} */ r) => r.datacenters),
      ]
    : [];
  for (const cell of cells) {
    let row = /** @type {HTMLTableRowElement | null} */ (tbody.querySelector(`tr[data-cell="${cell.id}"]`));
    if (!row) {
      row = document.createElement("tr");
      row.dataset.cell = cell.id;
      row.dataset.testid = `cellctl-${cell.id}`;
      row.innerHTML =
        `<td>${escapeHtml(cell.id)}</td><td class="leader"></td><td class="term"></td><td class="quorum"></td>` +
        `<td><select aria-label="Fail over ${escapeHtml(cell.id)} to" data-testid="failover-to-${escapeHtml(cell.id)}"></select> ` +
        `<button type="button" data-testid="failover-${escapeHtml(cell.id)}">Fail over to…</button> ` +
        `<button type="button" data-testid="rehearse-failover-${escapeHtml(cell.id)}" aria-label="Rehearse failing over ${escapeHtml(cell.id)}">Rehearse</button></td>`;
      const select = /** @type {HTMLSelectElement} */ (row.querySelector("select"));
      const [button, rehearse] = /** @type {NodeListOf<HTMLButtonElement>} */ (row.querySelectorAll("button"));
      const cellId = cell.id;
      select.addEventListener("change", () => {
        button.textContent = `Fail over to ${select.value}`;
      });
      button.addEventListener("click", () => openFailover(dialog, store, cellId, select.value, false));
      rehearse.addEventListener("click", () => openFailover(dialog, store, cellId, select.value, true));
      tbody.append(row);
    }
    const select = /** @type {HTMLSelectElement} */ (row.querySelector("select"));
    if (select.options.length !== targets.length) {
      const previous = select.value;
      select.innerHTML = targets.map((target) => `<option value="${escapeHtml(target)}">${escapeHtml(target)}</option>`).join("");
      const preferred = targets.find((target) => target !== cell.leader?.region && target !== cell.preferredRegion) ?? targets[0];
      select.value = targets.includes(previous) ? previous : (preferred ?? "");
      /** @type {HTMLButtonElement} */ (row.querySelector("button")).textContent = `Fail over to ${select.value}`;
    }
    /** @type {HTMLElement} */ (row.querySelector(".leader")).textContent = cell.leader
      ? `${cell.leader.datacenter} (${cell.leader.region})`
      : "none";
    /** @type {HTMLElement} */ (row.querySelector(".term")).textContent = String(cell.term ?? "–");
    const quorum = /** @type {HTMLElement} */ (row.querySelector(".quorum"));
    quorum.textContent = cell.quorumAvailable === false ? "✗ lost" : "✓";
    quorum.className = `quorum ${cell.quorumAvailable === false ? "bad" : "good"}`;
  }
}

/** @param {any} dialog @param {import("../lib/store.js").Store} store @param {string} cellId @param {string} to @param {boolean} rehearseNow */
function openFailover(dialog, store, cellId, to, rehearseNow) {
  const cell = store.cells.get(cellId);
  const from = cell?.leader ? `${cell.leader.datacenter} (${cell.leader.region})` : "no current leader";
  dialog.open({
    title: `Fail over ${cellId} to ${to}?`,
    description:
      `Transfer leadership of ${cellId} from ${from} to a replica in ${to} once it has caught up, then route ` +
      `${cellId}'s shards (${(cell?.shards ?? []).length} shards) to ${to}'s gateway. The routing version will go up.`,
    confirmLabel: `Fail over to ${to}`,
    run: (/** @type {any} */ options) => mutate("POST", `/api/v1/cells/${encodeURIComponent(cellId)}/failover`, { to, ...options }),
    rehearse: () => mutate("POST", "/api/v1/rehearsals", { action: { kind: "failover", target: cellId, to } }),
    rehearseNow,
    describeResult: (/** @type {any} */ result) =>
      `${cellId} leader now ${result?.leader?.replica ?? "?"}, routing v${result?.routingVersion ?? "?"}`,
  });
}
