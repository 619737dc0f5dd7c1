// RaftNode's tunables, validated with errors that name the field.

import type { NodeId } from "./types.js";
import type { InjectedBugs } from "../bugs.js";

export interface RaftOptions {
  readonly id: NodeId;
  /** The fixed voter set, including `id`. */
  readonly voters: readonly NodeId[];
  /** Election timeout is drawn from [electionTicks, 2 * electionTicks) (see `electionOrder`). */
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
  /**
   * Priority elections (as in SOFAJRaft, Alipay's Raft): the voters in the order they should
   * stand for election when the leader is lost. Each gets its own slice of the election timeout
   * range, earliest first, instead of a draw from the whole range, so survivors rarely campaign
   * at once: after a region outage the three survivors must all vote for one candidate, and
   * overlapping campaigns split that vote. Empty: every voter draws from the whole range.
   */
  readonly electionOrder: readonly NodeId[];
  /** Deliberate bugs for the harness's own tests (cells/bugs.ts); absent in every normal run. */
  readonly bugs?: InjectedBugs;
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
  electionOrder: [] as readonly NodeId[],
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
  const order = options.electionOrder;
  if (
    order.length > 0 &&
    (order.length !== options.voters.length ||
      new Set(order).size !== order.length ||
      !order.every((voter) => options.voters.includes(voter)))
  ) {
    throw new RaftOptionsError("electionOrder", "empty, or every voter exactly once", order);
  }
  return options;
}
