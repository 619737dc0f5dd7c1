// Majority arithmetic over a fixed voter set (joint consensus is not supported yet).

import type { LogIndex, NodeId } from "./types.js";
import { INDEX_ZERO } from "./types.js";

export type VoteResult = "won" | "lost" | "pending";

export function quorumSize(votersCount: number): number {
  return Math.floor(votersCount / 2) + 1;
}

/** The largest index that a majority of voters has matched. */
export function committedIndex(matches: readonly LogIndex[]): LogIndex {
  if (matches.length === 0) return INDEX_ZERO;
  const sorted = matches.slice().sort((a, b) => b - a);
  return sorted[quorumSize(matches.length) - 1] as LogIndex;
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
