// The fault catalogue: one declarative, validated object per fault. A spec names a type, a
// target selector and either a duration or a lease; the FaultManager turns it into FaultPort
// primitives. The same shape comes from the HTTP API (`{type, target, params, leaseMs}`), from
// drill files (`{type: region-outage, region: hangzhou, duration: 30s}`: target keys and params
// may sit at the top level) and from the nemesis, so all three are parsed here, once.
import { z } from "zod";
import { DURATION_FORM, parseDurationUs } from "../ground/duration.js";
import { ChaosError, formatPath, joinField } from "./errors.js";

export const FAULT_TYPES = [
  "partition",
  "latency",
  "loss",
  "duplicate",
  "reorder",
  "bandwidth",
  "fsync-eio",
  "enospc",
  "slow-fsync",
  "corrupt",
  "torn-write",
  "kill",
  "restart",
  "pause",
  "rolling-restart",
  "dc-outage",
  "region-outage",
  "clock",
] as const;
export type FaultType = (typeof FAULT_TYPES)[number];

export const SELECTS = ["one", "minority", "majority", "leader", "followers", "all", "percent", "control-leader"] as const;
export type Select = (typeof SELECTS)[number];

export const PARTITION_SHAPES = ["isolate", "region-vs-rest", "datacenter", "region-pair", "majorities-ring", "halves", "one-way"] as const;
export type PartitionShape = (typeof PARTITION_SHAPES)[number];

/** What a fault acts on: hosts (replicas), whole datacenters, whole regions or whole cells. */
export type TargetLevel = "host" | "datacenter" | "region" | "cell";

/** Named scope (intersected) plus how many of it to pick. Resolved by chaos/targets.ts. */
export interface TargetSelector {
  readonly select: Select;
  /** For select "percent": 0 < percent <= 100. */
  readonly percent?: number;
  readonly hosts?: readonly string[];
  readonly datacenters?: readonly string[];
  readonly regions?: readonly string[];
  readonly cells?: readonly string[];
}

export interface FaultParamsByType {
  partition: { readonly shape: PartitionShape | null };
  latency: { readonly delayMs: number; readonly jitterMs: number };
  loss: { readonly probability: number };
  duplicate: { readonly probability: number };
  reorder: { readonly probability: number };
  bandwidth: { readonly bytesPerSecond: number };
  "fsync-eio": Record<string, never>;
  enospc: Record<string, never>;
  "slow-fsync": { readonly multiplier: number };
  corrupt: Record<string, never>;
  "torn-write": Record<string, never>;
  kill: Record<string, never>;
  restart: { readonly downMs: number };
  pause: Record<string, never>;
  "rolling-restart": { readonly intervalMs: number; readonly downMs: number };
  "dc-outage": Record<string, never>;
  "region-outage": Record<string, never>;
  clock: { readonly offsetMs: number; readonly driftPpm: number };
}

export type FaultSpec = {
  [T in FaultType]: {
    readonly type: T;
    readonly target: TargetSelector;
    readonly params: FaultParamsByType[T];
    /** Planned length; null for instantaneous faults (restart) or "until healed or the lease ends". */
    readonly durationUs: number | null;
    /** Dead-man switch: the fault is healed at the latest this long after injection. */
    readonly leaseUs: number;
  };
}[FaultType];

/** A fault without a duration or lease still never outlives this. */
export const LEASE_US_DEFAULT = 60_000_000;
/** The longest lease a fault may ask for: leftovers are the complaint about other chaos tools. */
export const LEASE_US_MAX = 3_600_000_000;

interface TypeInfo {
  readonly level: TargetLevel;
  readonly select: Select;
  readonly description: string;
  /** Parameter defaults: what the schema fills in for an empty params map. */
  readonly params: Readonly<Record<string, number | string | null>>;
  /** Checks a fault's params and fills in the defaults. */
  readonly paramSchema: z.ZodType;
}

const shown = (value: unknown): string => (value === undefined ? "nothing" : JSON.stringify(value));
const numberIn = (min: number, max: number, what: string) =>
  z
    .number({ error: (issue) => `expected ${what} in [${min}, ${max}], got ${shown(issue.input)}` })
    .min(min, { error: (issue) => `expected ${what} in [${min}, ${max}], got ${shown(issue.input)}` })
    .max(max, { error: (issue) => `expected ${what} in [${min}, ${max}], got ${shown(issue.input)}` });
