// Rehearsal: run an action or a drill in a fresh simulated copy of the running world and answer
// with what it would do (RTO per cell, error rate, p99, shed requests, lost transfers, a refusal),
// without touching the running world. No chaos platform can say beforehand what a failover will
// do; we own a deterministic simulator of the same world, so we can.
//
// The copy is built from the same configuration and seed, then brought to the running world's
// state: leaders moved onto the same replicas, the same routing (cells and drained regions), the
// same active faults with their remaining leases, the measured load, and the memory of recent
// actions (so a wait-period refusal is predicted). It differs in what a fresh world cannot have:
// the ledgers' history (new accounts, empty ledgers) and the victims a fault's `select` picks (the
// same seeded draw, but in a new world). It runs in slices that yield to the event loop, so
// the API and the running world stay responsive while it works.
import { checkAvailability, type CellAvailability } from "../../harness/checkers/availability.js";
import { pairHistory, type Op } from "../../harness/history.js";
import type {
  ActionOutcome,
  ActionRequest,
  AuditDraftInput,
  CapacityFigures,
  DrillRunRecord,
  RehearsalRequest,
  Result,
} from "../../domain/records.js";
import type { ControllerSetup, SetupOptions } from "./controller-setup-types.js";
import { PREDICTION_FRESH_MS } from "../../controller/controller.js";

/** The copy's load runs this long before the action: the baseline its figures start from. */
export const REHEARSAL_BASELINE_US = 2_000_000;
/** After the action (or drill) ends: how long its consequences are watched. */
export const REHEARSAL_OBSERVE_US = 5_000_000;
/** Then a little more, so an acknowledged transfer the copy lost can be counted (the online check's grace). */
export const REHEARSAL_LOST_GRACE_US = 3_500_000;
/** Bound on an action in the copy (a restore waits for catch-up per cell). */
export const REHEARSAL_ACTION_US_MAX = 60_000_000;
/** Bound on a drill in the copy beyond its own duration. */
export const REHEARSAL_DRILL_EXTRA_US_MAX = 60_000_000;
/** Simulated time per slice before yielding to the event loop. */
export const REHEARSAL_SLICE_US = 50_000;
/** Predictions kept for comparison with the real action that follows. */
export const PREDICTIONS_KEPT_MAX = 32;

export type { RehearsalRequest };

export interface OutcomeFigures {
  /** Per affected cell: action start to the first acknowledged operation invoked after it (null: none). */
  readonly rtoMs: Readonly<Record<string, number | null>>;
  /** Operations invoked from the action's start to the end of the watch: failed or unknown / all. */
  readonly errorRate: number;
  readonly p99Ms: number | null;
  readonly operations: number;
}

export interface Prediction extends OutcomeFigures {
  readonly request: RehearsalRequest;
  readonly seed: number;
  /** What the copy was built from. */
  readonly basedOn: {
    readonly atMs: number;
    readonly routingVersion: number;
    readonly drained: readonly string[];
    readonly faults: readonly string[];
    readonly leaders: Readonly<Record<string, string | null>>;
    readonly loadOpsPerSecond: number;
  };
  readonly outcome: "ok" | "refused" | "failed" | "partial" | "SUCCEEDED" | "FAILED" | "INTERRUPTED" | "ABORTED";
  readonly refused: { readonly rule: string | null; readonly error: string; readonly figures?: CapacityFigures } | null;
  /** The running world's routing version this action would produce. */
  readonly routingVersionAfter: number;
  readonly actionMs: number | null;
  readonly shedRequests: number;
  readonly lostAckedTransfers: number | null;
  readonly drill: {
    readonly outcome: DrillRunRecord["outcome"];
    readonly rtoMs: Readonly<Record<string, number | null>>;
    readonly reasons: readonly string[];
    readonly lostAckedTransfers: number | null;
  } | null;
  readonly simulatedMs: number;
  readonly wallMs: number;
}

export interface RehearsalDependencies {
  readonly source: ControllerSetup;
  /** Builds the throwaway copy (controller-setup.ts's setupController, passed in so the two modules do not import each other). */
  readonly setupCopy: (options: SetupOptions) => ControllerSetup;
  /** Yields to the event loop between slices. */
  readonly yieldNow: () => Promise<void>;
  readonly wallNowMs: () => number;
}

type Bad = { readonly ok: false; readonly code: "INVALID" | "CONFLICT"; readonly error: string; readonly field?: string };

