// Drills: run one now (live progress from `drill` events), past outcomes with RTO per cell, RPO
// (lost acknowledged transfers) and checker verdicts, the report link; schedules listed and edited.
// A running drill shows its plan as a step timeline with a countdown to the next step and to the
// end, and its expectations beside what is measured (RTO <= x, measured y). Its report exists only
// once the run is done, so until then the run shows progress and no report link.
import { mutate } from "../lib/api.js";
import { escapeHtml, formatDuration, formatWallTime } from "./format.js";
import { longestLeaderGap, simNowMs, upsertRun } from "../lib/store.js";

/**
 * @param {import("../lib/store.js").Store} store
 * @param {{ open: (request: import("./dialog.js").ActionRequest) => void }} dialog
 * @param {{ onChange: () => void, toast: (message: string) => void, redraw: () => void }} hooks
 */
export function setupDrills(store, dialog, hooks) {
  const list = /** @type {HTMLElement} */ (document.getElementById("drill-list"));
  const runs = /** @type {HTMLElement} */ (document.getElementById("drill-runs"));
  const scheduleRows = /** @type {HTMLElement} */ (document.getElementById("schedule-rows"));
  const form = /** @type {HTMLFormElement} */ (document.getElementById("schedule-form"));
  const field = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ (document.getElementById(id));
  const scheduleDrill = /** @type {HTMLSelectElement} */ (document.getElementById("schedule-drill"));
  const scheduleError = /** @type {HTMLElement} */ (document.getElementById("schedule-error"));
  const timeline = /** @type {HTMLElement} */ (document.getElementById("drill-timeline"));
  let drawnDrills = "";

  function drawDrillList() {
    const key = store.drills.map((d) => d.name).join(",");
    if (key === drawnDrills) return;
    drawnDrills = key;
    list.innerHTML = store.drills
      .map(
        (drill) =>
          `<div class="drill"><button type="button" data-testid="drill-run-${escapeHtml(drill.name)}" data-drill="${escapeHtml(drill.name)}" ` +
          `aria-label="Run drill ${escapeHtml(drill.name)}">Run ${escapeHtml(drill.name)}</button> ` +
          `<span class="muted">${escapeHtml(drill.description ?? "")} (${formatDuration(drill.durationMs ?? NaN)})</span></div>`,
      )
      .join("");
    for (const button of list.querySelectorAll("button")) {
      const name = /** @type {string} */ (/** @type {HTMLElement} */ (button).dataset.drill);
      const drill = store.drills.find((d) => d.name === name);
      button.addEventListener("click", () =>
        dialog.open({
          title: `Run drill ${name}?`,
          description:
            `${drill?.description ?? name}. The drill injects its faults into the running world for about ` +
            `${formatDuration(drill?.durationMs ?? NaN)} of simulated time, then checks RTO, RPO and the ledger invariants.`,
          confirmLabel: `Run ${name}`,
          run: (/** @type {any} */ options) => mutate("POST", `/api/v1/drills/${encodeURIComponent(name)}/runs`, { ...options }),
          describeResult: (/** @type {any} */ run) => {
            upsertRun(store, run);
            hooks.redraw();
            return `drill ${name} started as ${run?.id ?? "?"}`;
          },
        }),
      );
    }
    scheduleDrill.innerHTML = store.drills.map((d) => `<option>${escapeHtml(d.name)}</option>`).join("");
  }

  function drawRuns() {
    // Newest first by the controller's sequence: simulated start time restarts at 0 with the controller.
    const sorted = [...store.runs.values()].sort((a, b) => runSeq(b) - runSeq(a));
    runs.innerHTML =
      sorted
        .map((run) => {
          const outcome = run.outcome ?? (run.state === "running" ? "RUNNING" : "–");
          const rto = Object.entries(run.rtoMs ?? {})
            .map(([cell, ms]) => `${cell} ${formatDuration(Number(ms))}`)
            .join(", ");
          const checkers = Object.entries(run.checkers ?? {})
            .map(
              ([name, verdict]) =>
                `<span class="${/** @type {any} */ (verdict).valid ? "good" : "bad"}">${escapeHtml(name)} ${/** @type {any} */ (verdict).valid ? "✓" : "✗"}</span>`,
            )
            .join(" ");
          const progress = Math.max(0, Math.min(100, Number(run.progressPct ?? (run.state === "done" ? 100 : 0))));
          const stop = run.stop
            ? Object.entries(run.stop)
                .filter(([name, value]) => value !== null && name !== "windowMs")
                .map(([name, value]) => `${name} ${value}`)
                .join(", ")
            : "";
          const stopped = run.stoppedBy
            ? ` · <strong>stopped by ${escapeHtml(run.stoppedBy.condition)}</strong> (${escapeHtml(String(run.stoppedBy.value))} &gt; ${escapeHtml(String(run.stoppedBy.limit))} at ${formatDuration(Number(run.stoppedBy.atMs))})`
            : "";
          const running = run.state === "running";
          const abort = running
            ? ` <button type="button" class="danger" data-abort="${escapeHtml(run.id)}" data-testid="drill-abort-${escapeHtml(run.id)}" aria-label="Abort drill ${escapeHtml(run.id)}">Abort</button>`
            : "";
          // The server writes the report when the run ends: a link before that would answer 404.
          const report = running
            ? `<span class="muted" data-testid="report-pending-${escapeHtml(run.id)}">report when done (${progress}%)</span>`
            : `<a href="/api/v1/drills/runs/${encodeURIComponent(run.id)}/report" target="_blank" rel="noopener" data-testid="report-${escapeHtml(run.id)}">report</a>`;
          return (
            `<li data-testid="drill-outcome-${escapeHtml(run.id)}" data-outcome="${escapeHtml(run.outcome ?? "")}" data-state="${escapeHtml(run.state ?? "")}">` +
            `<code>${escapeHtml(run.id)}</code> <time class="wall-time" datetime="${escapeHtml(run.startedAt ?? "")}" title="started ${escapeHtml(run.startedAt ?? "?")} · simulated t=${formatDuration(Number(run.startedMs))}">${escapeHtml(formatWallTime(run.startedAt))}</time> ${escapeHtml(run.drill)} <span class="outcome ${escapeHtml(String(outcome).toLowerCase())}">${escapeHtml(outcome)}</span> ` +
            `<progress max="100" value="${progress}" aria-label="progress ${progress}%"></progress>${abort} ` +
            `<div class="run-detail">RTO ${escapeHtml(rto || "–")} · RPO ${run.lostAckedTransfers ?? "–"} lost acked · ${checkers || "checkers –"}` +
            `${stop ? ` · stop if ${escapeHtml(stop)}` : ""}${stopped}` +
            `${
              run.prediction
                ? ` · predicted ${escapeHtml(String(run.prediction.outcome))}, RTO ${escapeHtml(
                    Object.entries(run.prediction.rtoMs ?? {})
                      .map(([cell, ms]) => `${cell} ${formatDuration(Number(ms))}`)
                      .join(", ") || "–",
                  )}`
                : ""
            }` +
            `${(run.reasons ?? []).length ? ` · ${escapeHtml(run.reasons.join("; "))}` : ""} · ${report}</div></li>`
          );
        })
        .join("") || `<li class="muted">no runs yet</li>`;
    for (const button of runs.querySelectorAll("button[data-abort]")) {
      const id = /** @type {string} */ (/** @type {HTMLElement} */ (button).dataset.abort);
      button.addEventListener("click", () =>
        dialog.open({
          title: `Abort drill ${id}?`,
          description:
            "Heals the drill's faults at once, runs the checkers over what happened and ends the run ABORTED with your reason (audited).",
          confirmLabel: `Abort ${id}`,
          run: (/** @type {any} */ options) =>
            mutate("POST", `/api/v1/drills/runs/${encodeURIComponent(id)}/abort`, { reason: options.reason ?? "aborted from the UI" }),
          describeResult: (/** @type {any} */ run) => {
            if (run) upsertRun(store, run);
            hooks.redraw();
            return `drill ${id} aborted: its faults are healed`;
          },
        }),
      );
    }
  }

  /** The newest running run, with its drill's plan. */
  function activeRun() {
    const running = [...store.runs.values()]
      .filter((run) => run.state === "running")
      .sort((a, b) => (b.startedMs ?? 0) - (a.startedMs ?? 0))[0];
    if (!running) return null;
    return { run: running, drill: store.drills.find((d) => d.name === running.drill) ?? null };
  }

  let drawnTimeline = "";
  /** Structure (steps) on change; the countdown text every second through tick(). */
  function drawTimeline() {
    const active = activeRun();
    const key = active ? `${active.run.id}/${(active.drill?.steps ?? []).length}` : "";
    if (key !== drawnTimeline) {
      drawnTimeline = key;
      if (!active) {
        timeline.hidden = true;
        timeline.innerHTML = "";
      } else {
        const { run, drill } = active;
        timeline.hidden = false;
        timeline.dataset.run = run.id;
        timeline.innerHTML =
          `<div class="timeline-head"><strong>${escapeHtml(run.drill)}</strong> <code>${escapeHtml(run.id)}</code> running · ` +
          `<span data-testid="drill-next" class="countdown"></span> · <span data-testid="drill-left" class="countdown"></span></div>` +
          `<div class="expect" data-testid="drill-expect"></div>` +
          `<ol class="steps" data-testid="drill-steps">${(drill?.steps ?? [])
            .map(
              (/** @type {any} */ step, /** @type {number} */ index) =>
                `<li data-step="${index}" data-at-ms="${Number(step.atMs)}"><span class="at">t+${formatDuration(Number(step.atMs))}</span> ${escapeHtml(step.label)}</li>`,
            )
            .join("")}</ol>`;
      }
    }
    tick();
  }

  /** Countdown, step states and measurements; cheap enough for every second. */
  function tick() {
    const active = activeRun();
    if (!active || timeline.hidden) return;
    const { run, drill } = active;
    const elapsedMs = Math.max(0, simNowMs(store) - Number(run.startedMs ?? 0));
    const steps = drill?.steps ?? [];
    const next = steps.find((/** @type {any} */ step) => Number(step.atMs) > elapsedMs);
    const totalMs = Number(drill?.durationMs ?? NaN);
    const nextText = next ? `next: ${next.label} in ${formatDuration(Number(next.atMs) - elapsedMs)}` : "next: verdict any moment";
    const leftMs = Math.max(0, totalMs - elapsedMs);
    const nextElement = /** @type {HTMLElement} */ (timeline.querySelector('[data-testid="drill-next"]'));
    const leftElement = /** @type {HTMLElement} */ (timeline.querySelector('[data-testid="drill-left"]'));
    nextElement.textContent = nextText;
    nextElement.dataset.remainingMs = next ? String(Math.round(Number(next.atMs) - elapsedMs)) : "0";
    leftElement.textContent = Number.isFinite(totalMs) ? `${formatDuration(leftMs)} left` : "time left unknown";
    leftElement.dataset.remainingMs = Number.isFinite(totalMs) ? String(Math.round(leftMs)) : "";
    for (const item of timeline.querySelectorAll("li[data-step]")) {
      const at = Number(/** @type {HTMLElement} */ (item).dataset.atMs);
      item.className = at <= elapsedMs ? "done" : next && at === Number(next.atMs) ? "next" : "";
    }
    const expect = drill?.expect;
    const gap = longestLeaderGap(store, Number(run.startedMs ?? 0));
    const rtoLimit = expect && typeof expect.rtoMsMax === "number" ? expect.rtoMsMax : null;
    const rtoState = gap === null || rtoLimit === null ? "" : gap.ms <= rtoLimit ? "good" : "bad";
    const rtoText = rtoLimit === null ? "RTO not judged" : `RTO ≤ ${formatDuration(rtoLimit)}`;
    const measured =
      gap === null ? "no leaderless cell seen by this page" : `longest leaderless so far ${formatDuration(gap.ms)} (${gap.cell})`;
    /** @type {HTMLElement} */ (timeline.querySelector('[data-testid="drill-expect"]')).innerHTML =
      `<span>${escapeHtml(rtoText)}, measured: <span class="${rtoState}">${escapeHtml(measured)}</span></span> · ` +
      `<span>lost acked ≤ ${escapeHtml(expect?.lostAckedTransfersMax ?? "–")}, measured: ${escapeHtml(lostAckedText())}</span>` +
      `<div class="muted">the checkers' RTO and RPO arrive with the verdict${expect?.checkers?.length ? `: ${escapeHtml(expect.checkers.join(", "))}` : ""}</div>`;
  }

  /** The online checkers' figure, if this runtime has one. */
  function lostAckedText() {
    const value = store.consistency?.lostAckedTransfers;
    return value === null || value === undefined ? "judged at the end" : `${value} (online checker)`;
  }

  function drawSchedules() {
    scheduleRows.innerHTML = store.schedules
      .map(
        (s) =>
          `<tr data-testid="schedule-${escapeHtml(s.id)}"><td>${escapeHtml(s.drill)}</td><td><code>${escapeHtml(s.cron)}</code></td>` +
          `<td>${typeof s.nextRunMs === "number" ? `t=${formatDuration(s.nextRunMs)}` : "–"}</td><td>${s.enabled ? "yes" : "no"}</td>` +
          `<td><button type="button" data-edit="${escapeHtml(s.id)}">Edit</button> <button type="button" data-delete="${escapeHtml(s.id)}">Delete</button></td></tr>`,
      )
      .join("");
    for (const button of scheduleRows.querySelectorAll("button[data-edit]")) {
      button.addEventListener("click", () => {
        const schedule = store.schedules.find((s) => s.id === /** @type {HTMLElement} */ (button).dataset.edit);
        if (!schedule) return;
        field("schedule-id").value = schedule.id;
        scheduleDrill.value = schedule.drill;
        field("schedule-cron").value = schedule.cron;
        field("schedule-max").value = schedule.maxDurationMs ? String(schedule.maxDurationMs / 1000) : "";
        field("schedule-allowed").value = JSON.stringify(schedule.allowedWindows ?? []);
        field("schedule-blocked").value = JSON.stringify(schedule.blockedWindows ?? []);
        field("schedule-enabled").checked = schedule.enabled !== false;
      });
    }
    for (const button of scheduleRows.querySelectorAll("button[data-delete]")) {
      button.addEventListener("click", () => {
        const id = /** @type {string} */ (/** @type {HTMLElement} */ (button).dataset.delete);
        mutate("DELETE", `/api/v1/schedules/${encodeURIComponent(id)}`)
          .then(() => {
            hooks.toast(`deleted schedule ${id}`);
            hooks.onChange();
          })
          .catch((/** @type {Error} */ failure) => {
            scheduleError.textContent = failure.message;
          });
      });
    }
  }

  /** @param {string} id @returns {unknown} */
  function parseWindows(id) {
    const text = field(id).value.trim();
    if (text === "") return undefined;
    try {
      return JSON.parse(text);
    } catch {
      throw new Error(`${id.replace("schedule-", "")}Windows: expected a JSON array`);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    scheduleError.textContent = "";
    /** @type {Record<string, unknown>} */
    let body;
    try {
      body = { drill: scheduleDrill.value, cron: field("schedule-cron").value.trim(), enabled: field("schedule-enabled").checked };
      const allowed = parseWindows("schedule-allowed");
      const blocked = parseWindows("schedule-blocked");
      if (allowed !== undefined) body.allowedWindows = allowed;
      if (blocked !== undefined) body.blockedWindows = blocked;
      const maxSeconds = Number(field("schedule-max").value);
      if (field("schedule-max").value !== "") {
        if (!Number.isFinite(maxSeconds) || maxSeconds <= 0) throw new Error("maxDurationMs: expected a positive number of seconds");
        body.maxDurationMs = Math.round(maxSeconds * 1000);
      }
    } catch (failure) {
      scheduleError.textContent = failure instanceof Error ? failure.message : String(failure);
      return;
    }
    const id = field("schedule-id").value;
    const request = id ? mutate("PUT", `/api/v1/schedules/${encodeURIComponent(id)}`, body) : mutate("POST", "/api/v1/schedules", body);
    request
      .then(() => {
        hooks.toast(id ? `updated schedule ${id}` : "created schedule");
        form.reset();
        field("schedule-id").value = "";
        hooks.onChange();
      })
      .catch((/** @type {Error} */ failure) => {
        scheduleError.textContent = failure.message;
      });
  });
  /** @type {HTMLButtonElement} */ (document.getElementById("schedule-new")).addEventListener("click", () => {
    form.reset();
    field("schedule-id").value = "";
  });

  return {
    draw() {
      drawDrillList();
      drawRuns();
      drawTimeline();
      drawSchedules();
    },
    tick,
  };
}

/** A run's sequence: `seq`, or the number in its id (`r-12`) from an older controller. @param {any} run */
function runSeq(run) {
  if (typeof run.seq === "number") return run.seq;
  const match = /(\d+)$/.exec(String(run.id));
  return match ? Number(match[1]) : 0;
}
