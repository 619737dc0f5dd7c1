// Lint: typescript-eslint's recommended rules everywhere, plus the rule that keeps protocol
// code deterministic. cells/ and the decision logic of controller/ and chaos/ get time,
// randomness, network and disk only through the injected interfaces of ground/ports.ts.
// The only exceptions are the I/O edges, listed in IO_EDGES below, which adapt those
// interfaces to the real world (HTTP server, Toxiproxy server, live process supervision).
import tseslint from "typescript-eslint";

const FORBIDDEN_MODULES = ["fs", "fs/promises", "net", "dgram", "child_process", "worker_threads", "http", "https", "timers", "perf_hooks"]
  .flatMap((name) => [name, `node:${name}`]);

const determinismRules = {
  "no-restricted-globals": [
    "error",
    { name: "setTimeout", message: "Use the injected Clock (ground/ports.ts)." },
    { name: "setInterval", message: "Use the injected Clock (ground/ports.ts)." },
    { name: "setImmediate", message: "Use the injected Clock (ground/ports.ts)." },
    { name: "performance", message: "Use the injected Clock (ground/ports.ts)." },
    { name: "process", message: "Protocol code must not touch the process; inject what you need." },
  ],
  "no-restricted-properties": [
    "error",
    { object: "Date", property: "now", message: "Use the injected Clock." },
    { object: "Math", property: "random", message: "Use the injected Random." },
    { object: "performance", property: "now", message: "Use the injected Clock." },
    { object: "process", property: "hrtime", message: "Use the injected Clock." },
  ],
  "no-restricted-syntax": [
    "error",
    { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: "new Date() is ambient time: use the injected Clock (new Date(ms) of a given time is fine)." },
  ],
  "no-restricted-imports": [
    "error",
    {
      paths: [
        ...FORBIDDEN_MODULES.map((name) => ({ name, message: "Protocol code gets I/O only through injected interfaces." })),
        // Hashing (createHash) is deterministic and allowed; entropy is not.
        ...["crypto", "node:crypto"].map((name) => ({
          name,
          importNames: ["randomBytes", "randomUUID", "randomInt", "getRandomValues", "webcrypto", "randomFill", "randomFillSync"],
          message: "Use the injected Random.",
        })),
      ],
    },
  ],
};

const IO_EDGES = ["controller/http/**", "controller/store/**"];

export default tseslint.config(
  { ignores: ["node_modules/**", "ui/vendor/**", "out/**", ".ldc/**", "**/*.js", "**/*.mjs"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "error",
    },
  },
  {
    files: ["ground/**/*.ts", "domain/**/*.ts", "cells/**/*.ts", "controller/**/*.ts", "chaos/**/*.ts"],
    ignores: IO_EDGES,
    rules: determinismRules,
  },
);
