// The bug catalogue: the deliberate bugs of cells/bugs.ts with what the harness needs to show it
// catches each one (docs/harness.md "The bug catalogue"). Per bug: where it lives, the nemesis mix
// that exposes it, and the checkers expected to report it. `ldc bench mutants` searches seeds
// for the first one each bug fails; the recorded seeds below are what its last run found, and
// test/harness/mutants.test.ts replays exactly those (with and without the bug) in CI.

import { BUG_NAMES, type BugName } from "../cells/bugs.js";
import type { RunVerdicts } from "./run-check.js";

/** Who can report a bug: a checker over the history, an online invariant, or an assertion in the code. */
export type Catcher =
  | "linearizable"
  | "bank"
  | "durability"
  | "replica-agreement"
  | "availability"
  | "global-conservation"
  | "liveness"
  | "planned-switchover"
  | "invariant:election-safety"
  | "invariant:state-machine-safety"
  | "invariant:storage-integrity"
  | "invariant:other"
  | "assertion";

export interface MutantEntry {
  readonly name: BugName;
  readonly description: string;
  /** The file the switch is in. */
  readonly layer: string;
  /** `ldc sim --nemesis` names. */
  readonly nemesis: readonly string[];
  /** Set: each fault lasts this long (`--nemesis-fault`), overlapping the next ones; absent: half the interval. */
  readonly faultUs?: number;
  /** The catchers expected to report it (any one of them is a catch). */
  readonly expected: readonly Catcher[];
  /**
   * First failing seed found by `ldc bench mutants` (seeds 1.., the world and mix below); null:
   * not caught within MUTANTS_SEEDS_MAX seeds (the harness's gap, said in `gap`).
   */
  readonly firstFailingSeed: number | null;
  /** Why the harness misses it so far, for an entry not caught. */
  readonly gap?: string;
  /** False: no run of the catalogue's world reaches the switch (the bench skips it and says so). */
  readonly reachable?: boolean;
  /** The world it runs in: the catalogue's one-cell world (default) or the cross-cell world (several cells, transfers between them). */
  readonly world?: MutantWorldName;
}

export type MutantWorldName = "one-cell" | "cross-cell";

/**
 * The world every mutant runs in: one cell of five replicas (2 + 2 + 1 over three regions) at
 * 200 ops/s for 10 s simulated, a fault every second (each lasting half of it), snapshots every
 * 300 entries (so restores from snapshots happen within a short run), and a disk whose fsync
 * stalls now and then (2% of fsyncs take 100 ms, as a network-attached disk does), so that a
 * promise made before an fsync can be outrun by a crash. Clean runs of the same seeds pass.
 */
export const MUTANTS_WORLD = {
  cells: { count: 1, preferredLeaderRegions: { "cell-1": "hangzhou" } },
  // One cell sends nothing across cells; 0 also spawns no relay, so the recorded seeds keep their traces.
  workload: { opsPerSecond: 200, crossCellRatio: 0 },
  raft: { snapshotEntries: 300 },
  disk: { slowFsyncProbability: 0.02, slowFsyncMultiplier: 400 },
} as const;
/**
 * The world of the cross-cell protocol's bugs: three cells (each of five replicas, leaders in
 * three regions) at 300 ops/s, a fifth of the transfers crossing cells through the relays, and
 * otherwise as MUTANTS_WORLD (bench/mutants-cross-cell-world.yaml).
 */
export const MUTANTS_CROSS_CELL_WORLD = {
  cells: { count: 3 },
  workload: { opsPerSecond: 300, crossCellRatio: 0.2 },
  raft: { snapshotEntries: 300 },
  disk: { slowFsyncProbability: 0.02, slowFsyncMultiplier: 400 },
} as const;

export function mutantWorld(entry: MutantEntry): typeof MUTANTS_WORLD | typeof MUTANTS_CROSS_CELL_WORLD {
  return entry.world === "cross-cell" ? MUTANTS_CROSS_CELL_WORLD : MUTANTS_WORLD;
}

export const MUTANTS_DURATION_US = 10_000_000;
export const MUTANTS_NEMESIS_INTERVAL_US = 1_000_000;
/** The catalogue's promise: each bug is caught within this many seeds of its mix. */
export const MUTANTS_SEEDS_MAX = 50;