function validate(source: ControllerSetup, request: RehearsalRequest): Bad | null {
  const topology = source.virtual.cluster.topology;
  if (request.drill !== undefined) {
    if (!source.controller.drills().some((drill) => drill.name === request.drill))
      return {
        ok: false,
        code: "INVALID",
        error: `drill: one of the drills of GET /api/v1/drills, got ${JSON.stringify(request.drill)}`,
        field: "drill",
      };
    return null;
  }
  const action = request.action;
  if (action.kind === "failover") {
    if (source.virtual.cluster.cell(action.target) === undefined)
      return { ok: false, code: "INVALID", error: `action.target: a cell, got ${JSON.stringify(action.target)}`, field: "action.target" };
    if (
      action.to === undefined ||
      !topology.regions.some((region) => region.name === action.to || region.datacenters.includes(action.to as string))
    )
      return {
        ok: false,
        code: "INVALID",
        error: `action.to: a region or datacenter name, got ${JSON.stringify(action.to)}`,
        field: "action.to",
      };
  } else if (!topology.regions.some((region) => region.name === action.target)) {
    return { ok: false, code: "INVALID", error: `action.target: a region, got ${JSON.stringify(action.target)}`, field: "action.target" };
  }
  return null;
}

/** RTO per cell, error rate and p99 of the operations invoked from `startUs` on, as the drills measure them. */
export function outcomeFigures(history: readonly Op[], startUs: number, endUs: number, cells: readonly string[]): OutcomeFigures {
  const availability = checkAvailability(history, [{ id: "action", kind: "action", startUs, endUs: Math.max(startUs, endUs), cells }]);
  const rtoMs: Record<string, number | null> = {};
  for (const cell of (availability.windows[0]?.cells ?? []) as CellAvailability[])
    rtoMs[cell.cell] = cell.rtoUs === null ? null : Math.round(cell.rtoUs) / 1000;
  let operations = 0;
  let errors = 0;
  const latencies: number[] = [];
  for (const op of pairHistory(history)) {
    if (op.f === "open" || (op.invoke.time ?? 0) < startUs) continue;
    operations++;
    if (op.type !== "ok") errors++;
    else if (op.completion !== null) latencies.push((op.completion.time ?? 0) - (op.invoke.time ?? 0));
  }
  latencies.sort((a, b) => a - b);
  const p99Us =
    latencies.length === 0 ? null : (latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * 0.99) - 1)] as number);
  return {
    rtoMs,
    errorRate: operations === 0 ? 0 : Math.round((errors / operations) * 10_000) / 10_000,
    p99Ms: p99Us === null ? null : Math.round(p99Us) / 1000,
    operations,
  };
}

/** Cells an action moves: the failed-over cell, or every cell routed to / led from the region. */
export function affectedCells(setup: ControllerSetup, action: Omit<ActionRequest, "actor">): string[] {
  if (action.kind === "failover") return [action.target];
  return setup.virtual.cluster
    .cells()
    .filter(
      (cell) =>
        setup.routing.regionOfCell(cell.id) === action.target ||
        cell.leader?.region === action.target ||
        (action.kind === "restore" && cell.preferredRegion === action.target),
    )
    .map((cell) => cell.id);
}

async function runCopy(
  copy: ControllerSetup,
  untilUs: number,
  dependencies: RehearsalDependencies,
  done: () => boolean = () => false,
): Promise<void> {
  while (copy.virtual.nowUs() < untilUs && !done()) {
    copy.virtual.runUntil(Math.min(untilUs, copy.virtual.nowUs() + REHEARSAL_SLICE_US));
    await dependencies.yieldNow();
  }
}

