// Building the viewer (packages/viewer → dist) for `cli serve` on first use and for setup.sh's
// callers: a newcomer who installed the project and ran `cli serve` should see the viewer, not a
// page telling them to build it. Vite writes into a fresh directory beside dist, which is renamed
// into place only once the build succeeded, so a server never serves a half-written build.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const VIEWER_SOURCES = path.resolve(import.meta.dir, '../../../viewer');
const VITE = path.resolve(import.meta.dir, '../../../../node_modules/.bin/vite');

/** Whether `dist` holds a build (its index.html). */
export const viewerBuilt = (dist: string) => fs.existsSync(path.join(dist, 'index.html'));

export interface ViewerBuild {
  ok: boolean;
  seconds: number;
  /** Why the build failed (its last output lines), when it did. */
  error?: string;
}

/** Runs `vite build` of packages/viewer into `dist` (replacing it atomically). */
export async function buildViewer(dist: string): Promise<ViewerBuild> {
  const start = performance.now();
  const seconds = () => (performance.now() - start) / 1000;
  if (!fs.existsSync(path.join(VIEWER_SOURCES, 'index.html'))) return { ok: false, seconds: 0, error: `no viewer sources at ${VIEWER_SOURCES}` };
  if (!fs.existsSync(VITE)) return { ok: false, seconds: 0, error: `vite is not installed (${VITE}): run npm ci (or ./setup.sh)` };
  const staging = `${dist}.building-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  const proc = Bun.spawn([VITE, 'build', '--logLevel', 'warn', '--outDir', staging, '--emptyOutDir'], { cwd: VIEWER_SOURCES, stdout: 'pipe', stderr: 'pipe' });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0 || !viewerBuilt(staging)) {
    fs.rmSync(staging, { recursive: true, force: true });
    const tail = `${out}\n${err}`.trim().split('\n').slice(-8).join('\n');
    return { ok: false, seconds: seconds(), error: `vite build exited with ${code}${tail ? `:\n${tail}` : ''}` };
  }
  // Swap in the new build; an old one (if another process built meanwhile) goes.
  const old = `${dist}.old-${process.pid}`;
  if (fs.existsSync(dist)) fs.renameSync(dist, old);
  fs.renameSync(staging, dist);
  fs.rmSync(old, { recursive: true, force: true });
  return { ok: true, seconds: seconds() };
}
