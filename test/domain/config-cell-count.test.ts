// A config with fewer cells than the defaults' six keeps only the preferences of its own cells
// (bench/mutants-world.yaml has one cell); a preference the user gave for a missing cell is still
// the user's error, named.
import { describe, expect, it } from "vitest";
import { ConfigError, parseWorldConfig } from "../../domain/config.js";

describe("config with fewer cells", () => {
  it("drops the defaults' preferences for cells it does not have", () => {
    const config = parseWorldConfig({ cells: { count: 2 } });
    expect(Object.keys(config.cells.preferredLeaderRegions).sort()).toEqual(["cell-1", "cell-2"]);
  });

  it("keeps what the user gave, so a preference for a missing cell still fails placement, not parsing", () => {
    const config = parseWorldConfig({ cells: { count: 1, preferredLeaderRegions: { "cell-1": "shanghai", "cell-3": "hangzhou" } } });
    expect(config.cells.preferredLeaderRegions).toEqual({ "cell-1": "shanghai", "cell-3": "hangzhou" });
    expect(() => parseWorldConfig({ cells: { count: "one" } })).toThrow(ConfigError);
  });
});
