#!/usr/bin/env node
// The drill-check child process (runtime/drill-check-child.ts) through tsx, as bin/ldc.mjs runs the CLI.
import { register } from "tsx/esm/api";

register();
await import("../runtime/drill-check-child.ts");