const probability = (fallback: number) => numberIn(0, 1, "a probability").default(fallback);
const none = z.strictObject({});

const DEFINITIONS: { readonly [T in FaultType]: Omit<TypeInfo, "params"> } = {
  partition: {
    level: "host",
    select: "all",
    description:
      "Cut links: a region from the rest, a datacenter, two regions from each other, a host set, a majorities ring per cell, random halves, or one way.",
    paramSchema: z.strictObject({
      shape: z
        .enum(PARTITION_SHAPES, { error: (issue) => `expected one of ${PARTITION_SHAPES.join(", ")}, got ${shown(issue.input)}` })
        .nullable()
        .default(null),
    }),
  },
  latency: {
    level: "host",
    select: "all",
    description: "Extra one-way delay (with jitter) on links between the target and the rest.",
    paramSchema: z.strictObject({
      delayMs: numberIn(0, 60_000, "milliseconds").default(50),
      jitterMs: numberIn(0, 60_000, "milliseconds").default(10),
    }),
  },
  loss: {
    level: "host",
    select: "all",
    description: "Drop messages on the target's links.",
    paramSchema: z.strictObject({ probability: probability(0.1) }),
  },
  duplicate: {
    level: "host",
    select: "all",
    description: "Deliver messages twice on the target's links.",
    paramSchema: z.strictObject({ probability: probability(0.1) }),
  },
  reorder: {
    level: "host",
    select: "all",
    description: "Delay some messages so they overtake others.",
    paramSchema: z.strictObject({ probability: probability(0.2) }),
  },
  bandwidth: {
    level: "host",
    select: "all",
    description: "Clog the target's links to a bandwidth (queues fill, then messages drop).",
    paramSchema: z.strictObject({ bytesPerSecond: numberIn(1, 10_000_000_000, "bytes per second").default(100_000) }),
  },
  "fsync-eio": { level: "host", select: "one", description: "fsync fails with EIO.", paramSchema: none },
  enospc: { level: "host", select: "one", description: "Appends fail with ENOSPC (disk full).", paramSchema: none },
  "slow-fsync": {
    level: "host",
    select: "one",
    description: "fsync takes `multiplier` times longer.",
    paramSchema: z.strictObject({ multiplier: numberIn(1, 10_000, "a multiplier").default(50) }),
  },
  corrupt: {
    level: "host",
    select: "one",
    description: "Flip a bit in a synced record (found on the next read/recovery).",
    paramSchema: none,
  },
  "torn-write": {
    level: "host",
    select: "one",
    description: "The next crash tears the last unsynced write.",
    paramSchema: none,
  },
  kill: {
    level: "host",
    select: "one",
    description: "Crash the process (memory and unsynced writes lost); healing restarts it.",
    paramSchema: none,
  },
  restart: {
    level: "host",
    select: "one",
    description: "Crash, then restart after `downMs`.",
    paramSchema: z.strictObject({ downMs: numberIn(0, 600_000, "milliseconds").default(1000) }),
  },
  pause: {
    level: "host",
    select: "one",
    description: "Pause the process (timers and messages wait); healing resumes it.",
    paramSchema: none,
  },
  "rolling-restart": {
    level: "cell",
    select: "one",
    description: "Restart a cell's replicas one at a time, `intervalMs` apart, each down for `downMs`.",
    paramSchema: z.strictObject({
      intervalMs: numberIn(1, 3_600_000, "milliseconds").default(10_000),
      downMs: numberIn(0, 600_000, "milliseconds").default(2_000),
    }),
  },
  "dc-outage": {
    level: "datacenter",
    select: "leader",
    description: "Power loss in a datacenter: every process crashes and every link drops.",
    paramSchema: none,
  },
  "region-outage": {
    level: "region",
    select: "leader",
    description: "Power loss in a region: every process crashes and every link drops.",
    paramSchema: none,
  },
  clock: {
    level: "host",
    select: "one",
    description: "Skew (offsetMs) and drift (driftPpm) of a host clock.",
    paramSchema: z.strictObject({
      offsetMs: numberIn(-3_600_000, 3_600_000, "milliseconds").default(500),
      driftPpm: numberIn(-1_000_000, 1_000_000, "parts per million").default(0),
    }),
  },
};

