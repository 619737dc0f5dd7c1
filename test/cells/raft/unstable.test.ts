// The unstable log: appends, truncations, stableTo, and the contiguity invariant, against a model
// that rebuilds the whole list the obvious way.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RaftInvariantError } from "../../../cells/raft/errors.js";
import type { Entry } from "../../../cells/raft/types.js";
import { logIndex, term } from "../../../cells/raft/types.js";
import { Unstable } from "../../../cells/raft/unstable.js";

const entry = (index: number, entryTerm = 1): Entry => ({ kind: "normal", term: term(entryTerm), index: logIndex(index), data: null });
const run = (from: number, count: number, entryTerm = 1): Entry[] => Array.from({ length: count }, (_, i) => entry(from + i, entryTerm));

describe("Unstable", () => {
  it("appends at the end, replaces a suffix, or replaces everything", () => {
    const unstable = new Unstable(logIndex(5));
    unstable.truncateAndAppend(run(5, 3));
    expect(unstable.entries.map((e) => e.index)).toEqual([5, 6, 7]);
    unstable.truncateAndAppend(run(8, 2));
    expect(unstable.entries.map((e) => e.index)).toEqual([5, 6, 7, 8, 9]);
    unstable.truncateAndAppend(run(7, 1, 2));
    expect(unstable.entries.map((e) => [e.index, e.term])).toEqual([
      [5, 1],
      [6, 1],
      [7, 2],
    ]);
    unstable.truncateAndAppend(run(3, 2, 3));
    expect(unstable.offset).toBe(3);
    expect(unstable.entries.map((e) => e.index)).toEqual([3, 4]);
  });

  it("refuses a gap before the new entries and new entries that are not contiguous", () => {
    const unstable = new Unstable(logIndex(1));
    unstable.truncateAndAppend(run(1, 2));
    expect(() => unstable.truncateAndAppend(run(4, 1))).toThrow(RaftInvariantError);
    expect(() => unstable.truncateAndAppend([entry(3), entry(5)])).toThrow(RaftInvariantError);
    expect(unstable.entries.map((e) => e.index)).toEqual([1, 2]);
  });

  it("matches the copy-everything model over random appends, truncations and stableTo (property)", () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant("append" as const),
        back: fc.nat({ max: 6 }),
        count: fc.integer({ min: 1, max: 4 }),
        term: fc.integer({ min: 1, max: 3 }),
      }),
      fc.record({ kind: fc.constant("stable" as const), ahead: fc.nat({ max: 5 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const unstable = new Unstable(logIndex(10));
        let model = { offset: 10, entries: [] as Entry[] };
        for (const o of ops) {
          if (o.kind === "append") {
            const after = Math.max(1, model.offset + model.entries.length - o.back);
            const added = run(after, o.count, o.term);
            unstable.truncateAndAppend(added);
            if (after === model.offset + model.entries.length) model = { offset: model.offset, entries: [...model.entries, ...added] };
            else if (after <= model.offset) model = { offset: after, entries: added };
            else model = { offset: model.offset, entries: [...model.entries.slice(0, after - model.offset), ...added] };
          } else {
            const target = model.entries[o.ahead];
            if (target === undefined) continue;
            unstable.stableTo(target.index, target.term);
            model = { offset: target.index + 1, entries: model.entries.slice(o.ahead + 1) };
          }
          expect(unstable.offset).toBe(model.offset);
          expect(unstable.entries).toEqual(model.entries);
        }
      }),
    );
  });
});
