// Viewer benchmark: `bun packages/viewer/bench.ts [--runs DIR --run ID] [--moves N] [--points N]`.
// Without --runs it trains a 2-step run of the blog's architecture (the quick preset's model; its
// weights do not matter for speed) into a temporary directory. It serves the runs with
// `bun run cli serve`, opens headless Chromium (WebGPU on SwiftShader here) and prints:
//   - slider input → new image drawn, decoding in the browser on WebGPU and via the server API;
//   - the latent map's first frame for N points (WebGL and the canvas fallback), after the data arrives;
//   - the built bundle's size, raw and gzip.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST, buildViewer, hasChromium, launchChromium, median, serveRuns, train } from './test/harness.ts';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const moves = Number(flag('moves') ?? 20);
const points = Number(flag('points') ?? 2000);

if (!hasChromium()) {
  console.error('viewer bench: no Chromium at /usr/bin/chromium (apt-get install -y chromium)');
  process.exit(1);
}

const rows: [string, string][] = [];
const report = (what: string, value: string) => {
  rows.push([what, value]);
  console.error(`  ${what}: ${value}`);
};

await buildViewer();
let tmp = '';
let runsDir = flag('runs');
let runId = flag('run');
if (!runsDir) {
  tmp = mkdtempSync(join(tmpdir(), 'viewer-bench-'));
  runsDir = join(tmp, 'runs');
  runId = 'blog-arch';
  console.error('training a 2-step run of the blog architecture…');
  await train(join(runsDir, runId), '--preset', 'quick', '--steps', '2', '--eval-count', '16');
}
if (!runId) throw new Error('--run ID is needed with --runs');
const server = await serveRuns(runsDir);
const browser = await launchChromium();
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
  const describe = (t: number[]) => `median ${median(t).toFixed(0)} ms (min ${Math.min(...t).toFixed(0)}, max ${Math.max(...t).toFixed(0)}; ${t.length} moves)`;

  const t0 = performance.now();
  await page.goto(`${server.url}/#/runs/${runId}/traversal`);
  await page.waitForSelector('[data-testid="decoder-indicator"][data-decoder="webgpu"]', { timeout: 180_000 });
  report('in-browser decoder ready (checkpoint + model + kernel compilation)', `${((performance.now() - t0) / 1000).toFixed(1)} s`);
  report('slider → image, in-browser WebGPU (SwiftShader)', describe(await sliderTimes('auto')));
  report('slider → image, via the server API', describe(await sliderTimes('server')));

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
  await browser.close();
  await server.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
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

console.log('\n| measure | result |\n|---|---|');
for (const [what, value] of rows) console.log(`| ${what} | ${value} |`);
