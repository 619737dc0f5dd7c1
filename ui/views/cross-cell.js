// Cross-cell money (issue 17): which cell pays which and how much is in flight, from the online
// consistency check's `crossCell` (GET /api/v1/consistency, `consistency` events).

/** @param {HTMLElement} element @param {import("../lib/store.js").Store} store */
export function drawCrossCell(element, store) {
  const status = store.consistency?.crossCell;
  if (!status || !status.enabled) {
    element.hidden = true;
    return;
  }
  element.hidden = false;
  const conserved =
    status.globalMoneyConserved === null ? "not checkable now" : status.globalMoneyConserved ? "✓ conserved" : "✗ NOT CONSERVED";
  const latency = status.settleMsP50 === null ? "–" : `${status.settleMsP50} / ${status.settleMsP99} ms`;
  const summary = document.createElement("p");
  summary.className = "cross-cell-summary";
  summary.dataset.testid = "cross-cell-summary";
  summary.textContent =
    `cross-cell: ${status.inFlight} in flight (${status.inFlightAmount} minor units) · ${status.settled} settled · ` +
    `${status.refunded} refunded · settle p50/p99 ${latency} · money across cells ${conserved}`;
  const flows = [...status.flows].sort((a, b) => b.amount - a.amount).slice(0, 12);
  const table = document.createElement("table");
  table.className = "cross-cell-flows";
  table.setAttribute("aria-label", "Money in flight between cells");
  const head = document.createElement("tr");
  for (const title of ["from", "to", "in flight", "amount"]) {
    const cell = document.createElement("th");
    cell.textContent = title;
    head.append(cell);
  }
  table.append(head);
  for (const flow of flows) {
    const row = document.createElement("tr");
    for (const value of [flow.from, `→ ${flow.to}`, String(flow.count), String(flow.amount)]) {
      const cell = document.createElement("td");
      cell.textContent = value;
      row.append(cell);
    }
    table.append(row);
  }
  element.replaceChildren(summary, ...(flows.length > 0 ? [table] : []));
}
