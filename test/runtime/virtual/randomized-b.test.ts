import { describe, it } from "vitest";
import { runRandomizedSeed, seedRange } from "./randomized.js";

// Seeds 51..100 here and 1..50 in randomized-a (two files run in parallel); more with
// LDC_SEEDS_B=1..1000, or `ldc swarm --seeds 1..1000` for the whole default world.
describe("randomised runs under a combined nemesis (B)", () => {
  for (const seed of seedRange("LDC_SEEDS_B", 51, 100)) it(`seed ${seed}`, () => runRandomizedSeed(seed));
});
