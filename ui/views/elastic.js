// Elastic cells: the cells and the shards each owns, adding a cell and moving a shard range
// (POST /api/v1/cells, POST /api/v1/shards/move, through the confirmation dialog like every
// action), and each move's progress: fenced (the source redirects the range's writes), copying
// (the carried record on its way into the destination's log), cut over (the routing version went
// up), or rolled back. The audit log shows each step too.
import { mutate } from "../lib/api.js";
import { escapeHtml, naturalCompare } from "./format.js";

/** Moves the panel lists (in-flight ones first, then the newest finished). */
export const MOVES_SHOWN_MAX = 6;

/** "0..4, 17, 30..32": the shards as ranges. @param {number[]} shards */
export function shardRanges(shards) {
  const sorted = [...shards].sort((a, b) => a - b);
  /** @type {string[]} */
  const parts = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}..${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(", ");
}

const FINISHED = ["cut-over", "rolled-back", "stuck"];

/**
 * A move's three stages, each "done", "active" or "pending" ("failed" for the stage a rollback stopped at).
 * @param {any} move
 */
export function moveStages(move) {
  const state = String(move.state);
  const fenced = Boolean(move.fenced) || ["copying", "cut-over"].includes(state) || (move.accounts ?? null) !== null;
  const copied = Boolean(move.imported) || state === "cut-over";
  const cutOver = state === "cut-over";
  const failed = state === "rolled-back" || state === "stuck" || state === "rolling-back";
  /** @param {boolean} done @param {boolean} active */
  const status = (done, active) => (done ? "done" : failed && active ? "failed" : active ? "active" : "pending");
  return [
    { name: "fenced", status: status(fenced, !fenced) },
    { name: "copying", status: status(copied, fenced && !copied) },
    { name: "cut over", status: status(cutOver, copied && !cutOver) },
  ];
}

/**
 * What the panel shows, without the DOM.
 * @param {import("../lib/store.js").Store} store
 */
export function elasticView(store) {
  const cells = [...store.cells.values()]
    .sort((a, b) => naturalCompare(a.id, b.id))
    .map((cell) => ({ id: cell.id, shards: Array.isArray(cell.shards) ? cell.shards : [] }));
  const moves = [...store.moves.values()].reverse();
  const shown = [...moves.filter((move) => !FINISHED.includes(move.state)), ...moves.filter((move) => FINISHED.includes(move.state))].slice(
    0,
    MOVES_SHOWN_MAX,
  );
  return { cells, moves: shown.map((move) => ({ ...move, stages: moveStages(move) })) };
}

/**
 * @param {HTMLElement} container
 * @param {import("../lib/store.js").Store} store
 * @param {{ open: (request: import("./dialog.js").ActionRequest) => void }} dialog
 */
