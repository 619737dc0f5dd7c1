// JSON text built from parts must be exactly JSON.stringify's, or files and checksums drift.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { jsonObjectText, jsonOf, withEncodedJson } from "../../cells/encoded-json.js";

const key = fc.string().map((text) => `k${text}`);

describe("encoded JSON", () => {
  it("jsonObjectText equals JSON.stringify of the plain fields followed by the raw ones", () => {
    fc.assert(
      // Keys that are not array indices (objects list those first, whatever the insertion order).
      fc.property(fc.dictionary(key, fc.jsonValue()), fc.dictionary(key, fc.jsonValue()), (plain, rawValues) => {
        const raw = Object.entries(rawValues).filter(([name]) => !(name in plain));
        const expected = JSON.stringify({ ...plain, ...Object.fromEntries(raw) });
        expect(
          jsonObjectText(
            plain,
            raw.map(([key, value]) => [key, JSON.stringify(value)]),
          ),
        ).toBe(expected);
      }),
    );
    expect(jsonObjectText({}, [])).toBe("{}");
    expect(jsonObjectText({}, [["a", "1"]])).toBe('{"a":1}');
  });

  it("jsonOf answers the attached text, which JSON.stringify of the value ignores", () => {
    const value = withEncodedJson({ a: 1 }, '{"a":1}');
    expect(jsonOf(value)).toBe('{"a":1}');
    expect(JSON.stringify(value)).toBe('{"a":1}');
    expect(jsonOf({ b: 2 })).toBe('{"b":2}');
    expect(jsonOf(undefined)).toBe("null");
  });
});
