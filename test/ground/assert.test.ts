// The always-on assertions of ground/assert.ts.
import { describe, expect, it } from "vitest";
import { assert, assertContiguous, AssertionError } from "../../ground/assert.js";

describe("assert", () => {
  it("passes a true condition without building its message", () => {
    let built = false;
    assert(true, () => {
      built = true;
      return "never";
    });
    expect(built).toBe(false);
  });

  it("throws an AssertionError with code ASSERTION and the message", () => {
    expect(() => assert(false, () => "applied 7 beyond committed 5")).toThrow(AssertionError);
    expect(() => assert(false, "x")).toThrow(expect.objectContaining({ code: "ASSERTION", message: "x" }));
  });

  it("checks that indexes follow one another", () => {
    expect(() => assertContiguous([], "empty")).not.toThrow();
    expect(() => assertContiguous([{ index: 4 }, { index: 5 }, { index: 6 }], "log")).not.toThrow();
    expect(() => assertContiguous([{ index: 4 }, { index: 6 }], "log")).toThrow("log: index 6 follows 4");
    expect(() => assertContiguous([{ index: 4 }, { index: 4 }], "log")).toThrow("log: index 4 follows 4");
  });
});
