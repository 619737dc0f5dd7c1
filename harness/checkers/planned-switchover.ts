// Planned switchover: a leadership move the controller chose (a rebalancer's move, not a
// failover) must cost its cell's users at most a stated write unavailability. From the transfer
// request, the leader refuses new proposals until the move ends (Raft's transfer: it first
// catches the target up, then hands over with TimeoutNow; or it refuses, or aborts after an
// election timeout), and the users then find the new leader. The switchover time is from the
// request to the acknowledgement of the first client write invoked at or after it: a write that
// only the leader after the move (the target, or the old leader when the move was refused or
// aborted) could have committed. The bound is measured, not guessed (docs/BENCHMARKS.md
// "Planned switchover"): the stall of correct moves over clean seeds, with margin.
//
// A move is also judged by the controller's rule for choosing it: its target holds all but at
// most `lagRule` entries (the controller's lagEntriesMax) of the leader's log when the move is
// asked, read from the two replicas' own logs, not from the view the controller chose from.
// Raft's transfer catches a lagging target up before handing over, so a move to one costs users
// little more than a correct move (docs/BENCHMARKS.md "Planned switchover"); the rule is what
// keeps a move's stall short when the target lags by more than one round trip can repair, and
// a controller that breaks it is caught here whatever the stall. This judgement holds for every
// move, in a faulty cell too: the rule is about the choice, not about the time it took.
//
// Only a move in a healthy cell is judged for its stall: one with no fault on its cell active at any time
// from the request to the bound after it (and no other planned move begun meanwhile). A fault
// there (a peer down, a slow link, a pause) costs a move time the controller is not answerable
// for, and the availability and liveness checkers judge faults already.
import { CHECK_STEP_ITEMS, drainSteps, pairHistorySteps, type Op } from "../history.js";
import { opCell } from "../models.js";
import type { FaultWindow } from "./availability.js";

/** The bound `ldc sim --check` holds planned moves to (simulated time; chosen in docs/BENCHMARKS.md "Planned switchover"). */
export const PLANNED_SWITCHOVER_BOUND_US_DEFAULT = 1_000_000;

/** A leadership move the controller planned, as the run recorded it. */
export interface PlannedMove {
  readonly id: string;
  readonly cell: string;
  /** The leader when the move was asked for (null: not known). */
  readonly from: string | null;
  readonly target: string;
  /** The target's lag (entries behind the leader) when the controller chose it. */
  readonly lag: number;
  /** The most entries behind the leader the controller's rule lets a target be (its lagEntriesMax); absent: not judged. */
  readonly lagRule?: number;
  /** The leader's and the target's last log indexes, read from their own logs at the request; null or absent: not read. */
  readonly logsAtRequest?: { readonly leaderLastIndex: number; readonly targetLastIndex: number } | null;
  readonly requestedUs: number;
  /** null: the target leads; otherwise the cluster's error code (TARGET_BEHIND, TIMEOUT, ...); undefined: not ended. */
  readonly result: string | null | undefined;
  readonly endUs: number | undefined;
}

export interface MoveSwitchover {
  readonly id: string;
  readonly cell: string;
  readonly target: string;
  readonly lag: number;
  /** Entries of the leader's log the target lacked at the request, by their own logs; null: not read. */
  readonly lagAtRequest: number | null;
  /** null: the target leads; otherwise the cluster's error code, or "not ended". */
  readonly result: string | null;
  /** Request to the first acknowledged write invoked at or after it; null: none. */
  readonly switchoverMs: number | null;
  /** Why the move is not judged (null: judged). */
  readonly notJudged: string | null;
  readonly valid: boolean;
}

export interface PlannedSwitchoverVerdict {
  readonly valid: boolean;
  readonly boundMs: number;
  readonly judged: number;
  readonly moves: MoveSwitchover[];
  /** Judged moves over the bound, with their figures. */
  readonly slow: string[];
  /** Moves to a target further behind the leader than the controller's rule allows, with their figures. */
  readonly lagging: string[];
}

export function checkPlannedSwitchover(
  history: readonly Op[],
  moves: readonly PlannedMove[],
  faultWindows: readonly FaultWindow[],
  boundUs = PLANNED_SWITCHOVER_BOUND_US_DEFAULT,
): PlannedSwitchoverVerdict {
  return drainSteps(checkPlannedSwitchoverSteps(history, moves, faultWindows, boundUs));
}

