// The drill scenario format (YAML or JSON): a name, a duration, the workload, timed steps and
// the expectations that decide SUCCEEDED or FAILED. Errors name the field and, for a file, the
// line: the YAML is parsed with a LineCounter and a failing path is mapped back to its node.
//
//   name: strict-region-outage
//   duration: 90s
//   workload: {profile: steady, opsPerSecond: 2000}
//   steps:
//     - at: 20s
//       inject: {type: region-outage, region: hangzhou, duration: 30s}
//       name: outage                        # optional, for `heal: outage`
//     - wait: 5s                            # moves the step cursor on
//     - expect: {unavailable: [cell-1]}     # checked at that moment
//     - failover: {cell: cell-1, to: shanghai}   # through the controller, when there is one
//   nemesis: {faults: [partition, kill], interval: 10s, from: 10s, until: 80s}
//   expect: {rtoMsMax: 1500, lostAckedTransfersMax: 0, p99MsMax: 200, checkers: [linearizable, bank]}
import { LineCounter, parseDocument, isNode, type Document } from "yaml";
import { z } from "zod";
import { DURATION_FORM, parseDurationUs } from "../../ground/duration.js";
import { parseFaultSpec, type FaultSpec } from "../catalogue.js";
import { ChaosError, formatPath } from "../errors.js";
import { checkTargetNames, type TargetUniverse } from "../targets.js";
import { NEMESIS_FAMILIES, type NemesisFamily } from "../nemesis.js";
import { STOP_WINDOW_US_DEFAULT, type StopConditions } from "./stop.js";

export const CHECKER_NAMES = [
  "linearizable",
  "bank",
  "durability",
  "replica-agreement",
  "availability",
  "invariants",
  "global-conservation",
  "liveness",
] as const;
export type CheckerName = (typeof CHECKER_NAMES)[number];

export const WORKLOAD_PROFILES = ["steady", "double-11", "red-packet"] as const;

export interface DrillWorkload {
  readonly profile: (typeof WORKLOAD_PROFILES)[number];
  readonly opsPerSecond: number;
  readonly readFraction?: number;
  /** Share of transfers to another cell's account (the world config's when absent). */
  readonly crossCellRatio?: number;
}

export type DrillAction =
  | { readonly kind: "failover"; readonly target: string; readonly to: string }
  | { readonly kind: "evacuate" | "restore"; readonly target: string }
  /** Elastic cells (docs/cells.md): a cell added mid-drill, a shard range moved (`to` may name a cell the drill adds). */
  | { readonly kind: "add-cell"; readonly target: "-" }
  | { readonly kind: "move-shards"; readonly target: string; readonly to: string };

export type DrillStep =
  | { readonly kind: "inject"; readonly atUs: number; readonly name: string; readonly spec: FaultSpec; readonly field: string }
  | { readonly kind: "heal"; readonly atUs: number; readonly which: "all" | string; readonly field: string }
  | { readonly kind: "action"; readonly atUs: number; readonly action: DrillAction; readonly field: string }
  | {
      readonly kind: "expect";
      readonly atUs: number;
      readonly unavailable: readonly string[];
      readonly available: readonly string[];
      readonly field: string;
    };

export interface DrillNemesis {
  readonly families: readonly NemesisFamily[];
  readonly intervalUs: number;
  readonly fromUs: number;
  readonly untilUs: number;
}

export interface DrillExpect {
  readonly rtoMsMax: number | null;
  readonly lostAckedTransfersMax: number;
  readonly checkers: readonly CheckerName[];
  readonly p99MsMax: { readonly before: number | null; readonly during: number | null; readonly after: number | null };
  /** Every replica must be up (or lagging) once the drill has healed and caught up: e.g. repaired after corruption. */
  readonly replicasUp?: boolean;
}

