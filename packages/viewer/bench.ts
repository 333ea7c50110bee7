// Viewer benchmark: `bun packages/viewer/bench.ts [--runs DIR --run ID] [--moves N] [--points N]`.
// Without --runs it trains a 2-step run of the blog's architecture (the quick preset's model; its
// weights do not matter for speed) into a temporary directory. It serves the runs with
// `bun run cli serve`, opens headless Chromium (WebGPU on SwiftShader here) and prints:
//   - slider input → new image drawn, decoding in the browser on WebGPU and via the server API;
//   - the latent map's first frame for N points (WebGL and the canvas fallback), after the data arrives;
//   - the built bundle's size, raw and gzip.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describeTimes, flag, openBenchRun, printTable, report } from './bench-support.ts';
import { DIST } from './test/harness.ts';

const moves = Number(flag('moves') ?? 20);
const points = Number(flag('points') ?? 2000);

const { runId, server, browser, close } = await openBenchRun('viewer bench', 'blog-arch', 'a 2-step run of the blog architecture', ['--preset', 'quick', '--eval-count', '16']);
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));

  async function sliderTimes(decoder: 'auto' | 'server'): Promise<number[]> {
    await page.goto(`${server.url}/#/runs/${runId}/traversal?decoder=${decoder}`);
    await page.waitForSelector(`[data-testid="decoder-indicator"][data-decoder="${decoder === 'auto' ? 'webgpu' : 'server'}"]`, { timeout: 180_000 });
    const slider = page.getByTestId('slider-0');
    await slider.waitFor({ timeout: 120_000 });
    await slider.focus();
    await page.evaluate(() => performance.clearMeasures('maga:slider-to-image'));
    for (let i = 0; i < moves; i++) {
      await page.keyboard.press(i % 2 ? 'Home' : 'End');
      await page.waitForFunction((k) => performance.getEntriesByName('maga:slider-to-image').length > k, i, { timeout: 60_000 });
    }
    return page.evaluate(() => performance.getEntriesByName('maga:slider-to-image').map((e) => e.duration));
  }

  const t0 = performance.now();
  await page.goto(`${server.url}/#/runs/${runId}/traversal`);
  await page.waitForSelector('[data-testid="decoder-indicator"][data-decoder="webgpu"]', { timeout: 180_000 });
  report('in-browser decoder ready (checkpoint + model + kernel compilation)', `${((performance.now() - t0) / 1000).toFixed(1)} s`);
  report('slider → image, in-browser WebGPU (SwiftShader)', describeTimes(await sliderTimes('auto')));
  report('slider → image, via the server API', describeTimes(await sliderTimes('server')));

  async function mapFirstRender(renderer: 'auto' | 'canvas'): Promise<string> {
    await page.goto(`${server.url}/#/runs/${runId}/map?count=${points}${renderer === 'canvas' ? '&renderer=canvas' : ''}`);
    await page.waitForSelector('[data-testid="map-panel"][data-first-render-ms]', { timeout: 600_000 });
    const panel = page.getByTestId('map-panel');
    return `${Number(await panel.getAttribute('data-first-render-ms')).toFixed(0)} ms for ${await panel.getAttribute('data-points')} points`;
  }
  const m0 = performance.now();
  await page.goto(`${server.url}/#/runs/${runId}/map?count=${points}`);
  await page.waitForSelector('[data-testid="map-panel"][data-first-render-ms]', { timeout: 600_000 });
  report(`latent map: server embedding of ${points} points (encode + UMAP, first request)`, `${((performance.now() - m0) / 1000).toFixed(1)} s`);
  await page.reload();
  report('latent map: first frame after the data arrives, WebGL (three.js)', await mapFirstRender('auto'));
  await page.reload();
  report('latent map: first frame after the data arrives, canvas 2-D', await mapFirstRender('canvas'));
  if (errors.length) report('console errors', errors.join(' | '));
} finally {
  await close();
}

let raw = 0;
let gzip = 0;
const chunks: string[] = [];
for (const file of readdirSync(join(DIST, 'assets'))) {
  const bytes = readFileSync(join(DIST, 'assets', file));
  const gz = Bun.gzipSync(bytes).length;
  raw += bytes.length;
  gzip += gz;
  chunks.push(`${file.replace(/-[\w-]{8}\./, '.')} ${(bytes.length / 1024).toFixed(0)}/${(gz / 1024).toFixed(0)} kB`);
}
report('bundle, all assets (raw / gzip)', `${(raw / 1024).toFixed(0)} kB / ${(gzip / 1024).toFixed(0)} kB (${chunks.join(', ')})`);

printTable();
