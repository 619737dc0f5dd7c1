// The world configuration file: the I/O half of domain/config.ts (which only parses and checks).
import { readFileSync } from "node:fs";
import { ConfigError, defaultWorldConfig, parseWorldConfigText, type WorldConfig } from "../domain/config.js";

/** Loads a YAML or JSON file (JSON is YAML), or the defaults when `path` is undefined. */
export function loadWorldConfig(path?: string): WorldConfig {
  if (path === undefined) return defaultWorldConfig();
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError("--config", `cannot read "${path}": ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parseWorldConfigText(text, path);
}