// Each type's parameter defaults are its schema's: what an empty params map parses to.
const TYPES = Object.fromEntries(
  FAULT_TYPES.map((type) => [type, { ...DEFINITIONS[type], params: DEFINITIONS[type].paramSchema.parse({}) }]),
) as { readonly [T in FaultType]: TypeInfo };

export function faultTypeInfo(type: FaultType): TypeInfo {
  return TYPES[type];
}

const TARGET_KEYS = ["select", "percent", "host", "hosts", "datacenter", "datacenters", "region", "regions", "cell", "cells"] as const;
const ENVELOPE_KEYS = new Set<string>(["type", "target", "params", "duration", "durationMs", "lease", "leaseMs", ...TARGET_KEYS]);

const nameList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
  error: (issue) => `expected a name or a non-empty list of names, got ${shown(issue.input)}`,
});
const selectInput = z.union([z.enum(SELECTS), z.string().regex(/^\d+(\.\d+)?%$/)], {
  error: (issue) => `expected one of ${SELECTS.join(", ")} or a percentage like "40%", got ${shown(issue.input)}`,
});

const targetObjectSchema = z.strictObject({
  select: selectInput.optional(),
  percent: numberIn(0, 100, "a percentage").optional(),
  host: nameList.optional(),
  hosts: nameList.optional(),
  datacenter: nameList.optional(),
  datacenters: nameList.optional(),
  region: nameList.optional(),
  regions: nameList.optional(),
  cell: nameList.optional(),
  cells: nameList.optional(),
  /** The UI sends catalogue targets back verbatim, label included. */
  label: z.string().optional(),
});
type TargetObjectInput = z.infer<typeof targetObjectSchema>;

const durationInput = z.union([z.string(), z.number().nonnegative()], {
  error: (issue) => `expected ${DURATION_FORM} (a bare number only in a field named ...Ms), got ${shown(issue.input)}`,
});

function issueToError(issues: readonly z.core.$ZodIssue[], prefix: string): ChaosError {
  const issue = issues[0] as z.core.$ZodIssue;
  let reason = issue.message;
  const path = [...issue.path];
  if (issue.code === "unrecognized_keys") {
    path.push(issue.keys[0] as string);
    reason = "unknown key";
  }
  return new ChaosError("INVALID_FAULT", joinField(prefix, formatPath(path)), reason);
}

function parseWith<T>(schema: z.ZodType<T>, input: unknown, prefix: string): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw issueToError(parsed.error.issues, prefix);
  return parsed.data;
}

const list = (value: string | readonly string[] | undefined): readonly string[] | undefined =>
  value === undefined ? undefined : typeof value === "string" ? [value] : value;

function mergeLists(
  field: string,
  a: string | readonly string[] | undefined,
  b: string | readonly string[] | undefined,
): readonly string[] | undefined {
  const left = list(a);
  const right = list(b);
  if (left !== undefined && right !== undefined)
    throw new ChaosError("INVALID_FAULT", field, "given twice (singular and plural form); use one");
  return left ?? right;
}

function toSelector(input: TargetObjectInput, defaultSelect: Select, prefix: string): TargetSelector {
  let select: Select | undefined;
  let percent = input.percent;
  if (input.select !== undefined) {
    if (input.select.endsWith("%")) {
      select = "percent";
      percent = Number(input.select.slice(0, -1));
      if (!(percent > 0 && percent <= 100))
        throw new ChaosError("INVALID_FAULT", joinField(prefix, "select"), `expected a percentage in (0%, 100%], got "${input.select}"`);
    } else {
      select = input.select as Select;
    }
  } else if (percent !== undefined) {
    select = "percent";
  }
  const hosts = mergeLists(joinField(prefix, "hosts"), input.host, input.hosts);
  const datacenters = mergeLists(joinField(prefix, "datacenters"), input.datacenter, input.datacenters);
  const regions = mergeLists(joinField(prefix, "regions"), input.region, input.regions);
  const cells = mergeLists(joinField(prefix, "cells"), input.cell, input.cells);
  const named = hosts !== undefined || datacenters !== undefined || regions !== undefined || cells !== undefined;
  // Naming a scope without saying how many means all of it (`region: hangzhou` is that region).
  select ??= named ? "all" : defaultSelect;
  if (select === "percent" && (percent === undefined || !(percent > 0))) {
    throw new ChaosError("INVALID_FAULT", joinField(prefix, "percent"), "expected a percentage in (0, 100] with select percent");
  }
  return {
    select,
    ...(select === "percent" ? { percent } : {}),
    ...(hosts ? { hosts } : {}),
    ...(datacenters ? { datacenters } : {}),
    ...(regions ? { regions } : {}),
    ...(cells ? { cells } : {}),
  };
}

