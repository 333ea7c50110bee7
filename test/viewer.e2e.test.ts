// The viewer end to end in real headless Chromium: builds the viewer (unless dist/ is newer than
// its sources), trains a tiny MAGANet and a tiny β-VAE into a temporary runs directory, starts
// `bun run cli serve` over it, and opens every view: the runs list, a run's curves, traversal
// (a slider move changes the decoded image; in-browser WebGPU decoding is used and agrees with
// the server's), recombination, the group laws, the latent map (points drawn, hover shows an
// image, a second run side by side, the canvas fallback), and a narrow window. No console errors
// are allowed anywhere. Screenshots go to test-output/viewer/. Timings are printed, not asserted.
// Without Chromium at /usr/bin/chromium the tests are skipped, saying so.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { DIST, buildViewer, colouredPixels, median } from '../packages/viewer/test/harness.ts';
import { browserSession, CHROMIUM, hasChromium, numberAttr, serveRuns, train, type Server } from './support/index.ts';

const RUNS = { maganet: 'tiny', vae: 'tiny-vae' };

const chromiumThere = hasChromium();
if (!chromiumThere) console.warn(`viewer e2e: SKIPPED — no Chromium at ${CHROMIUM} (install it with: apt-get install -y chromium)`);

/** Trains a tiny MAGANet and a tiny β-VAE (seconds each) and serves them. */
async function startCli(tmp: string): Promise<Server> {
  const runs = join(tmp, 'runs');
  await train(join(runs, RUNS.maganet), '--preset', 'tiny', '--eval-every', '2');
  await train(join(runs, RUNS.vae), '--preset', 'tiny', '--model', 'vae');
  return serveRuns(runs);
}

