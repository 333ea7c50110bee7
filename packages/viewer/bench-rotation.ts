// Rotation benchmark: `bun packages/viewer/bench-rotation.ts [--runs DIR --run ID] [--moves N] [--preset P]`.
// Without --runs it trains a 2-step objects3d SO(3) run of the given preset's latent-action
// architecture (quick by default; its weights do not matter for speed) into a temporary directory,
// serves it with `bun run cli serve`, opens the Group element view in headless Chromium (WebGPU on
// SwiftShader here) and prints the time from a change of g (an arrow key on the arcball: a 15°
// turn) to the new D(g, x) drawn, decoding in the browser and via the server API.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildViewer, hasChromium, launchChromium, median, serveRuns, train } from './test/harness.ts';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const moves = Number(flag('moves') ?? 20);
const preset = flag('preset') ?? 'quick';

if (!hasChromium()) {
  console.error('rotation bench: no Chromium at /usr/bin/chromium (apt-get install -y chromium)');
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
  tmp = mkdtempSync(join(tmpdir(), 'rotation-bench-'));
  runsDir = join(tmp, 'runs');
  runId = `so3-${preset}`;
  console.error(`training a 2-step objects3d SO(3) run of the ${preset} preset…`);
  await train(join(runsDir, runId), '--model', 'latent-action', '--preset', preset, '--steps', '2', '--dataset', 'objects3d', '--group', 'so3');
}
if (!runId) throw new Error('--run ID is needed with --runs');
const server = await serveRuns(runsDir);
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));

  async function rotationTimes(decoder: 'auto' | 'server'): Promise<number[]> {
    const t0 = performance.now();
    await page.goto(`${server.url}/#/runs/${runId}/element?decoder=${decoder}&g=1,0,0,0`);
    await page.waitForSelector(`[data-testid="decoder-indicator"][data-decoder="${decoder === 'auto' ? 'webgpu' : 'server'}"]`, { timeout: 180_000 });
    await page.waitForSelector('[data-testid="element-live"]:not(.stale)', { timeout: 120_000 });
    if (decoder === 'auto') report('in-browser decoder ready and first image (checkpoint + model + kernels)', `${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await page.getByTestId('arcball').focus();
    await page.evaluate(() => performance.clearMeasures('maga:element-to-image'));
    for (let i = 0; i < moves; i++) {
      await page.keyboard.press(i % 4 < 2 ? 'ArrowRight' : 'ArrowUp');
      await page.waitForFunction((k) => performance.getEntriesByName('maga:element-to-image').length > k, i, { timeout: 60_000 });
    }
    return page.evaluate(() => performance.getEntriesByName('maga:element-to-image').map((e) => e.duration));
  }
  const describe = (t: number[]) => `median ${median(t).toFixed(0)} ms (min ${Math.min(...t).toFixed(0)}, max ${Math.max(...t).toFixed(0)}; ${t.length} moves)`;
  report(`g → D(g, x) drawn, in-browser WebGPU (SwiftShader), ${preset} architecture, 3×64×64`, describe(await rotationTimes('auto')));
  report(`g → D(g, x) drawn, via the server API, ${preset} architecture, 3×64×64`, describe(await rotationTimes('server')));
  if (errors.length) report('console errors', errors.join(' | '));
} finally {
  await browser.close();
  await server.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}

console.log('\n| measure | result |\n|---|---|');
for (const [what, value] of rows) console.log(`| ${what} | ${value} |`);
