// The planned-switchover checker's judgement (harness/checkers/planned-switchover.ts): a planned
// leadership move whose cell acknowledges a write invoked after the request within the bound
// passes; one over it (or with no write acknowledged) fails, naming the move; a move with a fault
// on its cell between the request and the bound, or after which the users stopped, is not judged.
// Every move, faulty cell or not, is also judged by the controller's rule: its target was at most
// lagRule entries behind the leader's log at the request (the replicas' own logs).
import { describe, expect, it } from "vitest";
import type { Op } from "../../harness/history.js";
import { checkPlannedSwitchover, type PlannedMove } from "../../harness/checkers/planned-switchover.js";
import type { FaultWindow } from "../../harness/checkers/availability.js";

/** One client write per entry: [invokedUs, completedUs, ok]. */
function history(cell: string, writes: readonly (readonly [number, number, boolean])[], reads: readonly [number, number][] = []): Op[] {
  const events: { time: number; op: Omit<Op, "index"> }[] = [];
  let process = 0;
  for (const [invokedUs, completedUs, ok] of writes) {
    const value = { id: `t${process}`, from: "a", to: "b", amount: 1, cell };
    events.push({ time: invokedUs, op: { process, type: "invoke", f: "transfer", value, time: invokedUs } });
    events.push({ time: completedUs, op: { process, type: ok ? "ok" : "info", f: "transfer", value, time: completedUs } });
    process++;
  }
  for (const [invokedUs, completedUs] of reads) {
    events.push({ time: invokedUs, op: { process, type: "invoke", f: "read", value: { cell }, time: invokedUs } });
    events.push({ time: completedUs, op: { process, type: "ok", f: "read", value: { cell, balances: {} }, time: completedUs } });
    process++;
  }
  return events.sort((a, b) => a.time - b.time).map((event, index) => ({ ...event.op, index }));
}

const move = (id: string, requestedUs: number, lag = 0): PlannedMove => ({
  id,
  cell: "cell-1",
  from: "cell-1/hz-a",
  target: "cell-1/sz-a",
  lag,
  requestedUs,
  result: null,
  endUs: requestedUs + 80_000,
});