/** checkPlannedSwitchover, yielding every CHECK_STEP_ITEMS ops (harness/run-check.ts checkRunSteps). */
export function* checkPlannedSwitchoverSteps(
  history: readonly Op[],
  moves: readonly PlannedMove[],
  faultWindows: readonly FaultWindow[],
  boundUs = PLANNED_SWITCHOVER_BOUND_US_DEFAULT,
): Generator<void, PlannedSwitchoverVerdict, void> {
  // Per cell, the client writes: invocation time, and acknowledgement time when acknowledged.
  const writes = new Map<string, { invokedUs: number; okUs: number | null }[]>();
  let seen = 0;
  for (const op of yield* pairHistorySteps(history)) {
    if (++seen % CHECK_STEP_ITEMS === 0) yield;
    if (op.f === "read" || typeof op.invoke.time !== "number") continue;
    const cell = opCell(op);
    const list = writes.get(cell) ?? [];
    list.push({ invokedUs: op.invoke.time, okUs: op.type === "ok" && typeof op.completion?.time === "number" ? op.completion.time : null });
    writes.set(cell, list);
  }
  const boundMs = boundUs / 1000;
  const results: MoveSwitchover[] = [];
  const slow: string[] = [];
  const lagging: string[] = [];
  for (const move of moves) {
    yield;
    const cellWrites = writes.get(move.cell) ?? [];
    let firstOkUs: number | null = null;
    let lastInvokedUs = -Infinity;
    for (const write of cellWrites) {
      lastInvokedUs = Math.max(lastInvokedUs, write.invokedUs);
      if (write.invokedUs < move.requestedUs || write.okUs === null) continue;
      if (firstOkUs === null || write.okUs < firstOkUs) firstOkUs = write.okUs;
    }
    const switchoverUs = firstOkUs === null ? null : firstOkUs - move.requestedUs;
    const notJudged =
      disturbance(move, moves, faultWindows, boundUs) ??
      (lastInvokedUs < move.requestedUs + boundUs ? "the users stopped within the bound" : null);
    const within = switchoverUs !== null && switchoverUs <= boundUs;
    const logs = move.logsAtRequest ?? null;
    const lagAtRequest = logs === null ? null : Math.max(0, logs.leaderLastIndex - logs.targetLastIndex);
    const tooFar = lagAtRequest !== null && move.lagRule !== undefined && lagAtRequest > move.lagRule;
    if (tooFar)
      lagging.push(
        `${move.id}/${move.cell}: leadership moved to ${move.target}, ${lagAtRequest} entries behind ${move.from ?? "the leader"} at the request (the controller's rule: at most ${move.lagRule}); ${
          move.result === null ? "it led" : (move.result ?? "not ended")
        }`,
      );
    const fastEnough = notJudged !== null || within;
    const valid = fastEnough && !tooFar;
    if (!fastEnough)
      slow.push(
        `${move.id}/${move.cell}: to ${move.target} (lag ${move.lag}, ${move.result === null ? "led" : (move.result ?? "not ended")}): ${
          switchoverUs === null ? "no write acknowledged" : `first write acknowledged after ${Math.round(switchoverUs / 1000)} ms`
        } > ${boundMs} ms`,
      );
    results.push({
      id: move.id,
      cell: move.cell,
      target: move.target,
      lag: move.lag,
      lagAtRequest,
      result: move.result === undefined ? "not ended" : move.result,
      switchoverMs: switchoverUs === null ? null : Math.round(switchoverUs) / 1000,
      notJudged,
      valid,
    });
  }
  return {
    valid: slow.length === 0 && lagging.length === 0,
    boundMs,
    judged: results.filter((move) => move.notJudged === null).length,
    moves: results,
    slow,
    lagging,
  };
}

/** A fault active on the move's cell, or another planned move begun, between the request and the bound after it. */
function disturbance(
  move: PlannedMove,
  moves: readonly PlannedMove[],
  faultWindows: readonly FaultWindow[],
  boundUs: number,
): string | null {
  const untilUs = move.requestedUs + boundUs;
  for (const window of faultWindows) {
    if (window.kind === "leader-move" || window.startUs >= untilUs || window.endUs <= move.requestedUs) continue;
    if (window.cells === undefined || window.cells.includes(move.cell)) {
      const atMs = Math.round((window.startUs - move.requestedUs) / 1000);
      return `${window.kind} ${window.id} ${atMs <= 0 ? "was active at the request" : `began ${atMs} ms after the request`}`;
    }
  }
  for (const other of moves) {
    if (other !== move && other.cell === move.cell && other.requestedUs > move.requestedUs && other.requestedUs < untilUs)
      return `planned move ${other.id} began ${Math.round((other.requestedUs - move.requestedUs) / 1000)} ms after the request`;
  }
  return null;
}
