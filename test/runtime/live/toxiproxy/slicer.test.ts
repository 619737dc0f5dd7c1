// The slicer's cut points: contiguous, covering the chunk, each slice within the size bounds.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { sliceBounds } from "../../../../runtime/live/toxiproxy/toxics/slicer.js";

describe("sliceBounds", () => {
  it("covers [0, size) with contiguous, non-empty slices of bounded size", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 0, max: 50 }),
        (sizeBytes, averageBytes, variationBytes) => {
          const bounds = sliceBounds(0, sizeBytes, averageBytes, variationBytes);
          expect(bounds[0]).toBe(0);
          expect(bounds.at(-1)).toBe(sizeBytes);
          for (let index = 1; index < bounds.length; index += 2) {
            const sliceBytes = bounds[index] - bounds[index - 1];
            expect(sliceBytes).toBeGreaterThan(0);
            expect(sliceBytes).toBeLessThanOrEqual(averageBytes + variationBytes);
            if (index + 1 < bounds.length) expect(bounds[index + 1]).toBe(bounds[index]);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
