// RaftNode's tunables, validated with errors that name the field.

import type { NodeId } from "./types.js";

export interface RaftOptions {
  readonly id: NodeId;
  /** The fixed voter set, including `id`. */
  readonly voters: readonly NodeId[];
  /** Election timeout is drawn from [electionTicks, 2 * electionTicks). */
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  /** Appends in flight per follower in replicate state (pipelining depth). */
  readonly inflightAppendsMax: number;
  readonly batchEntriesMax: number;
  readonly batchBytesMax: number;
  /** Committed entries handed out in one Ready. */
  readonly applyEntriesMax: number;
  /** Proposals beyond this many uncommitted entries are DROPPED (back-pressure). */
  readonly uncommittedEntriesMax: number;
  /** ReadIndex requests waiting for confirmation at the leader, and confirmed reads waiting to apply. */
  readonly pendingReadsMax: number;
  /** transferLeadership refuses a target this many entries or more behind. */
  readonly transferLagEntriesMax: number;
}

export type RaftOptionsInput = Pick<RaftOptions, "id" | "voters"> & Partial<Omit<RaftOptions, "id" | "voters">>;

export const DEFAULT_RAFT_OPTIONS = {
  electionTicks: 10,
  heartbeatTicks: 1,
  preVote: true,
  checkQuorum: true,
  inflightAppendsMax: 64,
  batchEntriesMax: 512,
  batchBytesMax: 1024 * 1024,
  applyEntriesMax: 1024,
  uncommittedEntriesMax: 8192,
  pendingReadsMax: 4096,
  transferLagEntriesMax: 10_000,
} as const;

export class RaftOptionsError extends Error {
  readonly code = "BAD_RAFT_OPTIONS";
  constructor(
    readonly field: string,
    expected: string,
    got: unknown,
  ) {
    super(`raft options ${field}: expected ${expected}, got ${JSON.stringify(got)}`);
    this.name = "RaftOptionsError";
  }
}

export function resolveRaftOptions(input: RaftOptionsInput): RaftOptions {
  const options: RaftOptions = { ...DEFAULT_RAFT_OPTIONS, ...input };
  const positive = (field: keyof RaftOptions): void => {
    const value = options[field];
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
      throw new RaftOptionsError(field, "a positive integer", value);
    }
  };
  for (const field of [
    "electionTicks",
    "heartbeatTicks",
    "inflightAppendsMax",
    "batchEntriesMax",
    "batchBytesMax",
    "applyEntriesMax",
    "uncommittedEntriesMax",
    "pendingReadsMax",
    "transferLagEntriesMax",
  ] as const) {
    positive(field);
  }
  if (options.heartbeatTicks >= options.electionTicks) {
    throw new RaftOptionsError("heartbeatTicks", `fewer than electionTicks (${options.electionTicks})`, options.heartbeatTicks);
  }
  if (typeof options.id !== "string" || options.id.length === 0) throw new RaftOptionsError("id", "a non-empty node id", options.id);
  if (!options.voters.includes(options.id)) throw new RaftOptionsError("voters", `a list including id ${options.id}`, options.voters);
  if (new Set(options.voters).size !== options.voters.length) throw new RaftOptionsError("voters", "distinct node ids", options.voters);
  return options;
}
