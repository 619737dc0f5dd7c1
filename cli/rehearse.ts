// `ldc rehearse evacuate REGION | restore REGION | failover CELL --to PLACE | drill NAME` against a
// running controller (`ldc start`): POST /api/v1/rehearsals and print the prediction. Exit 0 when
// the action would go through (a drill would SUCCEED), 1 when it would be refused or fail, 2 on bad
// input or when the controller cannot be reached.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import type { Prediction } from "../runtime/virtual/rehearsal.js";
import { CliError, badInput } from "./errors.js";

interface RehearseFlags {
  url: string;
  token?: string;
  dataDir: string;
  to?: string;
  json?: boolean;
}

const KINDS = ["evacuate", "restore", "failover", "drill"] as const;

function tokenOf(flags: RehearseFlags): string {
  if (flags.token !== undefined && flags.token !== "") return flags.token;
  const fromEnvironment = process.env.LDC_API_TOKEN;
  if (fromEnvironment !== undefined && fromEnvironment !== "") return fromEnvironment;
  const file = path.join(path.resolve(flags.dataDir), "api-token");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  throw badInput("--token", "the controller's API token (or LDC_API_TOKEN, or --data-dir holding api-token)");
}

function printHuman(prediction: Prediction): void {
  const request =
    prediction.request.action !== undefined
      ? `${prediction.request.action.kind} ${prediction.request.action.target}${prediction.request.action.to ? ` to ${prediction.request.action.to}` : ""}`
      : `drill ${prediction.request.drill}`;
  const lines = [
    `rehearsal of ${request}: ${prediction.outcome} (copy of routing v${prediction.basedOn.routingVersion} at ${prediction.basedOn.atMs} ms, ${prediction.basedOn.loadOpsPerSecond} ops/s, ${prediction.simulatedMs} ms simulated in ${prediction.wallMs} ms wall)`,
  ];
  if (prediction.refused !== null) lines.push(`  refused (${prediction.refused.rule ?? "-"}): ${prediction.refused.error}`);
  const rto = Object.entries(prediction.rtoMs);
  if (rto.length > 0) lines.push(`  rto ms: ${rto.map(([cell, ms]) => `${cell} ${ms ?? "never"}`).join(", ")}`);
  lines.push(
    `  error rate ${(prediction.errorRate * 100).toFixed(2)}%, p99 ${prediction.p99Ms ?? "-"} ms, shed ${prediction.shedRequests}, lost acknowledged transfers ${prediction.lostAckedTransfers ?? "-"}, routing v${prediction.basedOn.routingVersion} -> v${prediction.routingVersionAfter}`,
  );
  if (prediction.drill !== null) for (const reason of prediction.drill.reasons) lines.push(`  reason: ${reason}`);
  process.stdout.write(`${lines.join("\n")}\n`);
}

async function rehearseCommand(kind: string, target: string, flags: RehearseFlags): Promise<void> {
  if (!(KINDS as readonly string[]).includes(kind)) throw badInput("kind", KINDS.join(", "), kind);
  if (kind === "failover" && flags.to === undefined) throw badInput("--to", "a region or datacenter name for failover");
  let url: URL;
  try {
    url = new URL("/api/v1/rehearsals", flags.url);
  } catch {
    throw badInput("--url", "the controller's base URL, e.g. http://127.0.0.1:8080", flags.url);
  }
  const body = kind === "drill" ? { drill: target } : { action: { kind, target, ...(flags.to === undefined ? {} : { to: flags.to }) } };
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${tokenOf(flags)}` },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new CliError(`--url: cannot reach the controller at ${flags.url} (${(error as Error).message})`, 2);
  }
  const text = await response.text();
  if (!response.ok) {
    let message = text;
    try {
      message = (JSON.parse(text) as { error?: string }).error ?? text;
    } catch {
      // not JSON
    }
    throw new CliError(`rehearsal refused by the controller (${response.status}): ${message}`, 2);
  }
  const prediction = JSON.parse(text) as Prediction;
  if (flags.json === true) process.stdout.write(`${JSON.stringify(prediction)}\n`);
  else printHuman(prediction);
  if (prediction.outcome !== "ok" && prediction.outcome !== "SUCCEEDED") process.exitCode = 1;
}

export function register(program: Command): void {
  program
    .command("rehearse <kind> <target>")
    .description(
      "Predict an action (evacuate REGION, restore REGION, failover CELL --to PLACE) or a drill (drill NAME) in a simulated copy of a running controller's world",
    )
    .option("--url <url>", "the running controller", "http://127.0.0.1:8080")
    .option("--token <token>", "API bearer token (else LDC_API_TOKEN, else the one in --data-dir)")
    .option("--data-dir <dir>", "the controller's data directory (for its api-token)", ".ldc")
    .option("--to <place>", "failover: the region or datacenter")
    .option("--json", "print one JSON object")
    .action(async (kind: string, target: string, flags: RehearseFlags) => rehearseCommand(kind, target, flags));
}
