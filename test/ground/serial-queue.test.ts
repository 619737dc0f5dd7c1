import { describe, expect, it } from "vitest";
import { SerialQueue } from "../../ground/serial-queue.js";

describe("SerialQueue", () => {
  it("runs one operation at a time, in order, and refuses past its bound", () => {
    const queue = new SerialQueue("q", 2);
    const log: string[] = [];
    let finishFirst: () => void = () => {};
    queue.enqueue((done) => {
      log.push("a start");
      finishFirst = () => {
        log.push("a end");
        done();
      };
    });
    queue.enqueue((done) => {
      log.push("b");
      done();
    });
    expect(log).toEqual(["a start"]); // b waits for a
    queue.enqueue((done) => done());
    expect(() => queue.enqueue((done) => done())).toThrow(/operationsQueuedMax \(2\)/);
    finishFirst();
    expect(log).toEqual(["a start", "a end", "b"]);
    expect(queue.length).toBe(0);
  });
});
