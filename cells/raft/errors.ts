// Typed errors of the Raft core. Results the caller must handle are values (ProposeResult);
// broken invariants are thrown as RaftInvariantError: a bug, never a condition to recover from.

import type { NodeId } from "./types.js";

export type ProposeError =
  { readonly code: "NOT_LEADER"; readonly leaderHint: NodeId | null } | { readonly code: "DROPPED"; readonly reason: string };

export class RaftInvariantError extends Error {
  readonly code = "RAFT_INVARIANT";
  constructor(message: string) {
    super(message);
    this.name = "RaftInvariantError";
  }
}

/** Always-on assertion (TigerBeetle style): turns a silent safety bug into a loud crash. */
export function invariant(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new RaftInvariantError(typeof message === "string" ? message : message());
}
