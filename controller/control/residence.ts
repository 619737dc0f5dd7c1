// Where the controller's decision loop runs (docs/architecture.md "The control plane"): on the
// current control leader's host. The loop (reconciler, schedules, automatic routing, drills, fault
// leases) has a host only while the control group has a leader whose process runs; without one it
// is paused (nothing decides, nothing is half-done). When leadership moves to another host, or the
// leader's process restarted, the loop moves with it: the old process is gone with everything it
// held only in memory, and the new leader resumes from the replicated state. A running drill is
// RESUMED when the new leader's log vouches for it: its run is recorded running with its seed and
// start, which with the drill's definition fix its whole timeline (which faults are active when,
// which buttons are pressed when); the new leader adopts the faults it has active (their leases,
// leases.ts). A run the log does not have (it started just before the old leader died, before
// its record was committed) ends INTERRUPTED with its faults healed. Never left running unvouched.
import type { Clock, TimerHandle } from "../../ground/ports.js";
import type { AuditDraft } from "../ports.js";
import type { DrillRunRecord } from "../../domain/records.js";
import type { ControlPlane } from "./plane.js";

export const RESIDENCE_PERIOD_US = 100_000;

export interface ResidenceDependencies {
  readonly clock: Clock;
  readonly plane: Pick<ControlPlane, "status" | "leaderState">;
  /** How many times a control replica's process has started (a restart is a new process, its memory gone). */
  readonly incarnation: (host: string) => number;
  readonly drillRuns: () => readonly DrillRunRecord[];
  /** The ids of the active faults a drill run injected (origin drill:<run id>). */
  readonly drillFaults: (runId: string) => readonly string[];
  /** Ends the running drill INTERRUPTED, its faults healed. */
  readonly interruptDrill: (reason: string) => void;
  readonly audit: (entry: AuditDraft) => void;
}

export interface Handover {
  readonly atMs: number;
  readonly from: string | null;
  readonly to: string;
  readonly term: number;
  readonly resumed: readonly string[];
  readonly interrupted: readonly string[];
}

/** Handovers remembered for the API and tests (oldest forgotten first). */
export const handoversKeptMax = 64;

export class ControllerResidence {
  /** The host the loop runs on ("<replica>#<incarnation>"), null while it has none. */
  private residence: string | null = null;
  /** The last host it ran on (kept while it has none, to tell a return to the same process from a move). */
  private lastResidence: string | null = null;
  private lastHost: string | null = null;
  private timer: TimerHandle | null = null;
  private readonly moves: Handover[] = [];

  constructor(private readonly dependencies: ResidenceDependencies) {}

  /** The control replica whose host runs the decision loop now (null: none, the loop is paused). */
  get host(): string | null {
    return this.residence === null ? null : this.lastHost;
  }

  /** The loop has a host: the controller may decide (reconcile, fire schedules, move routing). */
  get hosted(): boolean {
    return this.residence !== null;
  }

  handovers(): readonly Handover[] {
    return this.moves;
  }

  start(): void {
    if (this.timer !== null) return;
    this.step();
    const tick = (): void => {
      this.timer = this.dependencies.clock.setTimer(RESIDENCE_PERIOD_US, tick);
      this.step();
    };
    this.timer = this.dependencies.clock.setTimer(RESIDENCE_PERIOD_US, tick);
  }

  stop(): void {
    if (this.timer !== null) this.dependencies.clock.cancelTimer(this.timer);
    this.timer = null;
  }

  /** One period: follow the control leader (one with a quorum; an isolated leader hosts nothing). */
  step(): void {
    const status = this.dependencies.plane.status();
    const leader = status.quorum ? status.leader : null;
    if (leader === null) {
      this.residence = null;
      return;
    }
    const residence = `${leader}#${this.dependencies.incarnation(leader)}`;
    this.residence = residence;
    if (residence === this.lastResidence) return;
    const first = this.lastResidence === null;
    const from = this.lastHost;
    this.lastResidence = residence;
    this.lastHost = leader;
    if (!first) this.handOver(from, leader, status.term);
  }
  private handOver(from: string | null, to: string, term: number): void {
    const { clock, plane } = this.dependencies;
    const state = plane.leaderState();
    const resumed: string[] = [];
    const interrupted: string[] = [];
    for (const run of this.dependencies.drillRuns()) {
      if (run.state !== "running") continue;
      const recorded = state?.drills().find((record) => record.id === run.id);
      const vouched = recorded?.state === "running" && recorded.seed === run.seed && recorded.startedMs === run.startedMs;
      if (vouched) {
        resumed.push(run.id);
        const faults = this.dependencies.drillFaults(run.id);
        this.record(
          "resume",
          run,
          to,
          `the control leader moved to ${to} (term ${term}); its log has run ${run.id} (seed ${run.seed}, started ${run.startedMs} ms)` +
            (faults.length > 0 ? `; adopting fault(s) ${faults.join(", ")}` : ""),
        );
      } else {
        interrupted.push(run.id);
        const why =
          recorded === undefined
            ? `its log does not have run ${run.id}`
            : recorded.state !== "running"
              ? `its log has run ${run.id} ${recorded.state}`
              : `its log has another start for run ${run.id}`;
        this.record("interrupt", run, to, `the control leader moved to ${to} (term ${term}); ${why}`);
        this.dependencies.interruptDrill(`the control leader moved from ${from ?? "none"} to ${to} and ${why}`);
      }
    }
    this.moves.push({ atMs: Math.floor(clock.nowUs() / 1000), from, to, term, resumed, interrupted });
    if (this.moves.length > handoversKeptMax) this.moves.shift();
  }

  private record(action: "resume" | "interrupt", run: DrillRunRecord, host: string, reason: string): void {
    this.dependencies.audit({
      atMs: Math.floor(this.dependencies.clock.nowUs() / 1000),
      actor: `control:${host}`,
      kind: "drill",
      action,
      target: run.drill,
      reason,
      outcome: action === "resume" ? "resumed" : "interrupted",
      rule: null,
      overrodeRule: null,
      routingVersionBefore: null,
      routingVersionAfter: null,
      details: { run: run.id },
    });
  }
}