export interface Drill {
  readonly name: string;
  readonly description: string;
  readonly durationUs: number;
  readonly workload: DrillWorkload;
  readonly steps: readonly DrillStep[];
  readonly nemesis: DrillNemesis | null;
  readonly expect: DrillExpect;
  /** Limits that end the drill early (ABORTED) when breached while it runs; null: none. */
  readonly stop: StopConditions | null;
  /** Automatic scale-out during the drill (controller/scale-out.ts); null: off. */
  readonly scaleOut: DrillScaleOut | null;
}

export interface DrillScaleOut {
  /** Offered ops/s per cell the admission budget allows. */
  readonly budgetOpsPerSecond: number;
  /** Fraction of the budget above which a cell is hot. */
  readonly threshold: number;
  /** How long a cell must stay hot before a cell is added for it. */
  readonly sustainUs: number;
}

/**
 * How long a drill lasts: its file's `duration`, from the first step's clock to the final heal.
 * The one definition the CLI, the API and the UI show (checking afterwards is not the drill).
 */
export function drillDurationMs(drill: Pick<Drill, "durationUs">): number {
  return Math.round(drill.durationUs / 1000);
}

const shown = (value: unknown): string => (value === undefined ? "nothing" : JSON.stringify(value));
const duration = z.union([z.string(), z.number().nonnegative()], {
  error: (issue) => `expected ${DURATION_FORM}, got ${shown(issue.input)}`,
});
const names = z.union([z.string(), z.array(z.string())], {
  error: (issue) => `expected a name or a list of names, got ${shown(issue.input)}`,
});
const nonNegative = (what: string) =>
  z
    .number({ error: (issue) => `expected ${what}, got ${shown(issue.input)}` })
    .nonnegative({ error: (issue) => `expected ${what}, got ${shown(issue.input)}` });

/** `stop: {errorRateMax, p99MsMax, lostAckedTransfersMax, unavailableMsMax, window}` (also a schedule's default). */
export function stopSchemaShape() {
  return z.strictObject({
    errorRateMax: nonNegative("an error rate in [0, 1]")
      .max(1, { error: (issue) => `expected an error rate in [0, 1], got ${shown(issue.input)}` })
      .optional(),
    p99MsMax: nonNegative("a non-negative number of milliseconds").optional(),
    lostAckedTransfersMax: nonNegative("a non-negative count")
      .int({ error: (issue) => `expected a non-negative count, got ${shown(issue.input)}` })
      .optional(),
    unavailableMsMax: nonNegative("a non-negative number of milliseconds").optional(),
    window: duration.optional(),
  });
}

export type StopInput = z.infer<ReturnType<typeof stopSchemaShape>>;

/** Stop conditions from their validated input; `window` defaults to 5 s. Null when no limit is set. */
export function stopConditionsOf(input: StopInput | undefined, field = "stop"): StopConditions | null {
  if (input === undefined) return null;
  const windowUs = input.window === undefined ? STOP_WINDOW_US_DEFAULT : durationUs(input.window, `${field}.window`);
  if (windowUs <= 0) throw new ChaosError("INVALID_DRILL", `${field}.window`, "expected a positive duration");
  const conditions: StopConditions = {
    errorRateMax: input.errorRateMax ?? null,
    p99MsMax: input.p99MsMax ?? null,
    lostAckedTransfersMax: input.lostAckedTransfersMax ?? null,
    unavailableMsMax: input.unavailableMsMax ?? null,
    windowUs,
  };
  return conditions.errorRateMax === null &&
    conditions.p99MsMax === null &&
    conditions.lostAckedTransfersMax === null &&
    conditions.unavailableMsMax === null
    ? null
    : conditions;
}

