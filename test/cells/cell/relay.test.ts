import { describe, expect, it } from "vitest";
import { CrossCellRelay, type CellSubmitter, type RelayOptions } from "../../../cells/cell/relay.js";
import type { CellOutcome } from "../../../cells/cell/client.js";
import { parseCommand } from "../../../cells/ledger/commands.js";
import { Ledger } from "../../../cells/ledger/ledger.js";
import { createRandom } from "../../../ground/random.js";
import { ManualClock } from "../../ground/manual-clock.js";

/** Two cells as bare ledgers behind a submitter that answers at once, unless told otherwise. */
function world() {
  const clock = new ManualClock();
  const advance = (us: number): void => clock.advance(us);
  const ledgers = new Map<string, Ledger>([
    ["cell-1", new Ledger()],
    ["cell-2", new Ledger()],
  ]);
  ledgers.get("cell-1")?.execute({ type: "OpenAccount", account: "a", initialBalance: 100 });
  ledgers.get("cell-2")?.execute({ type: "OpenAccount", account: "z", initialBalance: 0 });
  /** Per command type: "ok" (apply, answer), "lost" (apply, answer TIMEOUT), "down" (TIMEOUT, not applied), "hold" (never answer). */
  const mode: Record<string, "ok" | "lost" | "down" | "hold"> = { CreditIn: "ok", SettleTransfer: "ok" };
  const sent: string[] = [];
  const client: CellSubmitter = {
    submit(cell, _requestId, kind, payload, callback: (outcome: CellOutcome) => void) {
      const ledger = ledgers.get(cell) as Ledger;
      if (kind === "read") {
        callback({ ok: true, replica: cell, result: { outcome: "outbox", records: ledger.openOutbox(256) } });
        return;
      }
      const parsed = parseCommand(payload);
      if (!parsed.ok) throw new Error(parsed.error.field);
      sent.push(`${parsed.command.type}@${cell}`);
      const how = mode[parsed.command.type] ?? "ok";
      if (how === "hold") return;
      if (how === "down") return callback({ ok: false, error: { code: "TIMEOUT" } });
      const outcome = ledger.execute(parsed.command);
      if (how === "lost") return callback({ ok: false, error: { code: "TIMEOUT" } });
      callback({ ok: true, replica: cell, result: outcome });
    },
  };
  const relay = (extra: Partial<RelayOptions> = {}): CrossCellRelay =>
    new CrossCellRelay(
      {
        name: "t",
        sources: [{ cell: "cell-1", takeoverAfterUs: 0 }],
        pollIntervalUs: 100_000,
        outboxReadRecordsMax: 256,
        inflightPerPairMax: 64,
        retryBackoffUsMin: 50_000,
        retryBackoffUsMax: 400_000,
        ...extra,
      },
      {
        clock,
        random: createRandom(3),
        client,
        lookup: (account) => ({ kind: "cell", cell: account === "z" || account === "gone" ? "cell-2" : "cell-1" }),
      },
    );
  const send = (id: string, amount: number, to = "z"): void => {
    ledgers.get("cell-1")?.execute({ type: "TransferOut", id, from: "a", to, toCell: "cell-2", amount });
  };
  return {
    advance,
    ledgers,
    mode,
    sent,
    relay,
    send,
    source: ledgers.get("cell-1") as Ledger,
    destination: ledgers.get("cell-2") as Ledger,
  };
}

describe("the cross-cell relay", () => {
  it("delivers what the committed outbox holds, then settles it", () => {
    const w = world();
    w.send("x1", 30);
    const relay = w.relay();
    relay.start();
    w.advance(150_000);
    expect(w.destination.balance("z")).toBe(30);
    expect(w.source.openOutbox(10)).toEqual([]);
    expect(w.source.crossCellTotals()).toMatchObject({ sent: 30, settled: 30, refunded: 0 });
    expect(relay.stats).toMatchObject({ settled: 1, refunded: 0 });
  });

  it("a relay restarted after the credit applied but its answer was lost resumes from the outbox: credited once", () => {
    const w = world();
    w.send("x1", 30);
    w.mode.CreditIn = "lost";
    const first = w.relay();
    first.start();
    w.advance(150_000);
    first.stop(); // crashed: its memory is gone
    expect(w.destination.balance("z")).toBe(30);
    expect(w.source.openOutbox(10)).toHaveLength(1);
    w.mode.CreditIn = "ok";
    const second = w.relay();
    second.start();
    w.advance(500_000);
    expect(w.destination.balance("z")).toBe(30);
    expect(second.stats.duplicateCredits).toBe(1);
    expect(w.source.openOutbox(10)).toEqual([]);
    expect(w.source.balance("a")).toBe(70);
  });

  it("refunds after a permanent refusal only", () => {
    const w = world();
    w.send("x1", 30, "gone");
    const relay = w.relay();
    relay.start();
    w.advance(150_000);
    expect(w.source.balance("a")).toBe(100);
    expect(w.source.crossCellTotals()).toMatchObject({ refunded: 30, outboxOpen: 0 });
    expect(relay.stats.refunded).toBe(1);
  });

  it("never refunds a timeout: the record stays open and is retried with backoff", () => {
    const w = world();
    w.send("x1", 30);
    w.mode.CreditIn = "down";
    const relay = w.relay();
    relay.start();
    w.advance(3_000_000);
    expect(w.source.balance("a")).toBe(70);
    expect(w.source.openOutbox(10)).toHaveLength(1);
    const attempts = w.sent.filter((line) => line === "CreditIn@cell-2").length;
    // Polled 30 times, but backing off (50 ms doubling to 400 ms): far fewer attempts than polls.
    expect(attempts).toBeGreaterThan(3);
    expect(attempts).toBeLessThan(20);
    expect(w.sent).not.toContain("SettleTransfer@cell-1");
  });

  it("the unsafe switch refunds a timeout (the bug the global checker must find)", () => {
    const w = world();
    w.send("x1", 30);
    w.mode.CreditIn = "lost";
    w.relay({ unsafeRefundOnTimeout: true }).start();
    w.advance(150_000);
    expect(w.destination.balance("z")).toBe(30);
    expect(w.source.balance("a")).toBe(100); // money created
  });

  it("bounds deliveries in flight per cell pair", () => {
    const w = world();
    for (let i = 0; i < 10; i++) w.send(`x${i}`, 1);
    w.mode.CreditIn = "hold";
    const relay = w.relay({ inflightPerPairMax: 3 });
    relay.start();
    w.advance(1_000_000);
    expect(w.sent.filter((line) => line === "CreditIn@cell-2")).toHaveLength(3);
    expect(relay.inflight).toBe(3);
  });
});
