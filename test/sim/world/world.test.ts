import { describe, expect, it } from "vitest";
import { World } from "../../../sim/world/world.js";
import type { ProcessContext } from "../../../sim/world/process.js";

function twoHosts(seed = 1) {
  const world = new World({ seed });
  world.addHost("a", "hz-a");
  world.addHost("b", "hz-b");
  return world;
}

describe("world processes", () => {
  it("crash drops the incarnation's timers, disk callbacks and incoming messages; restart recovers from disk", () => {
    const world = twoHosts();
    const events: string[] = [];
    const recovered: number[][] = [];
    let senderA: ProcessContext | null = null;
    world.spawn("a", (context) => {
      senderA = context;
      return {};
    });
    world.spawn("b", (context) => {
      context.disk.read("log", (error, bytes) => recovered.push(error === null && bytes !== null ? [...bytes] : []));
      context.transport.onMessage((_source, message) => events.push(`b${context.incarnation} got ${String(message)}`));
      context.clock.setTimer(1_000, () => events.push(`b${context.incarnation} timer`));
      if (context.incarnation === 1) {
        context.disk.append("log", Uint8Array.of(1, 2), () => context.disk.fsync("log", () => events.push("synced")));
        context.clock.setTimer(5_000, () => context.disk.append("log", Uint8Array.of(3), () => events.push("appended 3")));
        context.clock.setTimer(5_010, () => context.disk.fsync("log", () => events.push("never synced")));
      }
      return {};
    });
    world.runFor(5_100); // b's second fsync is in progress (250 µs) when it crashes
    world.crash("b");
    (senderA as unknown as ProcessContext).transport.send("b", "hello");
    world.runFor(10_000);
    expect(world.isUp("b")).toBe(false);
    expect(world.network.messageCounts().dropped["target-down"]).toBe(1);
    const context = world.restart("b");
    expect(context.incarnation).toBe(2);
    world.runFor(10_000);
    expect(events).toEqual(["synced", "b1 timer", "appended 3", "b2 timer"]);
    expect(recovered).toEqual([[], [1, 2]]);
  });

  it("pause defers timers and messages; resume delivers them in arrival order", () => {
    const world = twoHosts();
    const seen: string[] = [];
    let a: ProcessContext | null = null;
    world.spawn("a", (context) => {
      a = context;
      return {};
    });
    world.spawn("b", (context) => {
      context.transport.onMessage((_source, message) => seen.push(`msg ${String(message)} at ${context.clock.nowUs()}`));
      context.clock.setTimer(100, () => seen.push(`timer at ${context.clock.nowUs()}`));
      return {};
    });
    world.pause("b");
    (a as unknown as ProcessContext).transport.send("b", "first");
    world.runFor(2_000);
    (a as unknown as ProcessContext).transport.send("b", "second");
    world.runFor(2_000);
    expect(seen).toEqual([]);
    expect(world.state("b")).toBe("paused");
    world.resume("b");
    world.runFor(1);
    expect(seen).toEqual(["timer at 4000", "msg first at 4000", "msg second at 4000"]);
  });

  it("rejects impossible transitions with typed errors", () => {
    const world = twoHosts();
    expect(() => world.restart("a")).toThrow(expect.objectContaining({ code: "NO_PROCESS" }));
    world.spawn("a", () => ({}));
    expect(() => world.spawn("a", () => ({}))).toThrow(expect.objectContaining({ code: "ALREADY_RUNNING" }));
    expect(() => world.resume("a")).toThrow(expect.objectContaining({ code: "NOT_PAUSED" }));
    world.crash("a");
    expect(() => world.crash("a")).toThrow(expect.objectContaining({ code: "NOT_RUNNING" }));
    expect(() => world.addHost("c", "mars-1")).toThrow(expect.objectContaining({ code: "UNKNOWN_DATACENTER" }));
  });

  it("gives each component its own random stream: extra draws in one do not shift another", () => {
    const arrivals = (extraProcessDraws: number) => {
      const world = twoHosts(99);
      const arrivedAt: number[] = [];
      world.spawn("a", (context) => {
        for (let i = 0; i < extraProcessDraws; i++) context.random.nextUint32();
        context.transport.onMessage(() => arrivedAt.push(context.clock.nowUs()));
        return {};
      });
      world.spawn("b", (context) => {
        for (let i = 0; i < 20; i++) context.transport.send("a", i);
        return {};
      });
      world.runFor(10_000);
      return arrivedAt;
    };
    expect(arrivals(0)).toHaveLength(20);
    expect(arrivals(1000)).toEqual(arrivals(0)); // the network's jitter did not move
  });

  it("is deterministic: the same seed gives the same trace, another seed a different one", () => {
    const run = (seed: number) => {
      const world = twoHosts(seed);
      world.spawn("a", (context) => {
        const tick = () => {
          context.transport.send("b", { kind: "tick" });
          context.clock.setTimer(context.random.intBetween(100, 1_000), tick);
        };
        tick();
        return {};
      });
      world.spawn("b", (context) => {
        context.transport.onMessage(() => {});
        return {};
      });
      world.runFor(1_000_000);
      return world.summary();
    };
    expect(run(5).traceHash).toBe(run(5).traceHash);
    expect(run(5).traceHash).not.toBe(run(6).traceHash);
    expect(run(5).events).toBeGreaterThan(1000);
  });
});
