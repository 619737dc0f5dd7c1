// Randomised runs of whole replicas over SimDisks with power loss (torn writes), partitions and
// compaction. Durability: every submission a replica acknowledged is applied exactly once, in
// the same order, on every replica once the cluster is healed.
// Rerun one seed: REPLICA_SEED=<seed> npx vitest run test/cells/replica-randomized.test.ts
import { describe, expect, it } from "vitest";
import type { SubmitOutcome } from "../../cells/replica.js";
import { createRandom } from "../../ground/random.js";
import { ReplicaCluster } from "./fixtures/replica-cluster.js";

const ROUNDS = 40;
const ROUND_US = 50_000;

function runSeed(seed: number): { acknowledged: number } {
  const random = createRandom(seed).fork("replica-schedule");
  const cluster = new ReplicaCluster(["a", "b", "c", "d", "e"], 15, { tornWriteProbability: 0.5 }, seed);
  const acknowledged: string[] = [];
  const down = new Set<string>();
  let sequence = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const leader = cluster.leader();
    if (leader !== null && !down.has(leader)) {
      for (let i = 0; i < 5; i++) {
        const requestId = `s${seed}-${sequence++}`;
        cluster.replica(leader).submit({ requestId }, (outcome: SubmitOutcome) => {
          if (outcome.ok) acknowledged.push(requestId);
        });
      }
    }
    const roll = random.nextFloat();
    if (roll < 0.15 && down.size < 2) {
      const victim = random.pick(cluster.ids.filter((id) => !down.has(id)));
      cluster.crash(victim);
      down.add(victim);
    } else if (roll < 0.35 && down.size > 0) {
      const back = random.pick([...down]);
      down.delete(back);
      cluster.start(back);
    } else if (roll < 0.45) {
      cluster.isolate(random.pick(cluster.ids));
    } else if (roll < 0.6) {
      cluster.heal();
    }
    cluster.runFor(ROUND_US);
  }
  cluster.heal();
  for (const id of down) cluster.start(id);
  cluster.runFor(3_000_000);
  const histories = cluster.ids.map((id) => (cluster.machines.get(id)!.applied as { requestId: string }[]).map((data) => data.requestId));
  for (const [i, history] of histories.entries()) {
    expect(cluster.replica(cluster.ids[i]!).status().phase, `replica ${cluster.ids[i]} phase`).toBe("running");
    expect(history, `replica ${cluster.ids[i]} history`).toEqual(histories[0]);
  }
  const applied = new Map<string, number>();
  for (const requestId of histories[0]!) applied.set(requestId, (applied.get(requestId) ?? 0) + 1);
  for (const requestId of acknowledged) expect(applied.get(requestId), `acknowledged ${requestId}`).toBe(1);
  return { acknowledged: acknowledged.length };
}

describe("replicas under power loss, partitions and compaction", () => {
  const rerun = process.env.REPLICA_SEED;
  const seeds = rerun !== undefined ? [Number(rerun)] : Array.from({ length: 12 }, (_, i) => i + 1);
  it(`keeps every acknowledged submission exactly once on every replica (${seeds.length} seeds)`, () => {
    let acknowledgedTotal = 0;
    for (const seed of seeds) {
      try {
        acknowledgedTotal += runSeed(seed).acknowledged;
      } catch (error) {
        throw new Error(
          `seed ${seed} failed (rerun: REPLICA_SEED=${seed} npx vitest run test/cells/replica-randomized.test.ts): ${(error as Error).message}`,
        );
      }
    }
    expect(acknowledgedTotal).toBeGreaterThan(seeds.length * 20);
  });
});
