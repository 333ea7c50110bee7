// Headless Chromium for the end-to-end tests: Debian's Chromium (never a downloaded one) with
// WebGPU, a page whose console errors and uncaught exceptions are collected (a test then expects
// none), and screenshots under test-output/viewer.
import { afterAll, expect } from 'bun:test';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { ROOT, type Server } from './cli.ts';
import { makeTempDir, removeTempDir } from './tmp.ts';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
export const SHOTS = join(ROOT, 'test-output/viewer');

export const hasChromium = () => existsSync(CHROMIUM);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** Collects `page`'s console errors and uncaught exceptions into `errors`, each with the page's address. */
export function watchConsole(page: Page, errors: string[]): void {
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`${page.url()}: uncaught ${e.message}`));
}

/** Chromium with one page of `viewport`, its console watched into `errors`. */
export async function openBrowser(viewport: { width: number; height: number }, errors: string[]): Promise<{ browser: Browser; page: Page }> {
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport });
  watchConsole(page, errors);
  return { browser, page };
}

/** A full-page screenshot of `page` into test-output/viewer/NAME.png. */
export function screenshot(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true });
  return page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/**
 * A describe block's browser session over a server. `start(serve)`, in the block's beforeAll, makes
 * a temporary directory, awaits `serve(tmp)` for the server (which may write runs there first), and
 * opens Chromium on one page of `viewport` whose console is watched into `consoleErrors`; after the
 * block the browser, the server and the directory are closed and removed. `open(route)` goes to a
 * route of the viewer; `shot(name)` takes a screenshot.
 */
export function browserSession(name: string, viewport: { width: number; height: number }) {
  const consoleErrors: string[] = [];
  let tmp = '';
  let server: Server | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (tmp) removeTempDir(tmp);
  });
  return {
    consoleErrors,
    async start(serve: (tmp: string) => Promise<Server>): Promise<{ server: Server; browser: Browser; page: Page }> {
      tmp = makeTempDir(name);
      server = await serve(tmp);
      ({ browser, page } = await openBrowser(viewport, consoleErrors));
      return { server, browser, page };
    },
    open: (route: string) => page!.goto(`${server!.url}/#${route}`),
    shot: (shotName: string) => screenshot(page!, shotName),
  };
}

// What the pair-run views show once their requests are answered, checked alike for every group.

/** The group-laws view shows its three laws, each with a finite measured error. */
export async function expectLawsMeasured(page: Page): Promise<void> {
  for (const law of ['identity', 'composition', 'inverse']) await page.getByTestId(`law-${law}`).waitFor({ timeout: 120_000 });
  for (const law of ['identity', 'composition', 'inverse']) expect(Number.isFinite(await numberAttr(page.getByTestId(`law-${law}`), 'data-error'))).toBe(true);
}

/**
 * A number an element carries in an attribute: fails when the attribute is absent or not a
 * number, so that a check on it cannot pass by reading a missing value as 0 (Number(null) is 0).
 */
export async function numberAttr(locator: { getAttribute(name: string): Promise<string | null> }, name: string): Promise<number> {
  const text = await locator.getAttribute(name);
  if (text === null || text.trim() === '') throw new Error(`the element has no ${name} attribute`);
  const value = Number(text);
  if (Number.isNaN(value) && text.trim() !== 'NaN') throw new Error(`${name}="${text}" is not a number`);
  return value;
}

/** The recombination view's swap grid has drawn its 16 images. */
export const swapGridDrawn = (page: Page) => page.waitForFunction(() => document.querySelectorAll('[data-testid="swap-grid"] td canvas').length === 16, null, { timeout: 120_000 });

/** The latent map offers its colourings (the run's factors); returns their names. */
export async function mapColourings(page: Page): Promise<string[]> {
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="colour-by"] option').length > 0, null, { timeout: 60_000 });
  return page.getByTestId('colour-by').locator('option').allTextContents();
}

/** The latent map has drawn `count` points. */
export const mapDrawn = (page: Page, count: number) =>
  page.waitForFunction((n) => Number(document.querySelector('[data-testid="map-panel"]')?.getAttribute('data-points')) === n, count, { timeout: 120_000 });
