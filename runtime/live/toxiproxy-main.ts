// The embedded Toxiproxy server in its own OS process, for live worlds: proxying every byte of
// every link is the busiest job of a live run, and in its own process it neither competes with
// the supervisor's clients and workload for one event loop nor dies with a busy supervisor's
// latency. Spawned with an IPC channel, it reports {type: "ready", url} and exits when its
// parent is gone (IPC disconnect, or a changed ppid), like a replica.
import { startToxiproxyServer } from "./toxiproxy/index.js";

const PARENT_CHECK_MS = 500;

const port = Number(process.argv[2] ?? "0");
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  process.stderr.write(`ldc toxiproxy-main: port: expected an integer in [0, 65535], got ${process.argv[2]}\n`);
  process.exit(2);
}
const server = await startToxiproxyServer({ host: "127.0.0.1", port });
const initialParent = process.ppid;
process.on("disconnect", () => process.exit(0));
setInterval(() => {
  if (process.ppid !== initialParent) process.exit(0);
}, PARENT_CHECK_MS).unref();
process.on("SIGTERM", () => void server.close().finally(() => process.exit(0)));
process.send?.({ type: "ready", url: server.url });
