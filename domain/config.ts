// The one world configuration: topology, network and disk fault models, and the shapes of the
// cells/raft/workload sections that other parts of ldc consume. Validated in two passes: zod
// checks shapes and ranges, then `checkReferences` checks names that point at each other. Every
// error is ONE line naming the field path and the expected form, because operators edit this
// file by hand before a peak and need to be told exactly which line is wrong.
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { defaultBatching } from "../cells/cell/client.js";

export class ConfigError extends Error {
  readonly code = "BAD_CONFIG";
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

const shown = (value: unknown): string => (value === undefined ? "nothing" : JSON.stringify(value));

const numberIn = (min: number, max: number, what = "a number") =>
  z
    .number({ error: (issue) => `expected ${what} in [${min}, ${max}], got ${shown(issue.input)}` })
    .min(min, { error: (issue) => `expected ${what} in [${min}, ${max}], got ${shown(issue.input)}` })
    .max(max, { error: (issue) => `expected ${what} in [${min}, ${max}], got ${shown(issue.input)}` });

const probability = () => numberIn(0, 1);
const nonNegative = (what = "a non-negative number") =>
  z
    .number({ error: (issue) => `expected ${what}, got ${shown(issue.input)}` })
    .min(0, { error: (issue) => `expected ${what}, got ${shown(issue.input)}` })
    .refine(Number.isFinite, { error: (issue) => `expected ${what}, got ${shown(issue.input)}` });
const positiveInt = (what = "a positive integer") =>
  z
    .number({ error: (issue) => `expected ${what}, got ${shown(issue.input)}` })
    .int({ error: (issue) => `expected ${what}, got ${shown(issue.input)}` })
    .min(1, { error: (issue) => `expected ${what}, got ${shown(issue.input)}` });
const name = (what: string) =>
  z
    .string({ error: (issue) => `expected ${what} (a non-empty string), got ${shown(issue.input)}` })
    .regex(/^[a-z0-9][a-z0-9._-]*$/i, { error: (issue) => `expected ${what} (letters, digits, . _ -), got ${shown(issue.input)}` });

const linkSchema = z.strictObject({
  /** A region or datacenter name; both ends must be of the same kind. */
  source: name("a region or datacenter name"),
  target: name("a region or datacenter name"),
  rttMs: nonNegative("a non-negative round-trip time in ms"),
  jitterFraction: numberIn(0, 10).optional(),
});

const topologySchema = z.strictObject({
  regions: z.array(z.strictObject({ name: name("a region name") })).min(1, { error: "expected at least one region" }),
  datacenters: z
    .array(z.strictObject({ name: name("a datacenter name"), region: name("a region name").optional() }))
    .min(1, { error: "expected at least one datacenter" }),
  sameDatacenterRttMs: nonNegative("a non-negative round-trip time in ms"),
  sameRegionRttMs: nonNegative("a non-negative round-trip time in ms"),
  /** Used for a region pair no link names. */
  crossRegionRttMs: nonNegative("a non-negative round-trip time in ms"),
  /** Jitter on top of the one-way delay, as a fraction of it: delay in [d, d * (1 + jitterFraction)]. */
  jitterFraction: numberIn(0, 10),
  links: z.array(linkSchema),
});

const networkSchema = z.strictObject({
  lossProbability: probability(),
  duplicateProbability: probability(),
  /** Probability that a message gets an extra uniform delay in [0, reorderDelayUsMax]. */
  reorderProbability: probability(),
  reorderDelayUsMax: nonNegative("a non-negative number of microseconds"),
  /** Per directed host-to-host link; a message occupies the link for sizeBytes / bandwidth. */
  bandwidthBytesPerSecond: z
    .number({ error: (issue) => `expected a positive number of bytes per second, got ${shown(issue.input)}` })
    .positive({ error: (issue) => `expected a positive number of bytes per second, got ${shown(issue.input)}` }),
  /** Bytes waiting for one link beyond which new messages are dropped (a clogged link). */
  linkQueueBytesMax: positiveInt("a positive integer number of bytes"),
  messageSizeBytesDefault: positiveInt("a positive integer number of bytes"),
});

const diskSchema = z.strictObject({
  appendLatencyUs: nonNegative("a non-negative number of microseconds"),
  fsyncLatencyUs: nonNegative("a non-negative number of microseconds"),
  readLatencyUs: nonNegative("a non-negative number of microseconds"),
  capacityBytes: positiveInt("a positive integer number of bytes"),
  fsyncErrorProbability: probability(),
  slowFsyncProbability: probability(),
  slowFsyncMultiplier: numberIn(1, 10_000),
  /** On crash, probability that the first unsynced append of a file survives as a strict prefix. */
  tornWriteProbability: probability(),
});

const cellsSchema = z.strictObject({
  count: positiveInt(),
  replicasPerCell: positiveInt(),
  preferredLeaderRegions: z.record(z.string(), name("a region name")),
  shards: positiveInt(),
});

const raftSchema = z.strictObject({
  tickUs: positiveInt("a positive integer number of microseconds"),
  electionTicks: positiveInt(),
  heartbeatTicks: positiveInt(),
  batchEntriesMax: positiveInt(),
  batchBytesMax: positiveInt(),
  inflightAppendsMax: positiveInt(),
  snapshotEntries: positiveInt(),
  /** Snapshot building (cells/replica.ts): units per step, and virtual time between steps. */
  snapshotStepUnits: positiveInt().optional(),
  snapshotStepDelayUs: nonNegative("a non-negative number of microseconds").optional(),
  /** Priority elections (cells/raft/options.ts electionOrder): survivors stand in placement order. */
  priorityElections: z.boolean({ error: (issue) => `expected true or false, got ${shown(issue.input)}` }).optional(),
});

const workloadSchema = z.strictObject({
  profile: z.enum(["steady", "double-11", "red-packet"], {
    error: (issue) => `expected one of "steady", "double-11", "red-packet", got ${shown(issue.input)}`,
  }),
  opsPerSecond: nonNegative("a non-negative number of operations per second"),
  readFraction: probability(),
  accountsPerShard: positiveInt(),
  /** Share of transfers whose payee is in another cell (docs/cells.md "Cross-cell transfers"); 0.2 when absent. */
  crossCellRatio: probability().optional(),
});

/** How clients and gateways coalesce commands into batches (cells/cell/client.ts BatchingOptions). */
const batchingSchema = z.strictObject({
  waitUs: nonNegative("a non-negative number of microseconds (0 turns coalescing off)"),
  commandsMax: positiveInt().refine((value) => value <= 8_190, {
    error: (issue) => `expected at most 8190 commands, got ${shown(issue.input)}`,
  }),
  bytesMax: positiveInt("a positive integer number of bytes"),
  eagerInflightMax: z
    .number({ error: (issue) => `expected a non-negative integer, got ${shown(issue.input)}` })
    .int({ error: (issue) => `expected a non-negative integer, got ${shown(issue.input)}` })
    .min(0, { error: (issue) => `expected a non-negative integer, got ${shown(issue.input)}` }),
});

/**
 * Automatic scale-out in `ldc start` (controller/scale-out.ts; docs/operator.md "Scale-out
 * policy"). Off unless `enabled`; absent fields take the policy's defaults.
 */
const scaleOutSchema = z.strictObject({
  enabled: z.boolean({ error: (issue) => `expected true or false, got ${shown(issue.input)}` }),
  /** Scale out when a cell's offered load stays above this fraction of its admission budget... */
  threshold: numberIn(0.01, 1, "a fraction of the admission budget").optional(),
  /** ...for this long. */
  sustainMs: positiveInt("a positive integer number of milliseconds").optional(),
  /** Consolidate a cell the policy added once its load stays below this fraction... */
  consolidateThreshold: numberIn(0, 1, "a fraction of the admission budget").optional(),
  /** ...for this long. */
  consolidateSustainMs: positiveInt("a positive integer number of milliseconds").optional(),
  periodMs: positiveInt("a positive integer number of milliseconds").optional(),
  /** The policy adds no cell beyond this many cells in all. */
  cellsMax: positiveInt().optional(),
  /** A cell's admission budget (ops/s); default: the gateways' per-cell admission rate. */
  budgetOpsPerSecond: numberIn(1, 1_000_000, "a number of operations per second").optional(),
});

const worldSchema = z.strictObject({
  topology: topologySchema,
  network: networkSchema,
  disk: diskSchema,
  cells: cellsSchema,
  raft: raftSchema,
  workload: workloadSchema,
  /** Optional: defaults as in defaultWorldConfig. */
  batching: batchingSchema.optional(),
  /** Optional: automatic scale-out in ldc start; off when absent. */
  scaleOut: scaleOutSchema.optional(),
});

export type WorldConfig = z.infer<typeof worldSchema>;

/** The default share of transfers that cross cells (issue 17): most interesting money in a unitized system does. */
export const DEFAULT_CROSS_CELL_RATIO = 0.2;
export type TopologyConfig = WorldConfig["topology"];
export type NetworkConfig = WorldConfig["network"];
export type DiskConfig = WorldConfig["disk"];
export type CellsConfig = WorldConfig["cells"];
export type RaftConfig = WorldConfig["raft"];
export type WorkloadConfig = WorldConfig["workload"];
export type BatchingConfig = NonNullable<WorldConfig["batching"]>;
export type ScaleOutConfig = NonNullable<WorldConfig["scaleOut"]>;

/** Coalescing as the default world does it (docs/cells.md "Batches"). */
export const defaultBatchingConfig: BatchingConfig = defaultBatching;
export type LinkConfig = TopologyConfig["links"][number];

/** The default world (README.md, docs/cells.md): three regions, five datacenters, six cells of five replicas. */
export function defaultWorldConfig(): WorldConfig {
  return {
    topology: {
      regions: [{ name: "hangzhou" }, { name: "shanghai" }, { name: "shenzhen" }],
      datacenters: [
        { name: "hz-a", region: "hangzhou" },
        { name: "hz-b", region: "hangzhou" },
        { name: "sh-a", region: "shanghai" },
        { name: "sh-b", region: "shanghai" },
        { name: "sz-a", region: "shenzhen" },
      ],
      sameDatacenterRttMs: 0.2,
      sameRegionRttMs: 1,
      crossRegionRttMs: 30,
      jitterFraction: 0.1,
      links: [
        { source: "hangzhou", target: "shanghai", rttMs: 6 },
        { source: "hangzhou", target: "shenzhen", rttMs: 30 },
        { source: "shanghai", target: "shenzhen", rttMs: 30 },
      ],
    },
    network: {
      lossProbability: 0,
      duplicateProbability: 0,
      reorderProbability: 0,
      reorderDelayUsMax: 5_000,
      // 10 Gbit/s per host pair: a 1 KiB message occupies a link for ~0.8 µs, so clogging only
      // shows under deliberate degradation, as on a healthy inter-DC backbone.
      bandwidthBytesPerSecond: 1_250_000_000,
      linkQueueBytesMax: 64 * 1024 * 1024,
      messageSizeBytesDefault: 256,
    },
    disk: {
      appendLatencyUs: 5,
      // A datacenter NVMe/SATA SSD without a power-loss-protected write cache completes a small
      // fsync in a few hundred µs (a flash program plus a FLUSH round trip); 250 µs sits in the
      // middle of that range. Drives with PLP are faster (~20-50 µs), consumer drives slower.
      fsyncLatencyUs: 250,
      readLatencyUs: 50,
      capacityBytes: 1024 * 1024 * 1024,
      fsyncErrorProbability: 0,
      slowFsyncProbability: 0,
      slowFsyncMultiplier: 20,
      tornWriteProbability: 0.5,
    },
    cells: {
      count: 6,
      replicasPerCell: 5,
      preferredLeaderRegions: {
        "cell-1": "hangzhou",
        "cell-2": "hangzhou",
        "cell-3": "hangzhou",
        "cell-4": "shanghai",
        "cell-5": "shanghai",
        "cell-6": "shanghai",
      },
      shards: 100,
    },
    raft: {
      // 10 ms ticks; heartbeat every 50 ms (above the 30 ms worst RTT, so a heartbeat round
      // completes before the next), election timeout randomised in [200, 400) ms: a dead
      // leader is noticed in ~300 ms on average and an election takes one ~6-30 ms round, which
      // keeps the region-loss RTO near 350 ms at p50 and well under 1.5 s even after a split vote.
      tickUs: 10_000,
      electionTicks: 20,
      heartbeatTicks: 5,
      batchEntriesMax: 256,
      batchBytesMax: 1024 * 1024,
      inflightAppendsMax: 8,
      snapshotEntries: 10_000,
      // After losing the leader, the cell's replicas stand for election in placement order
      // (cells/placement.ts electionOrder), each in its own 40 ms slice of [200, 400) ms.
      priorityElections: true,
    },
    workload: { profile: "steady", opsPerSecond: 2000, readFraction: 0.2, accountsPerShard: 4, crossCellRatio: DEFAULT_CROSS_CELL_RATIO },
    batching: { ...defaultBatchingConfig },
  };
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(root)" : out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Deep merge of a partial user object over the defaults; arrays replace, never merge. */
function mergeOver(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override === undefined ? base : override;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) out[key] = mergeOver(base[key], value);
  return out;
}

/**
 * A config with fewer cells than the defaults' six (`cells.count: 1`) keeps the default leader
 * preferences only for the cells it has: the defaults name cell-1 ... cell-6, and a preference
 * for a cell that does not exist is an error the user did not make.
 */
function dropDefaultPreferencesBeyondCount(merged: unknown, input: unknown): void {
  if (!isPlainObject(merged) || !isPlainObject(merged.cells)) return;
  const cells = merged.cells;
  const count = cells.count;
  const preferences = cells.preferredLeaderRegions;
  if (typeof count !== "number" || !isPlainObject(preferences)) return;
  const given =
    isPlainObject(input) && isPlainObject(input.cells) && isPlainObject(input.cells.preferredLeaderRegions)
      ? input.cells.preferredLeaderRegions
      : {};
  const kept: Record<string, unknown> = {};
  for (const [cell, region] of Object.entries(preferences)) {
    const index = /^cell-(\d+)$/.exec(cell)?.[1];
    if (cell in given || index === undefined || Number(index) <= count) kept[cell] = region;
  }
  cells.preferredLeaderRegions = kept;
}

/**
 * Validates `input` (a partial configuration: missing sections and fields take the defaults)
 * and returns the full configuration. Throws `ConfigError` naming the first bad field.
 */
export function parseWorldConfig(input: unknown): WorldConfig {
  if (input !== undefined && input !== null && !isPlainObject(input)) {
    throw new ConfigError("(root)", `expected an object, got ${shown(input)}`);
  }
  const merged = mergeOver(defaultWorldConfig(), input ?? {});
  dropDefaultPreferencesBeyondCount(merged, input);
  const result = worldSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0];
    if (issue === undefined) throw new ConfigError("(root)", "invalid configuration");
    if (issue.code === "unrecognized_keys") {
      const where = formatPath(issue.path);
      const field = where === "(root)" ? issue.keys[0] : `${where}.${issue.keys[0]}`;
      throw new ConfigError(String(field), "unknown field");
    }
    throw new ConfigError(formatPath(issue.path), issue.message);
  }
  checkReferences(result.data);
  return result.data;
}

