// Shard moves recorded in the control plane's replicated log (controller/elastic.ts MoveJournal):
// each record is a `move` command of the control state machine, keyed by move id and sequence,
// so a retried or repeated record is applied once and an older one never overwrites a newer one.
// The watcher resumes the moves a previous controller left unfinished: once when the control
// group first has a leader after the controller started, and again at every new control term.
// The automatic scale-out policy's cells are recorded the same way (`scale-out` commands), so a
// restarted controller's policy knows which cells it added (controller/scale-out.ts).
import type { Clock, TimerHandle } from "../ground/ports.js";
import type { ControlPlane } from "./control/plane.js";
import { controlMoveUnfinished } from "./control/state-machine.js";
import type { ElasticCells, MoveJournal, PersistedMove } from "./elastic.js";
import type { ScaleOutJournal } from "./scale-out.js";

/** How long a move record may wait for a control commit (the first record refuses the move past it). */
export const MOVE_RECORD_TIMEOUT_US = 2_000_000;
/** How often the watcher looks at the control group's term. */
export const MOVE_RECOVERY_PERIOD_US = 500_000;

export function controlMoveJournal(plane: ControlPlane, timeoutUs: number = MOVE_RECORD_TIMEOUT_US): MoveJournal {
  return {
    record(move: PersistedMove, callback: (ok: boolean) => void): void {
      plane.commit({ kind: "move", requestId: `move:${move.id}:${move.seq}`, move }, null, (outcome) => callback(outcome.ok), timeoutUs);
    },
    unfinished(): readonly PersistedMove[] | null {
      const state = plane.leaderState();
      return state === null ? null : state.moves().filter(controlMoveUnfinished);
    },
  };
}

export function controlScaleOutJournal(plane: ControlPlane, timeoutUs: number = MOVE_RECORD_TIMEOUT_US): ScaleOutJournal {
  return {
    record(entry, callback): void {
      plane.commit(
        { kind: "scale-out", requestId: `scale-out:${entry.cell}:${entry.state}`, cell: entry },
        null,
        (outcome) => callback(outcome.ok),
        timeoutUs,
      );
    },
    added() {
      const state = plane.leaderState();
      return state === null ? null : state.scaleOutCells().filter((entry) => entry.state === "added");
    },
  };
}

/** Resumes unfinished moves at start (once the control group has a leader) and after every control leader change. */
export class MoveRecoveryWatcher {
  private term = 0;
  private timer: TimerHandle | null = null;
  /** Control terms at which recover() ran, and how many moves it resumed in all. */
  readonly figures = { recoveries: 0, resumed: 0 };

  constructor(
    private readonly dependencies: {
      readonly clock: Clock;
      readonly plane: ControlPlane;
      readonly elastic: ElasticCells;
      readonly periodUs?: number;
    },
  ) {}

  start(): void {
    if (this.timer !== null) return;
    const tick = (): void => {
      this.timer = this.dependencies.clock.setTimer(this.dependencies.periodUs ?? MOVE_RECOVERY_PERIOD_US, tick);
      this.step();
    };
    this.step();
    if (this.timer === null) this.timer = this.dependencies.clock.setTimer(this.dependencies.periodUs ?? MOVE_RECOVERY_PERIOD_US, tick);
  }

  stop(): void {
    if (this.timer !== null) this.dependencies.clock.cancelTimer(this.timer);
    this.timer = null;
  }

  /** Recovers when the group has a leader in a term not seen yet. */
  step(): void {
    const status = this.dependencies.plane.status();
    if (status.leader === null || status.term <= this.term) return;
    if (this.dependencies.plane.leaderState() === null) return;
    this.term = status.term;
    this.figures.recoveries++;
    this.figures.resumed += this.dependencies.elastic.recover();
  }
}