export const MUTANTS: readonly MutantEntry[] = [
  {
    name: "ack-before-fsync",
    description:
      "a replica sends its votes and acknowledgements, counts its own copy toward commit and answers clients before its WAL fsync completes",
    layer: "cells/replica.ts",
    nemesis: ["power-loss"],
    expected: ["durability", "linearizable", "invariant:election-safety", "invariant:state-machine-safety", "assertion"],
    firstFailingSeed: 5,
  },
  {
    name: "commit-quorum-short",
    description: "the leader commits an entry that one vote short of a majority holds (2 of 5)",
    layer: "cells/raft/quorum.ts",
    nemesis: ["partition"],
    expected: ["durability", "linearizable", "invariant:state-machine-safety", "assertion"],
    firstFailingSeed: 1,
  },
  {
    name: "vote-without-log-check",
    description: "a voter grants its (pre-)vote without checking that the candidate's log is at least as up to date as its own",
    layer: "cells/raft/raft.ts",
    nemesis: ["partition", "kill"],
    expected: ["durability", "linearizable", "invariant:state-machine-safety", "assertion"],
    firstFailingSeed: 7,
  },
  {
    name: "append-from-stale-term",
    description: "a follower accepts an append from a leader of an older term (a deposed leader after a pause)",
    layer: "cells/raft/raft.ts",
    nemesis: ["deposed-leader"],
    expected: ["durability", "linearizable", "invariant:state-machine-safety", "assertion"],
    firstFailingSeed: 1,
  },
  {
    name: "stale-local-read",
    description: "a leader serves reads from its local state without ReadIndex, so a deposed leader answers stale reads",
    layer: "cells/replica.ts",
    nemesis: ["partition"],
    expected: ["linearizable", "bank"],
    firstFailingSeed: 1,
  },
  {
    name: "idempotency-ignored",
    description: "the ledger decides a retried operation afresh instead of answering from its idempotency table",
    layer: "cells/ledger/ledger.ts",
    nemesis: ["partition", "loss"],
    expected: ["durability", "linearizable"],
    firstFailingSeed: 1,
  },
  {
    name: "wal-torn-tail-kept",
    description: "WAL recovery reads up to a torn tail but leaves it in place, so later records follow the garbage",
    layer: "cells/storage/storage.ts",
    nemesis: ["kill", "disk"],
    expected: ["invariant:storage-integrity", "durability", "assertion"],
    firstFailingSeed: 4,
  },
  {
    name: "snapshot-drops-idempotency",
    description: "a ledger snapshot leaves out the idempotency table, so a replica restored from it applies a retry again",
    layer: "cells/ledger/ledger.ts",
    nemesis: ["kill", "partition", "loss"],
    expected: ["invariant:state-machine-safety", "replica-agreement", "durability", "linearizable"],
    firstFailingSeed: 1,
  },
  {
    name: "lease-read-unbounded-clock",
    description:
      "a leader serves local reads while a quorum answered within one election timeout of its own clock, with no bound on clock drift",
    layer: "cells/replica.ts",
    nemesis: ["partition", "slow-leader-clock"],
    faultUs: 1_500_000,
    expected: ["linearizable", "bank"],
    firstFailingSeed: 20,
  },
  {
    name: "transfer-to-lagging",
    description: "the controller moves leadership to a replica far behind the leader (it skips the caught-up check)",
    layer: "controller/safety.ts",
    nemesis: ["kill", "leader-move"],
    faultUs: 3_000_000,
    // Caught by the planned-switchover checker's rule judgement (the target's lag at the request,
    // from the replicas' own logs, against the controller's lagEntriesMax), not by a stall: Raft's
    // transfer catches a lagging target up in one round trip, so users barely feel it
    // (docs/BENCHMARKS.md "Planned switchover").
    expected: ["planned-switchover"],
    firstFailingSeed: 1,
  },
  {
    name: "credit-without-idempotency",
    description:
      "a destination cell credits a cross-cell transfer without looking it up in its received table, so a redelivered credit applies twice",
    layer: "cells/ledger/cross-cell.ts",
    nemesis: ["partition", "kill"],
    expected: ["global-conservation", "bank"],
    firstFailingSeed: 1,
    world: "cross-cell",
  },
  {
    name: "relay-refund-on-timeout",
    description: "a relay refunds a cross-cell transfer whose credit timed out (its outcome unknown: the credit may have applied)",
    layer: "cells/cell/relay.ts",
    nemesis: ["power-loss"],
    faultUs: 6_000_000,
    expected: ["global-conservation", "bank"],
    firstFailingSeed: 1,
    world: "cross-cell",
  },
];

export function mutant(name: BugName): MutantEntry {
  const entry = MUTANTS.find((candidate) => candidate.name === name);
  if (entry === undefined) throw new RangeError(`no mutant ${name}`);
  return entry;
}

/** Every bug name has exactly one entry (asserted at load: a new bug without an entry is a build error in tests). */
for (const name of BUG_NAMES)
  if (MUTANTS.filter((entry) => entry.name === name).length !== 1) throw new Error(`mutants: ${name} needs one entry`);

/** The catchers that reported something in a finished run (empty: clean). */
export function catchersOf(verdicts: RunVerdicts | undefined, invariantViolations: readonly string[], thrown: string | null): Catcher[] {
  const found = new Set<Catcher>();
  if (thrown !== null) found.add("assertion");
  for (const violation of invariantViolations) {
    if (violation.startsWith("election safety")) found.add("invariant:election-safety");
    else if (violation.startsWith("state machine safety")) found.add("invariant:state-machine-safety");
    else if (violation.startsWith("storage integrity")) found.add("invariant:storage-integrity");
    else found.add("invariant:other");
  }
  if (verdicts !== undefined) {
    for (const [name, verdict] of Object.entries(verdicts.checkers)) {
      if (verdict !== undefined && verdict.valid === false) found.add(name as Catcher);
    }
  }
  return [...found];
}