describe("planned-switchover checker", () => {
  const boundUs = 600_000;
  // Users write all along: one write every 100 ms from 0 to 3 s.
  const steady = Array.from({ length: 30 }, (_, i) => i * 100_000);

  it("passes a move whose cell acknowledges a write invoked after the request within the bound", () => {
    // The request at 1 s: writes invoked from then on are held until 1.25 s (the handover), then answered.
    const writes = steady.map((at): [number, number, boolean] => [at, at >= 1_000_000 && at < 1_250_000 ? 1_250_000 : at + 20_000, true]);
    const verdict = checkPlannedSwitchover(history("cell-1", writes), [move("move-1", 1_000_000)], [], boundUs);
    expect(verdict).toMatchObject({ valid: true, boundMs: 600, judged: 1, slow: [] });
    expect(verdict.moves[0]).toMatchObject({ id: "move-1", switchoverMs: 250, notJudged: null, valid: true });
  });

  it("fails a move whose cell acknowledged no write invoked after the request within the bound, naming it", () => {
    // Every write from the request on waits 700 ms; a read answered meanwhile does not count, nor a write invoked before.
    const writes = steady.map((at): [number, number, boolean] => [
      at,
      at >= 1_000_000 ? Math.max(at + 20_000, 1_700_000) : at + 20_000,
      true,
    ]);
    writes.push([990_000, 1_010_000, true]);
    const verdict = checkPlannedSwitchover(
      history("cell-1", writes, [[1_000_000, 1_050_000]]),
      [move("move-1", 1_000_000, 308)],
      [],
      boundUs,
    );
    expect(verdict.valid).toBe(false);
    expect(verdict.moves[0]).toMatchObject({ switchoverMs: 700, valid: false });
    expect(verdict.slow).toEqual(["move-1/cell-1: to cell-1/sz-a (lag 308, led): first write acknowledged after 700 ms > 600 ms"]);
    // Within a bound of 800 ms the same move passes: the bound is what is judged.
    expect(checkPlannedSwitchover(history("cell-1", writes), [move("move-1", 1_000_000, 308)], [], 800_000).valid).toBe(true);
  });

  it("fails a move after which no write is acknowledged at all", () => {
    const writes = steady.map((at): [number, number, boolean] => [at, at + 20_000, at < 1_000_000]);
    const verdict = checkPlannedSwitchover(history("cell-1", writes), [move("move-1", 1_000_000)], [], boundUs);
    expect(verdict.slow).toEqual(["move-1/cell-1: to cell-1/sz-a (lag 0, led): no write acknowledged > 600 ms"]);
  });

  it("does not judge a move with a fault on its cell between the request and the bound, or with no users after it", () => {
    const writes = steady.map((at): [number, number, boolean] => [at, at + 20_000, at < 1_000_000]);
    const later = { id: "f-1", kind: "kill", startUs: 1_300_000, endUs: 4_000_000, cells: ["cell-1"] };
    const before = { id: "f-0", kind: "kill", startUs: 500_000, endUs: 1_100_000, cells: ["cell-1"] };
    const elsewhere = { id: "f-2", kind: "kill", startUs: 900_000, endUs: 4_000_000, cells: ["cell-2"] };
    const healed = { id: "f-3", kind: "kill", startUs: 200_000, endUs: 1_000_000, cells: ["cell-1"] };
    const run = (windows: FaultWindow[], at = 1_000_000) =>
      checkPlannedSwitchover(history("cell-1", writes), [move("move-1", at)], windows, boundUs);
    expect(run([later])).toMatchObject({ valid: true, judged: 0 });
    expect(run([later]).moves[0]?.notJudged).toBe("kill f-1 began 300 ms after the request");
    expect(run([before]).moves[0]?.notJudged).toBe("kill f-0 was active at the request");
    // A fault on another cell, or one healed by the request, leaves the move judged (and this one fails).
    expect(run([elsewhere, healed])).toMatchObject({ valid: false, judged: 1 });
    // Users stopped at 2.9 s: a move at 2.5 s cannot be judged over 600 ms.
    const late = run([], 2_500_000);
    expect(late.moves[0]?.notJudged).toBe("the users stopped within the bound");
    expect(late.valid).toBe(true);
  });

  it("fails a move to a target further behind the leader's log than the controller's rule, fast or not, faulty cell or not", () => {
    const writes = steady.map((at): [number, number, boolean] => [at, at + 20_000, true]);
    const ruled = (leaderLastIndex: number, targetLastIndex: number, windows: FaultWindow[] = []) =>
      checkPlannedSwitchover(
        history("cell-1", writes),
        [{ ...move("move-1", 1_000_000, 3), lagRule: 64, logsAtRequest: { leaderLastIndex, targetLastIndex } }],
        windows,
        boundUs,
      );
    // 64 behind is within the rule; the stall (20 ms) is within the bound: valid.
    expect(ruled(500, 436)).toMatchObject({ valid: true, lagging: [] });
    expect(ruled(500, 436).moves[0]).toMatchObject({ lagAtRequest: 64, valid: true });
    // 65 behind breaks it, although users saw no stall: the judgement is of the choice.
    const far = ruled(500, 435);
    expect(far.valid).toBe(false);
    expect(far.slow).toEqual([]);
    expect(far.lagging).toEqual([
      "move-1/cell-1: leadership moved to cell-1/sz-a, 65 entries behind cell-1/hz-a at the request (the controller's rule: at most 64); it led",
    ]);
    // A fault on the cell excuses a stall, not the choice.
    const kill = { id: "f-1", kind: "kill", startUs: 900_000, endUs: 4_000_000, cells: ["cell-1"] };
    expect(ruled(500, 100, [kill])).toMatchObject({ valid: false, judged: 0 });
    // No logs read (a process down), or no rule recorded: not judged by the rule.
    const unread = checkPlannedSwitchover(
      history("cell-1", writes),
      [{ ...move("move-1", 1_000_000), lagRule: 64, logsAtRequest: null }],
      [],
      boundUs,
    );
    expect(unread).toMatchObject({ valid: true, lagging: [] });
    expect(unread.moves[0]?.lagAtRequest).toBeNull();
    const noRule = checkPlannedSwitchover(
      history("cell-1", writes),
      [{ ...move("move-1", 1_000_000), logsAtRequest: { leaderLastIndex: 900, targetLastIndex: 1 } }],
      [],
      boundUs,
    );
    expect(noRule.valid).toBe(true);
  });
});
