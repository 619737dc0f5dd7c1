// Shard moves in the control log (controller/control/state-machine.ts "move", controller/elastic-journal.ts):
// a move's records apply in sequence order (an older record committed late never overwrites a
// newer one), finished moves are not "unfinished", a snapshot keeps them, and the watcher resumes
// moves once the group has a leader and again at each new term, never twice in one term.
import { describe, expect, it } from "vitest";
import {
  ControlStateMachine,
  controlMoveUnfinished,
  type ControlMove,
  type ControlScaleOutCell,
} from "../../controller/control/state-machine.js";
import { MoveRecoveryWatcher } from "../../controller/elastic-journal.js";
import type { ControlPlane } from "../../controller/control/plane.js";
import type { ElasticCells } from "../../controller/elastic.js";
import type { Clock } from "../../ground/ports.js";

const move = (id: string, seq: number, state: string): ControlMove => ({
  id,
  seq,
  first: 0,
  last: 4,
  from: "cell-1",
  to: "cell-7",
  state,
  reason: "test",
  actor: "test",
  startedMs: 1,
  atMs: seq,
});

describe("move records in the control state machine", () => {
  it("keeps the newest record of each move, whatever order they commit in; a snapshot restores them", () => {
    const machine = new ControlStateMachine();
    let index = 0;
    const apply = (record: ControlMove): void => {
      machine.apply({ index: ++index, term: 1, data: { kind: "move", requestId: `move:${record.id}:${record.seq}`, move: record } });
    };
    apply(move("mv-1", 1, "expecting"));
    apply(move("mv-1", 3, "copying"));
    apply(move("mv-1", 2, "fencing")); // late: ignored
    apply(move("mv-2", 1, "expecting"));
    apply(move("mv-2", 2, "cut-over"));
    expect(machine.moves().map((m) => [m.id, m.state])).toEqual([
      ["mv-1", "copying"],
      ["mv-2", "cut-over"],
    ]);
    expect(
      machine
        .moves()
        .filter(controlMoveUnfinished)
        .map((m) => m.id),
    ).toEqual(["mv-1"]);
    const copy = new ControlStateMachine();
    copy.restore(JSON.parse(JSON.stringify(machine.snapshot())));
    expect(copy.moves()).toEqual(machine.moves());
    // A snapshot written before moves were recorded restores with none.
    const old = { ...machine.snapshot(), moves: undefined };
    const older = new ControlStateMachine();
    older.restore(old);
    expect(older.moves()).toEqual([]);
  });
});

describe("the scale-out policy's cells in the control state machine", () => {
  it("keeps each added cell until it is removed; a removal is final (a late add of the cell is ignored); a snapshot keeps them", () => {
    const machine = new ControlStateMachine();
    let index = 0;
    const apply = (record: ControlScaleOutCell, requestId = `scale-out:${record.cell}:${record.state}`): void => {
      machine.apply({ index: ++index, term: 1, data: { kind: "scale-out", requestId, cell: record } });
    };
    const cell = (name: string, state: ControlScaleOutCell["state"]): ControlScaleOutCell => ({
      cell: name,
      from: "cell-1",
      first: 8,
      last: 16,
      state,
      atMs: index,
    });
    apply(cell("cell-7", "added"));
    apply(cell("cell-8", "added"));
    apply(cell("cell-7", "removed"));
    apply(cell("cell-7", "added"), "a retry under another id"); // late: cell ids are never reused
    expect(machine.scaleOutCells().map((record) => [record.cell, record.state])).toEqual([
      ["cell-8", "added"],
      ["cell-7", "removed"],
    ]);
    const copy = new ControlStateMachine();
    copy.restore(JSON.parse(JSON.stringify(machine.snapshot())));
    expect(copy.scaleOutCells()).toEqual(machine.scaleOutCells());
    const older = new ControlStateMachine();
    older.restore({ ...machine.snapshot(), scaleOutCells: undefined });
    expect(older.scaleOutCells()).toEqual([]);
  });
});

describe("the move recovery watcher", () => {
  it("recovers once the group has a leader, then once per new term", () => {
    let status = { leader: null as string | null, term: 0 };
    const plane = {
      status: () => status,
      leaderState: () => (status.leader === null ? null : new ControlStateMachine()),
    } as unknown as ControlPlane;
    let recovered = 0;
    const elastic = { recover: () => ++recovered } as unknown as ElasticCells;
    const clock = { nowUs: () => 0, setTimer: () => 1, cancelTimer: () => {} } as unknown as Clock;
    const watcher = new MoveRecoveryWatcher({ clock, plane, elastic });
    watcher.start();
    expect(recovered).toBe(0); // no leader yet: the log cannot be read
    status = { leader: "ctl/a-1", term: 2 };
    watcher.step();
    watcher.step();
    expect(recovered).toBe(1);
    status = { leader: "ctl/b-1", term: 3 };
    watcher.step();
    expect(recovered).toBe(2);
    expect(watcher.figures).toEqual({ recoveries: 2, resumed: 3 });
    watcher.stop();
  });
});
