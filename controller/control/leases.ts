// Dead-man fault leases held by the control group. Every fault injected through the controller is
// recorded in the control log with a short lease (`leaseWindowUs`); the keeper renews the leases of
// the faults still active every `renewPeriodUs` by committing new records through the control
// group. A fault whose lease ran out without a committed renewal is healed: when the control plane
// has no quorum (its leader's region dark, cut off) no fault outlives it by more than one window,
// whoever injected it. After a control leader change (a new term) the keeper adopts every recorded
// fault: a recorded fault that is still active is renewed under the new term, one that is no longer
// active (its injector is gone) is recorded healed. Drill runs are recorded the same way; a run
// left "running" in the log without a live execution is recorded interrupted.
import type { Clock, TimerHandle } from "../../ground/ports.js";
import type { FaultManager } from "../../chaos/fault-manager.js";
import type { DrillRunRecord } from "../../domain/records.js";
import type { ControlPlane } from "./plane.js";
import type { ControlCommand, ControlDrillRun, ControlFault } from "./state-machine.js";

export interface LeaseOptions {
  /** How far a renewal pushes a fault's control lease (simulated µs). */
  readonly leaseWindowUs: number;
  /** Renewal period; at most a third of the window, so two renewals can fail before a fault is healed. */
  readonly renewPeriodUs: number;
}

export const defaultLeaseOptions: LeaseOptions = { leaseWindowUs: 3_000_000, renewPeriodUs: 500_000 };

export interface LeaseKeeperDependencies {
  readonly clock: Clock;
  readonly plane: ControlPlane;
  readonly faults: FaultManager;
  /** The controller's drill runs (their records go to the log as they change). */
  readonly drillRuns?: () => readonly DrillRunRecord[];
  /** Interrupts a running drill whose record the control group lost track of (the keeper heals its faults). */
  readonly interruptDrill?: (reason: string) => void;
}

export interface LeaseFigures {
  readonly renewals: number;
  readonly failedRenewals: number;
  /** Faults healed because their control lease ran out. */
  readonly deadManHeals: number;
  /** Leader changes seen, each followed by an adoption. */
  readonly adoptions: number;
}

export class FaultLeaseKeeper {
  /** fault id -> simulated µs until which the control group granted it (the last committed lease). */
  private readonly leases = new Map<string, number>();
  private timer: TimerHandle | null = null;
  private term = 0;
  private renewing = false;
  /** A term rise was seen and the new leader's recorded faults and runs are still to be adopted. */
  private adoptionPending = false;
  private unsubscribe: (() => void) | null = null;
  private figures = { renewals: 0, failedRenewals: 0, deadManHeals: 0, adoptions: 0 };
  /** Drill runs recorded running in the log, whose end is still to be recorded. */
  private readonly recordedRunning = new Set<string>();

  constructor(
    private readonly options: LeaseOptions,
    private readonly dependencies: LeaseKeeperDependencies,
  ) {
    if (options.renewPeriodUs * 3 > options.leaseWindowUs)
      throw new RangeError(
        `leases: renewPeriodUs (${options.renewPeriodUs}) must be at most a third of leaseWindowUs (${options.leaseWindowUs})`,
      );
  }

  get stats(): LeaseFigures {
    return { ...this.figures };
  }

  /** The control lease of a fault (µs), undefined when the keeper holds none for it. */
  leaseOf(id: string): number | undefined {
    return this.leases.get(id);
  }

