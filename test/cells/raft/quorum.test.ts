// Majority arithmetic: committedIndex is the quorum-th largest match, whatever the order.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { committedIndex } from "../../../cells/raft/quorum.js";
import { logIndex } from "../../../cells/raft/types.js";

describe("committedIndex", () => {
  it("is the index a majority has reached: 3 of 5 at 7 or beyond commits 7", () => {
    expect(committedIndex([9, 7, 3, 7, 1].map(logIndex))).toBe(7);
    expect(committedIndex([9, 8, 3, 2, 1].map(logIndex))).toBe(3);
    expect(committedIndex([4, 4].map(logIndex))).toBe(4);
    expect(committedIndex([])).toBe(0);
  });

  it("equals the quorum-th largest match for any voter count and any matches", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 20 }), { minLength: 1, maxLength: 9 }), (raw) => {
        const matches = raw.map(logIndex);
        const sorted = [...raw].sort((a, b) => b - a);
        expect(committedIndex(matches)).toBe(sorted[Math.floor(raw.length / 2)]);
      }),
    );
  });
});
