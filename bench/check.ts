// Checker throughput: the linearizability search over generated, valid ledger histories
// (1k/10k/100k ops at 5/20/50 concurrent clients, spread over the default world's 6 cells so
// the search is partitioned per cell) and over Knossos' memstress3 cas-register files. Time
// covers pairing, preparing and searching, not generating. A case that runs out of its budget
// reports valid "unknown": that is a measured result, not a skipped one.
import { knossosDir } from "../harness/conformance.js";
import { readdirSync, readFileSync } from "node:fs";
import { generateLedgerHistory } from "../harness/generate.js";
import { pairHistory, parseHistory } from "../harness/history.js";
import { checkLinearizable } from "../harness/linearizable.js";
import { casRegister, ledger, repeatedLedgerIds } from "../harness/models.js";
import { checkLedgerWitness } from "../harness/checkers/ledger-witness.js";
// The witness generator lives with the tests that established it; the bench reuses it as is.
import { generateWitnessCase } from "../test/harness/witness-fixture.js";

export interface CheckBenchOptions {
  opCounts?: readonly number[];
  clientCounts?: readonly number[];
  cells?: number;
  seed?: number;
  /** Budget per case; past it the case reports "unknown". */
  timeoutMs?: number;
  knossosDir?: string;
}

export interface CheckBenchCase {
  name: string;
  ops: number;
  clients: number;
  ms: number;
  valid: true | false | "unknown";
  steps: number;
}

export async function run(options: CheckBenchOptions = {}): Promise<{ cases: CheckBenchCase[]; method: string }> {
  const opCounts = options.opCounts ?? [1_000, 10_000, 100_000];
  const clientCounts = options.clientCounts ?? [5, 20, 50];
  const cells = options.cells ?? 6;
  const seed = options.seed ?? 1;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const cases: CheckBenchCase[] = [];
  for (const ops of opCounts) {
    for (const clients of clientCounts) {
      const history = generateLedgerHistory({ seed, ops, clients, cells });
      const startedMs = performance.now();
      const paired = pairHistory(history);
      const verdict = checkLinearizable(ledger({ repeatedIds: repeatedLedgerIds(paired) }), paired, { timeoutMs });
      cases.push({
        name: `ledger-${ops}-ops-${clients}-clients-${cells}-cells`,
        ops,
        clients,
        ms: Math.round(performance.now() - startedMs),
        valid: verdict.valid,
        steps: verdict.steps,
      });
    }
  }
  const dir = options.knossosDir ?? `${knossosDir()}/cas-register/good`;
  let files: string[] = [];
  try {
    files = readdirSync(dir)
      .filter((file) => file.startsWith("memstress3-"))
      .sort();
  } catch {
    files = [];
  }
  let totalMs = 0;
  let totalOps = 0;
  let totalSteps = 0;
  let allValid: true | false | "unknown" = true;
  for (const file of files) {
    const text = readFileSync(`${dir}/${file}`, "utf8");
    const startedMs = performance.now();
    const paired = pairHistory(parseHistory(text, "edn"));
    const verdict = checkLinearizable(casRegister(0), paired, { timeoutMs });
    totalMs += performance.now() - startedMs;
    totalOps += paired.length;
    totalSteps += verdict.steps;
    if (verdict.valid !== true && allValid !== false) allValid = verdict.valid;
  }
  if (files.length > 0)
    cases.push({
      name: `knossos-memstress3 (${files.length} files)`,
      ops: totalOps,
      clients: 0,
      ms: Math.round(totalMs),
      valid: allValid,
      steps: totalSteps,
    });
  // The witness checker (what `ldc sim --check` and drills use per cell): the same sizes, one cell,
  // the history checked against the cell's committed event order.
  for (const ops of opCounts) {
    for (const clients of clientCounts) {
      const generated = generateWitnessCase(seed, ops, clients);
      const startedMs = performance.now();
      const verdict = checkLedgerWitness(generated.history, { complete: true, events: generated.events });
      cases.push({
        name: `witness-${ops}-ops-${clients}-clients-1-cell`,
        ops,
        clients,
        ms: Math.round(performance.now() - startedMs),
        valid: verdict.valid,
        steps: 0,
      });
    }
  }
  return {
    cases,
    method: `seed ${seed}, ${cells} cells, 8 accounts per cell, op durations 1..5000 µs, 2% fail, 0.5% info; ms = pair + prepare + search (parse included for Knossos), budget ${timeoutMs} ms per case; witness cases: test/harness/witness-fixture.ts generateWitnessCase(seed, ops, clients), 8 accounts, ms = checkLedgerWitness alone`,
  };
}
