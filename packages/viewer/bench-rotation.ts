// Rotation benchmark: `bun packages/viewer/bench-rotation.ts [--runs DIR --run ID] [--moves N] [--preset P]`.
// Without --runs it trains a 2-step objects3d SO(3) run of the given preset's latent-action
// architecture (quick by default; its weights do not matter for speed) into a temporary directory,
// serves it with `bun run cli serve`, opens the Group element view in headless Chromium (WebGPU on
// SwiftShader here) and prints the time from a change of g (an arrow key on the arcball: a 15°
// turn) to the new D(g, x) drawn, decoding in the browser and via the server API.
import { describeTimes, flag, openBenchRun, printTable, report } from './bench-support.ts';

const moves = Number(flag('moves') ?? 20);
const preset = flag('preset') ?? 'quick';

const { runId, server, browser, close } = await openBenchRun('rotation bench', `so3-${preset}`, `a 2-step objects3d SO(3) run of the ${preset} preset`, [
  '--model', 'latent-action', '--preset', preset, '--dataset', 'objects3d', '--group', 'so3',
]);
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
  report(`g → D(g, x) drawn, in-browser WebGPU (SwiftShader), ${preset} architecture, 3×64×64`, describeTimes(await rotationTimes('auto')));
  report(`g → D(g, x) drawn, via the server API, ${preset} architecture, 3×64×64`, describeTimes(await rotationTimes('server')));
  if (errors.length) report('console errors', errors.join(' | '));
} finally {
  await close();
}

printTable();
