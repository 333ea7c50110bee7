// What the end-to-end tests and the benchmarks share: building the viewer, training tiny runs and
// serving them with `bun run cli serve` (test/support/cli.ts, the repository's test support),
// launching Debian's headless Chromium with WebGPU (test/support/browser.ts), reading points off a
// screenshot and numbers off attributes.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { ROOT, run } from '../../../test/support/cli.ts';

export { ROOT, run, serveRuns, train, type Server } from '../../../test/support/cli.ts';
export { CHROMIUM, CHROMIUM_ARGS, hasChromium, launchChromium, numberAttr } from '../../../test/support/browser.ts';

export const VIEWER = join(ROOT, 'packages/viewer');
export const DIST = join(VIEWER, 'dist');

/** Newest modification time of the files under a directory. */
function newest(dir: string): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Builds packages/viewer/dist unless it is newer than every source. */
export async function buildViewer(): Promise<void> {
  const sources = Math.max(newest(join(VIEWER, 'src')), ...['index.html', 'vite.config.ts'].map((f) => statSync(join(VIEWER, f)).mtimeMs));
  const built = existsSync(join(DIST, 'index.html')) ? statSync(join(DIST, 'index.html')).mtimeMs : 0;
  if (built > sources) return;
  await run([join(ROOT, 'node_modules/.bin/vite'), 'build', '--logLevel', 'warn'], VIEWER);
}

/**
 * Saturated pixels of a PNG screenshot (the scatter's points, not its grey background), and one in
 * the middle part of the image whose neighbours 2 px away are saturated too: inside a point, to hover.
 */
export function colouredPixels(png: Buffer): { count: number; inner: [number, number] | null } {
  const image = PNG.sync.read(png);
  const coloured = (x: number, y: number) => {
    if (x < 0 || y < 0 || x >= image.width || y >= image.height) return false;
    const i = (y * image.width + x) * 4;
    const [r, g, b] = [image.data[i], image.data[i + 1], image.data[i + 2]];
    return Math.max(r, g, b) - Math.min(r, g, b) > 60;
  };
  let count = 0;
  let inner: [number, number] | null = null;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      if (!coloured(x, y)) continue;
      count++;
      const middle = x > image.width * 0.2 && x < image.width * 0.8 && y > image.height * 0.2 && y < image.height * 0.8;
      if (!inner && middle && coloured(x - 2, y) && coloured(x + 2, y) && coloured(x, y - 2) && coloured(x, y + 2)) inner = [x, y];
    }
  }
  return { count, inner };
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
}
