// `ldc start`: the default world (virtual runtime) with the controller, its gateways and the
// steady workload through them, paced at real time x --speed, the API, event stream and UI on
// one port (127.0.0.1 by default). SIGINT/SIGTERM stop the pacer, the server and the store.
import http from "node:http";
import path from "node:path";
import v8 from "node:v8";
import type { Command } from "commander";
import pino from "pino";
import { loadWorldConfig } from "./config-file.js";
import { createApp } from "../controller/http/app.js";
import { attachEvents } from "../controller/http/events.js";
import { startPacer, type Pacer } from "../runtime/virtual/pacer.js";
import { resolveToken } from "../controller/store/token.js";
import { badInput, CliError, parseSeed } from "./errors.js";
import { browserUrl, startBanner } from "./start-banner.js";
import type { Controller } from "../controller/controller.js";
import type { ControllerSetup } from "../runtime/virtual/controller-setup.js";
import { apiControlOf } from "../runtime/virtual/control-api.js";
import type { LiveControllerSetup } from "../runtime/live/controller-setup.js";
import { CROSS_CELL_RATIO_FLAG, CROSS_CELL_RATIO_HELP, withCrossCellRatio } from "./cross-cell-flag.js";

interface StartFlags {
  config?: string;
  port: string;
  host: string;
  seed?: string;
  speed: string;
  token?: string;
  dataDir: string;
  runtime: string;
  admissionOpsPerSecond?: string;
  gatewayOpsPerSecond?: string;
  crossCellRatio?: string;
  scaleOut?: boolean;
}

function positiveRate(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const rate = Number(value);
  if (!(Number.isFinite(rate) && rate > 0 && rate <= 1_000_000))
    throw badInput(flag, "a number of operations per second in (0, 1000000]", value);
  return rate;
}

export function register(program: Command): void {
  program
    .command("start")
    .description("run the default world with the controller, API and UI")
    .option("--config <file>", "world configuration (YAML or JSON)")
    .option("--port <port>", "HTTP port", "8080")
    .option("--host <host>", "address to bind", "127.0.0.1")
    .option("--seed <n>", "world seed")
    .option("--speed <x>", "simulated seconds per real second", "1")
    .option("--token <token>", "API bearer token (else LDC_API_TOKEN, else kept in the data dir)")
    .option("--data-dir <dir>", "where the audit log, schedules, token and running drills' windows live", ".ldc")
    .option("--runtime <kind>", "virtual (the simulator) or live (OS processes, files, TCP through Toxiproxy)", "virtual")
    .option("--admission-ops-per-second <n>", "each gateway's admission budget per cell (default 3000)")
    .option("--gateway-ops-per-second <n>", "each gateway's limit over all cells (default: none)")
    .option(CROSS_CELL_RATIO_FLAG, CROSS_CELL_RATIO_HELP)
    .option(
      "--scale-out",
      "automatic scale-out: add cells and move the hottest shards under sustained load (settings: the config's scaleOut section)",
    )
    .action(async (flags: StartFlags) => {
      await start(flags);
    });
}

/**
 * V8 grows the old generation to a multiple of the live heap before its next full collection
 * (up to ~4x when collections are slow, as on a busy 2-core host). The running world keeps a
 * bounded live heap of ~250-400 MB but allocates fast, so that headroom was most of its RSS:
 * 1+30/100 measured RSS 445 vs 615 MB at the same point (docs/BENCHMARKS.md "soak"), and freed
 * codec slabs sooner (external 52 vs 93 MB), for ~7 % of simulation speed.
 */
export const HEAP_GROWING_PERCENT = 30;

