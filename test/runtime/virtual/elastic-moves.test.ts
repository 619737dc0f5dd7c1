// Shard moves in the virtual runtime without the controller (the driver of controller/elastic.ts
// over the runtime's port): a move cut off from its destination completes or rolls back from
// what is committed, and every shard ends with exactly one owner; bad requests change nothing.
import { describe, expect, it } from "vitest";
import { VirtualRuntime } from "../../../runtime/virtual/runtime.js";
import { elasticDriver } from "../../../runtime/virtual/elastic-stand-in.js";
import { shardOwnershipViolations } from "../../../runtime/virtual/random-moves.js";
import { checkRun } from "../../../harness/run-check.js";
import type { MoveRecord } from "../../../controller/elastic.js";
import type { Result } from "../../../domain/records.js";
import { addRoutableCell, type ElasticDriver } from "./helpers.js";

function world(seed: number): VirtualRuntime {
  const virtual = new VirtualRuntime({ seed, workload: { opsPerSecond: 400 } });
  virtual.settleLeaders(2_000_000);
  virtual.startWorkload();
  return virtual;
}

describe("shard moves in the virtual runtime", () => {
  it("a destination cut off after the expect: the move rolls back from what is committed, each shard with one owner, checkers valid", () => {
    const virtual = world(5);
    const driver = elasticDriver(virtual, { stepDeadlineUs: 1_000_000 }) as ElasticDriver;
    const cell = addRoutableCell(virtual, driver);
    virtual.runFor(500_000);
    let result: Result<MoveRecord> | null = null;
    driver.elastic.moveShards({ shards: "0..4", to: cell, reason: "test", actor: "test" }, (answer) => (result = answer));
    const move = driver.elastic.list()[0] as MoveRecord;
    for (let i = 0; i < 1000 && move.state === "expecting"; i++) virtual.runFor(500);
    expect(move.state).toBe("fencing");
    const cut = virtual.faults.partition({ kind: "isolate", hosts: virtual.placement.cell(cell)?.replicas.map((r) => r.replica) ?? [] });
    virtual.runFor(3_000_000);
    expect(result).toBeNull(); // still deciding: the destination has no quorum to answer the import or the abort
    virtual.faults.heal(cut);
    for (let i = 0; i < 200 && result === null; i++) virtual.runFor(100_000);
    expect(result).not.toBeNull();
    // Seed 5: the import's answer never came before its deadline, so the destination's abort
    // decided (it committed once the partition healed), then the source unfenced.
    expect(move.state).toBe("rolled-back");
    expect(move.steps.map((step) => step.step)).toEqual(["expect", "fence", "rolling-back", "abort", "unfence", "rolled-back"]);
    expect(virtual.placement.cellOfShard(0)).toBe("cell-1");
    virtual.drain(10_000_000);
    virtual.runFor(2_000_000);
    expect(shardOwnershipViolations(virtual, { inFlight: () => 0, moves: [move], added: [], refused: [] })).toEqual([]);
    const verdicts = checkRun(virtual, { checkers: ["bank", "durability", "linearizable", "replica-agreement"] });
    expect(verdicts.valid).toBe(true);
    expect(verdicts.lostAckedTransfers).toBe(0);
  }, 120_000);

  it("refuses a range spanning two cells, a move to the owner, an overlapping move and a missing cell, naming the field or rule", () => {
    const virtual = world(6);
    const driver = elasticDriver(virtual) as ElasticDriver;
    const cell = addRoutableCell(virtual, driver);
    const answers: Result<MoveRecord>[] = [];
    const move = (shards: string, to: string): void =>
      driver.elastic.moveShards({ shards, to, reason: "test", actor: "test" }, (answer) => answers.push(answer));
    const version = driver.routing.version;
    move("15..18", cell); // cell-1 owns 0..15, cell-2 16..32
    move("3..5", "cell-1");
    move("3..5", "cell-42");
    move("x", cell);
    expect(answers.map((answer) => (answer.ok ? "ok" : (answer.field ?? answer.rule)))).toEqual(["shards", "to", "to", "shards"]);
    move("3..5", cell);
    move("5..6", cell); // overlaps the move in flight
    expect(answers[4]).toMatchObject({ ok: false, rule: "range-moving" });
    for (let i = 0; i < 100 && answers.length < 6; i++) virtual.runFor(50_000);
    expect(answers[5]).toMatchObject({ ok: true, value: { state: "cut-over" } });
    expect(driver.routing.version).toBe(version + 1);
    expect(virtual.placement.cell(cell)?.shards).toEqual([3, 4, 5]);
  }, 120_000);
});
