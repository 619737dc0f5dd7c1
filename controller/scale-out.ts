// Automatic scale-out (issue 18, as eBay's ledger adds Raft groups as traffic grows): when a
// cell's offered load stays above `scaleOutFraction` of its admission budget for `sustainMs`, add a
// cell and move the upper half of that cell's shards to it (under a uniform per-shard load, as the
// workload draws users, the hottest shards are any half; per-shard figures would pick them by load).
// When a cell this policy added has carried less than `consolidateFraction` of the budget for
// `consolidateSustainMs`, and the two cells together would stay below the scale-out line, its
// shards go back to the cell they came from and it is removed.
// Every step goes through ElasticCells, so it is audited (actor "scale-out") and obeys the same
// safety rules as an operator's move (no move while a leader's region is evacuated or a quorum is
// missing); a refusal is simply tried again at a later period. One action at a time.
// The cells it added are recorded in the control log (ScaleOutJournal; controller/elastic-journal.ts),
// so a restarted controller's policy reads them back before it acts and still consolidates them.

import type { Clock } from "../ground/ports.js";
import type { ElasticCells } from "./elastic.js";
import type { ScaleOutConfig } from "../domain/config.js";
import type { ControlScaleOutCell } from "./control/state-machine.js";
import type { DrillScaleOut } from "../chaos/drill/format.js";

/** Where the policy records the cells it added (the control log on a running world). */
export interface ScaleOutJournal {
  record(entry: ControlScaleOutCell, callback: (ok: boolean) => void): void;
  /** The cells recorded as added (not removed), or null while the log cannot be read (no control leader). */
  added(): readonly ControlScaleOutCell[] | null;
}

export interface ScaleOutOptions {
  /** Offered ops/s per cell the admission budget allows. */
  readonly budgetOpsPerSecond: number;
  readonly scaleOutFraction: number;
  readonly sustainMs: number;
  readonly consolidateFraction: number;
  readonly consolidateSustainMs: number;
  readonly periodMs: number;
  readonly cellsMax: number;
}

export const defaultScaleOutOptions: Omit<ScaleOutOptions, "budgetOpsPerSecond"> = {
  scaleOutFraction: 0.8,
  sustainMs: 3_000,
  consolidateFraction: 0.3,
  consolidateSustainMs: 20_000,
  periodMs: 500,
  cellsMax: 12,
};

/** The policy's options from a world's `scaleOut` section (domain/config.ts); the budget defaults to the gateways' per-cell admission rate. */
export function scaleOutOptionsOf(config: ScaleOutConfig, admissionOpsPerSecond: number): ScaleOutOptions {
  return {
    budgetOpsPerSecond: config.budgetOpsPerSecond ?? admissionOpsPerSecond,
    scaleOutFraction: config.threshold ?? defaultScaleOutOptions.scaleOutFraction,
    sustainMs: config.sustainMs ?? defaultScaleOutOptions.sustainMs,
    consolidateFraction: config.consolidateThreshold ?? defaultScaleOutOptions.consolidateFraction,
    consolidateSustainMs: config.consolidateSustainMs ?? defaultScaleOutOptions.consolidateSustainMs,
    periodMs: config.periodMs ?? defaultScaleOutOptions.periodMs,
    cellsMax: config.cellsMax ?? defaultScaleOutOptions.cellsMax,
  };
}

/** The policy's options under a drill's `scaleOut` section (chaos/drill/format.ts): its budget, line and sustain over `base`. */
export function scaleOutOptionsOfDrill(
  section: DrillScaleOut,
  base: Omit<ScaleOutOptions, "budgetOpsPerSecond"> = defaultScaleOutOptions,
): ScaleOutOptions {
  return {
    ...base,
    budgetOpsPerSecond: section.budgetOpsPerSecond,
    scaleOutFraction: section.threshold,
    sustainMs: section.sustainUs / 1000,
  };
}

export interface ScaleOutDependencies {
  readonly clock: Clock;
  readonly elastic: ElasticCells;
  /** The cells and the shards each owns now. */
  cells(): readonly { readonly id: string; readonly shards: readonly number[] }[];
  /** Offered load of a cell (served + shed), ops/s, smoothed. */
  opsPerSecond(cell: string): number;
  /** Absent: the policy remembers its cells only while it runs. */
  readonly journal?: ScaleOutJournal;
}

