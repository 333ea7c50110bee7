// `cli serve` builds the viewer on first use (packages/cli/src/server/viewer-build.ts): a real Vite build
// into a temporary dist, which appears whole (index.html and its assets) with no staging
// directory left behind, and replaces an older build in place.
import { expect, test } from 'bun:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildViewer, viewerBuilt } from '../packages/cli/src/server/viewer-build.ts';
import { tempDir } from './support/index.ts';

const tmp = tempDir('viewer-build');

test('builds the viewer into a missing dist, atomically, replacing an old one', async () => {
  const dist = path.join(tmp, 'dist');
  expect(viewerBuilt(dist)).toBe(false);
  fs.mkdirSync(dist);
  fs.writeFileSync(path.join(dist, 'stale.txt'), 'an old build');
  const built = await buildViewer(dist);
  expect(built.error).toBeUndefined();
  expect(built.ok).toBe(true);
  expect(viewerBuilt(dist)).toBe(true);
  expect(fs.readFileSync(path.join(dist, 'index.html'), 'utf8')).toContain('<script');
  expect(fs.existsSync(path.join(dist, 'stale.txt'))).toBe(false);
  expect(fs.readdirSync(tmp)).toEqual(['dist']);
}, 180_000);