const stepSchema = z.strictObject({
  at: duration.optional(),
  name: z.string().min(1).optional(),
  inject: z.unknown().optional(),
  heal: z.string({ error: (issue) => `expected "all" or the name of an inject step, got ${shown(issue.input)}` }).optional(),
  wait: duration.optional(),
  expect: z.strictObject({ unavailable: names.optional(), available: names.optional() }).optional(),
  failover: z.strictObject({ cell: z.string(), to: z.string() }).optional(),
  evacuate: z.strictObject({ region: z.string() }).optional(),
  restore: z.strictObject({ region: z.string() }).optional(),
  "add-cell": z.strictObject({}).optional(),
  "move-shards": z
    .strictObject({ shards: z.union([z.string().min(1).max(40), z.number().int().nonnegative()]), to: z.string().min(1) })
    .optional(),
});
const STEP_KINDS = ["inject", "heal", "wait", "expect", "failover", "evacuate", "restore", "add-cell", "move-shards"] as const;

const drillSchema = z.strictObject({
  name: z
    .string({ error: "expected a drill name" })
    .regex(/^[a-z0-9][a-z0-9._-]*$/i, { error: (issue) => `expected letters, digits, . _ -, got ${shown(issue.input)}` }),
  description: z.string().optional(),
  duration,
  workload: z
    .strictObject({
      profile: z.enum(WORKLOAD_PROFILES, {
        error: (issue) => `expected one of ${WORKLOAD_PROFILES.join(", ")}, got ${shown(issue.input)}`,
      }),
      opsPerSecond: nonNegative("a non-negative number of operations per second").max(100_000, {
        error: "expected at most 100000 operations per second",
      }),
      readFraction: z.number().min(0).max(1).optional(),
      crossCellRatio: z
        .number({ error: (issue) => `expected a number in [0, 1], got ${shown(issue.input)}` })
        .min(0, { error: (issue) => `expected a number in [0, 1], got ${shown(issue.input)}` })
        .max(1, { error: (issue) => `expected a number in [0, 1], got ${shown(issue.input)}` })
        .optional(),
    })
    .optional(),
  steps: z.array(z.unknown()).max(1000, { error: "expected at most 1000 steps" }).optional(),
  nemesis: z
    .strictObject({
      faults: z
        .array(z.enum(NEMESIS_FAMILIES, { error: (issue) => `expected one of ${NEMESIS_FAMILIES.join(", ")}, got ${shown(issue.input)}` }))
        .min(1),
      interval: duration,
      from: duration.optional(),
      until: duration.optional(),
    })
    .optional(),
  expect: z
    .strictObject({
      rtoMsMax: nonNegative("a non-negative number of milliseconds").optional(),
      lostAckedTransfersMax: nonNegative("a non-negative count").int().optional(),
      replicasUp: z.boolean().optional(),
      checkers: z
        .array(z.enum(CHECKER_NAMES, { error: (issue) => `expected one of ${CHECKER_NAMES.join(", ")}, got ${shown(issue.input)}` }))
        .optional(),
      p99MsMax: z
        .union([
          nonNegative("milliseconds"),
          z.strictObject({
            before: nonNegative("milliseconds").optional(),
            during: nonNegative("milliseconds").optional(),
            after: nonNegative("milliseconds").optional(),
          }),
        ])
        .optional(),
    })
    .optional(),
  stop: stopSchemaShape().optional(),
  scaleOut: z
    .strictObject({
      budgetOpsPerSecond: z.number().positive(),
      threshold: z.number().gt(0).max(1).optional(),
      sustain: duration.optional(),
    })
    .optional(),
});

export const DRILL_DURATION_US_MAX = 3_600_000_000;
export const DEFAULT_WORKLOAD: DrillWorkload = { profile: "steady", opsPerSecond: 2000 };

/** "steps[2].inject.type" -> ["steps", 2, "inject", "type"]. */
export function parsePath(field: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const match of field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(match[2] !== undefined ? Number(match[2]) : (match[1] as string));
  return out;
}

function durationUs(value: string | number, field: string): number {
  try {
    return parseDurationUs(value, field);
  } catch (error) {
    throw new ChaosError("INVALID_DRILL", field, (error as Error).message.replace(`${field}: `, ""));
  }
}

const list = (value: string | readonly string[] | undefined): readonly string[] =>
  value === undefined ? [] : typeof value === "string" ? [value] : value;

