// Shared by the UI render test and the e2e test: one headless Debian chromium, no network
// beyond what the page asks for, and a record of every host the page contacted.
import { mkdirSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM_PATH = "/usr/bin/chromium";

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
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
  page.on("response", (response) => { if (response.status() === 404) notFound.push(response.url()); });
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
