// Headless Chromium for the end-to-end tests: Debian's Chromium (never a downloaded one) with
// WebGPU, a page whose console errors and uncaught exceptions are collected (a test then expects
// none), and screenshots under test-output/viewer.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { ROOT } from './cli.ts';

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
