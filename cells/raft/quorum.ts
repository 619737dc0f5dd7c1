// Majority arithmetic over a fixed voter set (joint consensus is not supported yet).

import type { LogIndex, NodeId } from "./types.js";
import { INDEX_ZERO } from "./types.js";

export type VoteResult = "won" | "lost" | "pending";

export function quorumSize(votersCount: number): number {
  return Math.floor(votersCount / 2) + 1;
}

/**
 * The largest index that a majority of voters has matched: the largest match that at least a
 * quorum of matches reach. O(n^2) for n voters (five), without the copy and sort of the obvious
 * version: the leader calls this on every append answer.
 */
export function committedIndex(matches: readonly LogIndex[], quorumShortBy = 0): LogIndex {
  // quorumShortBy > 0 only under the injected bug "commit-quorum-short" (cells/bugs.ts).
  const quorum = quorumSize(matches.length) - quorumShortBy;
  let best = INDEX_ZERO;
  for (const candidate of matches) {
    if (candidate <= best) continue;
    let reaching = 0;
    for (const match of matches) if (match >= candidate) reaching++;
    if (reaching >= quorum) best = candidate;
  }
  return best;
}

export function voteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  let granted = 0;
  let rejected = 0;
  for (const voter of voters) {
    const vote = votes.get(voter);
    if (vote === true) granted++;
    else if (vote === false) rejected++;
  }
  const quorum = quorumSize(voters.length);
  if (granted >= quorum) return "won";
  if (voters.length - rejected < quorum) return "lost";
  return "pending";
}
