#!/usr/bin/env node
// A worker of `ldc swarm` (cli/swarm-worker.ts), forked with an IPC channel: runs seeds in-process
// through tsx, as bin/ldc.mjs runs the CLI.
import { register } from "tsx/esm/api";

register();
const { serveSeeds } = await import("../cli/swarm-worker.ts");
serveSeeds();
