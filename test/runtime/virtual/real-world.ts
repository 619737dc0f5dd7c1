// An in-process controller over the REAL virtual world (runtime/virtual/controller-setup.ts: Raft cells,
// gateways, workload), served on port 0. No pacer: the test steps the world itself while a
// request is in flight, so runs are deterministic in simulated time and as fast as the CPU allows.
import type { DrillRunRecord } from "../../../domain/records.js";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "../../../controller/http/app.js";
import {
  setupController,
  type ControllerSetup,
  type RunningWorldBounds,
  type SetupOptions,
} from "../../../runtime/virtual/controller-setup.js";
import { tempDataDirectory, TOKEN } from "../../controller/harness.js";
import { apiControlOf } from "../../../runtime/virtual/control-api.js";

/** Simulated µs per step while waiting for an answer. */
const STEP_US = 10_000;

export interface RealHarness {
  readonly setup: ControllerSetup;
  readonly url: string;
  /** Sends a request and runs the world until it is answered (or `simUsMax` passes). */
  request(
    method: string,
    route: string,
    body?: unknown,
    options?: { token?: string | null; simUsMax?: number; headers?: Record<string, string> },
  ): Promise<{ status: number; body: unknown; headers: Headers }>;
  /** Advances simulated time, yielding to the HTTP server between steps. */
  run(durationUs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startRealHarness(options: {
  seed: number;
  opsPerSecond?: number;
  waitPeriodMs?: number;
  dataDirectory?: string;
  gatewayOpsPerSecondMax?: number;
  admissionOpsPerSecond?: number;
  bounds?: Partial<RunningWorldBounds>;
  deferDrillCheckStep?: ((step: () => void) => void) | null;
  /** Drills spool their windows and another process checks them (as `ldc start` does). */
  drillSpool?: SetupOptions["drillSpool"];
  /** Serve the API through the control group (controller/http/app.ts ApiControl), as ldc start does. */
  control?: boolean;
  /** Automatic scale-out (the world's scaleOut section). */
  scaleOut?: SetupOptions["scaleOut"];
  /** Workload settings on top of opsPerSecond (a double-11 curve). */
  workload?: SetupOptions["workload"];
}): Promise<RealHarness> {
  const { defaultAdmission } = await import("../../../runtime/virtual/controller-setup.js");
  const setup = setupController({
    seed: options.seed,
    dataDirectory: options.dataDirectory ?? tempDataDirectory(),
    wallTimeIso: () => "2026-01-01T00:00:00.000Z",
    opsPerSecond: options.opsPerSecond ?? 300,
    ...(options.scaleOut === undefined ? {} : { scaleOut: options.scaleOut }),
    ...(options.workload === undefined ? {} : { workload: options.workload }),
    ...(options.bounds === undefined ? {} : { bounds: options.bounds }),
    ...(options.deferDrillCheckStep === undefined ? {} : { deferDrillCheckStep: options.deferDrillCheckStep }),
    ...(options.drillSpool === undefined ? {} : { drillSpool: options.drillSpool }),
    ...(options.gatewayOpsPerSecondMax === undefined ? {} : { gatewayOpsPerSecondMax: options.gatewayOpsPerSecondMax }),
    ...(options.admissionOpsPerSecond === undefined
      ? {}
      : { admission: { ...defaultAdmission, ratePerSecond: options.admissionOpsPerSecond } }),
    ...(options.waitPeriodMs === undefined
      ? {}
      : {
          controller: {
            actions: {
              ...(await import("../../../controller/actions.js")).defaultActionOptions,
              limits: { lagEntriesMax: 64, waitPeriodMs: options.waitPeriodMs },
            },
          },
        }),
  });
  setup.virtual.startWorkload({ sink: setup.sink });
  const server = http.createServer(
    createApp(setup.controller, { token: TOKEN, ui: false, ...(options.control === true ? { control: apiControlOf(setup) } : {}) }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const yieldToIo = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  const run = async (durationUs: number): Promise<void> => {
    const untilUs = setup.virtual.nowUs() + durationUs;
    while (setup.virtual.nowUs() < untilUs) {
      setup.virtual.runUntil(Math.min(untilUs, setup.virtual.nowUs() + STEP_US));
      await yieldToIo();
    }
  };
  return {
    setup,
    url,
    run,
    async request(method, route, body, requestOptions = {}) {
      const token = requestOptions.token === undefined ? TOKEN : requestOptions.token;
      const headers: Record<string, string> = { "content-type": "application/json", ...requestOptions.headers };
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let settled = false;
      const pending = fetch(`${url}${route}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
        .then(async (response) => ({ status: response.status, text: await response.text(), headers: response.headers }))
        .finally(() => {
          settled = true;
        });
      const deadlineUs = setup.virtual.nowUs() + (requestOptions.simUsMax ?? 30_000_000);
      while (!settled && setup.virtual.nowUs() < deadlineUs) {
        setup.virtual.runUntil(setup.virtual.nowUs() + STEP_US);
        await yieldToIo();
      }
      const answer = await pending;
      return { status: answer.status, body: answer.text === "" ? null : (JSON.parse(answer.text) as unknown), headers: answer.headers };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      setup.close();
    },
  };
}

/** Runs the world in steps of `stepUs` until drill run `id` is done, or `simUsMax` of simulated time has passed. */
export async function runUntilDone(h: RealHarness, id: string, simUsMax: number, stepUs = 500_000): Promise<DrillRunRecord> {
  const deadlineUs = h.setup.virtual.nowUs() + simUsMax;
  for (;;) {
    const run = h.setup.controller.drillRun(id);
    if (run === undefined) throw new Error(`run ${id} vanished`);
    if (run.state === "done" || h.setup.virtual.nowUs() >= deadlineUs) return run;
    await h.run(stepUs);
  }
}
