// The live control group (runtime/live/control-plane.ts): five control replica OS processes (2 + 2
// + 1 over the regions) in a Raft group of their own, links through Toxiproxy, WALs on disk. The
// API of `ldc start --runtime live` goes through them: a mutating call is committed (with its audit
// entry) before it is answered; after the control leader's process is SIGKILLed a new leader is
// elected, the next call commits and every audit entry acknowledged before the kill is still in
// the log; with three of five control processes down a mutating call answers 503 control-quorum
// and nothing is applied.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { rmSync } from "node:fs";
import { createApp } from "../../../controller/http/app.js";
import { setupLiveController, type LiveControllerSetup } from "../../../runtime/live/controller-setup.js";
import { defaultWorldConfig } from "../../../domain/config.js";
import type { ControlPlaneStatus } from "../../../controller/control/plane.js";
import { defaultActionOptions } from "../../../controller/actions.js";
import { tempDataDirectory, TOKEN } from "../../controller/harness.js";

let setup: LiveControllerSetup;
let server: http.Server;
let url: string;
let dataDirectory: string;

beforeAll(async () => {
  dataDirectory = tempDataDirectory();
  setup = await setupLiveController({
    seed: 3,
    config: defaultWorldConfig(),
    dataDirectory,
    wallTimeIso: () => new Date().toISOString(),
    cellCount: 1,
    // No wait between actions on one region: the test evacuates and restores back to back.
    controller: { actions: { ...defaultActionOptions, limits: { ...defaultActionOptions.limits, waitPeriodMs: 0 } } },
  });
  const control = setup.control;
  if (control === null) throw new Error("expected a control group");
  server = http.createServer(createApp(setup.controller, { token: TOKEN, ui: false, control: control.api }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 90_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  await setup?.close();
  if (dataDirectory !== undefined) rmSync(dataDirectory, { recursive: true, force: true });
});

async function call(method: string, route: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}${route}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

async function controlStatus(): Promise<ControlPlaneStatus> {
  return (await call("GET", "/api/v1/control-plane")).body as unknown as ControlPlaneStatus;
}

/** Polls the control group until `predicate` holds of its status (or fails after `timeoutMs`). */
async function until(predicate: (status: ControlPlaneStatus) => boolean, timeoutMs: number): Promise<ControlPlaneStatus> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    await setup.live.pollStatuses();
    const status = setup.control?.plane.status() as ControlPlaneStatus;
    if (predicate(status)) return status;
    if (performance.now() > deadline) throw new Error(`control group: condition not met in ${timeoutMs} ms: ${JSON.stringify(status)}`);
    await setup.live.sleep(100);
  }
}

function actionAuditIds(action: string): number[] {
  return setup.controller
    .audit({ kind: "action", limit: 100 })
    .filter((entry) => entry.action === action)
    .map((entry) => entry.id);
}

async function leaderState(): Promise<{ auditIds: readonly number[]; drained: readonly string[]; routingVersion: number | null }> {
  const leader = setup.control?.plane.leader();
  if (leader === null || leader === undefined) throw new Error("no control leader");
  return (setup.control?.group.state(leader) ?? Promise.reject(new Error("no group"))) as Promise<{
    auditIds: readonly number[];
    drained: readonly string[];
    routingVersion: number | null;
  }>;
}

describe("the live control group", () => {
  it("runs five control replica processes, 2 + 2 + 1, and GET /api/v1/control-plane reports their Raft state", async () => {
    const status = await until((current) => current.quorum && current.replicas.every((replica) => replica.state !== "down"), 30_000);
    const served = await controlStatus();
    expect(served).toMatchObject({ enabled: true, quorum: true, leader: status.leader });
    expect(served.term).toBeGreaterThan(0);
    expect(served.replicas.map((replica) => replica.region)).toEqual(["hangzhou", "hangzhou", "shanghai", "shanghai", "shenzhen"]);
    expect(served.replicas.filter((replica) => replica.state === "leader").map((replica) => replica.id)).toEqual([served.leader]);
    for (const replica of served.replicas) expect(typeof replica.matchIndex).toBe("number");
    const pids = served.replicas.map((replica) => setup.live.processes.get(replica.id)?.pid);
    expect(new Set(pids).size).toBe(5);
    for (const pid of pids) expect(pid).toBeGreaterThan(0);
    expect(pids).not.toContain(process.pid);
  });

  it("commits a mutating call with its audit entry before answering; after SIGKILL of the control leader a new leader commits the next and keeps every acknowledged entry", async () => {
    const evacuated = await call("POST", "/api/v1/regions/shenzhen/evacuate", { reason: "live control test" });
    expect(evacuated.status, JSON.stringify(evacuated.body)).toBe(200);
    const restored = await call("POST", "/api/v1/regions/shenzhen/restore", { reason: "live control test" });
    expect(restored.status, JSON.stringify(restored.body)).toBe(200);
    const acknowledged = [...actionAuditIds("evacuate"), ...actionAuditIds("restore")];
    expect(acknowledged).toHaveLength(2);
    const before = await leaderState();
    for (const id of acknowledged) expect(before.auditIds).toContain(id);
    expect(before.routingVersion).toBe(restored.body.routingVersion);

    const oldStatus = await until((current) => current.quorum, 10_000);
    const oldLeader = oldStatus.leader as string;
    const killed = setup.live.processes.get(oldLeader);
    expect(killed?.pid).toBeGreaterThan(0);
    await killed?.kill(); // SIGKILL
    const next = await until((current) => current.quorum && current.leader !== null && current.leader !== oldLeader, 20_000);
    expect(next.term).toBeGreaterThan(oldStatus.term);
    expect(next.replicas.find((replica) => replica.id === oldLeader)?.state).toBe("down");

    const again = await call("POST", "/api/v1/regions/shenzhen/evacuate", { reason: "after the control leader died" });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    const after = await leaderState();
    for (const id of acknowledged) expect(after.auditIds).toContain(id);
    const newIds = actionAuditIds("evacuate").filter((id) => !acknowledged.includes(id));
    expect(newIds).toHaveLength(1);
    expect(after.auditIds).toContain(newIds[0]);
    expect(after.drained).toEqual(["shenzhen"]);
  });

  it("with three of five control processes down a mutating call answers 503 control-quorum and nothing is applied", async () => {
    const status = await until((current) => current.quorum, 10_000);
    const running = status.replicas.filter((replica) => replica.state !== "down").map((replica) => replica.id);
    const down = status.replicas.length - running.length;
    // The leader among them, until three of five are down.
    const victims = [status.leader as string, ...running.filter((id) => id !== status.leader)].slice(0, 3 - down);
    await Promise.all(victims.map((id) => setup.live.processes.get(id)?.kill()));
    await until((current) => current.replicas.filter((replica) => replica.state === "down").length === 3, 5_000);
    const routingBefore = setup.controller.routing();
    const restoresBefore = actionAuditIds("restore").length;
    const refused = await call("POST", "/api/v1/regions/shenzhen/restore", { reason: "no quorum" });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ rule: "control-quorum" });
    expect(setup.controller.routing().version).toBe(routingBefore.version);
    expect(setup.controller.routing().drained).toEqual(["shenzhen"]);
    expect(actionAuditIds("restore")).toHaveLength(restoresBefore);
    expect((await controlStatus()).quorum).toBe(false);
  });
});
