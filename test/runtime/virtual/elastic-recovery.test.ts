// Issue 18: a move interrupted by a controller restart. The first driver (the controller) dies at
// a point of the move (after the destination's expect, after the source's fence, with the import
// sent, after the import before the cut over) while the cells go on; a second driver on the same
// control plane's log (a restarted controller) resumes it from what the cells committed. It
// completes or rolls back, every shard ends with exactly one owner, and the checkers (money
// conserved across cells among them) hold.
import { describe, expect, it } from "vitest";
import { VirtualRuntime } from "../../../runtime/virtual/runtime.js";
import { elasticDriver } from "../../../runtime/virtual/elastic-stand-in.js";
import { spawnControlPlane } from "../../../runtime/virtual/control-plane.js";
import { shardOwnershipViolations } from "../../../runtime/virtual/random-moves.js";
import { controlMoveJournal } from "../../../controller/elastic-journal.js";
import { checkRun } from "../../../harness/run-check.js";
import type { MoveCrashPoint, MoveJournal, MoveRecord } from "../../../controller/elastic.js";
import type { Result } from "../../../domain/records.js";
import { addRoutableCell, type ElasticDriver } from "./helpers.js";

function world(seed: number): { virtual: VirtualRuntime; journal: MoveJournal } {
  const virtual = new VirtualRuntime({ seed, workload: { opsPerSecond: 400 } });
  const control = spawnControlPlane(virtual);
  virtual.settleLeaders(3_000_000);
  virtual.startWorkload();
  return { virtual, journal: controlMoveJournal(control.plane) };
}

function finished(move: MoveRecord | undefined): boolean {
  return move !== undefined && ["cut-over", "rolled-back", "stuck"].includes(move.state);
}

/** Starts a move of 0..4 that dies at `point`; answers the world, the added cell and the move's id. */
function interrupted(seed: number, point: MoveCrashPoint) {
  const { virtual, journal } = world(seed);
  const first = elasticDriver(virtual, {}, { journal, crashAt: (_id, at) => at === point }) as ElasticDriver;
  const cell = addRoutableCell(virtual, first);
  virtual.runFor(300_000);
  let answer: Result<MoveRecord> | null = null;
  first.elastic.moveShards({ shards: "0..4", to: cell, reason: "test", actor: "test" }, (result) => (answer = result));
  for (let i = 0; i < 2_000 && !first.elastic.isStopped; i++) virtual.runFor(1_000);
  expect(first.elastic.isStopped).toBe(true);
  const move = first.elastic.list()[0] as MoveRecord;
  virtual.runFor(1_000_000); // the controller is down; the cells and users go on
  expect(answer).toBeNull(); // the dead controller never answered
  expect(move.state).not.toBe("cut-over");
  expect(journal.unfinished()?.map((recorded) => recorded.id)).toEqual([move.id]);
  return { virtual, journal, cell, moveId: move.id };
}

function verdicts(virtual: VirtualRuntime, moves: readonly MoveRecord[]): void {
  virtual.drain(10_000_000);
  virtual.runFor(2_000_000);
  expect(shardOwnershipViolations(virtual, { inFlight: () => 0, moves: [...moves], added: [], refused: [] })).toEqual([]);
  const checked = checkRun(virtual, {
    checkers: ["bank", "durability", "linearizable", "replica-agreement", "global-conservation"],
  });
  expect(checked.valid).toBe(true);
  expect(checked.lostAckedTransfers).toBe(0);
}

describe("a shard move interrupted by a controller restart", () => {
  const points: readonly MoveCrashPoint[] = ["after-expect", "after-fence", "import-sent", "before-cut-over"];
  for (const [index, point] of points.entries()) {
    it(`dies ${point}: the restarted controller resumes it from the control log and completes it`, () => {
      const { virtual, journal, cell, moveId } = interrupted(11 + index, point);
      const second = elasticDriver(virtual, {}, { journal, idPrefix: "mv-b" }) as ElasticDriver;
      expect(second.elastic.recover()).toBe(1);
      const resumed = second.elastic.move(moveId);
      for (let i = 0; i < 400 && !finished(resumed); i++) virtual.runFor(50_000);
      // Before the import committed the resumed drive repeats each step (a repeated expect or fence
      // answers its first outcome); after it, the destination's MOVE_IMPORTED completes the move.
      const steps = resumed?.steps.map((step) => `${step.step}:${step.outcome.split(":")[0]}`);
      if (point === "after-expect" || point === "after-fence")
        expect(steps).toEqual(["expect:done", "fence:done", "import:done", "cut-over:ok"]);
      else expect(steps).toEqual(["expect:refused", "cut-over:ok"]);
      expect(resumed?.state).toBe("cut-over");
      expect(virtual.placement.cell(cell)?.shards).toEqual([0, 1, 2, 3, 4]);
      virtual.runFor(500_000);
      expect(journal.unfinished()).toEqual([]); // recorded finished: a third controller resumes nothing
      expect(elasticDriver(virtual, {}, { journal, idPrefix: "mv-c" })?.elastic.recover()).toBe(0);
      verdicts(virtual, [resumed as MoveRecord]);
    }, 180_000);
  }

  it("dies after the expect and the source cannot fence within the step deadline: the restarted controller rolls it back", () => {
    const { virtual, journal, moveId } = interrupted(21, "after-expect");
    const source = virtual.placement.cell("cell-1")?.replicas.map((replica) => replica.replica) ?? [];
    const cut = virtual.faults.partition({ kind: "isolate", hosts: source });
    const second = elasticDriver(virtual, { stepDeadlineUs: 1_000_000 }, { journal, idPrefix: "mv-b" }) as ElasticDriver;
    expect(second.elastic.recover()).toBe(1);
    const resumed = second.elastic.move(moveId);
    virtual.runFor(3_000_000);
    expect(finished(resumed)).toBe(false); // the unfence waits for the source's quorum
    virtual.faults.heal(cut);
    for (let i = 0; i < 400 && !finished(resumed); i++) virtual.runFor(50_000);
    expect(resumed?.state).toBe("rolled-back");
    expect(virtual.placement.cellOfShard(0)).toBe("cell-1");
    virtual.runFor(500_000);
    expect(journal.unfinished()).toEqual([]);
    verdicts(virtual, [resumed as MoveRecord]);
  }, 180_000);
});
