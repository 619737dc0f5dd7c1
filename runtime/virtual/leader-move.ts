// The `leader-move` nemesis family (chaos/nemesis.ts NemesisAction): a rebalancer's leadership
// move, decided by the controller's own code. Each step picks a cell that has a leader and a
// quorum, and the region (other than its leader's) of its replica furthest behind, as a
// rebalancer moving leaders back to a region that just recovered would; lets the controller's
// target choice (controller/safety.ts chooseReplica, with the run's injected bugs) pick the
// replica there; and asks the cluster to transfer leadership to it, as the controller's failover
// and reconciler do (controller/actions.ts moveLeader). A refusal of the choice (no caught-up
// replica there: the controller's 409) is asked again every LEADER_MOVE_POLL_US until the step's
// window ends, a rebalancer waiting for the region to catch up. Deterministic: the nemesis's
// random stream and the cluster's clock only.
import type { FaultWindow } from "../../harness/checkers/availability.js";
import type { NemesisAction } from "../../chaos/nemesis.js";
import { chooseReplica, defaultSafetyLimits } from "../../controller/safety.js";
import type { InjectedBugs } from "../../cells/bugs.js";
import type { PlannedMove } from "../../harness/checkers/planned-switchover.js";

/**
 * A move as it goes: the planned move the planned-switchover checker judges
 * (harness/checkers/planned-switchover.ts), its result and end filled in when the transfer ends.
 */
export type LeaderMoveOutcome = Omit<PlannedMove, "result" | "endUs"> & {
  /** null: the target leads; otherwise the cluster's error code (TARGET_BEHIND, TIMEOUT, ...). */
  result: string | null | undefined;
  /** When the transfer ended (undefined: still running). */
  endUs: number | undefined;
};

/**
 * The controller's leadership move as a nemesis step; `outcomes` collects every move started
 * (the leader then, the target and its lag when chosen, and how the transfer ended): the run's
 * planned moves, which the planned-switchover checker judges. Raft's own transfer catches a
 * target up before TimeoutNow and refuses one it must send a snapshot to, so a move's failure is
 * not a safety violation by itself: the checkers judge the run.
 */
export function leaderMoveAction(
  bugs: InjectedBugs | undefined,
  outcomes: LeaderMoveOutcome[] = [],
  lastIndexOf: (replica: string) => number | null = () => null,
): NemesisAction {
  let moves = 0;
  const limits = { ...defaultSafetyLimits, ...(bugs !== undefined && bugs.size > 0 && { bugs }) };
  return (cluster, random, lengthUs, live: FaultWindow[]) => {
    const endUs = cluster.clock.nowUs() + lengthUs;
    // The rebalancer's question, asked every LEADER_MOVE_POLL_US of the step: which cell should
    // lead from the region a replica just came back to (the one furthest behind)?
    const attempt = (): string | null => {
      const cells = cluster.cells().filter((cell) => cell.leader !== null && cell.quorumAvailable);
      if (cells.length === 0) return "no cell has a leader and a quorum";
      const cell = random.pick(cells);
      const leaderRegion = cell.leader?.region;
      const behind = cell.replicas
        .filter((replica) => replica.region !== leaderRegion && (replica.state === "up" || replica.state === "lagging"))
        .sort((a, b) => b.lag - a.lag || (a.id < b.id ? -1 : 1));
      const region = behind[0]?.region;
      if (region === undefined) return `${cell.id} has no replica up outside its leader's region`;
      const choice = chooseReplica(
        cell,
        cell.replicas.filter((replica) => replica.region === region),
        region,
        limits,
      );
      if (!choice.ok) return `${cell.id}: ${choice.refusal.rule}: ${choice.refusal.error}`;
      const startUs = cluster.clock.nowUs();
      const window: FaultWindow = { id: `move-${++moves}`, kind: "leader-move", startUs, endUs, cells: [cell.id] };
      live.push(window);
      const outcome: LeaderMoveOutcome = {
        id: window.id,
        cell: cell.id,
        from: cell.leader?.replica ?? null,
        target: choice.replica.id,
        lag: choice.replica.lag,
        lagRule: limits.lagEntriesMax,
        logsAtRequest: logsAt(lastIndexOf, cell.leader?.replica ?? null, choice.replica.id),
        requestedUs: startUs,
        result: undefined,
        endUs: undefined,
      };
      outcomes.push(outcome);
      cluster.transferLeadership(cell.id, choice.replica.id, Math.max(1, endUs - startUs), (result) => {
        window.endUs = cluster.clock.nowUs();
        outcome.result = result.ok ? null : result.error.code;
        outcome.endUs = window.endUs;
      });
      return null;
    };
    const first = attempt();
    if (first === null) return null;
    // Not now (no caught-up target, as the controller's 409 says): the rebalancer asks again until the step ends.
    const poll = (): void => {
      if (cluster.clock.nowUs() + LEADER_MOVE_POLL_US > endUs) return;
      if (attempt() !== null) cluster.clock.setTimer(LEADER_MOVE_POLL_US, poll);
    };
    cluster.clock.setTimer(LEADER_MOVE_POLL_US, poll);
    return null;
  };
}

/**
 * The leader's and the target's last log indexes as their own logs hold them when the move is
 * asked (not through the controller's view); null when either process is down.
 */
function logsAt(lastIndexOf: (replica: string) => number | null, leader: string | null, target: string): PlannedMove["logsAtRequest"] {
  const leaderLastIndex = leader === null ? null : lastIndexOf(leader);
  const targetLastIndex = lastIndexOf(target);
  return leaderLastIndex === null || targetLastIndex === null ? null : { leaderLastIndex, targetLastIndex };
}

/** How often a leader-move step asks again while the controller has no target for it. */
export const LEADER_MOVE_POLL_US = 10_000;
