// The Replica end to end over SimDisks: persist, send, apply; recovery; repair after corruption; disk failure.
import { describe, expect, it } from "vitest";
import type { ReadOutcome, SubmitOutcome } from "../../cells/replica.js";
import { ReplicaCluster, SteppedListStateMachine } from "./fixtures/replica-cluster.js";
import { rewriteFile } from "./fixtures/sim-disk.js";

function submitAll(cluster: ReplicaCluster, leader: string, count: number, prefix = "r"): SubmitOutcome[] {
  const outcomes: SubmitOutcome[] = [];
  for (let i = 0; i < count; i++)
    cluster.replica(leader).submit({ requestId: `${prefix}${i}`, command: i }, (outcome) => outcomes.push(outcome));
  cluster.waitFor(() => outcomes.length === count);
  return outcomes;
}

describe("Replica", () => {
  it("elects a leader from ticks, commits submissions and applies them in the same order everywhere", () => {
    const cluster = new ReplicaCluster(["a", "b", "c"]);
    expect(cluster.waitFor(() => cluster.leader() !== null)).toBe(true);
    const leader = cluster.leader()!;
    // The new leader drops writes until its no-op is applied; give it one round.
    cluster.runFor(50_000);
    const outcomes = submitAll(cluster, leader, 20);
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    expect(outcomes[0]).toMatchObject({ ok: true, result: expect.stringMatching(/^applied@\d+$/) });
    cluster.runFor(100_000);
    const expected = JSON.stringify(cluster.machines.get(leader)!.applied);
    expect(cluster.machines.get(leader)!.applied).toHaveLength(20);
    for (const id of cluster.ids) expect(JSON.stringify(cluster.machines.get(id)!.applied), id).toBe(expected);
  });

  it("counts the Readys it handles and those that wrote the WAL (the live bench's syscalls per Ready)", () => {
    const cluster = new ReplicaCluster(["a", "b", "c"]);
    cluster.waitFor(() => cluster.leader() !== null);
    cluster.runFor(50_000);
    const leader = cluster.leader()!;
    const follower = cluster.ids.find((id) => id !== leader)!;
    const before = { leader: cluster.replica(leader).status(), follower: cluster.replica(follower).status() };
    expect(before.leader.readiesPersisted).toBeGreaterThan(0); // the election's term, vote and no-op
    // Heartbeats alone make Readys (messages to send) but write nothing.
    cluster.runFor(200_000);
    const idle = { leader: cluster.replica(leader).status(), follower: cluster.replica(follower).status() };
    expect(idle.leader.readies).toBeGreaterThan(before.leader.readies);
    expect(idle.leader.readiesPersisted).toBe(before.leader.readiesPersisted);
    expect(idle.follower.readiesPersisted).toBe(before.follower.readiesPersisted);
    submitAll(cluster, leader, 10);
    cluster.runFor(100_000);
    const after = { leader: cluster.replica(leader).status(), follower: cluster.replica(follower).status() };
    for (const role of ["leader", "follower"] as const) {
      expect(after[role].readiesPersisted, role).toBeGreaterThan(idle[role].readiesPersisted);
      expect(after[role].readiesPersisted, role).toBeLessThanOrEqual(after[role].readies);
    }
  });

  it("answers NOT_LEADER with a hint on a follower, and serves a ReadIndex read on the leader", () => {
    const cluster = new ReplicaCluster(["a", "b", "c"]);
    cluster.waitFor(() => cluster.leader() !== null);
    cluster.runFor(50_000);
    const leader = cluster.leader()!;
    const follower = cluster.ids.find((id) => id !== leader)!;
    let refused: SubmitOutcome | undefined;
    cluster.replica(follower).submit({ requestId: "x" }, (outcome) => (refused = outcome));
    expect(refused).toEqual({ ok: false, error: { code: "NOT_LEADER", leaderHint: leader } });
    submitAll(cluster, leader, 3);
    let read: ReadOutcome | undefined;
    cluster.replica(leader).read((outcome) => (read = outcome));
    expect(read).toBeUndefined(); // needs a heartbeat round first
    cluster.waitFor(() => read !== undefined);
    expect(read).toMatchObject({ ok: true });
    expect((read as { index: number }).index).toBeGreaterThanOrEqual(4);
  });

  it("a crashed follower recovers from its WAL and catches up", () => {
    const cluster = new ReplicaCluster(["a", "b", "c"]);
    cluster.waitFor(() => cluster.leader() !== null);
    cluster.runFor(50_000);
    const leader = cluster.leader()!;
    const follower = cluster.ids.find((id) => id !== leader)!;
    submitAll(cluster, leader, 5);
    cluster.crash(follower);
    submitAll(cluster, leader, 5, "s");
    cluster.start(follower);
    cluster.runFor(300_000);
    expect(cluster.replica(follower).status().phase).toBe("running");
    expect(cluster.machines.get(follower)!.applied).toEqual(cluster.machines.get(leader)!.applied);
    expect(cluster.machines.get(follower)!.applied).toHaveLength(10);
  });

  it("mid-log WAL corruption: the replica repairs from its peers, voting for no one until it holds what it lost", () => {
    const cluster = new ReplicaCluster(["a", "b", "c"]);
    cluster.waitFor(() => cluster.leader() !== null);
    cluster.runFor(50_000);
    const leader = cluster.leader()!;
    const [victim, other] = cluster.ids.filter((id) => id !== leader) as [string, string];
    submitAll(cluster, leader, 3);
    cluster.runFor(100_000);
    cluster.crash(victim);
    const disk = cluster.disks.get(victim)!;
    const walFile = `raft-${victim}.wal`;
    const bytes = disk.peek(walFile)!.slice();
    bytes[12] = (bytes[12] as number) ^ 0xff;
    rewriteFile(disk, cluster.scheduler, walFile, bytes);
    // The leader goes too: the victim and `other` are all that is left, and the victim's vote
    // could elect `other` without entries only the victim and the leader acknowledged.
    cluster.crash(leader);
    const restarted = cluster.start(victim);
    cluster.runFor(10_000);
    expect(restarted.status()).toMatchObject({ phase: "repairing", corrupted: false, role: "follower" });
    expect(restarted.status().reason).toMatch(/damaged/);
    cluster.runFor(2_000_000);
    expect(cluster.leader()).toBeNull();
    expect(restarted.status().phase).toBe("repairing");
    // A crash in the middle of the repair: the WAL's repair mark makes it repair again on restart.
    cluster.crash(victim);
    const again = cluster.start(victim);
    cluster.runFor(10_000);
    expect(again.status().phase).toBe("repairing");
    // The old leader is back: it is elected with `other`, and the victim catches up and rejoins.
    cluster.start(leader);
    expect(cluster.waitFor(() => again.status().phase === "running", 5_000_000)).toBe(true);
    const newLeader = cluster.leader()!;
    submitAll(cluster, newLeader, 5, "after");
    cluster.runFor(300_000);
    const expected = cluster.machines.get(newLeader)!.applied;
    expect(expected).toHaveLength(8);
    expect(cluster.machines.get(victim)!.applied).toEqual(expected);
    // Repaired means counting again: with the third replica down, leader and victim are the quorum.
    cluster.crash([leader, other].find((id) => id !== newLeader)!);
    expect(submitAll(cluster, newLeader, 2, "quorum").every((outcome) => outcome.ok)).toBe(true);
    expect(cluster.machines.get(newLeader)!.applied).toHaveLength(10);
  });

  it("two replicas corrupt at different entries both repair, and nothing committed is lost", () => {
    const cluster = new ReplicaCluster(["a", "b", "c", "d", "e"]);
    cluster.waitFor(() => cluster.leader() !== null);
    cluster.runFor(50_000);
    const leader = cluster.leader()!;
    submitAll(cluster, leader, 10);
    cluster.runFor(100_000);
    const victims = cluster.ids.filter((id) => id !== leader).slice(0, 2) as [string, string];
    victims.forEach((victim, i) => {
      cluster.crash(victim);
      const disk = cluster.disks.get(victim)!;
      const bytes = disk.peek(`raft-${victim}.wal`)!.slice();
      // One in its first record, the other two thirds in (the entries after the election).
      const offset = i === 0 ? 12 : Math.floor((bytes.length * 2) / 3);
      bytes[offset] = (bytes[offset] as number) ^ 0x10;
      rewriteFile(disk, cluster.scheduler, `raft-${victim}.wal`, bytes);
    });
    for (const victim of victims) cluster.start(victim);
    const seenRepairing = new Map<string, number>();
    cluster.waitFor(() => {
      for (const victim of victims) {
        const status = cluster.replica(victim).status();
        if (status.phase === "repairing" && !seenRepairing.has(victim)) seenRepairing.set(victim, status.lastIndex ?? -1);
      }
      return seenRepairing.size === 2;
    });
    // Both repair, each having kept a different part of its log.
    expect(seenRepairing.size).toBe(2);
    expect(seenRepairing.get(victims[0])).not.toBe(seenRepairing.get(victims[1]));
    expect(cluster.waitFor(() => victims.every((victim) => cluster.replica(victim).status().phase === "running"), 5_000_000)).toBe(true);
    submitAll(cluster, leader, 3, "after");
    cluster.runFor(300_000);
    const expected = cluster.machines.get(leader)!.applied;
    expect(expected).toHaveLength(13);
    for (const victim of victims) expect(cluster.machines.get(victim)!.applied).toEqual(expected);
  });

  it("a committed entry corrupt on every replica: each refuses to run with COMMITTED_ENTRY_LOST, no leader is elected", () => {
    const cluster = new ReplicaCluster(["a", "b", "c"]);
    cluster.waitFor(() => cluster.leader() !== null);
    cluster.runFor(50_000);
    submitAll(cluster, cluster.leader()!, 3);
    cluster.runFor(100_000);
    for (const id of cluster.ids) {
      cluster.crash(id);
      const disk = cluster.disks.get(id)!;
      const bytes = disk.peek(`raft-${id}.wal`)!.slice();
      bytes[12] = (bytes[12] as number) ^ 0xff; // the first record: everything after it is lost
      rewriteFile(disk, cluster.scheduler, `raft-${id}.wal`, bytes);
    }
    for (const id of cluster.ids) cluster.start(id);
    cluster.runFor(3_000_000);
    for (const id of cluster.ids) {
      expect(cluster.replica(id).status(), id).toMatchObject({ phase: "corrupted", role: "stopped" });
      // No surviving hard state recorded the commit (commit-only changes are not fsynced), but
      // every replica lost entry 1 and none is left to vote: a named refusal, not a guess.
      expect(cluster.replica(id).status().reason, id).toMatch(/^COMMITTED_ENTRY_LOST: entry 1 may have been committed/);
    }
    expect(cluster.leader()).toBeNull();
    let refused: SubmitOutcome | undefined;
    cluster.replica("a").submit({ requestId: "z" }, (outcome) => (refused = outcome));
    expect(refused).toMatchObject({ ok: false, error: { code: "UNAVAILABLE", message: expect.stringMatching(/COMMITTED_ENTRY_LOST/) } });
  });

  it("an fsync error crash-stops the replica (failed) and the others carry on", () => {
    const cluster = new ReplicaCluster(["a", "b", "c"]);
    cluster.waitFor(() => cluster.leader() !== null);
    cluster.runFor(50_000);
    const leader = cluster.leader()!;
    cluster.disks.get(leader)!.failNextFsyncs(1);
    let outcome: SubmitOutcome | undefined;
    cluster.replica(leader).submit({ requestId: "doomed" }, (result) => (outcome = result));
    cluster.waitFor(() => outcome !== undefined);
    expect(outcome).toMatchObject({ ok: false, error: { code: "UNAVAILABLE" } });
    expect(cluster.replica(leader).status()).toMatchObject({ phase: "failed", failed: true });
    expect(cluster.waitFor(() => cluster.leader() !== null && cluster.leader() !== leader, 5_000_000)).toBe(true);
    cluster.runFor(50_000);
    expect(submitAll(cluster, cluster.leader()!, 2).every((result) => result.ok)).toBe(true);
  });

  it("builds a large snapshot in steps while it goes on committing; the snapshot is the state at its start and the WAL keeps what came after", () => {
    // 5 items per step, 10 ms apart: a snapshot of ~30 items takes ~60 ms of simulated time.
    const cluster = new ReplicaCluster(["a", "b", "c"], 20, {}, 7, {
      raft: { snapshotStepUnits: 5, snapshotStepDelayUs: 10_000 },
      machine: () => new SteppedListStateMachine(),
    });
    cluster.waitFor(() => cluster.leader() !== null);
    cluster.runFor(50_000);
    const leader = cluster.leader()!;
    const machine = cluster.machines.get(leader) as SteppedListStateMachine;
    expect(submitAll(cluster, leader, 25, "a").every((outcome) => outcome.ok)).toBe(true);
    // The threshold was crossed: building has started but not finished, and commits go on.
    expect(machine.steps).toBeGreaterThan(0);
    expect(cluster.replica(leader).status().snapshotBytes).toBe(0);
    expect(submitAll(cluster, leader, 10, "b").every((outcome) => outcome.ok)).toBe(true);
    expect(cluster.replica(leader).status().snapshotBytes).toBe(0);
    cluster.runFor(200_000);
    const status = cluster.replica(leader).status();
    expect(status.snapshotBytes).toBeGreaterThan(0);
    // Compacted at the index where building started, not where it ended.
    expect(status.firstIndex).toBeGreaterThan(20);
    expect(status.firstIndex).toBeLessThan(status.applied as number);
    // A restart recovers the snapshot plus the entries after it from the WAL: the same list.
    const expected = JSON.stringify(cluster.machines.get(leader)!.applied);
    cluster.crash(leader);
    cluster.start(leader);
    cluster.runFor(300_000);
    expect(JSON.stringify(cluster.machines.get(leader)!.applied)).toBe(expected);
    for (const id of cluster.ids) expect(JSON.stringify(cluster.machines.get(id)!.applied), id).toBe(expected);
  });

  it("drops a snapshot being built when the replica crashes, and starts over after the restart", () => {
    const cluster = new ReplicaCluster(["a", "b", "c"], 20, {}, 7, {
      raft: { snapshotStepUnits: 2, snapshotStepDelayUs: 10_000 },
      machine: () => new SteppedListStateMachine(),
    });
    cluster.waitFor(() => cluster.leader() !== null);
    cluster.runFor(50_000);
    const leader = cluster.leader()!;
    const follower = cluster.ids.find((id) => id !== leader)!;
    submitAll(cluster, leader, 25, "a");
    cluster.runFor(60_000); // the follower learns the commit index and starts building
    const stepsBefore = (cluster.machines.get(follower) as SteppedListStateMachine).steps;
    expect(stepsBefore).toBeGreaterThan(0);
    cluster.crash(follower);
    cluster.runFor(100_000);
    // A crashed replica takes no more steps (its timers fire into a closed replica).
    expect((cluster.machines.get(follower) as SteppedListStateMachine).steps).toBe(stepsBefore);
    cluster.start(follower);
    submitAll(cluster, leader, 25, "b");
    cluster.runFor(500_000);
    expect(cluster.replica(follower).status().snapshotBytes).toBeGreaterThan(0);
    expect(JSON.stringify(cluster.machines.get(follower)!.applied)).toBe(JSON.stringify(cluster.machines.get(leader)!.applied));
  });

  it("compacts once snapshotEntries are applied and the WAL has outgrown the last snapshot, so the WAL stays bounded by the state", () => {
    const cluster = new ReplicaCluster(["a", "b", "c"], 20);
    cluster.waitFor(() => cluster.leader() !== null);
    cluster.runFor(50_000);
    const leader = cluster.leader()!;
    submitAll(cluster, leader, 30, "a");
    cluster.runFor(100_000);
    const afterFirst = cluster.replica(leader).status().walBytes;
    for (let round = 0; round < 4; round++) submitAll(cluster, leader, 30, `b${round}-`);
    cluster.runFor(100_000);
    const status = cluster.replica(leader).status();
    expect(status.firstIndex).toBeGreaterThan(100);
    expect(status.snapshotBytes).toBeGreaterThan(0);
    // Dissertation §5.1's rule: the WAL may grow to about the snapshot's size (plus one batch of
    // snapshotEntries) before the next compaction, never beyond.
    expect(status.walBytes).toBeLessThan(status.snapshotBytes + afterFirst * 3);
  });
});
