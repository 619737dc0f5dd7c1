// Leadership transfer as the controller asks for it (docs/architecture.md "The control plane"): a
// `transfer` request (cells/cell/protocol.ts) sent from the control leader's host to the cell's
// leader over the simulated network, answered or timed out like any message, retried every
// attempt until the deadline; once the leader accepted, the target itself is asked (`status`)
// until it says it leads. A partition between the control leader and the cell is a partition for
// the transfer: it times out, it does not succeed by magic. What the controller believes of the
// cell (who leads, is the target up) is its probes' view, never the world's.
import type { ActionError, ActionResult, CellView, LeaderInfo } from "../../domain/cluster.js";
import type { Clock, TimerHandle } from "../../ground/ports.js";
import type { ClientRequestKind, ReplicaProbeStatus, TransferAnswer } from "../../cells/cell/protocol.js";

/** What the view alone answers before any request is sent (`done`), else whom to ask and the target's place. */
export function transferStart(
  view: CellView | undefined,
  cell: string,
  targetReplica: string,
): { readonly done: ActionResult } | { readonly from: string; readonly leader: LeaderInfo } {
  if (view === undefined) return { done: { ok: false, error: { code: "NO_SUCH_CELL", message: `no cell ${cell}` } } };
  const target = view.replicas.find((replica) => replica.id === targetReplica);
  if (target === undefined)
    return { done: { ok: false, error: { code: "NO_SUCH_REPLICA", message: `${targetReplica} is not a replica of ${cell}` } } };
  const leader: LeaderInfo = { replica: target.id, datacenter: target.datacenter, region: target.region };
  if (view.leader?.replica === targetReplica) return { done: { ok: true, leader } };
  if (view.leader === null)
    return { done: { ok: false, error: { code: "NO_LEADER", message: `${cell} has no leader to hand over from` } } };
  if (target.role === "down" || target.state === "crashed" || target.state === "paused")
    return { done: { ok: false, error: { code: "TARGET_DOWN", message: `${targetReplica} is ${target.state}` } } };
  return { from: view.leader.replica, leader };
}

/** The refusal a leader's transfer answer maps to: behind stays behind, anything else times out. */
export function transferRefusal(leader: string, code: string, reason: string | undefined): ActionError {
  return {
    code: code === "TARGET_BEHIND" ? "TARGET_BEHIND" : "TIMEOUT",
    message: `${leader} refused the transfer: ${code}${reason !== undefined ? ` (${reason})` : ""}`,
  };
}

/** Sends a request to a cell replica from the control leader's host (controller/control/prober.ts CellProber.request). */
export interface CellMessenger {
  /** False: there is no host to send from now (no control leader); `onAnswer` is never called then. */
  send(replica: string, kind: ClientRequestKind, payload: unknown, onAnswer: (ok: boolean, result: unknown) => void): boolean;
}

export interface NetworkTransferOptions {
  /** Between two `transfer` requests while none was accepted (above a cross-region round trip). */
  readonly attemptUs: number;
  /** Between two `status` requests to the target once the leader accepted. */
  readonly confirmPollUs: number;
}

export const defaultNetworkTransferOptions: NetworkTransferOptions = { attemptUs: 200_000, confirmPollUs: 10_000 };

export interface NetworkTransferDependencies {
  /** The controller's clock (the decision loop's, not a host's: a request outlives its sender's process). */
  readonly clock: Clock;
  /** The cell as the controller's probes see it. */
  readonly view: (cell: string) => CellView | undefined;
  readonly messenger: CellMessenger;
}

/** Asks `cell`'s leader (as the probes see it) to hand over to `targetReplica`, over the network; see the file's head. */
export function transferOverNetwork(
  dependencies: NetworkTransferDependencies,
  options: NetworkTransferOptions,
  cell: string,
  targetReplica: string,
  timeoutUs: number,
  callback: (result: ActionResult) => void,
): void {
  const start = transferStart(dependencies.view(cell), cell, targetReplica);
  if ("done" in start) return callback(start.done);
  const { clock, messenger } = dependencies;
  const deadlineUs = clock.nowUs() + timeoutUs;
  let asked = start.from;
  let accepted = false;
  let finished = false;
  let problem = `no answer from ${asked}`;
  let timer: TimerHandle | null = null;
  const finish = (result: ActionResult): void => {
    if (finished) return;
    finished = true;
    if (timer !== null) clock.cancelTimer(timer);
    callback(result);
  };
  const done = (): void => finish({ ok: true, leader: start.leader });
  const rearm = (delayUs: number): void => {
    if (timer !== null) clock.cancelTimer(timer);
    timer = clock.setTimer(Math.max(1, Math.min(delayUs, deadlineUs - clock.nowUs())), step);
  };
  const onTransferAnswer = (from: string, ok: boolean, result: unknown): void => {
    if (finished || accepted) return;
    if (!ok) {
      problem = `${from} could not take the request`;
      return;
    }
    const answer = result as TransferAnswer;
    if (answer.code === "OK") {
      accepted = true;
      rearm(0);
    } else if (answer.code === "NOT_LEADER") {
      // Leadership moved meanwhile: the target itself, or ask whom the replica names at the next attempt.
      if (answer.leaderHint === targetReplica) done();
      else {
        problem = `${from} no longer leads`;
        if (answer.leaderHint !== undefined && answer.leaderHint !== null) asked = answer.leaderHint;
      }
    } else finish({ ok: false, error: transferRefusal(from, answer.code, answer.reason) });
  };
  function step(): void {
    timer = null;
    if (finished) return;
    const view = dependencies.view(cell);
    if (view?.leader?.replica === targetReplica) return done();
    if (clock.nowUs() >= deadlineUs) {
      const ms = Math.round(timeoutUs / 1000);
      finish({
        ok: false,
        error: {
          code: "TIMEOUT",
          message: accepted
            ? `${targetReplica} did not become leader of ${cell} within ${ms} ms`
            : `the transfer request did not reach ${cell}'s leader from the control leader within ${ms} ms (${problem})`,
        },
      });
      return;
    }
    if (accepted) {
      messenger.send(targetReplica, "status", null, (ok, result) => {
        if (ok && (result as ReplicaProbeStatus).role === "leader") done();
      });
      rearm(options.confirmPollUs);
      return;
    }
    if (view?.leader != null) asked = view.leader.replica;
    const from = asked;
    if (!messenger.send(from, "transfer", { target: targetReplica }, (ok, result) => onTransferAnswer(from, ok, result)))
      problem = "no control leader to send it from";
    rearm(options.attemptUs);
  }
  step();
}