function parseDurationField(input: unknown, field: string): number {
  const value = parseWith(durationInput, input, field);
  try {
    return parseDurationUs(value, field);
  } catch (error) {
    throw new ChaosError("INVALID_FAULT", field, (error as Error).message.replace(`${field}: `, ""));
  }
}

/**
 * Validates a fault spec from the API, a drill file or the nemesis. `prefix` is the path of the
 * spec in its document (`steps[2].inject`) so errors name the field the way the author sees it.
 * Names are checked against the configured names separately (chaos/targets.ts `checkTargetNames`).
 */
export function parseFaultSpec(input: unknown, prefix = ""): FaultSpec {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new ChaosError("INVALID_FAULT", prefix === "" ? "fault" : prefix, `expected a map {type, target, ...}, got ${shown(input)}`);
  }
  const record = input as Record<string, unknown>;
  const typeText = record.type;
  if (typeof typeText !== "string" || !(FAULT_TYPES as readonly string[]).includes(typeText)) {
    const got = typeof typeText === "string" ? `unknown fault type "${typeText}"` : `missing or not a string (${shown(typeText)})`;
    throw new ChaosError("INVALID_FAULT", joinField(prefix, "type"), `${got}; expected one of ${FAULT_TYPES.join(", ")}`);
  }
  const type = typeText as FaultType;
  const info = TYPES[type];
  const paramKeys = new Set(Object.keys(info.params));

  const topParams: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (ENVELOPE_KEYS.has(key)) continue;
    if (paramKeys.has(key)) topParams[key] = value;
    else {
      const expected = [...paramKeys].length > 0 ? `; ${type} takes ${[...paramKeys].join(", ")}` : `; ${type} takes no parameters`;
      throw new ChaosError("INVALID_FAULT", joinField(prefix, key), `unknown key${expected} (and type, target, duration, lease)`);
    }
  }
  let paramsInput: Record<string, unknown> = {};
  if (record.params !== undefined) {
    if (typeof record.params !== "object" || record.params === null || Array.isArray(record.params)) {
      throw new ChaosError("INVALID_FAULT", joinField(prefix, "params"), `expected a map of parameters, got ${shown(record.params)}`);
    }
    paramsInput = { ...(record.params as Record<string, unknown>) };
  }
  for (const key of Object.keys(topParams)) {
    if (key in paramsInput)
      throw new ChaosError("INVALID_FAULT", joinField(prefix, key), "given both at the top level and in params; use one");
  }
  const params = parseWith(
    info.paramSchema,
    { ...paramsInput, ...topParams },
    joinField(prefix, record.params !== undefined && Object.keys(topParams).length === 0 ? "params" : ""),
  );

  // The target: an object, a select word ("leader", "40%"), or keys at the top level.
  const topTarget: Record<string, unknown> = {};
  for (const key of TARGET_KEYS) if (record[key] !== undefined) topTarget[key] = record[key];
  let targetInput: TargetObjectInput;
  let targetPrefix = prefix;
  if (record.target !== undefined) {
    if (Object.keys(topTarget).length > 0) {
      throw new ChaosError(
        "INVALID_FAULT",
        joinField(prefix, Object.keys(topTarget)[0] as string),
        "given both `target` and a top-level target key; use one",
      );
    }
    targetPrefix = joinField(prefix, "target");
    targetInput =
      typeof record.target === "string"
        ? parseWith(targetObjectSchema, { select: record.target }, targetPrefix)
        : parseWith(targetObjectSchema, record.target, targetPrefix);
  } else {
    targetInput = parseWith(targetObjectSchema, topTarget, prefix);
  }
  const target = toSelector(targetInput, info.select, targetPrefix);

  if (record.duration !== undefined && record.durationMs !== undefined)
    throw new ChaosError("INVALID_FAULT", joinField(prefix, "durationMs"), "given both duration and durationMs; use one");
  if (record.lease !== undefined && record.leaseMs !== undefined)
    throw new ChaosError("INVALID_FAULT", joinField(prefix, "leaseMs"), "given both lease and leaseMs; use one");
  const durationKey = record.duration !== undefined ? "duration" : "durationMs";
  const leaseKey = record.lease !== undefined ? "lease" : "leaseMs";
  const durationUs = record[durationKey] === undefined ? null : parseDurationField(record[durationKey], joinField(prefix, durationKey));
  const leaseGivenUs = record[leaseKey] === undefined ? null : parseDurationField(record[leaseKey], joinField(prefix, leaseKey));
  if (durationUs !== null && durationUs <= 0 && type !== "restart")
    throw new ChaosError("INVALID_FAULT", joinField(prefix, durationKey), "expected a positive duration");
  if (leaseGivenUs !== null && leaseGivenUs <= 0)
    throw new ChaosError("INVALID_FAULT", joinField(prefix, leaseKey), "expected a positive lease");
  // The lease bounds the duration: a fault heals at min(duration, lease) whatever else happens.
  const leaseUs = leaseGivenUs ?? durationUs ?? LEASE_US_DEFAULT;
  if (leaseUs > LEASE_US_MAX)
    throw new ChaosError(
      "INVALID_FAULT",
      joinField(prefix, record[leaseKey] !== undefined ? leaseKey : durationKey),
      `expected at most ${LEASE_US_MAX / 60_000_000} minutes`,
    );
  if (target.select === "percent" && info.level !== "host") {
    throw new ChaosError(
      "INVALID_FAULT",
      joinField(targetPrefix, "select"),
      `${type} acts on whole ${info.level}s; a percentage applies to hosts only`,
    );
  }
  return { type, target, params, durationUs, leaseUs } as FaultSpec;
}

