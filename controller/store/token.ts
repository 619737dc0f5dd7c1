// The API bearer token: --token, else LDC_API_TOKEN, else the one kept in the data directory,
// else a fresh random one written there (mode 0600) and reported as generated so the CLI prints
// it once.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export interface TokenChoice {
  readonly token: string;
  readonly source: "flag" | "env" | "data-dir" | "generated";
}

export function resolveToken(dataDirectory: string, flag: string | undefined, environment: string | undefined): TokenChoice {
  if (flag !== undefined && flag !== "") return { token: flag, source: "flag" };
  if (environment !== undefined && environment !== "") return { token: environment, source: "env" };
  const file = path.join(dataDirectory, "api-token");
  if (existsSync(file)) {
    const kept = readFileSync(file, "utf8").trim();
    if (kept !== "") return { token: kept, source: "data-dir" };
  }
  mkdirSync(dataDirectory, { recursive: true });
  const token = randomBytes(24).toString("base64url");
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, source: "generated" };
}