function checkReferences(config: WorldConfig): void {
  const { topology } = config;
  const regions = new Set<string>();
  topology.regions.forEach((region, index) => {
    if (regions.has(region.name)) throw new ConfigError(`topology.regions[${index}].name`, `duplicate region "${region.name}"`);
    regions.add(region.name);
  });
  const datacenters = new Map<string, string>();
  topology.datacenters.forEach((datacenter, index) => {
    const field = `topology.datacenters[${index}]`;
    if (datacenters.has(datacenter.name) || regions.has(datacenter.name)) {
      throw new ConfigError(`${field}.name`, `duplicate name "${datacenter.name}"`);
    }
    if (datacenter.region === undefined) throw new ConfigError(`${field} (${datacenter.name})`, "in no region");
    if (!regions.has(datacenter.region)) throw new ConfigError(`${field}.region`, `unknown region "${datacenter.region}"`);
    datacenters.set(datacenter.name, datacenter.region);
  });
  topology.regions.forEach((region, index) => {
    if (![...datacenters.values()].includes(region.name)) {
      throw new ConfigError(`topology.regions[${index}] (${region.name})`, "has no datacenter");
    }
  });
  topology.links.forEach((link, index) => {
    const field = `topology.links[${index}]`;
    const kindOf = (end: string): "region" | "datacenter" | null =>
      regions.has(end) ? "region" : datacenters.has(end) ? "datacenter" : null;
    const sourceKind = kindOf(link.source);
    if (sourceKind === null) throw new ConfigError(`${field}.source`, `unknown region or datacenter "${link.source}"`);
    const targetKind = kindOf(link.target);
    if (targetKind === null) throw new ConfigError(`${field}.target`, `unknown region or datacenter "${link.target}"`);
    if (sourceKind !== targetKind)
      throw new ConfigError(`${field}.target`, `expected a ${sourceKind} like the source, got "${link.target}"`);
  });
  for (const [cell, region] of Object.entries(config.cells.preferredLeaderRegions)) {
    if (!regions.has(region)) throw new ConfigError(`cells.preferredLeaderRegions.${cell}`, `unknown region "${region}"`);
  }
  const scaleOut = config.scaleOut;
  if (scaleOut !== undefined && (scaleOut.consolidateThreshold ?? 0.3) >= (scaleOut.threshold ?? 0.8)) {
    throw new ConfigError(
      "scaleOut.consolidateThreshold",
      `expected below scaleOut.threshold (${scaleOut.threshold ?? 0.8}), got ${scaleOut.consolidateThreshold ?? 0.3}`,
    );
  }
  if (config.raft.heartbeatTicks >= config.raft.electionTicks) {
    throw new ConfigError(
      "raft.heartbeatTicks",
      `expected fewer than raft.electionTicks (${config.raft.electionTicks}), got ${config.raft.heartbeatTicks}`,
    );
  }
}

/** Parses a YAML or JSON text (JSON is YAML) read from `origin`; reading the file is the caller's I/O (cli/config-file.ts). */
export function parseWorldConfigText(text: string, origin: string): WorldConfig {
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    const first = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    throw new ConfigError("--config", `expected YAML or JSON in "${origin}": ${first}`);
  }
  return parseWorldConfig(parsed);
}
