// The replica spawn spec's priority-election fields and the live processes' nice setting: bad
// values are refused with the field named, good ones pass through.
import { describe, expect, it } from "vitest";
import { parseReplicaSpec, ReplicaSpecError } from "../../../runtime/live/replica/spec.js";
import { LIVE_PROCESS_NICE_DEFAULT, LivePriorityError, liveProcessNice } from "../../../runtime/live/priority.js";

const base = {
  id: "a",
  cell: "cell-1",
  voters: ["a", "b", "c"],
  host: "127.0.0.1",
  port: 4000,
  peers: { b: "127.0.0.1:4001", c: "127.0.0.1:4002" },
  dataDir: "/tmp/x",
  seed: 1,
  raft: { tickUs: 10_000, electionTicks: 20, heartbeatTicks: 5, priorityElections: true, electionOrder: ["c", "a", "b"] },
};

describe("replica spec: priority elections", () => {
  it("passes a full election order through", () => {
    expect(parseReplicaSpec(JSON.stringify(base)).raft.electionOrder).toEqual(["c", "a", "b"]);
  });

  it("refuses an order that misses or repeats a voter, naming the field", () => {
    for (const electionOrder of [
      ["a", "b"],
      ["a", "a", "b"],
      ["a", "b", "z"],
    ]) {
      expect(() => parseReplicaSpec(JSON.stringify({ ...base, raft: { ...base.raft, electionOrder } }))).toThrow(
        /^spec\.raft\.electionOrder: expected every voter exactly once/,
      );
    }
    expect(() => parseReplicaSpec(JSON.stringify({ ...base, raft: { ...base.raft, priorityElections: "yes" } }))).toThrow(ReplicaSpecError);
  });
});

describe("live process priority", () => {
  it("defaults to -5, takes LDC_LIVE_NICE, refuses anything but an integer in -20..19", () => {
    expect(liveProcessNice({})).toBe(LIVE_PROCESS_NICE_DEFAULT);
    expect(liveProcessNice({ LDC_LIVE_NICE: "0" })).toBe(0);
    expect(liveProcessNice({ LDC_LIVE_NICE: "-10" })).toBe(-10);
    for (const bad of ["-21", "20", "1.5", "high"]) expect(() => liveProcessNice({ LDC_LIVE_NICE: bad })).toThrow(LivePriorityError);
  });
});
