import { describe, it } from "vitest";
import { runRandomizedSeed, seedRange } from "./randomized.js";

// Seeds 1..50 here and 51..100 in randomized-b (two files run in parallel); more with
// LDC_SEEDS_A=1..1000, or `ldc swarm --seeds 1..1000` for the whole default world.
describe("randomised runs under a combined nemesis (A)", () => {
  for (const seed of seedRange("LDC_SEEDS_A", 1, 50)) it(`seed ${seed}`, () => runRandomizedSeed(seed));
});
