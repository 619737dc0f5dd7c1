// startedBeforeAll (test/before-all.ts): the accessor answers what beforeAll started, refuses to be
// read before that, and afterAll closes it once.
import { afterAll, describe, expect, it } from "vitest";
import { startedBeforeAll } from "./before-all.js";

const closed: number[] = [];

describe("startedBeforeAll", () => {
  let starts = 0;
  const started = startedBeforeAll(
    "the counter",
    async () => ++starts * 7,
    async (value) => {
      closed.push(value);
    },
  );
  const readEarly = ((): string => {
    try {
      return String(started());
    } catch (error) {
      return (error as Error).message;
    }
  })();

  it("answers the resource beforeAll started, the same one in every test", () => {
    expect(started()).toBe(7);
    expect(started()).toBe(7);
    expect(starts).toBe(1);
    expect(closed).toEqual([]);
  });

  it("threw, naming the resource, when read before beforeAll had run", () => {
    expect(readEarly).toBe("the counter is not started (did beforeAll fail?)");
  });
});

// Registered at file level, so it runs after the describe block's own afterAll.
afterAll(() => {
  expect(closed).toEqual([7]);
});