/**
 * Validates a drill object. With a universe (the world it will run in), named targets, cells and
 * regions are checked too, so a typo is bad input before anything runs.
 */
type RawDrill = z.infer<typeof drillSchema>;
type RawStep = z.infer<typeof stepSchema>;

/** Checks a name against the known ones (when a universe is given). */
function checkName(field: string, kind: string, name: string, known: readonly string[] | undefined): void {
  if (known !== undefined && !known.includes(name))
    throw new ChaosError("NO_SUCH_TARGET", field, `unknown ${kind} "${name}"; expected one of ${known.join(", ")}`);
}

export function parseDrill(input: unknown, universe?: TargetUniverse): Drill {
  const parsed = drillSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    const path = [...issue.path];
    let reason = issue.message;
    if (issue.code === "unrecognized_keys") {
      path.push(issue.keys[0] as string);
      reason = "unknown key";
    }
    throw new ChaosError("INVALID_DRILL", formatPath(path) || "drill", reason);
  }
  const raw = parsed.data;
  const totalUs = durationUs(raw.duration, "duration");
  if (totalUs <= 0 || totalUs > DRILL_DURATION_US_MAX) throw new ChaosError("INVALID_DRILL", "duration", "expected a duration in (0, 1h]");
  return {
    name: raw.name,
    description: raw.description ?? "",
    durationUs: totalUs,
    workload: raw.workload ?? DEFAULT_WORKLOAD,
    steps: parseSteps(raw.steps ?? [], totalUs, universe),
    nemesis: raw.nemesis === undefined ? null : parseNemesis(raw.nemesis, totalUs),
    expect: expectationsOf(raw.expect ?? {}),
    stop: stopConditionsOf(raw.stop),
    scaleOut:
      raw.scaleOut === undefined
        ? null
        : {
            budgetOpsPerSecond: raw.scaleOut.budgetOpsPerSecond,
            threshold: raw.scaleOut.threshold ?? 0.8,
            sustainUs: raw.scaleOut.sustain === undefined ? 3_000_000 : durationUs(raw.scaleOut.sustain, "scaleOut.sustain"),
          },
  };
}

/** The steps in time order, each at its absolute time: `at` sets the cursor, `wait` moves it. */
function parseSteps(inputs: readonly unknown[], totalUs: number, universe: TargetUniverse | undefined): DrillStep[] {
  const steps: DrillStep[] = [];
  const injectNames = new Set<string>();
  let cursorUs = 0;
  inputs.forEach((stepInput, index) => {
    const at = `steps[${index}]`;
    const step = stepOf(stepInput, at);
    const kinds = STEP_KINDS.filter((kind) => step[kind] !== undefined);
    if (kinds.length !== 1)
      throw new ChaosError(
        "INVALID_DRILL",
        at,
        `expected exactly one of ${STEP_KINDS.join(", ")}, got ${kinds.length === 0 ? "none" : kinds.join(" and ")}`,
      );
    if (step.at !== undefined) {
      const atUs = durationUs(step.at, `${at}.at`);
      if (atUs < cursorUs)
        throw new ChaosError("INVALID_DRILL", `${at}.at`, `steps must be in time order: ${step.at} is before the previous step`);
      cursorUs = atUs;
    }
    if (cursorUs > totalUs)
      throw new ChaosError(
        "INVALID_DRILL",
        step.at !== undefined ? `${at}.at` : `${at}.wait`,
        `at ${cursorUs / 1_000_000}s is after the end of the drill (duration ${totalUs / 1_000_000}s)`,
      );
    const kind = kinds[0] as (typeof STEP_KINDS)[number];
    if (kind === "wait") {
      cursorUs += durationUs(step.wait as string | number, `${at}.wait`);
      if (cursorUs > totalUs)
        throw new ChaosError("INVALID_DRILL", `${at}.wait`, `waits past the end of the drill (duration ${totalUs / 1_000_000}s)`);
      return;
    }
    steps.push(actionStep(kind, step, { at, index, atUs: cursorUs, universe, injectNames }));
  });
  return steps;
}

