// The viewer end to end on known-group (pair) runs, in real headless Chromium: a tiny
// latent-action run trained by `bun run cli train --model latent-action --preset tiny --dataset
// rotated-mnist --group so2`, and an untrained one on contrast with C_4 (test/support/pair-runs.ts), served
// by `bun run cli serve`. The group element view decodes in the browser on WebGPU: moving the angle
// changes the decoded image, which matches the server's /decode of the same g; C_4's buttons choose
// elements; the group laws, the swap grid and the latent map (coloured by the run's factors) show.
// Bad group elements get a 400 naming the value. No console errors are allowed.
import { beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { buildViewer } from '../packages/viewer/test/harness.ts';
import { browserSession, CHROMIUM, expectLawsMeasured, hasChromium, mapColourings, mapDrawn, numberAttr, serveRuns, swapGridDrawn, train, writePairRun, type Server } from './support/index.ts';

const chromiumThere = hasChromium();
if (!chromiumThere) console.warn(`viewer pair-run e2e: SKIPPED — no Chromium at ${CHROMIUM} (install it with: apt-get install -y chromium)`);

describe.skipIf(!chromiumThere)('viewer on pair runs in headless Chromium', () => {
  const { consoleErrors, open, shot, start } = browserSession('viewer-pairs-e2e', { width: 1280, height: 900 });
  let server: Server;
  let page: Page;
  /** The red channel of a canvas's pixels (the images are grey). */
  const canvasPixels = (selector: string) =>
    page.locator(selector).evaluate((c: HTMLCanvasElement) => Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data.filter((_, i) => i % 4 === 0)));

  beforeAll(async () => {
    ({ server, page } = await start(async (tmp) => {
      const runs = join(tmp, 'runs');
      await Promise.all([buildViewer(), train(join(runs, 'rot'), '--model', 'latent-action', '--preset', 'tiny', '--dataset', 'rotated-mnist', '--group', 'so2')]);
      await writePairRun(runs, 'contrast-c4', { dataset: 'contrast', group: 'c4' });
      return serveRuns(runs);
    }));
  }, 240_000);

  test('group element: an angle change changes the image decoded in the browser, as the server decodes it', async () => {
    await open('/runs/rot/element?g=0');
    await page.waitForSelector('[data-testid="decoder-indicator"][data-decoder="webgpu"]', { timeout: 120_000 });
    expect(await page.getByRole('link', { name: 'Group element' }).count()).toBe(1);
    expect(await page.getByRole('link', { name: 'Traversal' }).count()).toBe(0);
    await page.waitForSelector('[data-testid="element-live"][data-g="0"]', { timeout: 60_000 });
    // The decode's pixel sum (float, on the figure) tells images apart finer than the canvas's 8 bits.
    const before = await numberAttr(page.getByTestId('element-live'), 'data-sum');
    const slider = page.getByTestId('element-angle');
    await slider.focus();
    await page.keyboard.press('End'); // 359°
    await page.waitForFunction(() => {
      const g = Number(document.querySelector('[data-testid="element-live"]')?.getAttribute('data-g'));
      return Math.abs(g - (359 * Math.PI) / 180) < 1e-9 && !document.querySelector('[data-testid="element-live"].stale');
    }, null, { timeout: 60_000 });
    await page.keyboard.press('PageDown'); // a tenth of the range lower: about 323°
    // The attribute must be there: Number(null) is 0, which is below 6.2 too.
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="element-live"]')?.getAttribute('data-g') ?? NaN) < 6.2, null, { timeout: 60_000 });
    await page.waitForFunction(() => !document.querySelector('[data-testid="element-live"].stale'), null, { timeout: 60_000 });
    await page.waitForTimeout(100); // the canvas is painted on the next frame
    const g = await numberAttr(page.getByTestId('element-live'), 'data-g');
    const after = await canvasPixels('[data-testid="element-live"] canvas');
    expect(after.length).toBe(32 * 32);
    const sum = await numberAttr(page.getByTestId('element-live'), 'data-sum');
    expect(Math.abs(sum - before)).toBeGreaterThan(1e-3);

    // The server's decode of the same g on the same image agrees to the canvas's 8 bits.
    const x = Number(new URLSearchParams(page.url().split('?')[1] ?? '').get('x') ?? (await (await fetch(`${server.url}/api/runs/rot/dataset`)).json()).fixedPivot);
    const response = await fetch(`${server.url}/api/runs/rot/decode`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pivot: x, g: [g] }) });
    expect(response.status).toBe(200);
    const { images } = (await response.json()) as { images: { data: string }[] };
    const bytes = Buffer.from(images[0].data, 'base64');
    const server8 = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
    const worst = server8.reduce((m, v, i) => Math.max(m, Math.abs(v - after[i])), 0);
    expect(worst).toBeLessThanOrEqual(2);
    const serverSum = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)).reduce((a, v) => a + v, 0);
    expect(Math.abs(serverSum - sum)).toBeLessThan(1e-3);
    expect(await page.locator('[data-testid="orbit"] canvas').count()).toBe(8);
    await shot('pairs-element');
  }, 240_000);

  test('bad group elements: 400 naming the value and what is accepted', async () => {
    const post = (id: string, body: string) => fetch(`${server.url}/api/runs/${id}/decode`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    let r = await post('rot', '{"g": [1e999]}');
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: string }).error).toMatch(/g\[0\] must be a finite angle in radians .*got Infinity/);
    r = await post('contrast-c4', '{"g": [7]}');
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: string }).error).toContain('an integer in [0, 3] (an element of C_4), got 7');
  });

  test('C_4: the elements as buttons, each a different decode', async () => {
    await open('/runs/contrast-c4/element?decoder=auto');
    await page.waitForSelector('[data-testid="element-live"][data-g="1"]', { timeout: 120_000 });
    const buttons = page.getByTestId('element-buttons').getByRole('button');
    expect(await buttons.count()).toBe(4);
    const one = await numberAttr(page.getByTestId('element-live'), 'data-sum');
    await buttons.nth(3).click();
    await page.waitForSelector('[data-testid="element-live"][data-g="3"]:not(.stale)', { timeout: 60_000 });
    const three = await numberAttr(page.getByTestId('element-live'), 'data-sum');
    expect(Math.abs(three - one)).toBeGreaterThan(1e-3);
    expect(await page.locator('[data-testid="orbit"] canvas').count()).toBe(4);
  }, 180_000);

  test("group laws of ρ, the swap grid and the latent map coloured by the run's factors", async () => {
    await open('/runs/rot/group-laws');
    await expectLawsMeasured(page);
    expect(await page.getByTestId('law-composition').textContent()).toContain('D(g₂g₁, x)');
    await shot('pairs-group-laws');

    await open('/runs/rot/recombination');
    await swapGridDrawn(page);
    await shot('pairs-swap');

    await open('/runs/rot/map?count=500');
    const options = await mapColourings(page);
    expect(options).toEqual(['digit', 'angle', 'index']);
    await mapDrawn(page, 500);
    await page.getByTestId('colour-by').selectOption('angle');
    await page.getByTestId('legend').getByText('angle').first().waitFor();
    await shot('pairs-map');
    expect(consoleErrors).toEqual([]);
  }, 300_000);
});
