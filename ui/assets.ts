// Serves the web page. The page is plain ES modules with no build step, so this router only
// maps URLs to files: index.html, the page's own .js/.css, and d3 straight from node_modules
// (no CDN: the page must make no request outside the controller's origin).
import { createRequire } from "node:module";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Router, type Request, type Response } from "express";

const UI_DIRECTORY = path.dirname(fileURLToPath(import.meta.url));

/** Only these file kinds leave the ui/ folder; assets.ts itself and anything else stay private. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** A URL path of lower-case segments: rules out "..", encoded slashes and dotfiles before touching disk. */
const ASSET_PATH_PATTERN = /^\/(?:[a-z0-9_-]+\/){0,3}[a-z0-9_-]+(?:\.[a-z0-9]+)?\.(?:html|js|css|svg)$/;

export function d3BundlePath(): string {
  // d3's package "exports" map hides the dist/ subpath ("d3/dist/d3.min.js" fails to resolve);
  // the package entry (dist/d3.mjs) sits next to the UMD bundle, so resolve that and step over.
  const entry = createRequire(import.meta.url).resolve("d3");
  return path.join(path.dirname(entry), "d3.min.js");
}

export function uiRouter(): Router {
  const router = Router();
  const d3Path = d3BundlePath();

  router.get("/", (_request, response) => void sendFile(response, path.join(UI_DIRECTORY, "index.html")));
  router.get("/vendor/d3.min.js", (_request, response) => void sendFile(response, d3Path));
  router.get(/.*/, (request: Request, response: Response, next) => {
    if (!ASSET_PATH_PATTERN.test(request.path)) return next();
    const filePath = path.join(UI_DIRECTORY, request.path);
    // The pattern already forbids "..", this pair check keeps it that way if the pattern changes.
    if (!filePath.startsWith(UI_DIRECTORY + path.sep)) return next();
    void sendFile(response, filePath, next);
  });
  return router;
}

async function sendFile(response: Response, filePath: string, next?: () => void): Promise<void> {
  const contentType = CONTENT_TYPES[path.extname(filePath)];
  if (contentType === undefined) {
    if (next) next();
    else response.status(404).json({ error: "not found" });
    return;
  }
  let body: Buffer;
  try {
    body = await readFile(filePath);
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOENT") throw error;
    if (next) next();
    else response.status(404).json({ error: "not found" });
    return;
  }
  // The page is small and changes with the binary; no-cache keeps an upgraded controller from
  // serving yesterday's app.js next to today's API.
  response.set("Content-Type", contentType).set("Cache-Control", "no-cache").send(body);
}
