// Lint: typescript-eslint's recommended rules everywhere, plus two rules of the house: the one
// that keeps protocol code deterministic, and the layer rule (LAYERS below) that keeps imports
// running down the tree (docs/architecture.md draws it).
//
// Determinism: cells/ and the decision logic of controller/ and chaos/ get time,
// randomness, network and disk only through the injected interfaces of ground/ports.ts.
// The only exceptions are the I/O edges, listed in IO_EDGES below, which adapt those
// interfaces to the real world (HTTP server, Toxiproxy server, live process supervision).
import tseslint from "typescript-eslint";

const FORBIDDEN_MODULES = [
  "fs",
  "fs/promises",
  "net",
  "dgram",
  "child_process",
  "worker_threads",
  "http",
  "https",
  "timers",
  "perf_hooks",
].flatMap((name) => [name, `node:${name}`]);

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
    {
      selector: "NewExpression[callee.name='Date'][arguments.length=0]",
      message: "new Date() is ambient time: use the injected Clock (new Date(ms) of a given time is fine).",
    },
  ],
};

/** Node modules that protocol code reaches only through injected ports. */
const DETERMINISM_IMPORT_PATHS = [
  ...FORBIDDEN_MODULES.map((name) => ({ name, message: "Protocol code gets I/O only through injected interfaces." })),
  // Hashing (createHash) is deterministic and allowed; entropy is not.
  ...["crypto", "node:crypto"].map((name) => ({
    name,
    importNames: ["randomBytes", "randomUUID", "randomInt", "getRandomValues", "webcrypto", "randomFill", "randomFillSync"],
    message: "Use the injected Random.",
  })),
];

/**
 * The layers, bottom up: each folder may import itself and the folders it lists, nothing else of
 * the project. cli/, bench/, bin/ and test/ stand on top and may import any of them.
 */
export const LAYERS = {
  ground: [],
  ui: [],
  cells: ["ground"],
  domain: ["ground", "cells"],
  harness: ["ground", "cells"],
  sim: ["ground", "cells", "domain", "harness"],
  chaos: ["ground", "cells", "domain", "harness"],
  controller: ["ground", "cells", "domain", "harness", "chaos", "ui"],
  runtime: ["ground", "cells", "domain", "harness", "sim", "chaos", "controller"],
};
const TOP_FOLDERS = [...Object.keys(LAYERS), "cli", "bench", "bin", "test"];

/**
 * A relative import that climbs out of a folder and names a forbidden top folder. The match reads
 * the specifier, not the resolved path; that is exact here because no folder inside the tree is
 * named like a top folder (a test of the rule checks the real tree passes).
 */
function layerPatterns(folder) {
  const allowed = new Set([folder, ...LAYERS[folder]]);
  return TOP_FOLDERS.filter((name) => !allowed.has(name)).map((name) => ({
    regex: `^(\\.\\./)+${name}(/|$)`,
    message: `${folder}/ may import only ${[...allowed].join(", ")} (eslint.config.js LAYERS, docs/architecture.md): ${name}/ is not below it.`,
  }));
}

const DETERMINISTIC_FOLDERS = ["ground", "domain", "cells", "controller", "chaos"];

/** One no-restricted-imports per folder: flat config replaces a rule's options, it does not merge them. */
function layerConfigs() {
  return Object.keys(LAYERS).flatMap((folder) => {
    const files = [`${folder}/**/*.ts`];
    const patterns = layerPatterns(folder);
    if (!DETERMINISTIC_FOLDERS.includes(folder)) return [{ files, rules: { "no-restricted-imports": ["error", { patterns }] } }];
    return [
      { files, ignores: IO_EDGES, rules: { "no-restricted-imports": ["error", { paths: DETERMINISM_IMPORT_PATHS, patterns }] } },
      { files: IO_EDGES.filter((edge) => edge.startsWith(`${folder}/`)), rules: { "no-restricted-imports": ["error", { patterns }] } },
    ].filter((config) => config.files.length > 0);
  });
}

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
    files: DETERMINISTIC_FOLDERS.map((folder) => `${folder}/**/*.ts`),
    ignores: IO_EDGES,
    rules: determinismRules,
  },
  ...layerConfigs(),
);
