// The bug catalogue kept honest, second half (see mutants.test.ts): the cross-cell protocol's
// bugs, replayed in their three-cell world at their recorded seeds, with and without the bug.
import { describe } from "vitest";
import { MUTANTS } from "../../harness/mutants.js";
import { replayRecordedSeeds } from "./mutants-replay.js";

describe("bug catalogue: the cross-cell protocol's bugs", () => {
  replayRecordedSeeds(MUTANTS.filter((entry) => entry.world === "cross-cell"));
});
