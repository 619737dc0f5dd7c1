// Protocol-aware recovery end to end: the disk-corruption drills corrupt synced WAL or snapshot
// bytes of one or two followers of cell-2 and restart them; each must find the damage, repair
// from its peers (no vote, no count meanwhile) and rejoin, with nothing lost and every replica up.
import { describe, expect, it } from "vitest";
import { builtinDrill } from "../../chaos/drill/builtin.js";
import { runDrill } from "../../runtime/virtual/drill.js";

async function runWithRepairLog(name: string, seed: number) {
  const events: { host: string; name: string; fields: Record<string, unknown> | undefined }[] = [];
  const { result } = await runDrill(builtinDrill(name), {
    seed,
    worldLog: (host, _level, event, fields) => {
      if (event.startsWith("raft.repair") || event.startsWith("replica.") || event === "storage.damaged")
        events.push({ host, name: event, fields });
    },
  });
  return { result, events, hostsWith: (event: string) => [...new Set(events.filter((e) => e.name === event).map((e) => e.host))].sort() };
}

describe("disk-corruption drills", () => {
  it("disk-corruption-one-replica: the follower repairs and rejoins (seed 1)", async () => {
    const { result, hostsWith } = await runWithRepairLog("disk-corruption-one-replica", 1);
    expect(hostsWith("storage.damaged")).toEqual(["cell-2/sh-b"]);
    expect(hostsWith("replica.repaired")).toEqual(["cell-2/sh-b"]);
    expect(hostsWith("replica.corrupted")).toEqual([]);
    expect(result.outcome).toBe("SUCCEEDED");
    expect(result.reasons).toEqual([]);
    expect(result.replicasNotUp).toEqual([]);
    expect(result.lostAckedTransfers).toBe(0);
  });

  it("disk-corruption-two-replicas: two followers damaged in different places both repair (seed 1)", async () => {
    const { result, events, hostsWith } = await runWithRepairLog("disk-corruption-two-replicas", 1);
    expect(hostsWith("storage.damaged")).toEqual(["cell-2/hz-b", "cell-2/sh-b"]);
    expect(hostsWith("replica.repaired")).toEqual(["cell-2/hz-b", "cell-2/sh-b"]);
    const lostFrom = events.filter((e) => e.name === "storage.damaged").map((e) => e.fields?.["lostFromIndex"]);
    expect(new Set(lostFrom).size).toBe(2);
    expect(result.outcome).toBe("SUCCEEDED");
    expect(result.reasons).toEqual([]);
    expect(result.replicasNotUp).toEqual([]);
    expect(result.lostAckedTransfers).toBe(0);
    for (const [name, verdict] of Object.entries(result.checkers)) expect([name, verdict.valid]).toEqual([name, true]);
  });
});
