// What `ldc start` tells the operator on stdout as plain lines (the JSON log says it too, but a
// person reads these): where to open the page, and the API token or where it is kept.
import type { TokenChoice } from "../controller/store/token.js";

/** The URL a browser on this machine opens: a wildcard bind is reached through loopback. */
export function browserUrl(host: string, port: number): string {
  const shown = host === "0.0.0.0" || host === "::" || host === "" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  return `http://${shown}:${port}/`.replace(/\/$/, "");
}

export function startBanner(url: string, token: TokenChoice, tokenFile: string): string[] {
  const lines = [`open ${url}`];
  if (token.source === "generated") lines.push(`API token (kept in ${tokenFile}): ${token.token}`);
  else if (token.source === "data-dir") lines.push(`API token: the one kept in ${tokenFile}`);
  else if (token.source === "env") lines.push("API token: from LDC_API_TOKEN");
  else lines.push("API token: from --token");
  return lines;
}