/** The catalogue as the API and the UI show it: every type with its targets and parameter defaults. */
export interface CatalogueEntry {
  readonly type: FaultType;
  readonly level: TargetLevel;
  readonly description: string;
  /** Target objects; the UI sends the chosen one back verbatim as `target`. */
  readonly targets: readonly (Record<string, unknown> & { readonly label: string })[];
  readonly params: Readonly<Record<string, number | string | null>>;
  readonly leaseMsDefault: number;
}

export interface CatalogueNames {
  readonly regions: readonly string[];
  readonly datacenters: readonly string[];
  readonly cells: readonly string[];
}

export function describeCatalogue(names: CatalogueNames): CatalogueEntry[] {
  return FAULT_TYPES.map((type) => {
    const info = TYPES[type];
    const targets: (Record<string, unknown> & { label: string })[] = [];
    const regionPairs: (Record<string, unknown> & { label: string })[] = [];
    switch (info.level) {
      case "region":
        targets.push({ select: "leader", label: "region with the most leaders" });
        for (const region of names.regions) targets.push({ region, label: region });
        break;
      case "datacenter":
        targets.push({ select: "leader", label: "datacenter with the most leaders" });
        for (const datacenter of names.datacenters) targets.push({ datacenter, label: datacenter });
        break;
      case "cell":
        targets.push({ select: "one", label: "a random cell" });
        for (const cell of names.cells) targets.push({ cell, label: cell });
        break;
      case "host":
        if (type === "partition") {
          for (const region of names.regions) targets.push({ region, label: `${region} vs rest` });
          names.regions.forEach((a, i) =>
            names.regions.slice(i + 1).forEach((b) => regionPairs.push({ regions: [a, b], label: `${a} ↔ ${b}` })),
          );
          targets.push(...regionPairs);
          for (const datacenter of names.datacenters) targets.push({ datacenter, label: `${datacenter} isolated` });
        } else {
          for (const select of ["one", "leader", "followers", "minority", "majority", "all"] as const)
            targets.push({
              select,
              label:
                select === "leader" || select === "followers" || select === "minority" || select === "majority"
                  ? `${select} of a random cell`
                  : `${select} host${select === "all" ? "s" : ""}`,
            });
          for (const region of names.regions) targets.push({ region, label: `hosts in ${region}` });
          for (const datacenter of names.datacenters) targets.push({ datacenter, label: `hosts in ${datacenter}` });
        }
        for (const cell of names.cells) targets.push({ cell, select: "leader", label: `${cell} leader` });
        break;
    }
    return {
      type,
      level: info.level,
      description: info.description,
      targets,
      params: info.params,
      leaseMsDefault: LEASE_US_DEFAULT / 1000,
    };
  });
}
