// A shard move while cross-cell transfers of the range's payers are in flight (issues 17 + 18):
// the fence carries the open outbox records to the destination instead of waiting for them, and
// the relay settles or refunds them there. A payee cell cut off for longer than a move step's
// deadline keeps those records open: the fence used to wait for them (refused OPEN_CROSS_CELL)
// until its deadline and roll the move back; now the move cuts over and nothing is lost or doubled.
import { describe, expect, it } from "vitest";
import { VirtualRuntime } from "../../../runtime/virtual/runtime.js";
import { elasticDriver } from "../../../runtime/virtual/elastic-stand-in.js";
import { shardOwnershipViolations } from "../../../runtime/virtual/random-moves.js";
import { checkRun } from "../../../harness/run-check.js";
import type { MoveRecord } from "../../../controller/elastic.js";
import type { Result } from "../../../domain/records.js";
import type { Ledger } from "../../../cells/ledger/ledger.js";

function mostAdvancedLedger(virtual: VirtualRuntime, cell: string): Ledger | undefined {
  let best: Ledger | undefined;
  for (const replica of virtual.placement.cell(cell)?.replicas ?? []) {
    const ledger = virtual.node(replica.replica)?.stateMachine.ledger;
    if (ledger !== undefined && (best === undefined || ledger.eventCount > best.eventCount)) best = ledger;
  }
  return best;
}

describe("a shard move with cross-cell transfers in flight", () => {
  it("a payee cell cut off for 10 s: the fence carries the range's open records, the move cuts over, the destination settles them", () => {
    const virtual = new VirtualRuntime({ seed: 3, workload: { opsPerSecond: 400, crossCellRatio: 0.8 } });
    virtual.settleLeaders(2_000_000);
    virtual.startWorkload();
    const driver = elasticDriver(virtual) as NonNullable<ReturnType<typeof elasticDriver>>;
    let added: string | null = null;
    driver.elastic.addCell({ reason: "test", actor: "test" }, (result) => {
      if (result.ok) added = result.value.cell;
    });
    for (let i = 0; i < 200 && added === null; i++) virtual.runFor(50_000);
    const destination = added as unknown as string;
    expect(destination).toBe("cell-7");
    const source = virtual.placement.cellOfShard(0);
    // A payee cell that is neither side of the move loses its network: credits to it wait, so
    // the range's records to it stay open for the whole move.
    const payee = virtual.placement.cells.find((cell) => cell.cell !== source && cell.cell !== destination)?.cell as string;
    expect(payee).toMatch(/^cell-\d+$/);
    const cut = virtual.faults.partition({ kind: "isolate", hosts: virtual.placement.cell(payee)?.replicas.map((r) => r.replica) ?? [] });
    virtual.runFor(1_000_000);
    let result: Result<MoveRecord> | null = null;
    driver.elastic.moveShards({ shards: "0..4", to: destination, reason: "test", actor: "test" }, (answer) => (result = answer));
    for (let i = 0; i < 200 && result === null; i++) virtual.runFor(50_000);
    expect(result).not.toBeNull();
    const move = driver.elastic.list()[0] as MoveRecord;
    // Cut over within the partition (which lasts 10 s: longer than the fence's 8 s step deadline).
    expect(move.state).toBe("cut-over");
    expect(move.outboxRecords ?? 0).toBeGreaterThan(0);
    expect(move.durationMs ?? Infinity).toBeLessThan(1_000);
    expect(virtual.nowUs()).toBeLessThan(15_000_000);
    virtual.runFor(10_000_000 - (virtual.nowUs() % 10_000_000));
    virtual.faults.heal(cut);
    virtual.drain(20_000_000);
    virtual.runFor(2_000_000);
    // The destination closed records it never debited: the relay settled them where the payer now is.
    const totals = mostAdvancedLedger(virtual, destination)?.crossCellTotals();
    expect(totals?.outboxOpenCount).toBe(0);
    expect((totals?.settled ?? 0) + (totals?.refunded ?? 0)).toBeGreaterThan(totals?.sent ?? 0);
    expect(shardOwnershipViolations(virtual, { inFlight: () => 0, moves: [move], added: [destination], refused: [] })).toEqual([]);
    const verdicts = checkRun(virtual, { checkers: ["bank", "durability", "linearizable", "replica-agreement", "global-conservation"] });
    expect(verdicts.checkers["global-conservation"]).toMatchObject({ valid: true, violationCount: 0 });
    expect(verdicts.valid).toBe(true);
    expect(verdicts.lostAckedTransfers).toBe(0);
  }, 240_000);
});
