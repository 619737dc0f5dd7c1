// Leader placement: where each cell's leader sits against the region it prefers. After a drill or
// an outage, leaders that moved away do not come back by themselves; this panel says which are
// out of place, flags every leader in one datacenter (one power cut from losing them all), and
// offers the restore that moves them home (POST /regions/{region}/restore, through the same
// confirmation dialog and safety rules as any action).
import { mutate } from "../lib/api.js";
import { escapeHtml, naturalCompare } from "./format.js";
import { drainedRegions } from "../lib/store.js";

/**
 * What the panel shows, without the DOM (also what the tests reason about).
 * @param {import("../lib/store.js").Store} store
 */
export function placement(store) {
  const cells = [...store.cells.values()].sort((a, b) => naturalCompare(a.id, b.id));
  const rows = cells.map((cell) => ({
    id: cell.id,
    leader: cell.leader ?? null,
    preferred: cell.preferredRegion ?? null,
    home: Boolean(cell.leader && cell.preferredRegion && cell.leader.region === cell.preferredRegion),
  }));
  const misplaced = rows.filter((row) => row.preferred !== null && !row.home);
  /** @type {Map<string, string[]>} preferred region -> cells away from it */
  const restores = new Map();
  for (const row of misplaced)
    restores.set(/** @type {string} */ (row.preferred), [...(restores.get(/** @type {string} */ (row.preferred)) ?? []), row.id]);
  const datacenters = new Set(rows.filter((row) => row.leader).map((row) => row.leader.datacenter));
  const led = rows.filter((row) => row.leader).length;
  const oneDatacenter = led > 1 && datacenters.size === 1 ? [...datacenters][0] : null;
  return { rows, misplaced, restores, oneDatacenter };
}

/**
 * @param {HTMLElement} container
 * @param {import("../lib/store.js").Store} store
 * @param {{ open: (request: import("./dialog.js").ActionRequest) => void }} dialog
 */
export function drawPlacement(container, store, dialog) {
  const view = placement(store);
  if (view.rows.length === 0) return;
  const drained = drainedRegions(store);
  const summary =
    view.misplaced.length === 0
      ? `<p class="good" data-testid="placement-summary" data-misplaced="0">✓ every leader is in its preferred region</p>`
      : `<p class="bad" data-testid="placement-summary" data-misplaced="${view.misplaced.length}">✗ ${view.misplaced.length} of ${view.rows.length} leaders away from their preferred region</p>`;
  const flag =
    view.oneDatacenter === null
      ? ""
      : `<p class="flag bad" data-testid="placement-one-dc" role="alert">⚠ every leader is in one datacenter, ${escapeHtml(view.oneDatacenter)}: one outage there stops all cells until they re-elect</p>`;
  const buttons = [...view.restores]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([region, cells]) =>
        `<button type="button" data-restore="${escapeHtml(region)}" data-testid="placement-restore-${escapeHtml(region)}"` +
        ` title="POST /api/v1/regions/${escapeHtml(region)}/restore">Restore ${escapeHtml(region)}: move ${escapeHtml(cells.join(", "))} back</button>` +
        `${drained.has(region) ? ` <span class="muted">(${escapeHtml(region)} is evacuated; restoring also re-opens its gateway)</span>` : ""}`,
    )
    .join(" ");
  const table =
    `<table aria-label="Leaders against preferred regions"><thead><tr><th>cell</th><th>leader</th><th>preferred</th><th></th></tr></thead><tbody>` +
    view.rows
      .map(
        (row) =>
          `<tr data-testid="placement-${escapeHtml(row.id)}" data-home="${row.home}"><td>${escapeHtml(row.id)}</td>` +
          `<td>${row.leader ? `${escapeHtml(row.leader.datacenter)} (${escapeHtml(row.leader.region)})` : "none"}</td>` +
          `<td>${escapeHtml(row.preferred ?? "–")}</td><td class="${row.home ? "good" : "bad"}">${row.home ? "✓" : row.leader ? "away" : "no leader"}</td></tr>`,
      )
      .join("") +
    `</tbody></table>`;
  // All home and spread out: the one line says it; the table is there when something is off.
  const html =
    summary +
    flag +
    (buttons ? `<div class="placement-actions">${buttons}</div>` : "") +
    (view.misplaced.length > 0 || view.oneDatacenter !== null ? table : "");
  // Rebuild only on change: a health event every 250 ms must not eat a click on a button.
  if (container.dataset.html === html) return;
  container.dataset.html = html;
  container.innerHTML = html;
  for (const button of container.querySelectorAll("button[data-restore]")) {
    const region = /** @type {string} */ (/** @type {HTMLElement} */ (button).dataset.restore);
    const cells = view.restores.get(region) ?? [];
    button.addEventListener("click", () =>
      dialog.open({
        title: `Restore ${region}?`,
        description:
          `Move the leaders of ${cells.join(", ")} back to ${region}, their preferred region, one cell at a time once a replica there has ` +
          `caught up, and route their users to ${region}'s gateway${drained.has(region) ? ` (re-opened: ${region} is evacuated now)` : ""}. The routing version will go up.`,
        confirmLabel: `Restore ${region}`,
        run: (/** @type {any} */ options) => mutate("POST", `/api/v1/regions/${encodeURIComponent(region)}/restore`, options),
        describeResult: (/** @type {any} */ result) =>
          `restore ${region}: ${result?.moved ? `moved ${result.moved.join(", ") || "nothing"}, ` : ""}routing v${result?.routingVersion ?? "?"}`,
      }),
    );
  }
}
