// Shared by the UI page tests and the e2e tests: one headless Chromium, no network beyond what
// the page asks for, and a record of every host the page contacted. openFixturePage is the whole
// set-up of a page test against the fixture controller (test/ui/fixture-server.ts), useFixturePage
// the hooks that open it before a file's tests and close it after them.
//
// The browser is resolved in one place (resolveChromium): `$CHROMIUM_PATH` if set (a system
// chromium, Debian's `chromium` package for one, stays an option), else the binary that the npm
// package @sparticuz/chromium ships inside itself, so a fresh machine needs nothing but `npm ci`.
// Its first use unpacks the binary to /tmp (~1-10 s); later launches reuse it.
import { mkdirSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";
import { startFixtureServer, type FixtureServer } from "./fixture-server.js";
import { startedBeforeAll } from "../before-all.js";

export async function resolveChromium(): Promise<string> {
  const fromEnvironment = process.env.CHROMIUM_PATH;
  if (fromEnvironment !== undefined && fromEnvironment !== "") return fromEnvironment;
  const { default: sparticuz } = await import("@sparticuz/chromium");
  return sparticuz.executablePath();
}

// Launch arguments, each needed by these page tests (sparticuz.args are tuned for AWS Lambda and
// are deliberately not used: --single-process and --disable-web-security would make the page
// behave unlike a user's browser):
// - --no-sandbox: tests run as root in containers without user namespaces; the sandbox refuses.
// - --disable-gpu: no GPU here; software rendering is enough for SVG and canvas screenshots.
// - --disable-background-networking, --disable-component-update, --disable-sync, --no-first-run:
//   the machine has no network beyond 127.0.0.1; without these Chromium dials Google's hosts at
//   start, and the page tests assert that the page contacts 127.0.0.1 only.
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: await resolveChromium(), headless: true, args: CHROMIUM_ARGS });
}
export interface WatchedPage {
  page: Page;
  /** Hosts of every request the page made (HTTP and WebSocket). */
  hosts: Set<string>;
  /** Uncaught page errors and console errors (HTTP statuses excepted: a 409 is an expected answer). */
  errors: string[];
  /** URLs the page fetched that came back 404: a missing asset or a wrong API path. */
  notFound: string[];
  screenshot(name: string): Promise<string>;
}

export async function openPage(browser: Browser, url: string, screenshotDirectory: string): Promise<WatchedPage> {
  mkdirSync(screenshotDirectory, { recursive: true });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const hosts = new Set<string>();
  const errors: string[] = [];
  const notFound: string[] = [];
  page.on("response", (response) => {
    if (response.status() === 404) notFound.push(response.url());
  });
  page.on("request", (request) => hosts.add(new URL(request.url()).hostname));
  page.on("websocket", (socket) => hosts.add(new URL(socket.url()).hostname));
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) errors.push(message.text());
  });
  await page.goto(url);
  return {
    page,
    hosts,
    errors,
    notFound,
    async screenshot(name) {
      const path = `${screenshotDirectory}/${name}.png`;
      // The header is sticky: from a scrolled page a full-page capture would paint it mid-page.
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path, fullPage: true });
      return path;
    },
  };
}

/** Replicas the topology draws for the default world: six cells of five. */
const DEFAULT_WORLD_REPLICAS = 30;

interface FixturePage {
  server: FixtureServer;
  watched: WatchedPage;
  /** Closes the browser, then the fixture server. */
  close(): Promise<void>;
}

/**
 * Starts the fixture controller, opens the page on it in a fresh headless Chromium and waits until
 * the topology has drawn every replica of the default world. With `token`, the page holds it in its
 * session (as if the operator had answered the token prompt) before it draws. Whatever it started
 * is closed again if a step fails, so a failed beforeAll leaves no browser or server behind.
 */
async function openFixturePage(options: { timeoutMs: number; token?: string; screenshots?: string }): Promise<FixturePage> {
  const server = await startFixtureServer();
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser();
    const watched = await openPage(browser, server.url, options.screenshots ?? "test-results/ui");
    const { token } = options;
    if (token !== undefined) await watched.page.evaluate((value) => sessionStorage.setItem("ldc.apiToken", value), token);
    await watched.page
      .locator('[data-testid^="replica-"]')
      .nth(DEFAULT_WORLD_REPLICAS - 1)
      .waitFor({ timeout: options.timeoutMs });
    const opened = browser;
    return {
      server,
      watched,
      async close() {
        await opened.close();
        await server.close();
      },
    };
  } catch (error) {
    await browser?.close();
    await server.close();
    throw error;
  }
}

/**
 * The test file's (or describe block's) page on the fixture controller: opened by openFixturePage
 * before its tests, closed after them. `server` and `watched` answer once it is open; read before
 * (or after a failed beforeAll), they throw.
 */
export function useFixturePage(options: { timeoutMs: number; token?: string; screenshots?: string }): {
  readonly server: FixtureServer;
  readonly watched: WatchedPage;
} {
  const opened = startedBeforeAll(
    "the fixture page",
    () => openFixturePage(options),
    (page) => page.close(),
  );
  return {
    get server() {
      return opened().server;
    },
    get watched() {
      return opened().watched;
    },
  };
}
