// What the end-to-end tests and the benchmarks share: building the viewer, training tiny runs and
// serving them with `bun run cli serve`, launching Debian's headless Chromium with WebGPU, reading
// points off a screenshot and numbers off attributes.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { PNG } from 'pngjs';

export const ROOT = join(import.meta.dir, '../../..');
export const VIEWER = join(ROOT, 'packages/viewer');
export const DIST = join(VIEWER, 'dist');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const BUN = process.execPath;
const CLI = [BUN, join(ROOT, 'packages/cli/main.ts')];

export interface Server {
  url: string;
  stop(): Promise<void>;
}

export const hasChromium = () => existsSync(CHROMIUM);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** Newest modification time of the files under a directory. */
function newest(dir: string): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export async function run(cmd: string[], cwd = ROOT): Promise<string> {
  const proc = Bun.spawn(cmd, { cwd, stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1' } });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`${cmd.join(' ')} exited with ${code}:\n${out}\n${err}`);
  return out + err;
}

/** Builds packages/viewer/dist unless it is newer than every source. */
export async function buildViewer(): Promise<void> {
  const sources = Math.max(newest(join(VIEWER, 'src')), ...['index.html', 'vite.config.ts'].map((f) => statSync(join(VIEWER, f)).mtimeMs));
  const built = existsSync(join(DIST, 'index.html')) ? statSync(join(DIST, 'index.html')).mtimeMs : 0;
  if (built > sources) return;
  await run([join(ROOT, 'node_modules/.bin/vite'), 'build', '--logLevel', 'warn'], VIEWER);
}

/** `bun run cli train …` into `out`. */
export function train(out: string, ...flags: string[]): Promise<string> {
  return run([...CLI, 'train', '--quiet', ...flags, '--out', out]);
}

/** `bun run cli serve --runs DIR --port 0` on 127.0.0.1; resolves once it listens. */
export async function serveRuns(runsDir: string): Promise<Server> {
  // --no-build: the tests build the viewer themselves (buildViewer), alongside the server's start.
  const proc = Bun.spawn([...CLI, 'serve', '--runs', runsDir, '--port', '0', '--host', '127.0.0.1', '--no-build'], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' });
  // Read both pipes to their end so that the server never blocks on a full one.
  const stderr = new Response(proc.stderr).text();
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    let found = false;
    const timer = setTimeout(() => reject(new Error(`cli serve did not start within 60 s:\n${seen}`)), 60_000);
    void (async () => {
      const reader = proc.stdout.getReader();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        if (found) continue;
        seen += new TextDecoder().decode(chunk.value);
        const match = /serving .* at (http:\/\/\S+)/.exec(seen);
        if (match) {
          found = true;
          clearTimeout(timer);
          resolve(match[1].replace(/\/$/, ''));
        }
      }
      if (!found) {
        clearTimeout(timer);
        reject(new Error(`cli serve exited: ${seen}${await stderr}`));
      }
    })();
  });
  return {
    url,
    async stop() {
      proc.kill('SIGTERM');
      await proc.exited;
    },
  };
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

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
}
