// A replica builds its snapshot in steps while it goes on; a snapshot from the leader may reach its
// Raft log meanwhile (a lagging follower caught up by InstallSnapshot), and the log then starts
// after the index the build was taken at. The build is superseded and dropped (cells/replica.ts
// writeSnapshot), as it is when the replica has already processed the installed snapshot. Before,
// the replica asked the log for the entry's term and the Raft core's assertion stopped the run:
// seed 54 of `partition, leader-move` (3 s partitions) with the controller moving leadership to a
// lagging replica (transfer-to-lagging), whose catch-up sent that snapshot at the wrong moment.
import { describe, expect, it } from "vitest";
import { mutant } from "../../../harness/mutants.js";
import { runMutant } from "../../../runtime/virtual/mutants.js";

describe("a stepped snapshot superseded by the leader's", () => {
  it("is dropped, not asserted: seed 54 of partition, leader-move with a move to a lagging replica breaks nothing", () => {
    const entry = { ...mutant("transfer-to-lagging"), nemesis: ["partition", "leader-move"], faultUs: 3_000_000 };
    const run = runMutant(entry, 54, true);
    expect(run.detail).toBeNull();
    // The switch is on, so the planned-switchover checker reports its lagging moves (the controller's
    // rule); nothing else may: no assertion, no invariant, every other checker valid.
    expect(run.caughtBy).toEqual(["planned-switchover"]);
  }, 120_000);
});