describe.skipIf(!chromiumThere)('viewer in headless Chromium', () => {
  const { consoleErrors, open, shot, start } = browserSession('viewer-e2e', { width: 1280, height: 800 });
  let page: Page;
  let server: Server;
  const figures: Record<string, string> = {};
  /** Opens `path` and waits until its decoder indicator says the browser decodes on WebGPU. */
  const openOnWebGPU = async (path: string) => {
    await open(path);
    await page.waitForSelector('[data-testid="decoder-indicator"][data-decoder="webgpu"]', { timeout: 90_000 });
  };
  /** Presses `keys` on the focused slider, each waiting for its image; the slider-to-image times measured so far (ms). */
  const sliderTimings = async (keys: string[]) => {
    for (const key of keys) {
      const n = await page.evaluate(() => performance.getEntriesByName('maga:slider-to-image').length);
      await page.keyboard.press(key);
      await page.waitForFunction((k) => performance.getEntriesByName('maga:slider-to-image').length > k, n, { timeout: 30_000 });
    }
    return page.evaluate(() => performance.getEntriesByName('maga:slider-to-image').map((e) => e.duration));
  };

  beforeAll(async () => {
    ({ page, server } = await start(async (tmp) => (await Promise.all([buildViewer(), startCli(tmp)]))[1]));
  }, 150_000);

  afterAll(async () => {
    if (Object.keys(figures).length) console.log(`viewer figures (headless Chromium, SwiftShader):\n${Object.entries(figures).map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);
  });

  test('runs list and a run page with curves and metrics', async () => {
    await open('/runs');
    const table = page.getByTestId('runs-table');
    await table.waitFor();
    expect(await table.getByRole('link', { name: RUNS.maganet, exact: true }).count()).toBe(1);
    expect(await table.getByRole('link', { name: RUNS.vae, exact: true }).count()).toBe(1);
    await shot('runs');

    await table.getByRole('link', { name: RUNS.maganet, exact: true }).click();
    await page.getByTestId('chart-loss').waitFor();
    expect(await page.locator('[data-testid^="chart-"] path.curve').count()).toBeGreaterThanOrEqual(3);
    await page.getByTestId('metrics').waitFor();
    // The test curve (--eval-every 2: steps 2 and 4), test solid and train dashed.
    await page.getByTestId('eval-bce').waitFor();
    expect(await page.locator('[data-testid="eval-bce"] path.curve').count()).toBe(2);
    expect(await page.getByTestId('eval-bce').textContent()).toContain('after 32 images (step 4)');
    await page.getByLabel('log scale').check();
    await shot('run-overview');
  }, 60_000);

  test('traversal: in-browser WebGPU decoding follows the slider and agrees with the server', async () => {
    await open(`/runs/${RUNS.maganet}/traversal`);
    const indicator = page.getByTestId('decoder-indicator');
    await page.waitForSelector('[data-testid="decoder-indicator"][data-decoder="webgpu"]', { timeout: 90_000 });
    expect(await page.getByTestId('decoder-label').textContent()).toBe('decoding on WebGPU (SwiftShader)');
    expect(await indicator.getAttribute('data-decoder')).toBe('webgpu');

    const slider = page.getByTestId('slider-0');
    await slider.waitFor({ timeout: 60_000 });
    await page.evaluate(() => performance.clearMeasures('maga:slider-to-image'));
    const live = page.getByRole('img', { name: 'live decode' });
    const pixels = () => live.evaluate((c: HTMLCanvasElement) => Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data.filter((_, i) => i % 4 === 0)));
    const before = await pixels();
    await slider.focus();
    await page.keyboard.press('End');
    await page.waitForFunction(() => /last update/.test(document.querySelector('[data-testid="latency"]')?.textContent ?? ''), null, { timeout: 30_000 });
    const after = await pixels();
    const changed = before.filter((v, i) => Math.abs(v - after[i]) > 2).length;
    expect(changed).toBeGreaterThan(0);

    // Timings: a few more moves, each waiting for its image.
    const local = await sliderTimings(['Home', 'End', 'Home', 'End', 'PageDown']);
    figures['slider → image, in-browser WebGPU (SwiftShader)'] = `median ${median(local).toFixed(0)} ms over ${local.length} moves`;

    // Agreement with the server's /reconstruct and /decode of the same code.
    await page.getByRole('button', { name: 'Compare with the server' }).click();
    const result = page.getByTestId('server-check-result');
    await result.waitFor({ timeout: 60_000 });
    const [dz, dLive, dRecon] = await Promise.all(['data-dz', 'data-dlive', 'data-drecon'].map((a) => numberAttr(result, a)));
    figures['browser vs server'] = `max |Δz| ${dz.toExponential(1)}, max |Δpixel| ${Math.max(dLive, dRecon).toExponential(1)}`;
    expect(dz).toBeLessThan(1e-4);
    expect(dLive).toBeLessThan(1e-4);
    expect(dRecon).toBeLessThan(1e-4);

    // Choosing another varying image from the sample thumbnails updates the link and the decode.
    await page.getByText('Choose varying…').click();
    const thumb = page.locator('.thumb').nth(3);
    await thumb.waitFor({ timeout: 30_000 });
    const chosen = (await thumb.getAttribute('aria-label'))!.match(/image (\d+)/)![1];
    await thumb.click();
    await page.waitForFunction((i) => location.hash.includes(`varying=${i}`), chosen);
    await page.getByRole('img', { name: new RegExp(`^Varying: image ${chosen},`) }).waitFor();

    await page.getByRole('button', { name: 'Show the grid' }).click();
    const grid = page.getByTestId('traversal-grid');
    await grid.waitFor({ timeout: 90_000 });
    expect(await grid.locator('tbody tr').count()).toBe(10);
    await shot('traversal');
  }, 180_000);

  test('traversal via the server when asked, with its indicator', async () => {
    await open(`/runs/${RUNS.maganet}/traversal?decoder=server`);
    await page.waitForSelector('[data-testid="decoder-indicator"][data-decoder="server"]', { timeout: 30_000 });
    expect(await page.getByTestId('decoder-label').textContent()).toBe('decoding via the server');
    expect(await page.getByTestId('decoder-indicator').textContent()).toContain('chosen by the link');
    const slider = page.getByTestId('slider-3');
    await slider.waitFor({ timeout: 30_000 });
    await page.evaluate(() => performance.clearMeasures('maga:slider-to-image'));
    await slider.focus();
    const remote = await sliderTimings(['End', 'Home', 'End', 'Home', 'End']);
    figures['slider → image, via the server API'] = `median ${median(remote).toFixed(0)} ms over ${remote.length} moves`;
    await shot('traversal-server');
  }, 60_000);

  test('recombination: the transfer decoded in the browser is the server’s /recombine, with its measured fit; swapping says why it is unavailable', async () => {
    await openOnWebGPU(`/runs/${RUNS.maganet}/recombination?decoder=auto`);
    const grid = page.getByTestId('recombination-grid');
    await grid.waitFor({ timeout: 90_000 });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="recombination-grid"] canvas').length >= 6, null, { timeout: 90_000 });
    await page.waitForSelector('[data-testid="transfer-fit"]', { timeout: 90_000 });
    await page.waitForTimeout(100); // the canvases are painted on the next frame
    const targets = (await grid.locator('img[alt^="target "]').evaluateAll((els) => els.map((e) => e.getAttribute('alt')))).map((alt) => Number(/^target (\d+)$/.exec(alt ?? '')![1]));
    expect(targets.length).toBeGreaterThan(0);
    const { fixedPivot } = (await (await fetch(`${server.url}/api/dataset`)).json()) as { fixedPivot: number };
    const response = await fetch(`${server.url}/api/runs/${RUNS.maganet}/recombine`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source: { pivot: fixedPivot, varying: 123_530 }, targets }),
    });
    expect(response.status).toBe(200);
    const { images } = (await response.json()) as { images: { data: string }[] };
    for (const [i, t] of targets.entries()) {
      const shown = await grid.getByRole('img', { name: `target ${t} transformed` }).evaluate((c: HTMLCanvasElement) => Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data.filter((_, k) => k % 4 === 0)));
      const bytes = Buffer.from(images[i].data, 'base64');
      const server8 = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
      expect(shown).toHaveLength(server8.length);
      expect(server8.reduce((m, v, k) => Math.max(m, Math.abs(v - shown[k])), 0)).toBeLessThanOrEqual(2);
    }
    // The reconstruction of the source pair, measured against the varying image.
    const fit = page.getByTestId('transfer-fit');
    const [psnr, max] = [await numberAttr(fit, 'data-psnr'), await numberAttr(fit, 'data-max')];
    expect(psnr).toBeGreaterThan(0);
    expect(max).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThanOrEqual(1);
    expect(await fit.textContent()).toContain(`${psnr.toFixed(1)} dB`);
    await shot('recombination');
    await page.getByRole('button', { name: 'Swap invariant and varying parts' }).click();
    await page.getByTestId('mode-unavailable-swap').waitFor();
  }, 120_000);

  test('group laws hold within their stated bound, in the browser and on the server, and the verdict says which', async () => {
    for (const [decoder, where] of [
      ['auto', 'in this browser on WebGPU'],
      ['server', 'by the server'],
    ] as const) {
      await open(`/runs/${RUNS.maganet}/group-laws?decoder=${decoder}`);
      await page.getByText(`Computed ${where}`).waitFor({ timeout: 90_000 });
      for (const law of ['identity', 'composition', 'inverse']) {
        const card = page.getByTestId(`law-${law}`);
        await card.waitFor({ timeout: 90_000 });
        const error = await numberAttr(card, 'data-error');
        figures[`group law ${law}, max |Δpixel| (${decoder === 'auto' ? 'browser' : 'server'})`] = error.toExponential(2);
        expect(error).toBeLessThan(1e-3);
        expect(await card.getAttribute('data-verdict')).toBe(error <= 2 ** -17 ? 'rounding' : 'tolerance');
      }
      await shot(`group-laws-${decoder === 'auto' ? 'browser' : 'server'}`);
    }
  }, 120_000);

  test('a β-VAE run: traversal without a pivot, latent arithmetic, no group laws', async () => {
    await openOnWebGPU(`/runs/${RUNS.vae}/traversal?decoder=auto`);
    const slider = page.getByTestId('slider-1');
    await slider.waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('picker-pivot').count()).toBe(0);
    await slider.focus();
    await page.keyboard.press('End');
    await page.waitForFunction(() => /last update/.test(document.querySelector('[data-testid="latency"]')?.textContent ?? ''), null, { timeout: 30_000 });
    await shot('vae-traversal');
    await open(`/runs/${RUNS.vae}/recombination`);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="recombination-grid"] canvas').length >= 6, null, { timeout: 90_000 });
    await open(`/runs/${RUNS.vae}/group-laws`);
    await page.getByTestId('group-laws-unavailable').waitFor();
  }, 120_000);

  test('latent map draws points, shows the image under the pointer, and a second run side by side', async () => {
    await open(`/runs/${RUNS.maganet}/map?count=300&compare=${RUNS.vae}&colour=posX&decoder=auto`);
    await page.waitForFunction(() => Array.from(document.querySelectorAll('[data-testid="map-panel"]')).filter((p) => p.getAttribute('data-first-render-ms')).length === 2, null, {
      timeout: 120_000,
    });
    const panels = page.getByTestId('map-panel');
    expect(await panels.count()).toBe(2);
    const canvas = panels.first().locator('canvas');
    expect(await panels.first().locator('.scatter').getAttribute('data-renderer')).toBe('webgl');
    const { count, inner: first } = colouredPixels(await canvas.screenshot());
    expect(count).toBeGreaterThan(100);
    expect(await page.getByTestId('legend').count()).toBe(1);
    expect(first).not.toBeNull();
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + first![0], box.y + first![1]);
    await page.getByTestId('hover-card').waitFor({ timeout: 10_000 });
    await shot('latent-map');

    // The canvas-2D fallback draws too, and rotates with the keyboard.
    await open(`/runs/${RUNS.maganet}/map?count=300&renderer=canvas&colour=shape`);
    await page.waitForSelector('[data-testid="map-panel"][data-first-render-ms]', { timeout: 60_000 });
    const fallback = page.getByTestId('map-panel').locator('canvas');
    expect(await page.getByTestId('map-panel').locator('.scatter').getAttribute('data-renderer')).toBe('canvas');
    const drawn = colouredPixels(await fallback.screenshot());
    expect(drawn.count).toBeGreaterThan(100);
    await fallback.focus();
    await page.keyboard.press('ArrowRight');
    await shot('latent-map-canvas');
  }, 180_000);

  test('a narrow window keeps every view within its width', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [route, name] of [
      ['/runs', 'narrow-runs'],
      [`/runs/${RUNS.maganet}`, 'narrow-overview'],
      [`/runs/${RUNS.maganet}/traversal`, 'narrow-traversal'],
    ] as const) {
      await open(route);
      await page.waitForLoadState('networkidle');
      if (name === 'narrow-traversal') await page.getByTestId('slider-0').waitFor({ timeout: 90_000 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(1);
      await shot(name);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  }, 120_000);

  test('bad links show errors, not blank pages', async () => {
    await open('/runs/no-such-run');
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('no-such-run');
    // The 404 of that request is expected; drop the browser's resource-load message for it.
    const unexpected = consoleErrors.filter((e) => !(e.includes('no-such-run') && e.includes('404')));
    consoleErrors.length = 0;
    consoleErrors.push(...unexpected);
  }, 30_000);

  test('no console errors anywhere', () => {
    expect(consoleErrors).toEqual([]);
  });

  test('bundle: none of the server in it, the tensor core only in the chunk loaded to decode (sizes printed)', () => {
    const files = readdirSync(join(DIST, 'assets')).filter((f) => f.endsWith('.js'));
    const text = Object.fromEntries(files.map((f) => [f, readFileSync(join(DIST, 'assets', f), 'utf8')]));
    const entry = /<script type="module"[^>]* src="\.\/assets\/([^"]+\.js)"/.exec(readFileSync(join(DIST, 'index.html'), 'utf8'))?.[1];
    expect(entry).toBeDefined();
    expect(files).toContain(entry!);
    // The API's types come from @maga/cli type-only: its code (Hono routes, their messages) must not follow.
    for (const marker of ['no route ', 'request body is larger than', 'Content-Type: application/json (got', 'HTTPException']) {
      expect({ marker, in: files.filter((f) => text[f].includes(marker)) }).toEqual({ marker, in: [] });
    }
    // The WGSL kernels (packages/tensor) are in chunks of their own, fetched when a decoder or the
    // group registry opens: not in the entry chunk, nor imported by it statically.
    expect(text[entry!]).not.toContain('@compute');
    const kernels = files.filter((f) => text[f].includes('@compute'));
    expect(kernels.length).toBeGreaterThanOrEqual(1);
    for (const k of kernels) expect({ k, static: new RegExp(`import[^()]*?from\\s*["']\\./${k.replace(/[.]/g, '\\.')}["']|import\\s*["']\\./${k.replace(/[.]/g, '\\.')}["']`).test(text[entry!]) }).toEqual({ k, static: false });
    let raw = 0;
    let gz = 0;
    for (const f of readdirSync(join(DIST, 'assets'))) {
      const bytes = readFileSync(join(DIST, 'assets', f));
      raw += bytes.length;
      gz += Bun.gzipSync(bytes).length;
    }
    figures['bundle (all assets)'] = `${(raw / 1024).toFixed(0)} kB, ${(gz / 1024).toFixed(0)} kB gzip; entry ${(text[entry!].length / 1024).toFixed(0)} kB`;
  });
});
