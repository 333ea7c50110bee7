// A server for developing the viewer: `bun packages/viewer/serve-tiny.ts [--runs DIR] [--port N]`
// trains one tiny run of each kind — MAGANet and a β-VAE on dSprites, latent-action on rotated
// MNIST under SO(2), flow-action on contrast under C_4, latent-action on objects3d under SO(3):
// seconds each, the tiny preset — into DIR (default runs/viewer-dev; runs already there are kept)
// and serves them, with the built viewer, on 127.0.0.1:PORT (default 8080). Then
// `cd packages/viewer && ../../node_modules/.bin/vite` hot-reloads the viewer against it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createReporter, createRunDir, planRun, startServer, train, type RunChoices } from '@maga/cli';
import { DIST, ROOT } from './test/harness.ts';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const runsDir = path.resolve(flag('runs') ?? path.join(ROOT, 'runs/viewer-dev'));
const port = Number(flag('port') ?? 8080);
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer in [0, 65535], got ${flag('port')}`);

const RUNS: Record<string, RunChoices> = {
  maganet: {},
  vae: { model: 'vae' },
  'rot-so2': { model: 'latent-action', dataset: 'rotated-mnist', group: 'so2' },
  'contrast-c4': { model: 'flow-action', dataset: 'contrast', group: 'c4' },
  'objects-so3': { model: 'latent-action', dataset: 'objects3d', group: 'so3' },
};

const reporter = createReporter({ quiet: true, output: process.stderr });
for (const [name, choices] of Object.entries(RUNS)) {
  const dir = path.join(runsDir, name);
  if (fs.existsSync(path.join(dir, 'model.safetensors'))) continue;
  console.log(`training ${name} (tiny preset) into ${dir}…`);
  createRunDir(dir, planRun({ preset: 'tiny', ...choices }));
  await train(dir, { reporter });
}
const server = await startServer({ runsDir, port, viewerDir: DIST });
console.log(`serving ${runsDir} at ${server.url} (the viewer's dev server proxies /api here: cd packages/viewer && ../../node_modules/.bin/vite)`);