/** Builds the copy of the running world: same config and seed, then its leaders, routing, faults and load. */
async function buildCopy(
  source: ControllerSetup,
  dependencies: RehearsalDependencies,
): Promise<{ copy: ControllerSetup; basedOn: Prediction["basedOn"]; recentActions: ReadonlyMap<string, number> }> {
  const routing = source.routing.snapshot();
  const cells = source.virtual.cluster.cells();
  const faults = source.faults.active();
  const measured = Object.values(source.controller.load.snapshot()).reduce((sum, value) => sum + value, 0);
  const sourceNowMs = Math.floor(source.virtual.nowUs() / 1000);
  // How long ago each target was acted on: the copy's wait-period rule sees the same memory.
  const recentActions = new Map([...source.controller.actions.lastActions()].map(([target, atMs]) => [target, sourceNowMs - atMs]));
  const loadOpsPerSecond = Math.max(
    1,
    Math.round(measured > 0 ? measured : (source.options.opsPerSecond ?? source.virtual.config.workload.opsPerSecond)),
  );
  const basedOn = {
    atMs: Math.floor(source.virtual.nowUs() / 1000),
    routingVersion: routing.version,
    drained: routing.drained,
    faults: faults.map((fault) => `${fault.id} ${fault.type}`),
    leaders: Object.fromEntries(cells.map((cell) => [cell.id, cell.leader?.replica ?? null])),
    loadOpsPerSecond,
  };
  const copy = dependencies.setupCopy({ ...source.options, dataDirectory: null, opsPerSecond: loadOpsPerSecond });
  // Leaders onto the same replicas as in the running world.
  let pending = 0;
  for (const cell of cells) {
    const wanted = cell.leader?.replica;
    const current = copy.virtual.cluster.cell(cell.id)?.leader?.replica;
    if (wanted === undefined || wanted === current) continue;
    pending++;
    copy.virtual.cluster.transferLeadership(cell.id, wanted, 3_000_000, () => pending--);
  }
  await runCopy(copy, copy.virtual.nowUs() + 5_000_000, dependencies, () => pending === 0);
  const nowMs = Math.floor(copy.virtual.nowUs() / 1000);
  copy.routing.update({ cells: routing.cells, drain: routing.drained }, "rehearsal: the running world's routing", nowMs);
  for (const fault of faults)
    copy.controller.injectFault(
      {
        type: fault.type,
        target: fault.target,
        ...(fault.params === undefined ? {} : { params: fault.params }),
        leaseMs: Math.max(1, fault.remainingMs),
      },
      "rehearsal",
    );
  copy.virtual.startWorkload({ sink: copy.sink });
  await runCopy(copy, copy.virtual.nowUs() + REHEARSAL_BASELINE_US, dependencies);
  return { copy, basedOn, recentActions };
}

export async function rehearse(request: RehearsalRequest, dependencies: RehearsalDependencies): Promise<Result<Prediction>> {
  const source = dependencies.source;
  const bad = validate(source, request);
  if (bad !== null) return bad;
  const wallStartMs = dependencies.wallNowMs();
  const { copy, basedOn, recentActions } = await buildCopy(source, dependencies);
  try {
    const versionBefore = copy.routing.version;
    const copyStartUs = copy.virtual.nowUs();
    let shedRequests = 0;
    const unsubscribe = copy.controller.subscribe((event) => {
      if (event.type !== "traffic") return;
      for (const cell of Object.values((event as unknown as { cells: Record<string, { shed: number }> }).cells)) shedRequests += cell.shed;
    });
    const lostBefore = copy.consistency.snapshot().lostAckedTransfers ?? 0;
    const startUs = copy.virtual.nowUs();
    let outcome: ActionOutcome | null = null;
    let run: DrillRunRecord | null = null;
    let cells: string[];
    if (request.action !== undefined) {
      cells = affectedCells(copy, request.action);
      const copyNowMs = Math.floor(copy.virtual.nowUs() / 1000);
      for (const [target, agoMs] of recentActions) copy.controller.actions.rememberAction(target, copyNowMs - agoMs);
      copy.controller.act({ ...request.action, actor: "rehearsal" }, (answer) => (outcome = answer));
      await runCopy(copy, startUs + REHEARSAL_ACTION_US_MAX, dependencies, () => outcome !== null);
    } else {
      const started = copy.controller.runDrill(request.drill, { actor: "rehearsal" });
      cells = copy.virtual.cluster.cells().map((cell) => cell.id);
      if (!started.ok)
        outcome = { ok: false, code: started.code, error: started.error, ...(started.rule === undefined ? {} : { rule: started.rule }) };
      else {
        const id = started.value.id;
        const durationUs = (copy.controller.drills().find((drill) => drill.name === request.drill)?.durationMs ?? 0) * 1000;
        await runCopy(
          copy,
          startUs + durationUs + REHEARSAL_DRILL_EXTRA_US_MAX,
          dependencies,
          () => copy.controller.drillRun(id)?.state === "done",
        );
        run = copy.controller.drillRun(id) ?? null;
      }
    }
    const endUs = copy.virtual.nowUs();
    await runCopy(copy, endUs + REHEARSAL_OBSERVE_US, dependencies);
    const figures = outcomeFigures(copy.virtual.recorder.since(startUs - REHEARSAL_BASELINE_US), startUs, endUs, cells);
    await runCopy(copy, copy.virtual.nowUs() + REHEARSAL_LOST_GRACE_US, dependencies);
    unsubscribe();
    const lostAfter = copy.consistency.snapshot().lostAckedTransfers;
    const answered = outcome as ActionOutcome | null;
    const refused =
      answered !== null && !answered.ok
        ? { rule: answered.rule ?? null, error: answered.error, ...(answered.figures === undefined ? {} : { figures: answered.figures }) }
        : null;
    const actionOutcome: Prediction["outcome"] =
      run !== null
        ? (run.outcome ?? "FAILED")
        : answered === null
          ? "failed"
          : answered.ok
            ? "ok"
            : answered.code === "CONFLICT"
              ? "refused"
              : "failed";
    return {
      ok: true,
      value: {
        request,
        seed: copy.virtual.seed,
        basedOn,
        outcome: actionOutcome,
        refused,
        routingVersionAfter: basedOn.routingVersion + (copy.routing.version - versionBefore),
        actionMs: answered === null && run === null ? null : Math.round(endUs - startUs) / 1000,
        ...figures,
        shedRequests,
        lostAckedTransfers: lostAfter === null ? null : lostAfter - lostBefore,
        drill:
          run === null
            ? null
            : { outcome: run.outcome, rtoMs: run.rtoMs, reasons: run.reasons, lostAckedTransfers: run.lostAckedTransfers },
        simulatedMs: Math.round((copy.virtual.nowUs() - copyStartUs) / 1000),
        wallMs: Math.round(dependencies.wallNowMs() - wallStartMs),
      },
    };
  } finally {
    copy.close();
  }
}