export function drawElastic(container, store, dialog) {
  const view = elasticView(store);
  if (view.cells.length === 0) return;
  const cellRows = view.cells
    .map(
      (cell) =>
        `<tr data-testid="elastic-cell-${escapeHtml(cell.id)}" data-shards="${cell.shards.length}"><td>${escapeHtml(cell.id)}</td>` +
        `<td>${cell.shards.length}</td><td class="muted">${escapeHtml(shardRanges(cell.shards) || "–")}</td></tr>`,
    )
    .join("");
  const moveRows = view.moves
    .map(
      (move) =>
        `<li data-testid="move-${escapeHtml(move.id)}" data-state="${escapeHtml(move.state)}">` +
        `<span class="move-title">${escapeHtml(move.id)} shards ${move.first}..${move.last} ${escapeHtml(move.from)} → ${escapeHtml(move.to)}</span> ` +
        `<span class="move-stages">${move.stages
          .map(
            (/** @type {any} */ stage) =>
              `<span class="move-stage ${stage.status}" data-testid="move-${escapeHtml(move.id)}-${stage.name.replace(" ", "-")}" data-status="${stage.status}">${stage.status === "done" ? "✓" : stage.status === "failed" ? "✗" : stage.status === "active" ? "…" : "·"} ${stage.name}</span>`,
          )
          .join(" → ")}</span>` +
        (move.state === "rolled-back" || move.state === "stuck" || move.state === "rolling-back"
          ? ` <span class="bad" data-testid="move-${escapeHtml(move.id)}-outcome">${escapeHtml(move.state)}${move.error ? `: ${escapeHtml(move.error)}` : ""}</span>`
          : move.state === "cut-over" && typeof move.fenceWindowMs === "number"
            ? ` <span class="muted">fence window ${move.fenceWindowMs} ms${typeof move.outboxRecords === "number" ? `, ${move.outboxRecords} open cross-cell transfers carried` : ""}</span>`
            : "") +
        `</li>`,
    )
    .join("");
  const options = view.cells.map((cell) => `<option value="${escapeHtml(cell.id)}">${escapeHtml(cell.id)}</option>`).join("");
  const html =
    `<div class="elastic-controls"><button type="button" data-testid="add-cell" data-add-cell="1" title="POST /api/v1/cells">Add cell</button> ` +
    `<label>shards <input data-testid="move-shards" data-move-shards="1" size="7" placeholder="0..4"></label> ` +
    `<label>to <select data-testid="move-to" data-move-to="1">${options}</select></label> ` +
    `<button type="button" data-testid="move-button" data-move="1" title="POST /api/v1/shards/move">Move</button></div>` +
    `<table aria-label="Cells and their shards" data-testid="elastic-cells"><thead><tr><th>cell</th><th>shards</th><th>ranges</th></tr></thead><tbody>${cellRows}</tbody></table>` +
    `<ul class="moves" data-testid="moves" aria-label="Shard moves">${moveRows || `<li class="muted">no shard move yet</li>`}</ul>`;
  // Rebuild only on change (keeps what the operator typed and a click in flight); the inputs keep their values.
  if (container.dataset.html === html) return;
  const input = /** @type {HTMLInputElement | null} */ (container.querySelector("input[data-move-shards]"));
  const select = /** @type {HTMLSelectElement | null} */ (container.querySelector("select[data-move-to]"));
  const typed = input?.value ?? "";
  const chosen = select?.value ?? "";
  container.dataset.html = html;
  container.innerHTML = html;
  const newInput = /** @type {HTMLInputElement} */ (container.querySelector("input[data-move-shards]"));
  const newSelect = /** @type {HTMLSelectElement} */ (container.querySelector("select[data-move-to]"));
  newInput.value = typed;
  if (chosen && view.cells.some((cell) => cell.id === chosen)) newSelect.value = chosen;
  container.querySelector("button[data-add-cell]")?.addEventListener("click", () =>
    dialog.open({
      title: "Add a cell?",
      description:
        "Place a new cell's five replicas (2 + 2 + 1 over the regions), elect its leader in its preferred region, and only then make it routable. " +
        "It owns no shard until you move some to it. The routing version will go up.",
      confirmLabel: "Add cell",
      run: (/** @type {any} */ options) => mutate("POST", "/api/v1/cells", options),
      describeResult: (/** @type {any} */ result) =>
        `added ${result?.cell ?? "?"} in ${result?.region ?? "?"}, routing v${result?.routingVersion ?? "?"}`,
    }),
  );
  container.querySelector("button[data-move]")?.addEventListener("click", () => {
    const shards = newInput.value.trim();
    const to = newSelect.value;
    dialog.open({
      title: `Move shards ${shards} to ${to}?`,
      description:
        `Fence shards ${shards} at their cell (their writes are redirected to ${to}), carry their accounts, balances, idempotency ids and open cross-cell transfers into ${to}'s log, ` +
        `then cut over: one new routing version. Interrupted, the move completes or rolls back from what the cells committed.`,
      confirmLabel: "Move shards",
      run: (/** @type {any} */ options) => mutate("POST", "/api/v1/shards/move", { shards, to, ...options }),
      describeResult: (/** @type {any} */ result) =>
        `${result?.id ?? "move"} ${result?.state ?? "?"}${result?.routingVersionAfter ? `, routing v${result.routingVersionAfter}` : ""}`,
    });
  });
}
