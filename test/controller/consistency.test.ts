// The online checkers over the real virtual world: valid on a healthy run (and they did verify
// acknowledged commands), and each one catches the bug it exists for: a ghost acknowledgement
// (lost transfer), a replica whose balances no longer add up, a replica with a different event hash.
import { afterEach, describe, expect, it } from "vitest";
import type { CellNode } from "../../cells/cell/node.js";
import type { Op } from "../../harness/history.js";
import { defaultConsistencyOptions, OnlineConsistency, type ConsistencySource } from "../../controller/consistency.js";
import { startRealHarness, type RealHarness } from "../runtime/virtual/real-world.js";

let harness: RealHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe("online consistency checkers", () => {
  it("a healthy world: money conserved, replicas agree, acknowledged commands verified, served by the API", async () => {
    const h = (harness = await startRealHarness({ seed: 5, opsPerSecond: 300 }));
    await h.run(3_000_000);
    const online = h.setup.consistency;
    expect(online.verifiedTotal).toBeGreaterThan(100);
    const response = await h.request("GET", "/api/v1/consistency");
    const body = response.body as {
      valid: boolean;
      lostAckedTransfers: number;
      moneyConserved: Record<string, boolean>;
      replicaAgreement: Record<string, boolean>;
    };
    expect(body.valid).toBe(true);
    expect(body.lostAckedTransfers).toBe(0);
    expect(Object.keys(body.moneyConserved).sort()).toEqual(["cell-1", "cell-2", "cell-3", "cell-4", "cell-5", "cell-6"]);
    expect(Object.values(body.moneyConserved).every(Boolean)).toBe(true);
    expect(Object.values(body.replicaAgreement).every(Boolean)).toBe(true);
  }, 60_000);

  it("counts a ghost acknowledgement as lost, only after the grace period", async () => {
    const h = (harness = await startRealHarness({ seed: 6, opsPerSecond: 200 }));
    await h.run(1_000_000);
    const virtual = h.setup.virtual;
    const ghostAckUs = virtual.nowUs();
    const ghost: Op = {
      process: 999_999,
      type: "ok",
      f: "transfer",
      value: { cell: "cell-2", id: "ghost-1", from: "a", to: "b", amount: 1, outcome: "posted" },
      time: ghostAckUs,
      index: -1,
    };
    // The history as of now plus the ghost (frozen, so the ghost is read exactly once).
    const history = [...virtual.recorder.history(), ghost];
    const world: ConsistencySource = {
      placement: virtual.placement,
      recorder: { history: () => history, firstIndex: 0 },
      node: (host) => virtual.node(host),
      invariantViolations: () => virtual.invariantViolations(),
    };
    const online = new OnlineConsistency(defaultConsistencyOptions, { source: world, clock: virtual.clock });
    expect(online.check()).toMatchObject({ lostAckedTransfers: 0, valid: true });
    await h.run(defaultConsistencyOptions.lostGraceUs / 2);
    expect(online.check().lostAckedTransfers).toBe(0);
    await h.run(defaultConsistencyOptions.lostGraceUs);
    const verdict = online.check();
    expect(verdict.lostAckedTransfers).toBe(1);
    expect(verdict.valid).toBe(false);
    expect(verdict.violations.join("\n")).toContain("ghost-1");
  }, 60_000);

  it("sees a replica whose balances do not add up, and a replica with a different event hash", async () => {
    const h = (harness = await startRealHarness({ seed: 7, opsPerSecond: 200 }));
    await h.run(1_500_000);
    const virtual = h.setup.virtual;
    const victim = virtual.node("cell-3/sz-a") as CellNode;
    // Bug injection: one replica's balance changes without an event.
    const balances = victim.stateMachine.ledger.balances() as Map<string, number>;
    const [account, balance] = [...balances.entries()][0] as [string, number];
    balances.set(account, balance + 1);
    const money = new OnlineConsistency(defaultConsistencyOptions, { source: virtual, clock: virtual.clock }).check();
    expect(money.moneyConserved["cell-3"]).toBe(false);
    expect(
      Object.entries(money.moneyConserved)
        .filter(([, ok]) => !ok)
        .map(([cell]) => cell),
    ).toEqual(["cell-3"]);
    expect(money.valid).toBe(false);
    balances.set(account, balance);

    // A replica that reports another hash at every index: the chains disagree.
    const forged = new Proxy(victim.stateMachine.ledger, {
      get(target, property, receiver) {
        if (property === "hashAt") return (index: number) => (target.hashAt(index) === undefined ? undefined : "f".repeat(64));
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const forgedNode = {
      ...victim,
      replica: victim.replica,
      stateMachine: { ...victim.stateMachine, ledger: forged },
    } as unknown as CellNode;
    const world: ConsistencySource = {
      placement: virtual.placement,
      recorder: virtual.recorder,
      node: (host) => (host === "cell-3/sz-a" ? forgedNode : virtual.node(host)),
      invariantViolations: () => virtual.invariantViolations(),
    };
    const agreement = new OnlineConsistency(defaultConsistencyOptions, { source: world, clock: virtual.clock }).check();
    expect(agreement.replicaAgreement["cell-3"]).toBe(false);
    expect(agreement.replicaAgreement["cell-1"]).toBe(true);
    expect(agreement.violations.join("\n")).toContain("cell-3/sz-a=ffffffffffff");
  }, 60_000);
});