/** One step's shape checked by its schema; the error names the step and the key. */
function stepOf(stepInput: unknown, at: string): RawStep {
  const stepParsed = stepSchema.safeParse(stepInput);
  if (stepParsed.success) return stepParsed.data;
  const issue = stepParsed.error.issues[0] as z.core.$ZodIssue;
  const path = [...issue.path];
  if (issue.code === "unrecognized_keys") path.push(issue.keys[0] as string);
  const reason =
    issue.code === "unrecognized_keys" ? `unknown key; a step has at, name and one of ${STEP_KINDS.join(", ")}` : issue.message;
  throw new ChaosError("INVALID_DRILL", `${at}${path.length > 0 ? `.${formatPath(path)}` : ""}`, reason);
}

interface StepContext {
  readonly at: string;
  readonly index: number;
  readonly atUs: number;
  readonly universe: TargetUniverse | undefined;
  /** Names of the inject steps so far (a heal names one); added to here. */
  readonly injectNames: Set<string>;
}

/** A step that does something at its time: inject, heal, expect or an operator action. */
function actionStep(kind: Exclude<(typeof STEP_KINDS)[number], "wait">, step: RawStep, context: StepContext): DrillStep {
  const { at, atUs, universe, injectNames } = context;
  const cellIds = universe?.cells.map((cell) => cell.id);
  switch (kind) {
    case "inject": {
      let spec: FaultSpec;
      try {
        spec = parseFaultSpec(step.inject, `${at}.inject`);
        if (universe !== undefined) checkTargetNames(spec.target, universe, `${at}.inject`);
      } catch (error) {
        if (error instanceof ChaosError)
          throw new ChaosError(error.code === "NO_SUCH_TARGET" ? "NO_SUCH_TARGET" : "INVALID_DRILL", error.field, error.reason);
        throw error;
      }
      const name = step.name ?? `step-${context.index}`;
      if (injectNames.has(name)) throw new ChaosError("INVALID_DRILL", `${at}.name`, `"${name}" is already the name of an earlier step`);
      injectNames.add(name);
      return { kind: "inject", atUs, name, spec, field: `${at}.inject` };
    }
    case "heal": {
      const which = step.heal as string;
      if (which !== "all" && !injectNames.has(which))
        throw new ChaosError(
          "INVALID_DRILL",
          `${at}.heal`,
          `expected "all" or the name of an earlier inject step (${[...injectNames].join(", ") || "none yet"}), got "${which}"`,
        );
      return { kind: "heal", atUs, which, field: `${at}.heal` };
    }
    case "expect": {
      const expectStep = step.expect as { unavailable?: string | string[]; available?: string | string[] };
      const unavailable = list(expectStep.unavailable);
      const available = list(expectStep.available);
      unavailable.forEach((cell, position) => checkName(`${at}.expect.unavailable[${position}]`, "cell", cell, cellIds));
      available.forEach((cell, position) => checkName(`${at}.expect.available[${position}]`, "cell", cell, cellIds));
      return { kind: "expect", atUs, unavailable, available, field: `${at}.expect` };
    }
    case "failover": {
      const failover = step.failover as { cell: string; to: string };
      checkName(`${at}.failover.cell`, "cell", failover.cell, cellIds);
      const places = universe === undefined ? undefined : [...universe.regions, ...universe.datacenters];
      checkName(`${at}.failover.to`, "region or datacenter", failover.to, places);
      return { kind: "action", atUs, action: { kind: "failover", target: failover.cell, to: failover.to }, field: `${at}.failover` };
    }
    case "evacuate":
    case "restore": {
      const region = (step[kind] as { region: string }).region;
      // "@outage": the region(s) the earlier inject step named "outage" hit, known only when it ran.
      if (region.startsWith("@")) {
        if (!injectNames.has(region.slice(1)))
          throw new ChaosError(
            "INVALID_DRILL",
            `${at}.${kind}.region`,
            `expected a region or @ and the name of an earlier inject step (${[...injectNames].join(", ") || "none yet"}), got "${region}"`,
          );
      } else checkName(`${at}.${kind}.region`, "region", region, universe?.regions);
      return { kind: "action", atUs, action: { kind, target: region }, field: `${at}.${kind}` };
    }
    case "add-cell":
      return { kind: "action", atUs, action: { kind: "add-cell", target: "-" }, field: `${at}.add-cell` };
    case "move-shards": {
      const move = step["move-shards"] as { shards: string | number; to: string };
      if (!/^cell-\d+$/.test(move.to))
        throw new ChaosError("INVALID_DRILL", `${at}.move-shards.to`, `expected a cell id cell-N, got "${move.to}"`);
      return {
        kind: "action",
        atUs,
        action: { kind: "move-shards", target: String(move.shards), to: move.to },
        field: `${at}.move-shards`,
      };
    }
  }
}

