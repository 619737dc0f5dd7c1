import { describe, expect, it } from "vitest";
import { IdempotencyTable, packEntry, unpackEntry } from "../../../cells/ledger/idempotency.js";
import { createRandom } from "../../../ground/random.js";
import { LedgerError } from "../../../cells/ledger/errors.js";

describe("idempotency table", () => {
  it("records an id once and answers its first outcome", () => {
    const table = new IdempotencyTable(10);
    table.record("t-1", 42, "posted");
    expect(table.lookup("t-1")).toEqual({ fingerprint: 42, outcome: "posted" });
    expect(table.lookup("t-2")).toBeUndefined();
  });

  it("treats a second record of the same id as a broken invariant", () => {
    const table = new IdempotencyTable(10);
    table.record("t-1", 42, "posted");
    expect(() => table.record("t-1", 43, "INSUFFICIENT_FUNDS")).toThrow(LedgerError);
  });

  it("refuses to grow past its bound", () => {
    const table = new IdempotencyTable(1);
    table.record("t-1", 1, "posted");
    expect(() => table.record("t-2", 2, "posted")).toThrow(/over its limit/);
    expect(table.size).toBe(1);
  });
});

// The table is typed columns with an open-addressing index (issue 15: memory); it must behave
// exactly as the Map with a recording-order window it replaced, which this reference is.
class ReferenceTable {
  readonly entries = new Map<string, number>();
  evicted = 0;
  constructor(readonly windowEntries?: number) {}
  set(id: string, packed: number): void {
    const fresh = !this.entries.has(id);
    this.entries.set(id, packed);
    if (!fresh || this.windowEntries === undefined) return;
    while (this.entries.size > this.windowEntries) {
      this.entries.delete(this.entries.keys().next().value as string);
      this.evicted++;
    }
  }
}

describe("idempotency table against a Map with a window", () => {
  for (const windowEntries of [1, 7, 100, 1_500, undefined]) {
    it(`answers, evicts and iterates as the Map does (window ${windowEntries ?? "none"})`, () => {
      const random = createRandom(windowEntries ?? 0);
      const table = new IdempotencyTable(1_000_000, windowEntries);
      const reference = new ReferenceTable(windowEntries);
      // Few distinct id shapes and many probes, so index runs collide and wrap around often.
      const idOf = (n: number): string => `op-${n}`;
      let next = 0;
      const live = table.packedEntries();
      let liveSeen = 0;
      for (let step = 0; step < 6_000; step++) {
        const roll = random.intBetween(0, 9);
        if (roll < 6) {
          const id = idOf(next++);
          const fingerprint = random.intBetween(0, 0xffffffff);
          table.record(id, fingerprint, "posted");
          reference.set(id, packEntry(fingerprint, "posted"));
        } else if (roll < 7) {
          // A snapshot load of an id held already keeps its place; of a new one appends it.
          const id = idOf(random.intBetween(Math.max(0, next - 50), next + 2));
          if (id === idOf(next) || id === idOf(next + 1) || id === idOf(next + 2)) next += 3;
          const packed = packEntry(random.intBetween(0, 1_000), "INSUFFICIENT_FUNDS");
          table.loadPacked(id, packed);
          reference.set(id, packed);
        } else {
          const id = idOf(random.intBetween(0, next + 5));
          expect(table.has(id)).toBe(reference.entries.has(id));
          expect(table.packedOf(id)).toBe(reference.entries.get(id));
          expect(table.lookup(id)).toEqual(reference.entries.has(id) ? unpackEntry(reference.entries.get(id) as number) : undefined);
        }
        if (step % 500 === 499 && live.next().done !== true) liveSeen++;
        expect(table.size).toBe(reference.entries.size);
        expect(table.evicted).toBe(reference.evicted);
      }
      expect(Array.from(table.packedEntries())).toEqual(Array.from(reference.entries.entries()));
      for (let n = 0; n < next + 3; n++) expect(table.packedOf(idOf(n))).toBe(reference.entries.get(idOf(n)));
      // A live iterator made at the start sees what was recorded after it, and skips what was evicted.
      expect(liveSeen).toBeGreaterThan(0);
      const rest = Array.from({ [Symbol.iterator]: () => live });
      expect(rest.length).toBeLessThanOrEqual(reference.entries.size);
      expect(rest).toEqual(Array.from(reference.entries.entries()).slice(reference.entries.size - rest.length));
    });
  }
});