  start(): void {
    const { clock, faults } = this.dependencies;
    this.unsubscribe = faults.on((event) => {
      if (event.kind === "injected") {
        // Granted at once (the injection itself happened under the controller); the first renewal commits it.
        this.leases.set(event.fault.id, clock.nowUs() + this.options.leaseWindowUs);
        this.record(this.faultRecord(event.fault.id, event.fault.type, event.origin, "active"));
      } else {
        this.leases.delete(event.fault.id);
        this.record(this.faultRecord(event.fault.id, event.fault.type, event.origin, event.kind));
      }
    });
    const tick = (): void => {
      this.timer = clock.setTimer(this.options.renewPeriodUs, tick);
      this.step();
    };
    this.timer = clock.setTimer(this.options.renewPeriodUs, tick);
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer !== null) this.dependencies.clock.cancelTimer(this.timer);
    this.timer = null;
  }

  /** One period: heal what ran out, adopt after a leader change, renew the rest. */
  step(): void {
    const { clock, faults, plane } = this.dependencies;
    const nowUs = clock.nowUs();
    for (const fault of faults.active()) {
      const leaseUs = this.leases.get(fault.id);
      if (leaseUs !== undefined && leaseUs <= nowUs) {
        this.figures.deadManHeals++;
        this.leases.delete(fault.id);
        const origin = faults.originOf(fault.id) ?? "";
        faults.heal(fault.id, "control-lease");
        // A drill whose fault the control plane could no longer vouch for ends INTERRUPTED (faults healed), never left running.
        if (origin.startsWith("drill:"))
          this.dependencies.interruptDrill?.(
            `the control plane had no quorum for a lease window: fault ${fault.id}'s control lease ran out`,
          );
      }
    }
    const term = plane.status().term;
    if (term > this.term && this.term > 0) this.adoptionPending = true;
    this.term = Math.max(this.term, term);
    // Adoption waits until the leader's state can be read (live: fetched over the admin channel after a
    // leader change); a rise seen before that must not be forgotten.
    if (this.adoptionPending && this.adopt()) this.adoptionPending = false;
    this.renew();
  }

  private renew(): void {
    if (this.renewing) return;
    const { clock, faults, plane } = this.dependencies;
    const active = faults.active();
    const all = this.dependencies.drillRuns?.() ?? [];
    const runs = all.filter((run) => run.state === "running");
    // A run recorded running that has ended since: its end goes to the log too (else the log keeps it running).
    if (this.recordedRunning.size > 0)
      for (const run of all)
        if (run.state !== "running" && this.recordedRunning.delete(run.id)) this.record(drillRecord(run, clock.nowUs()));
    for (const run of runs) this.recordedRunning.add(run.id);
    if (active.length === 0 && runs.length === 0) return;
    this.renewing = true;
    const grantedUs = clock.nowUs() + this.options.leaseWindowUs;
    let waiting = active.length;
    const done = (): void => {
      waiting--;
      if (waiting <= 0) this.renewing = false;
    };
    if (active.length === 0) this.renewing = false;
    for (const fault of active) {
      const origin = faults.originOf(fault.id) ?? "api";
      plane.commit(
        {
          kind: "fault",
          requestId: plane.nextRequestId("lease"),
          fault: { ...this.faultRecord(fault.id, fault.type, origin, "active"), leaseUntilMs: grantedUs / 1000 },
        },
        null,
        (outcome) => {
          if (outcome.ok) {
            this.figures.renewals++;
            // A renewal committed after the fault ended must not resurrect its lease.
            if (this.leases.has(fault.id)) this.leases.set(fault.id, Math.max(this.leases.get(fault.id) ?? 0, grantedUs));
          } else this.figures.failedRenewals++;
          done();
        },
        this.options.renewPeriodUs,
      );
    }
    for (const run of runs) this.record(drillRecord(run, clock.nowUs()));
  }

  /** A new control leader: every recorded active fault is either still active here (renewed next) or recorded healed. */
  private adopt(): boolean {
    const { faults, plane } = this.dependencies;
    const state = plane.leaderState();
    if (state === null) return false;
    this.figures.adoptions++;
    const live = new Set(faults.active().map((fault) => fault.id));
    for (const recorded of state.faults())
      if (recorded.state === "active" && !live.has(recorded.id)) this.record({ ...recorded, state: "healed", term: this.term });
    const running = new Set((this.dependencies.drillRuns?.() ?? []).filter((run) => run.state === "running").map((run) => run.id));
    for (const run of state.drills()) if (run.state === "running" && !running.has(run.id)) this.record({ ...run, state: "interrupted" });
    return true;
  }

  private faultRecord(id: string, type: string, origin: string, state: ControlFault["state"]): ControlFault {
    const leaseUs = this.leases.get(id) ?? this.dependencies.clock.nowUs();
    return { id, type, origin, state, leaseUntilMs: leaseUs / 1000, term: this.term };
  }

  private record(record: ControlFault | ControlDrillRun): void {
    const plane = this.dependencies.plane;
    const command: ControlCommand =
      "type" in record
        ? { kind: "fault", requestId: plane.nextRequestId("fault"), fault: record }
        : { kind: "drill", requestId: plane.nextRequestId("drill-run"), run: record };
    plane.commit(command, null, () => {}, this.options.leaseWindowUs);
  }
}

function drillRecord(run: DrillRunRecord, nowUs: number): ControlDrillRun {
  const state: ControlDrillRun["state"] =
    run.state === "running"
      ? "running"
      : run.outcome === "SUCCEEDED"
        ? "succeeded"
        : run.outcome === "ABORTED"
          ? "aborted"
          : run.outcome === "INTERRUPTED"
            ? "interrupted"
            : "failed";
  return {
    id: run.id,
    drill: run.drill,
    state,
    actor: run.schedule ? `schedule:${run.schedule}` : "api",
    atMs: nowUs / 1000,
    seed: run.seed,
    startedMs: run.startedMs,
  };
}