/**
 * Keeps the latest prediction per action and, when that action then really happens, measures the
 * running world the same way and records prediction and measurement side by side in the audit.
 */
export class PredictionLedger {
  private readonly latest = new Map<string, Prediction>();

  constructor(
    private readonly source: ControllerSetup,
    private readonly appendAudit: (entry: AuditDraftInput) => void,
  ) {
    source.controller.subscribe((event) => {
      if (event.type !== "audit" || event.entry.kind !== "action") return;
      const entry = event.entry;
      const key = `${entry.action}:${entry.target}`;
      const prediction = this.latest.get(key);
      if (prediction === undefined || entry.atMs - prediction.basedOn.atMs > PREDICTION_FRESH_MS) return;
      this.latest.delete(key);
      const startedMs = (entry.details as { startedMs?: number } | undefined)?.startedMs ?? entry.atMs;
      // The cells the prediction judged: after the action they are no longer where it found them.
      const cells = Object.keys(prediction.rtoMs);
      const clock = source.virtual.cluster.clock;
      clock.setTimer(REHEARSAL_OBSERVE_US, () => {
        const fromUs = startedMs * 1000 - REHEARSAL_BASELINE_US;
        const recorder = source.virtual.recorder;
        // A running world keeps a window of its history: an action too long for it is not measured on what is left.
        const measured = recorder.holdsSince(fromUs)
          ? outcomeFigures(recorder.since(fromUs), startedMs * 1000, entry.atMs * 1000, cells)
          : null;
        this.appendAudit({
          atMs: Math.floor(clock.nowUs() / 1000),
          actor: "rehearsal",
          kind: "action",
          action: `${entry.action}-measured`,
          target: entry.target,
          reason: entry.reason,
          outcome: entry.outcome,
          rule: null,
          overrodeRule: null,
          routingVersionBefore: entry.routingVersionBefore,
          routingVersionAfter: entry.routingVersionAfter,
          details: {
            audit: entry.id,
            predicted: {
              outcome: prediction.outcome,
              rtoMs: prediction.rtoMs,
              errorRate: prediction.errorRate,
              p99Ms: prediction.p99Ms,
              actionMs: prediction.actionMs,
              routingVersionAfter: prediction.routingVersionAfter,
              shedRequests: prediction.shedRequests,
              lostAckedTransfers: prediction.lostAckedTransfers,
            },
            measured: {
              outcome: entry.outcome,
              rtoMs: measured?.rtoMs ?? null,
              errorRate: measured?.errorRate ?? null,
              p99Ms: measured?.p99Ms ?? null,
              actionMs: entry.atMs - startedMs,
              routingVersionAfter: entry.routingVersionAfter,
              ...(measured === null && {
                unmeasured: `the world's history no longer holds the action's window (from ${Math.round(fromUs / 1000)} ms): it keeps the last seconds only`,
              }),
            },
          },
        });
      });
    });
  }

  remember(prediction: Prediction): void {
    const action = prediction.request.action;
    if (action === undefined) return;
    const key = `${action.kind}:${action.target}`;
    this.latest.delete(key);
    this.latest.set(key, prediction);
    if (this.latest.size > PREDICTIONS_KEPT_MAX) this.latest.delete(this.latest.keys().next().value as string);
  }
}
