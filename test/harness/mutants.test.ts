// The bug catalogue kept honest (harness/mutants.ts). `ldc bench mutants` searched seeds 1..50 of
// each bug's nemesis mix for the first one the harness catches and recorded it in the catalogue;
// here each recorded seed is replayed with the bug on (some checker, online invariant or
// assertion must report it, and one the catalogue expects) and with the bug off (nothing may
// report anything: the checkers blamed the bug, not noise). A change that blunts a checker, or
// a bug whose switch stops working, fails here; so does a change that moves a recorded seed
// (rerun `ldc bench mutants --json` and record the new first failing seeds). The replays are
// split over two files (this one and mutants-cross-cell.test.ts) so that vitest runs them in parallel.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { BUG_NAMES } from "../../cells/bugs.js";
import { MUTANTS, MUTANTS_CROSS_CELL_WORLD, MUTANTS_SEEDS_MAX, MUTANTS_WORLD } from "../../harness/mutants.js";
import { MUTANTS_CROSS_CELL_WORLD_FILE, MUTANTS_WORLD_FILE } from "../../runtime/virtual/mutants.js";
import { replayRecordedSeeds } from "./mutants-replay.js";

describe("bug catalogue", () => {
  it("has one entry per bug switch, at least ten, each with a mix and expected catchers, at least ten caught", () => {
    expect(BUG_NAMES.length).toBeGreaterThanOrEqual(10);
    expect(MUTANTS.filter((entry) => entry.firstFailingSeed !== null).length).toBeGreaterThanOrEqual(10);
    expect(MUTANTS.map((entry) => entry.name).sort()).toEqual([...BUG_NAMES].sort());
    for (const entry of MUTANTS) {
      expect(entry.nemesis.length, entry.name).toBeGreaterThan(0);
      expect(entry.expected.length, entry.name).toBeGreaterThan(0);
      if (entry.firstFailingSeed === null) expect(entry.gap, `${entry.name} is not caught: say why`).toBeTruthy();
      else expect(entry.firstFailingSeed).toBeLessThanOrEqual(MUTANTS_SEEDS_MAX);
    }
  });

  it("its world files are the worlds the catalogue runs in", () => {
    expect(parse(readFileSync(MUTANTS_WORLD_FILE, "utf8"))).toEqual(MUTANTS_WORLD);
    expect(parse(readFileSync(MUTANTS_CROSS_CELL_WORLD_FILE, "utf8"))).toEqual(MUTANTS_CROSS_CELL_WORLD);
  });

  // The one-cell world's bugs; the cross-cell world's are replayed by mutants-cross-cell.test.ts.
  replayRecordedSeeds(MUTANTS.filter((entry) => entry.world !== "cross-cell"));
});