export interface ScaleOutAction {
  readonly atMs: number;
  readonly kind: "scale-out" | "consolidate";
  readonly cell: string;
  readonly detail: string;
}

export class ScaleOutPolicy {
  /** Since when (ms) each cell has been above the scale-out line / a policy-added cell below the consolidation line. */
  private readonly hotSinceMs = new Map<string, number>();
  private readonly coldSinceMs = new Map<string, number>();
  /** Cells this policy added -> the cell (and range) their shards came from. */
  private readonly added = new Map<string, { readonly from: string; readonly first: number; readonly last: number }>();
  private busy = false;
  /** Whether the cells recorded by an earlier incarnation were read back (true at once without a journal). */
  private restored: boolean;
  /** Records the journal refused (no quorum in time): recorded again at the next period. */
  private unrecorded: ControlScaleOutCell[] = [];
  private timer: ReturnType<Clock["setTimer"]> | null = null;
  readonly actions: ScaleOutAction[] = [];

  constructor(
    private options: ScaleOutOptions,
    private readonly dependencies: ScaleOutDependencies,
  ) {
    this.restored = dependencies.journal === undefined;
  }

  start(): void {
    if (this.timer !== null) return;
    const tick = (): void => {
      this.timer = this.dependencies.clock.setTimer(this.options.periodMs * 1000, tick);
      this.evaluate();
    };
    this.timer = this.dependencies.clock.setTimer(this.options.periodMs * 1000, tick);
  }

  stop(): void {
    if (this.timer !== null) this.dependencies.clock.cancelTimer(this.timer);
    this.timer = null;
  }

  get settings(): ScaleOutOptions {
    return this.options;
  }

  /** New settings from the next period on (a drill's scaleOut section while it runs); the cells it added stay its own. */
  retune(options: ScaleOutOptions): void {
    this.options = options;
  }

  /** GET /api/v1/scale-out: the settings, the cells above the line (since when), the cells it added, its recent actions. */
  status(): {
    readonly enabled: true;
    readonly options: ScaleOutOptions;
    readonly hot: Record<string, number>;
    readonly added: Record<string, { readonly from: string; readonly first: number; readonly last: number }>;
    readonly busy: boolean;
    /** False until the cells recorded in the control log were read back (it acts only after). */
    readonly restored: boolean;
    readonly actions: readonly ScaleOutAction[];
  } {
    return {
      enabled: true,
      options: this.options,
      hot: Object.fromEntries(this.hotSinceMs),
      added: Object.fromEntries(this.added),
      busy: this.busy,
      restored: this.restored,
      actions: [...this.actions].reverse(),
    };
  }

  private nowMs(): number {
    return Math.floor(this.dependencies.clock.nowUs() / 1000);
  }

  private record(kind: ScaleOutAction["kind"], cell: string, detail: string): void {
    this.actions.push({ atMs: this.nowMs(), kind, cell, detail });
    if (this.actions.length > 256) this.actions.shift();
  }

  /** Reads back the cells an earlier incarnation recorded (those still placed); false while the log cannot be read. */
  private restore(cells: readonly { readonly id: string }[]): boolean {
    if (this.restored) return true;
    const recorded = this.dependencies.journal?.added() ?? null;
    if (recorded === null) return false;
    for (const entry of recorded) {
      if (this.added.has(entry.cell) || !cells.some((cell) => cell.id === entry.cell)) continue;
      this.added.set(entry.cell, { from: entry.from, first: entry.first, last: entry.last });
    }
    this.restored = true;
    return true;
  }

  private persist(entry: ControlScaleOutCell): void {
    const journal = this.dependencies.journal;
    if (journal === undefined) return;
    journal.record(entry, (ok) => {
      if (!ok) this.unrecorded.push(entry);
    });
  }