function parseNemesis(raw: NonNullable<RawDrill["nemesis"]>, totalUs: number): DrillNemesis {
  const intervalUs = durationUs(raw.interval, "nemesis.interval");
  const fromUs = raw.from === undefined ? 0 : durationUs(raw.from, "nemesis.from");
  const untilUs = raw.until === undefined ? totalUs : durationUs(raw.until, "nemesis.until");
  if (intervalUs <= 0) throw new ChaosError("INVALID_DRILL", "nemesis.interval", "expected a positive duration");
  if (untilUs > totalUs)
    throw new ChaosError("INVALID_DRILL", "nemesis.until", `is after the end of the drill (duration ${totalUs / 1_000_000}s)`);
  if (fromUs >= untilUs) throw new ChaosError("INVALID_DRILL", "nemesis.from", "expected to be before nemesis.until");
  return { families: raw.faults, intervalUs, fromUs, untilUs };
}

function expectationsOf(rawExpect: NonNullable<RawDrill["expect"]>): Drill["expect"] {
  const p99 = rawExpect.p99MsMax;
  return {
    rtoMsMax: rawExpect.rtoMsMax ?? null,
    lostAckedTransfersMax: rawExpect.lostAckedTransfersMax ?? 0,
    checkers: rawExpect.checkers ?? ["linearizable", "bank", "durability", "replica-agreement", "invariants"],
    p99MsMax:
      typeof p99 === "number"
        ? { before: null, during: null, after: p99 }
        : { before: p99?.before ?? null, during: p99?.during ?? null, after: p99?.after ?? null },
    ...(rawExpect.replicasUp === true && { replicasUp: true }),
  };
}

/** Maps a field path to its 1-based line in the document (the nearest existing ancestor's). */
function lineOf(document: Document, counter: LineCounter, field: string): number | undefined {
  const path = parsePath(field);
  for (let length = path.length; length >= 0; length--) {
    const node = document.getIn(path.slice(0, length), true);
    if (isNode(node) && node.range !== undefined && node.range !== null) {
      // For a key's value, point at the line of the key when the value is a nested map.
      return counter.linePos(node.range[0]).line;
    }
  }
  return undefined;
}

/** Parses a drill file's text (YAML, of which JSON is a subset); errors carry the line. */
export function parseDrillText(text: string, universe?: TargetUniverse): Drill {
  const counter = new LineCounter();
  const document = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  if (document.errors.length > 0) {
    const error = document.errors[0];
    const line = error?.pos === undefined ? undefined : counter.linePos(error.pos[0]).line;
    throw new ChaosError("INVALID_DRILL", "drill", `not valid YAML or JSON (${error?.code ?? "syntax"})`, line);
  }
  try {
    return parseDrill(document.toJS(), universe);
  } catch (error) {
    if (error instanceof ChaosError) throw new ChaosError(error.code, error.field, error.reason, lineOf(document, counter, error.field));
    throw error;
  }
}
