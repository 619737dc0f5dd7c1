// What the supervisor tells a replica process at spawn (one JSON argument), validated so a bad
// spawn fails at once with exit 2 and one line naming the field, not later with a stack trace.
import { z } from "zod";

export const replicaSpecSchema = z.strictObject({
  id: z.string().min(1),
  cell: z.string().min(1),
  voters: z.array(z.string().min(1)).min(1),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65_535),
  /** Replica id -> "host:port" this replica dials to reach it (its Toxiproxy proxy, or direct). */
  peers: z.record(z.string(), z.string().regex(/^[^:]+:\d+$/, { error: "expected host:port" })),
  dataDir: z.string().min(1),
  seed: z.number().int().nonnegative(),
  raft: z.strictObject({
    tickUs: z.number().int().positive(),
    electionTicks: z.number().int().positive(),
    heartbeatTicks: z.number().int().positive(),
    batchEntriesMax: z.number().int().positive().optional(),
    batchBytesMax: z.number().int().positive().optional(),
    inflightAppendsMax: z.number().int().positive().optional(),
    snapshotEntries: z.number().int().positive().optional(),
    snapshotStepUnits: z.number().int().positive().optional(),
    snapshotStepDelayUs: z.number().nonnegative().optional(),
    /** The world config's switch; the order itself comes as `electionOrder`. */
    priorityElections: z.boolean().optional(),
    /** Priority elections: the cell's voters in the order they stand for election. */
    electionOrder: z.array(z.string().min(1)).optional(),
  }),
  /** Control replicas only: cell replica id -> "host:port" its probes dial (its own Toxiproxy link to that replica). */
  probes: z.record(z.string(), z.string().regex(/^[^:]+:\d+$/, { error: "expected host:port" })).optional(),
  /** Bound on client requests waiting in the replica (proposals, reads). */
  pendingRequestsMax: z.number().int().positive().optional(),
});

export type ReplicaSpec = z.infer<typeof replicaSpecSchema>;

export class ReplicaSpecError extends Error {
  readonly code = "BAD_REPLICA_SPEC";
}

export function parseReplicaSpec(text: string | undefined): ReplicaSpec {
  if (text === undefined) throw new ReplicaSpecError("spec: expected one JSON argument describing the replica, got nothing");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ReplicaSpecError(`spec: expected JSON, got ${(error as Error).message}`);
  }
  const parsed = replicaSpecSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue === undefined || issue.path.length === 0 ? "spec" : `spec.${issue.path.join(".")}`;
    throw new ReplicaSpecError(`${field}: ${issue?.message ?? "invalid"}`);
  }
  const spec = parsed.data;
  if (!spec.voters.includes(spec.id)) throw new ReplicaSpecError(`spec.voters: expected to include the replica's own id ${spec.id}`);
  for (const voter of spec.voters) {
    if (voter !== spec.id && spec.peers[voter] === undefined)
      throw new ReplicaSpecError(`spec.peers: expected an address for voter ${voter}`);
  }
  const order = spec.raft.electionOrder;
  if (
    order !== undefined &&
    order.length > 0 &&
    (order.length !== spec.voters.length || new Set(order).size !== order.length || !order.every((voter) => spec.voters.includes(voter)))
  ) {
    throw new ReplicaSpecError(`spec.raft.electionOrder: expected every voter exactly once, got ${JSON.stringify(order)}`);
  }
  return spec;
}