  /** One period: at most one action starts. */
  evaluate(): void {
    const now = this.nowMs();
    const { budgetOpsPerSecond, scaleOutFraction, consolidateFraction } = this.options;
    const cells = this.dependencies.cells();
    // Nothing is decided before the cells an earlier incarnation added are known (else one would never be consolidated).
    if (!this.restore(cells)) return;
    if (this.unrecorded.length > 0) {
      const retry = this.unrecorded;
      this.unrecorded = [];
      for (const entry of retry) this.persist(entry);
    }
    let hottest: { id: string; load: number; shards: readonly number[] } | null = null;
    for (const cell of cells) {
      const load = this.dependencies.opsPerSecond(cell.id);
      if (load > scaleOutFraction * budgetOpsPerSecond && cell.shards.length >= 2) {
        if (!this.hotSinceMs.has(cell.id)) this.hotSinceMs.set(cell.id, now);
        if (now - (this.hotSinceMs.get(cell.id) as number) >= this.options.sustainMs && (hottest === null || load > hottest.load))
          hottest = { id: cell.id, load, shards: cell.shards };
      } else this.hotSinceMs.delete(cell.id);
      if (this.added.has(cell.id) && load < consolidateFraction * budgetOpsPerSecond) {
        if (!this.coldSinceMs.has(cell.id)) this.coldSinceMs.set(cell.id, now);
      } else this.coldSinceMs.delete(cell.id);
    }
    if (this.busy) return;
    if (hottest !== null && cells.length < this.options.cellsMax) return this.scaleOut(hottest.id, hottest.load);
    for (const [cell, since] of this.coldSinceMs) {
      if (now - since < this.options.consolidateSustainMs) continue;
      // Hysteresis: give the shards back only if the merged cell would stay below the scale-out
      // line (else the next period would split it again).
      const origin = this.added.get(cell);
      const merged = this.dependencies.opsPerSecond(cell) + (origin === undefined ? 0 : this.dependencies.opsPerSecond(origin.from));
      if (merged < scaleOutFraction * budgetOpsPerSecond) return this.consolidate(cell);
    }
  }

  private scaleOut(cell: string, load: number): void {
    this.busy = true;
    this.hotSinceMs.delete(cell);
    const reason = `scale-out: ${cell} offered ${Math.round(load)} ops/s > ${this.options.scaleOutFraction} x budget ${this.options.budgetOpsPerSecond} for ${this.options.sustainMs} ms`;
    this.dependencies.elastic.splitCell({ cell, reason, actor: "scale-out" }, (result) => {
      this.busy = false;
      if (!result.ok) {
        this.record("scale-out", cell, `refused: ${result.error}`);
        return;
      }
      const move = result.value.move;
      if (move.state === "cut-over") {
        this.added.set(result.value.cell, { from: cell, first: move.first, last: move.last });
        this.persist({ cell: result.value.cell, from: cell, first: move.first, last: move.last, state: "added", atMs: this.nowMs() });
      }
      this.record("scale-out", cell, `${result.value.cell} took ${move.first}..${move.last} (${move.state}, ${move.durationMs} ms)`);
    });
  }

  private consolidate(cell: string): void {
    const origin = this.added.get(cell);
    if (origin === undefined) return;
    this.busy = true;
    this.coldSinceMs.delete(cell);
    const reason = `consolidate: ${cell} below ${this.options.consolidateFraction} x budget for ${this.options.consolidateSustainMs} ms`;
    const { elastic } = this.dependencies;
    elastic.moveShards({ shards: `${origin.first}..${origin.last}`, to: origin.from, reason, actor: "scale-out" }, (moved) => {
      if (!moved.ok || moved.value.state !== "cut-over") {
        this.busy = false;
        this.record("consolidate", cell, `move back refused or rolled back: ${moved.ok ? moved.value.error : moved.error}`);
        return;
      }
      const removed = elastic.removeCell({ cell, reason, actor: "scale-out" });
      this.busy = false;
      if (removed.ok) {
        this.added.delete(cell);
        // A record of the cell still waiting to be written is moot now; the removal wins (cell ids are never reused).
        this.unrecorded = this.unrecorded.filter((entry) => entry.cell !== cell);
        this.persist({ cell, ...origin, state: "removed", atMs: this.nowMs() });
      }
      this.record("consolidate", cell, removed.ok ? `shards back to ${origin.from}, ${cell} removed` : `not removed: ${removed.error}`);
    });
  }
}
