// The server's routes on runs of known-group (pair) models: a latent-action run on rotated-mnist
// with SO(2) and one on contrast with C_4, made by hand (test/support/pair-runs.ts), beside a MAGANet run
// on dSprites. Decodes are checked against the model run in-process on the same weights; the
// images against the data set rendered here; bad group elements against the 400s they must get.
import { beforeAll, expect, test } from 'bun:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configure, createModel, encodeModule, openGroupDataset } from '@maga/model';
import * as T from '@maga/tensor';
import { testDevice } from '@maga/tensor/testing';
import { PNG } from 'pngjs';
import { clamp, distinctSourceSamples, expectBadRequest, expectSwapAsComputed, failure, loadRunModel, maxDiff, ok, pixels, serverSuite, writePairRun, type ApiImage } from './support/index.ts';

const { choice: BACKEND, describe: withDevice } = await testDevice('server pair-run tests');

withDevice(`cli serve: pair runs [${BACKEND}]`, () => {
  const { runs, get, post, postRaw, start } = serverSuite('pairs', BACKEND);
  /** The run's model in this process, from its own files (not through the server). */
  const localModel = (name: string) => loadRunModel(path.join(runs, name));

  beforeAll(async () => {
    await T.init({ backend: BACKEND, quiet: true });
    await writePairRun(runs, 'la-so2', { dataset: 'rotated-mnist', group: 'so2' });
    await writePairRun(runs, 'la-c4', { dataset: 'contrast', group: 'c4', seed: 3 });
    // A MAGANet run on dSprites, to show what a learned-z run answers to a group element.
    const maganet = path.join(runs, 'maganet');
    fs.mkdirSync(maganet, { recursive: true });
    const config = JSON.parse(fs.readFileSync(path.join(runs, 'la-so2', 'config.json'), 'utf8'));
    config.model = configure('maganet', 'tiny');
    config.data = { dataset: 'dsprites', split: 'to-range', pairing: 'fixed', limit: null };
    fs.writeFileSync(path.join(maganet, 'config.json'), JSON.stringify(config));
    const m = await createModel(config.model, 0);
    fs.writeFileSync(path.join(maganet, 'model.safetensors'), await encodeModule(m, { step: '0' }));
    m.dispose();
    await start();
  }, 120_000);

  test('a pair run says which group it takes, its data set and its factors', async () => {
    const { summary } = await ok(get('/api/runs/la-so2'));
    expect(summary).toMatchObject({ model: 'latent-action', dataset: 'rotated-mnist', split: null, group: { kind: 'so2' } });
    expect(summary.traits).toMatchObject({ element: 'known', groupLaws: true, latentParts: true });
    const c4 = (await ok(get('/api/runs'))).runs.find((r: { id: string }) => r.id === 'la-c4');
    expect(c4).toMatchObject({ dataset: 'contrast', group: { kind: 'cyclic', n: 4 }, status: 'done' });
    expect((await ok(get('/api/runs/maganet'))).summary.group).toBeNull();

    const info = await ok(get('/api/runs/la-so2/dataset'));
    expect(info).toMatchObject({ kind: 'pairs', dataset: 'rotated-mnist', group: { kind: 'so2' }, imageSize: 32, steps: 360, count: 10_000 * 360 });
    expect(info.factors.map((f: { name: string }) => f.name)).toEqual(['digit', 'angle', 'index']);
    const contrastInfo = await ok(get('/api/runs/la-c4/dataset'));
    expect(contrastInfo).toMatchObject({ steps: 4, group: { kind: 'cyclic', n: 4 } });
    expect(contrastInfo.factors.map((f: { name: string }) => f.name)).toEqual(['phantom', 'setting']);
    expect((await ok(get('/api/runs/maganet/dataset'))).kind).toBe('dsprites');
  });

  test('images come from the run\'s data set: test sources, 32×32, as its factors render them', async () => {
    const dataset = await openGroupDataset('rotated-mnist', 'so2');
    const testSources = new Set(dataset.part('test'));
    const samples = await distinctSourceSamples(get('/api/runs/la-so2/dataset/samples?count=5&seed=2'), 5, 360);
    for (const s of samples) {
      expect(testSources.has(s.factors.index)).toBe(true);
      expect(s.factors.index).toBe(Math.floor(s.index / 360));
      expect(s.factors.angle).toBeCloseTo((2 * Math.PI * (s.index % 360)) / 360, 5);
      expect(s.image.width).toBe(32);
      expect(maxDiff(pixels(s.image), dataset.renderImage(s.factors))).toBe(0);
    }
    const train = (await ok(get('/api/runs/la-so2/dataset/samples?part=train&count=5&seed=2'))).samples;
    for (const s of train) expect(testSources.has(s.factors.index)).toBe(false);
    // The same seed gives the same samples.
    expect((await ok(get('/api/runs/la-so2/dataset/samples?count=5&seed=2'))).samples.map((s: { index: number }) => s.index)).toEqual(samples.map((s: { index: number }) => s.index));

    const one = await ok(get(`/api/runs/la-c4/dataset/images/${7 * 4 + 2}`));
    expect(one.factors).toEqual({ phantom: 7, setting: 2 });
    const png = PNG.sync.read(Buffer.from(await (await get(`/api/runs/la-c4/dataset/images/${7 * 4 + 2}/png`)).arrayBuffer()));
    expect([png.width, png.height]).toEqual([32, 32]);
    await expectBadRequest(get(`/api/runs/la-c4/dataset/images/${10_000 * 4}`), `got ${10_000 * 4}`);
  });

  test('decode takes g: D(g, x) as the model computes it here, different for different angles', async () => {
    const x = (await ok(get('/api/runs/la-so2/dataset/samples?count=1&seed=4'))).samples[0];
    const angles = [0, Math.PI / 2, 2];
    const { images } = await ok(post('/api/runs/la-so2/decode', { pivot: x.index, g: angles }));
    expect(images).toHaveLength(3);
    expect(images[0].width).toBe(32);
    expect(maxDiff(pixels(images[0]), pixels(images[1]))).toBeGreaterThan(1e-3);
    const model = await localModel('la-so2');
    try {
      const expected = await T.noGrad(() =>
        T.tidy(() => {
          const decoder = model.prepare(T.tensor(pixels(x.image), [1, 1, 32, 32]));
          return decoder.decode(T.tensor(angles, [3, 1]));
        }),
      ).data();
      expect(maxDiff(images.flatMap((im: ApiImage) => Array.from(pixels(im))), clamp(expected))).toBeLessThan(1e-5);
    } finally {
      model.dispose();
    }
    // reconstruct is D(e, x); decode with g = 0 is the same.
    const r = await ok(post('/api/runs/la-so2/reconstruct', { indices: [x.index] }));
    expect(r.z).toEqual([[0]]);
    expect(maxDiff(pixels(r.images[0]), pixels(images[0]))).toBeLessThan(1e-6);
  });

  test('bad group elements get a 400 naming the value and what is accepted', async () => {
    await expectBadRequest(postRaw('/api/runs/la-so2/decode', '{"g": [1e999]}'), 'g[0] must be a finite angle in radians', 'got Infinity');
    await expectBadRequest(post('/api/runs/la-so2/decode', { g: [0, 'NaN'] }), 'g[1]', '"NaN"');
    await expectBadRequest(post('/api/runs/la-c4/decode', { g: [4] }), 'an integer in [0, 3] (an element of C_4), got 4');
    expect((await failure(post('/api/runs/la-c4/decode', { g: [1.5] }))).error).toContain('got 1.5');
    await expectBadRequest(post('/api/runs/la-c4/group-laws', { g1: 1, g2: -1 }), 'g2 must be an integer in [0, 3]');
    // A code z for a known-g run, and a g for a learned-z run, are refused saying what the run takes.
    await expectBadRequest(post('/api/runs/la-so2/decode', { z: [[0.5]] }), 'takes a known group element g');
    await expectBadRequest(post('/api/runs/maganet/decode', { g: [0.5] }), 'g ([0.5]) is not accepted here', 'learned code z');
    await expectBadRequest(post('/api/runs/la-c4/traverse', { index: 0 }), 'C_4');
  });

  test('group laws of ρ on C_4: composition against D(g₂g₁, x), identity and inverse measured', async () => {
    const x = 11 * 4 + 1;
    const laws = await ok(post('/api/runs/la-c4/group-laws', { pivot: x, g1: 1, g2: 3 }));
    for (const law of [laws.identity, laws.composition, laws.inverse]) expect(Number.isFinite(law.maxError)).toBe(true);
    // g₂g₁ = 3 + 1 = 0 in C_4, and D(e, x) is the identity law's output.
    const { images } = await ok(post('/api/runs/la-c4/decode', { pivot: x, g: [0] }));
    expect(maxDiff(pixels(laws.composition.combined), pixels(images[0]))).toBeLessThan(1e-6);
    expect(maxDiff(pixels(laws.identity.output), pixels(images[0]))).toBeLessThan(1e-6);
    const input = (await ok(get(`/api/runs/la-c4/dataset/images/${x}`))).image;
    expect(maxDiff(pixels(laws.identity.input), pixels(input))).toBe(0);
    // A learned-z run's laws take z₁, z₂, not g's.
    await expectBadRequest(post('/api/runs/maganet/group-laws', { g1: 1, g2: 2 }), 'learned code z');
  });

  test('swap exchanges invariant and varying parts as the model does, pairwise', async () => {
    const [a, b] = [5 * 360 + 30, 9 * 360 + 200];
    const r = await ok(post('/api/runs/la-so2/swap', { pairs: [[a, b]] }));
    expect(r.parts).toEqual({ invariant: 8, varying: 8 });
    const model = await localModel('la-so2');
    try {
      const dataset = await openGroupDataset('rotated-mnist', 'so2');
      const image = (i: number) => T.tensor(dataset.renderImage({ index: Math.floor(i / 360), angle: (2 * Math.PI * (i % 360)) / 360 }), [1, 1, 32, 32]);
      await expectSwapAsComputed(r, model.swapParts!.bind(model), image, [a, b]);
    } finally {
      model.dispose();
    }
    await expectBadRequest(post('/api/runs/maganet/swap', { pairs: [[0, 1]] }), 'swap needs a latent-action');
  });

  test('the latent map of a pair run: E(x) of test and train images, coloured by digit and angle', async () => {
    const e = await ok(post('/api/runs/la-so2/embedding', { count: 16, nNeighbors: 4, seed: 1 }));
    expect(e.points).toHaveLength(16);
    expect(e.points[0]).toHaveLength(3);
    expect(e.part.filter((p: string) => p === 'test')).toHaveLength(8);
    for (const f of e.factors) {
      expect(Number.isInteger(f.digit) && f.digit >= 0 && f.digit <= 9).toBe(true);
      expect(f.angle >= 0 && f.angle < 2 * Math.PI).toBe(true);
    }
    expect(fs.readdirSync(path.join(runs, 'la-so2')).some((f) => f.startsWith('embedding-rotated-mnist-so2-n16'))).toBe(true);
    const c4 = await ok(post('/api/runs/la-c4/embedding', { count: 12, nNeighbors: 4 }));
    expect(new Set(c4.factors.map((f: { setting: number }) => f.setting)).size).toBeGreaterThan(1);
    await expectBadRequest(post('/api/runs/la-so2/embedding', { split: 'to-range' }), 'split is not accepted here');
  });
});
