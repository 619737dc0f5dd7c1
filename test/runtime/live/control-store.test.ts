// Each live control replica keeps a local materialized SQLite store (controller/store/control-store.ts,
// `control.sqlite` in its data directory; runtime/live/control-main.ts) that is not the source of
// truth: a follower's process is SIGKILLed, its store files deleted, the process restarted, and
// its store comes back equal to the leader's (the same audit rows, routing, faults and drills at
// the same applied index), rebuilt from its log.
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTROL_STORE_FILE, type ControlStoreRows } from "../../../runtime/live/control-status.js";
import { startControlWorld, type ControlWorld } from "./fixtures/control-world.js";

let world: ControlWorld;

beforeAll(async () => {
  world = await startControlWorld(5);
}, 90_000);

afterAll(async () => {
  await world?.close();
});

/** The rows of `id`'s and the leader's stores once they reflect the same applied index (throws after `timeoutMs`). */
async function agreeing(id: string, timeoutMs: number): Promise<{ rows: ControlStoreRows; leaderRows: ControlStoreRows }> {
  const group = world.setup.control?.group;
  if (group === undefined) throw new Error("no control group");
  const deadline = performance.now() + timeoutMs;
  let last = "";
  for (;;) {
    const status = await world.until((current) => current.quorum, 10_000);
    const leader = status.leader as string;
    try {
      const [rows, leaderRows] = await Promise.all([group.storeRows(id), group.storeRows(leader)]);
      if (rows.appliedIndex === leaderRows.appliedIndex && rows.appliedIndex > 0) return { rows, leaderRows };
      last = `${id} at ${rows.appliedIndex}, leader ${leader} at ${leaderRows.appliedIndex}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (performance.now() > deadline) throw new Error(`stores did not agree in ${timeoutMs} ms: ${last}`);
    await world.setup.live.sleep(200);
  }
}

describe("the live control replicas' SQLite stores", () => {
  it("a follower's store wiped while its process is down comes back equal to the leader's after the restart", async () => {
    for (const [index, route] of ["/api/v1/halt", "/api/v1/halt/release", "/api/v1/halt", "/api/v1/halt/release"].entries()) {
      const answer = await world.commit("POST", route, { reason: "live control store test" }, `store-${index}`, 20_000);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    }
    const status = await world.until((current) => current.quorum, 10_000);
    const follower = status.replicas.find((replica) => replica.id !== status.leader && replica.state !== "down")?.id as string;
    expect(follower).toBeDefined();
    const before = await agreeing(follower, 20_000);
    // The calls' audit entries are rows of the follower's store, as of the leader's.
    expect(before.rows.audit.length).toBeGreaterThanOrEqual(4);
    expect(before.rows.audit.filter((entry) => entry.action === "halt" || entry.action === "release").length).toBeGreaterThanOrEqual(4);
    expect(before.rows).toEqual(before.leaderRows);

    const process = world.setup.live.processes.get(follower);
    if (process === undefined) throw new Error(`no process ${follower}`);
    await process.kill(); // SIGKILL: the store's last sync is whatever it was
    const directory = process.spec.dataDir;
    for (const file of readdirSync(directory)) if (file.startsWith(CONTROL_STORE_FILE)) rmSync(join(directory, file), { force: true });
    expect(existsSync(join(directory, CONTROL_STORE_FILE))).toBe(false);
    // The log (WAL + snapshot) stays: it is what the store is rebuilt from.
    expect(existsSync(join(directory, "raft.wal"))).toBe(true);
    await process.start();

    const after = await agreeing(follower, 30_000);
    expect(after.rows.appliedIndex).toBeGreaterThanOrEqual(before.rows.appliedIndex);
    expect(after.rows).toEqual(after.leaderRows);
    // Every row it held before the wipe is back, unchanged.
    for (const entry of before.rows.audit) expect(after.rows.audit).toContainEqual(entry);
    expect(after.rows.routing?.version ?? 0).toBeGreaterThanOrEqual(before.rows.routing?.version ?? 0);
  }, 120_000);
});
