// Randomised repair: one cell of five under load; every 250 ms a running replica gets a bit flipped
// in its synced WAL or snapshot and is crashed and restarted 300 ms later, up to two at a time (the
// most the cell can lose while three voters still elect and commit). Each restart that finds damage
// must repair and rejoin, nothing acknowledged may be lost, and every checker must pass.
import { describe, expect, it } from "vitest";
import { createRandom } from "../../../ground/random.js";
import { runCells, type Nemesis } from "../../../runtime/virtual/run.js";
import { oneCellConfig } from "./helpers.js";
import { seedRange } from "./randomized.js";

const INTERVAL_US = 250_000;
const DOWN_US = 300_000;
const AFFECTED_MAX = 2;

function corruptAndRestart(seed: number): Nemesis {
  return (virtual, window) => {
    const random = createRandom(seed).fork("repair-nemesis");
    const hosts = virtual.placement.cells.flatMap((cell) => cell.replicas.map((replica) => replica.replica));
    const affected = (): string[] =>
      hosts.filter((host) => !virtual.faults.isUp(host) || virtual.node(host)?.replica.status().phase !== "running");
    for (let atUs = window.startUs; atUs + DOWN_US < window.endUs; atUs += INTERVAL_US) {
      virtual.clock.setTimer(atUs - virtual.nowUs(), () => {
        if (affected().length >= AFFECTED_MAX) return;
        const candidates = hosts.filter((host) => !affected().includes(host));
        const host = random.pick(candidates);
        virtual.faults.disk(host, { kind: "corrupt-synced-record" });
        virtual.faults.crash(host);
        virtual.clock.setTimer(DOWN_US, () => virtual.faults.restart(host));
      });
    }
    return [];
  };
}

describe("repair under repeated corruption", () => {
  for (const seed of seedRange("LDC_REPAIR_SEEDS", 1, 3)) {
    it(`seed ${seed}: every damaged replica repairs, nothing is lost, every checker passes`, () => {
      const last = new Map<string, string>();
      let damaged = 0;
      const result = runCells({
        config: oneCellConfig(100),
        seed,
        durationUs: 5_000_000,
        check: true,
        failFast: true,
        nemesis: corruptAndRestart(seed),
        worldLog: (host, _level, name) => {
          if (name === "storage.damaged") damaged++;
          if (name === "storage.damaged" || name === "replica.repaired" || name === "replica.corrupted") last.set(host, name);
        },
      });
      const reproduce = `LDC_REPAIR_SEEDS=${seed}..${seed} npx vitest run test/runtime/virtual/repair-randomized.test.ts`;
      expect(damaged, reproduce).toBeGreaterThan(0);
      expect(
        [...last.values()].every((name) => name === "replica.repaired"),
        `${JSON.stringify([...last])} ${reproduce}`,
      ).toBe(true);
      expect(result.verdicts?.valid, reproduce).toBe(true);
      expect(result.verdicts?.lostAckedTransfers, reproduce).toBe(0);
    });
  }
});