async function start(flags: StartFlags): Promise<void> {
  const port = Number(flags.port);
  if (!/^\d+$/.test(flags.port) || port > 65_535) throw badInput("--port", "an integer in [0, 65535]", flags.port);
  const speed = Number(flags.speed);
  if (!(Number.isFinite(speed) && speed > 0 && speed <= 1000)) throw badInput("--speed", "a number in (0, 1000]", flags.speed);
  if (flags.runtime !== "virtual" && flags.runtime !== "live") throw badInput("--runtime", "virtual or live", flags.runtime);
  const seed = parseSeed(flags.seed);
  const admissionRate = positiveRate("--admission-ops-per-second", flags.admissionOpsPerSecond);
  const gatewayOpsPerSecondMax = positiveRate("--gateway-ops-per-second", flags.gatewayOpsPerSecond);
  const config = withCrossCellRatio(loadWorldConfig(flags.config), flags.crossCellRatio);
  const dataDirectory = path.resolve(flags.dataDir);
  if (flags.scaleOut === true && flags.runtime === "live")
    throw badInput("--scale-out", "--runtime virtual (the live runtime cannot add cells)", "--runtime live");
  if (config.scaleOut?.enabled === true && flags.runtime === "live")
    throw badInput("scaleOut.enabled", "false with --runtime live (the live runtime cannot add cells)", true);
  const log = pino({ name: "ldc" });
  const token = resolveToken(dataDirectory, flags.token, process.env.LDC_API_TOKEN);
  // Before the world is built: read by V8 whenever it sizes the heap, so it applies from here on.
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  // More V8 flags for a memory A/B (docs/BENCHMARKS.md "soak": --optimize-for-size); node rejects them in NODE_OPTIONS.
  for (const flag of (process.env.LDC_START_V8_FLAGS ?? "").split(/\s+/)) if (flag !== "") v8.setFlagsFromString(flag);
  // Loaded on use: the world and its cells are heavy, and other verbs must not depend on them.
  let setup: ControllerSetup | null = null;
  let live: LiveControllerSetup | null = null;
  if (flags.runtime === "live") {
    // Real processes in real time: runtime/live (issue 8); --speed does not apply.
    const { setupLiveController } = await import("../runtime/live/controller-setup.js");
    live = await setupLiveController({
      seed,
      config,
      dataDirectory,
      wallTimeIso: () => new Date().toISOString(),
      progress: (line) => log.info(line),
    });
    live.live.startWorkload({ sink: live.sink });
  } else {
    const { setupController, defaultAdmission } = await import("../runtime/virtual/controller-setup.js");
    setup = setupController({
      seed,
      config,
      dataDirectory,
      wallTimeIso: () => new Date().toISOString(),
      controller: { speed },
      // A drill's window goes to disk and a child process checks it: the server's memory stays flat (issue 15).
      drillSpool: { directory: path.join(dataDirectory, "drill-windows") },
      ...(admissionRate === undefined ? {} : { admission: { ...defaultAdmission, ratePerSecond: admissionRate } }),
      ...(gatewayOpsPerSecondMax === undefined ? {} : { gatewayOpsPerSecondMax }),
      ...(flags.scaleOut === true && { scaleOut: { ...config.scaleOut, enabled: true } }),
    });
    setup.virtual.startWorkload({ sink: setup.sink });
  }
  const controller = (live?.controller ?? setup?.controller) as Controller;
  let pacer: Pacer | null = null;
  const app = createApp(controller, {
    token: token.token,
    health: () => processHealth(pacer, speed),
    ...(setup === null ? {} : { control: apiControlOf(setup) }),
    ...(live === null || live.control === null ? {} : { control: live.control.api }),
  });
  const server = http.createServer(app);
  const wss = attachEvents(server, controller);
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) =>
      reject(new CliError(`--port: cannot listen on ${flags.host}:${port} (${(error as Error).message})`, 2)),
    );
    server.listen(port, flags.host, resolve);
  });
  const address = server.address();
  const boundPort = typeof address === "object" && address !== null ? address.port : port;
  let stopping = false;
  pacer =
    setup === null
      ? null
      : startPacer({ speed, sliceMs: 20, sliceSimUsMax: 200_000 * Math.max(1, speed) }, setup.virtual, (error) => {
          log.error({ err: error }, "simulation stopped");
          shutdown(1);
        });
  const lagTimer = setInterval(() => {
    const lagMs = (pacer?.lagUs() ?? 0) / 1000 / speed;
    if (lagMs > 1000) log.warn({ lagMs, speed }, "simulation is behind real time x speed");
  }, 10_000);
  log.info({ url: `http://${flags.host}:${boundPort}`, seed, speed, dataDirectory, tokenSource: token.source }, "ldc controller listening");
  process.stdout.write(`${startBanner(browserUrl(flags.host, boundPort), token, path.join(dataDirectory, "api-token")).join("\n")}\n`);
  function shutdown(code: number): void {
    if (stopping) return;
    stopping = true;
    log.info("shutting down");
    pacer?.stop();
    clearInterval(lagTimer);
    for (const client of wss.clients) client.terminate();
    wss.close();
    server.closeAllConnections();
    server.close(() => {
      setup?.close();
      void Promise.resolve(live?.close()).finally(() => process.exit(code));
    });
  }
  process.on("SIGINT", () => shutdown(0));
  process.on("SIGTERM", () => shutdown(0));
  await new Promise<never>(() => {});
}

/** /healthz beside `ok`: wall ms the simulation is behind (capped at LAG_WALL_MS_MAX) and the process's memory. */
function processHealth(pacer: Pacer | null, speed: number): Record<string, number> {
  const memory = process.memoryUsage();
  return {
    lagMs: Math.round((pacer?.lagUs() ?? 0) / 1000 / speed),
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    heapTotalBytes: memory.heapTotal,
    externalBytes: memory.external,
  };
}
