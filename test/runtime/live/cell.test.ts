// A live cell: five replica processes with real WALs, every link through its own proxy of the
// embedded Toxiproxy with the default world's latencies. It elects a leader, commits transfers
// sent by a region client, a partition made of disabled proxies moves the leadership, and after
// healing every replica holds the same ledger.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LiveRuntime } from "../../../runtime/live/runtime.js";
import type { CellOutcome } from "../../../cells/cell/client.js";
import type { ChainPoint } from "../../../harness/checkers/replica-agreement.js";

const chainsOf = (cell: string): Record<string, ChainPoint[]> => (live.replicaChains()[cell] ?? {}) as Record<string, ChainPoint[]>;

let live: LiveRuntime;

beforeAll(async () => {
  live = await LiveRuntime.start({ seed: 1, cellCount: 1, workload: { opsPerSecond: 0 } });
}, 60_000);

afterAll(async () => {
  await live?.close();
});

function submit(region: string, requestId: string, payload: unknown): Promise<CellOutcome> {
  const client = live.regionClients.get(region);
  if (client === undefined) throw new Error(`no client for ${region}`);
  return new Promise((resolve) => client.submit("cell-1", requestId, "command", payload, resolve));
}

async function leaderOf(timeoutMs: number, not?: string): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    await live.pollStatuses();
    const leader = live.cluster.cell("cell-1")?.leader?.replica;
    if (leader !== undefined && leader !== not) return leader;
    if (performance.now() > deadline) throw new Error("no leader in time");
    await live.sleep(50);
  }
}

describe("a live cell through Toxiproxy", () => {
  it("elects a leader and commits transfers that every replica then holds", async () => {
    const leader = await leaderOf(20_000);
    expect(live.cluster.cell("cell-1")?.replicas.map((replica) => replica.id)).toContain(leader);
    expect(live.mesh?.names().length).toBe(5 * 4 + 5 * 3);
    for (const account of ["a", "b"]) {
      const opened = await submit("hangzhou", `open-${account}`, { type: "OpenAccount", account, initialBalance: 1_000 });
      expect(opened.ok).toBe(true);
    }
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        submit("shanghai", `t-${i}`, { type: "Transfer", id: `t-${i}`, from: "a", to: "b", amount: 10 }),
      ),
    );
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    await live.sleep(500);
    await live.collectFinalState();
    const ledger = live.finalLedgers()["cell-1"] ?? [];
    expect(ledger.filter((command) => command.id.startsWith("t-") && command.outcome === "posted")).toHaveLength(20);
    const chains = Object.values(chainsOf("cell-1"));
    expect(chains).toHaveLength(5);
    const heads = new Set(chains.map((chain) => JSON.stringify(chain.at(-1))));
    expect(heads.size).toBe(1);
  });

  it("moves the leadership when the leader's proxies are disabled, and commits again after healing", async () => {
    const leader = await leaderOf(10_000);
    const handle = live.faults.partition({ kind: "isolate", hosts: [leader] });
    await live.faults.settled();
    const next = await leaderOf(20_000, leader);
    expect(next).not.toBe(leader);
    const during = await submit("hangzhou", "t-during", { type: "Transfer", id: "t-during", from: "b", to: "a", amount: 5 });
    expect(during.ok).toBe(true);
    live.faults.heal(handle);
    await live.faults.settled();
    await live.sleep(1_500);
    await live.collectFinalState();
    const chains = Object.values(chainsOf("cell-1"));
    expect(new Set(chains.map((chain) => JSON.stringify(chain.at(-1)))).size).toBe(1);
    expect(live.invariantViolations()).toEqual([]);
  });

  it("restarts a SIGKILLed replica from its WAL", async () => {
    const victim = live.cluster.cell("cell-1")?.replicas.find((replica) => replica.role === "follower")?.id as string;
    expect(victim).toBeDefined();
    live.faults.crash(victim);
    await live.faults.settled();
    expect(live.processes.get(victim)?.state).toBe("down");
    const during = await submit("hangzhou", "t-crash", { type: "Transfer", id: "t-crash", from: "a", to: "b", amount: 1 });
    expect(during.ok).toBe(true);
    live.faults.restart(victim);
    await live.faults.settled();
    await live.sleep(2_000);
    await live.pollStatuses();
    const view = live.cluster.cell("cell-1")?.replicas.find((replica) => replica.id === victim);
    expect(view?.state).toBe("up");
    await live.collectFinalState();
    const chain = chainsOf("cell-1")[victim] ?? [];
    const leaderChain = chainsOf("cell-1")[live.cluster.cell("cell-1")?.leader?.replica as string] ?? [];
    expect(chain.at(-1)).toEqual(leaderChain.at(-1));
  });

  it("hands leadership to a chosen follower over the admin channel", async () => {
    const leader = await leaderOf(10_000);
    const target = live.cluster.cell("cell-1")?.replicas.find((replica) => replica.id !== leader && replica.state === "up")?.id as string;
    const result = await new Promise<Parameters<Parameters<typeof live.cluster.transferLeadership>[3]>[0]>((resolve) =>
      live.cluster.transferLeadership("cell-1", target, 5_000_000, resolve),
    );
    expect(result).toEqual({ ok: true, leader: expect.objectContaining({ replica: target }) });
  });

  it("an injected fsync EIO stops the replica (disk-faulted), and it rejoins after heal and restart", async () => {
    const victim = live.cluster.cell("cell-1")?.replicas.find((replica) => replica.role === "follower" && replica.state === "up")
      ?.id as string;
    const handle = live.faults.disk(victim, { kind: "fsync-eio" });
    await live.faults.settled();
    const ok = await submit("hangzhou", "t-eio", { type: "Transfer", id: "t-eio", from: "a", to: "b", amount: 1 });
    expect(ok.ok).toBe(true);
    await live.sleep(300);
    await live.pollStatuses();
    expect(live.cluster.cell("cell-1")?.replicas.find((replica) => replica.id === victim)?.state).toBe("disk-faulted");
    live.faults.heal(handle);
    live.faults.crash(victim);
    live.faults.restart(victim);
    await live.faults.settled();
    await live.sleep(1_500);
    await live.pollStatuses();
    expect(live.cluster.cell("cell-1")?.replicas.find((replica) => replica.id === victim)?.state).toBe("up");
  });
});
