// A data set added without touching the CLI or the server: 'bars' (packages/model/test/fixtures/
// bars.ts), registered here, in this process, and nowhere else, is planned, trained, evaluated,
// drawn and served by the same calls `cli train`, `cli render` and `cli serve` make — on the cpu
// backend, so the check needs no device. What it needs of its data set it asks the registry entry.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RENDER_DEFAULTS, createReporter, createRunDir, planRun, readMetrics, readRunConfig, renderRun, startServer, train, type RunningServer } from '@maga/cli';
import { registerDataset } from '@maga/model';
import { BARS } from '../packages/model/test/fixtures/bars.ts';

const sink = { write: () => true };

describe('a data set registered from a test: planned, trained, drawn and served with no change to the CLI or the server', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'maga-registry-fixture-'));
  const runs = path.join(tmp, 'runs');
  const dir = path.join(runs, 'bars');
  let unregister = () => {};
  let server: RunningServer;
  const get = async (route: string) => fetch(`${server.url}${route}`);
  const post = async (route: string, body: unknown) => fetch(`${server.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    unregister = registerDataset(BARS);
    createRunDir(dir, planRun({ preset: 'tiny', dataset: 'bars' }, 'cpu'));
    await train(dir, { backend: 'cpu', reporter: createReporter({ quiet: true, output: sink }) });
    server = await startServer({ runsDir: runs, port: 0, host: '127.0.0.1', backend: 'cpu', viewerDir: null });
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
    unregister();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('planned from the entry: the pair model, its default group, its image shape and its tiny preset', () => {
    const config = readRunConfig(dir);
    expect(config.model).toMatchObject({ model: 'latent-action', imageSize: 16, channels: 1, group: { kind: 'cyclic', n: 8 } });
    expect(config.data).toEqual({ dataset: 'bars', group: 'c8', limit: 16 });
    expect(config.training).toMatchObject({ steps: 4, batchSize: 8 });
    expect(config.status).toBe('done');
  });

  test('trained and evaluated per element of C_8', () => {
    const metrics = readMetrics(dir)!;
    expect(metrics.test.images).toBe(16);
    expect((metrics.test as { buckets: { name: string }[] }).buckets.map((b) => b.name)).toEqual(['j=0', 'j=1', 'j=2', 'j=3', 'j=4', 'j=5', 'j=6', 'j=7']);
    expect(Number.isFinite(metrics.test.psnr)).toBe(true);
  });

  test("drawn: the actions figure's columns are the group's elements", async () => {
    const figures = await renderRun(dir, { ...RENDER_DEFAULTS, count: 2, scale: 1 });
    expect(figures.files).toContain('actions.png');
    const listed = JSON.parse(fs.readFileSync(path.join(dir, 'figures', 'figures.json'), 'utf8'));
    expect(listed.elements).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  }, 120_000);

  test('served: its group, its grid of images, g checked against C_8, and a traversal refused as for any C_n', async () => {
    const { runs: listed } = (await (await get('/api/runs')).json()) as { runs: { id: string; dataset: string; group: unknown }[] };
    expect(listed.find((r) => r.id === 'bars')).toMatchObject({ dataset: 'bars', group: { kind: 'cyclic', n: 8 } });
    const info = (await (await get('/api/runs/bars/dataset')).json()) as Record<string, unknown>;
    expect(info).toMatchObject({ kind: 'pairs', dataset: 'bars', steps: 8, count: 64 * 8, imageSize: 16, index: 'pattern·n + shift' });
    const { samples } = (await (await get('/api/runs/bars/dataset/samples?count=3&seed=1')).json()) as { samples: { index: number; factors: { pattern: number; shift: number } }[] };
    expect(samples).toHaveLength(3);
    for (const s of samples) expect([s.factors.pattern, s.factors.shift]).toEqual([Math.floor(s.index / 8), s.index % 8]);
    const decoded = await post('/api/runs/bars/decode', { pivot: samples[0].index, g: [0, 3] });
    expect(decoded.status).toBe(200);
    expect(((await decoded.json()) as { images: unknown[] }).images).toHaveLength(2);
    const refused = await post('/api/runs/bars/decode', { g: [8] });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toContain('g[0] must be an integer in [0, 7] (an element of C_8), got 8');
    const traverse = await post('/api/runs/bars/traverse', { index: 0 });
    expect(traverse.status).toBe(400);
    expect(((await traverse.json()) as { error: string }).error).toContain('C_8 has the elements 0–7 only');
  });
});
