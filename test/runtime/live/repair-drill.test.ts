// Protocol-aware recovery in the live runtime (real processes, real WAL files, Toxiproxy): the
// disk-corruption-one-replica drill flips a bit in a synced WAL record of cell-2/sh-b and restarts
// it; the replica must find the damage on start (storage.damaged in its log), repair from its peers
// (replica.repaired) and rejoin, with nothing lost and every replica up. Two cells and the drill's
// timeline at half speed keep it under a minute of wall time.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { builtinDrill } from "../../../chaos/drill/builtin.js";
import { runLiveDrill } from "../../../runtime/live/drill.js";

const dataDir = mkdtempSync(join(tmpdir(), "ldc-live-repair-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** The structured events of one replica's log (replica.log in its data directory). */
function eventsOf(replica: string): { name: string; [key: string]: unknown }[] {
  const text = readFileSync(join(dataDir, replica.replace(/[^A-Za-z0-9._-]/g, "_"), "replica.log"), "utf8");
  return text
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as { name: string });
}

describe("disk corruption in the live runtime", () => {
  it("disk-corruption-one-replica: the corrupted follower repairs from its peers and rejoins (seed 1)", async () => {
    const { result, liveNotes } = await runLiveDrill(builtinDrill("disk-corruption-one-replica"), {
      seed: 1,
      cellCount: 2,
      timeScale: 0.5,
      dataDir,
    });
    const names = eventsOf("cell-2/sh-b").map((event) => event.name);
    expect(names).toContain("storage.damaged");
    expect(names).toContain("replica.repaired");
    expect(names).not.toContain("replica.corrupted");
    expect(liveNotes.errors).toEqual([]);
    expect(result.replicasNotUp).toEqual([]);
    expect(result.lostAckedTransfers).toBe(0);
    expect(result.checkers.liveness?.valid).toBe(true);
    expect(result.reasons).toEqual([]);
    expect(result.outcome).toBe("SUCCEEDED");
  }, 180_000);
});
