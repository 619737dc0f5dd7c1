// The swarm's results as a JSONL file, one line per finished seed, so a run of 10,000 seeds can be
// stopped (Ctrl-C, a reboot) and resumed where it left off (`ldc swarm --resume FILE`). A line is
// appended only once its seed has ended, in one write; a line cut short by a kill is the file's
// torn tail and is dropped on resume (the seed simply runs again). Every line carries the run's
// parameters, so resuming with other parameters is refused instead of mixing two experiments, and
// the commit and version that ran it, so a run resumed across commits shows so in its summary.
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { badInput } from "./errors.js";

/** What makes two seeds' results comparable: a resumed run must use the same. */
export interface SwarmParameters {
  readonly duration: string;
  readonly nemesis: string | null;
  readonly config: string | null;
  /** Further flags passed to every seed (--bug, --nemesis-interval, --nemesis-fault), or null. */
  readonly options?: string | null;
}

/** What ran a seed: `git rev-parse HEAD` of the checkout and package.json's version ("unknown" when not known). */
export interface Provenance {
  readonly commit: string;
  readonly version: string;
}

export interface SeedResult extends SwarmParameters, Partial<Provenance> {
  readonly seed: number;
  readonly ok: boolean;
  /** 0 valid, 1 a violation, anything else: the seed could not run (crash, bad input). */
  readonly exitCode: number;
  readonly wallMs: number;
  /** The checkers (and `invariants` for online invariant violations) that found a violation. */
  readonly failedCheckers: readonly string[];
  readonly reproduce: string;
  readonly summary: string;
  readonly traceHash: string | null;
}

export interface SwarmSummary {
  readonly seeds: number;
  readonly violations: number;
  readonly errors: number;
  /** Seeds with a violation, per checker that found it (a seed may count under several). */
  readonly violationsByChecker: Record<string, number>;
  readonly failing: readonly { seed: number; exitCode: number; failedCheckers: readonly string[]; reproduce: string; summary: string }[];
  /** Seeds per commit and per version that ran them (lines written before these were recorded count as "unknown"). */
  readonly commits: Record<string, number>;
  readonly versions: Record<string, number>;
}

/** A seed result from `ldc sim --check --json`'s output (or its stderr when it printed none). */
export function seedResultOf(
  seed: number,
  parameters: SwarmParameters,
  run: { exitCode: number; stdout: string; stderr: string; wallMs: number; reproduce: string },
  built?: Provenance,
): SeedResult {
  let summary = run.stderr.trim().split("\n").pop() ?? "";
  const failedCheckers: string[] = [];
  let traceHash: string | null = null;
  try {
    const parsed = JSON.parse(run.stdout) as {
      checkers?: Record<string, unknown>;
      invariantViolations?: string[];
      findings?: string[];
      traceHash?: string;
    };
    // A checker's verdict is its validity, or an object with it (global-conservation names its first violation).
    for (const [name, verdict] of Object.entries(parsed.checkers ?? {})) {
      const valid = typeof verdict === "object" && verdict !== null ? (verdict as { valid?: unknown }).valid : verdict;
      if (valid !== true) failedCheckers.push(name);
    }
    if ((parsed.invariantViolations?.length ?? 0) > 0) failedCheckers.push("invariants");
    traceHash = typeof parsed.traceHash === "string" ? parsed.traceHash : null;
    // What failed in words: the first invariant violation, else the first failing checker's first finding.
    const said = parsed.invariantViolations?.[0] ?? parsed.findings?.[0];
    summary = `${JSON.stringify(parsed.checkers ?? {})}${said !== undefined ? ` ${said}` : ""}`;
  } catch {
    // no JSON (a crash): keep the last stderr line
  }
  return {
    seed,
    ...parameters,
    ok: run.exitCode === 0,
    exitCode: run.exitCode,
    wallMs: run.wallMs,
    failedCheckers,
    reproduce: run.reproduce,
    summary,
    traceHash,
    ...(built !== undefined && { commit: built.commit, version: built.version }),
  };
}

function isSeedResult(value: unknown): value is SeedResult {
  if (typeof value !== "object" || value === null) return false;
  const line = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(line.seed) &&
    typeof line.ok === "boolean" &&
    Number.isSafeInteger(line.exitCode) &&
    typeof line.duration === "string" &&
    Array.isArray(line.failedCheckers) &&
    typeof line.reproduce === "string"
  );
}

/**
 * The results already in `path` (none when it does not exist). A last line that does not parse is
 * a torn tail and is dropped; a bad line before it, or a line of other parameters, is refused with
 * a bad-input error naming `--resume` (the file is not this run's).
 */
export function readResults(path: string, parameters: SwarmParameters): Map<number, SeedResult> {
  const results = new Map<number, SeedResult>();
  if (!existsSync(path)) return results;
  const lines = readFileSync(path, "utf8").split("\n");
  const lastIndex = lines.length - 1 - [...lines].reverse().findIndex((line) => line.trim() !== "");
  lines.forEach((text, index) => {
    if (text.trim() === "") return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      if (index === lastIndex) return;
      throw badInput("--resume", `a JSONL file of swarm results (line ${index + 1} is not JSON)`, path);
    }
    if (!isSeedResult(parsed)) throw badInput("--resume", `a JSONL file of swarm results (line ${index + 1} is not a seed result)`, path);
    for (const key of ["duration", "nemesis", "config", "options"] as const) {
      if ((parsed[key] ?? null) !== (parameters[key] ?? null))
        throw badInput(
          "--resume",
          `results of the same run: line ${index + 1} has ${key} ${JSON.stringify(parsed[key] ?? null)}, this run ${JSON.stringify(parameters[key])}`,
          path,
        );
    }
    results.set(parsed.seed, parsed);
  });
  return results;
}

/** Appends one result as one line; the newline is part of the same write. */
export function appendResult(path: string, result: SeedResult): void {
  appendFileSync(path, `${JSON.stringify(result)}\n`);
}

export function summarise(results: readonly SeedResult[]): SwarmSummary {
  const sorted = [...results].sort((a, b) => a.seed - b.seed);
  const failing = sorted.filter((result) => !result.ok);
  const violationsByChecker: Record<string, number> = {};
  for (const result of failing) for (const name of result.failedCheckers) violationsByChecker[name] = (violationsByChecker[name] ?? 0) + 1;
  const commits: Record<string, number> = {};
  const versions: Record<string, number> = {};
  for (const result of sorted) {
    const commit = result.commit ?? "unknown";
    const version = result.version ?? "unknown";
    commits[commit] = (commits[commit] ?? 0) + 1;
    versions[version] = (versions[version] ?? 0) + 1;
  }
  return {
    seeds: sorted.length,
    violations: failing.filter((result) => result.exitCode === 1).length,
    errors: failing.filter((result) => result.exitCode !== 1).length,
    violationsByChecker,
    failing: failing.map(({ seed, exitCode, failedCheckers, reproduce, summary }) => ({
      seed,
      exitCode,
      failedCheckers,
      reproduce,
      summary,
    })),
    commits,
    versions,
  };
}
