// A new data set needs no change outside its own file: 'bars' (fixtures/bars.ts), registered here
// and nowhere else, is named by runs, checked with its group, drawn, trained on for a few steps,
// evaluated per element of C_8 and served as a grid of images through the registry's entry alone —
// the calls the CLI and the server make for every data set.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import * as T from '@maga/tensor';
import { DATASETS, checkGroupLabel, configure, createModel, datasetEntry, datasetNames, groupFromName, openDataset, parseRunData, registerDataset, trainStep, type PairEvalMetrics } from '../index.ts';
import { cpu } from '@maga/tensor/testing';
import { BARS, BARS_SIZE, barColumns } from './fixtures/bars.ts';

let unregister = () => {};
beforeAll(() => {
  unregister = registerDataset(BARS);
});
afterAll(() => unregister());

/** Pattern `source` shifted right by `pixels` with wrap-around, written out by hand. */
function rolled(source: number, pixels: number): Float32Array {
  const columns = barColumns(source);
  const image = new Float32Array(BARS_SIZE * BARS_SIZE);
  for (let row = 0; row < BARS_SIZE; row++) for (let c = 0; c < BARS_SIZE; c++) image[row * BARS_SIZE + ((c + pixels) % BARS_SIZE)] = columns[c];
  return image;
}

test('registered: listed, its group checked, its name in config.json read back', () => {
  expect(datasetNames('group-pairs')).toContain('bars');
  expect(DATASETS.bars).toBe(BARS);
  expect(checkGroupLabel(BARS, 'c8').name).toBe('C_8');
  expect(() => checkGroupLabel(BARS, 'so2')).toThrow("data set 'bars' does not take the group 'so2': it takes 'c<n>'");
  const model = configure('latent-action', 'tiny', { group: groupFromName('c8', [1]), imageSize: BARS_SIZE, channels: 1 });
  expect(parseRunData({ dataset: 'bars', group: 'c8', limit: null }, model)).toEqual({ dataset: 'bars', group: 'c8', limit: null });
  expect(() => parseRunData({ dataset: 'bars', group: 'c4', limit: null }, model)).toThrow(/data.group must be the model's group c8, got "c4"/);
  expect(() => parseRunData({ dataset: 'bars', group: 'c8', limit: null }, { ...model, imageSize: 32 })).toThrow(/must be 16 and 1 for bars's 1×16×16 images/);
  expect(datasetEntry('bars').label({ dataset: 'bars', group: 'c8', limit: null })).toBe('bars c8');
});

test('pairs: g·x is x rolled right by 2 pixels per step of C_8, checked against a roll written by hand', async () => {
  const dataset = await openDataset('bars', 'c8');
  const batch = dataset.sampler({ part: 'train', batchSize: 8, seed: 3 }).next();
  const pixels = BARS_SIZE * BARS_SIZE;
  for (let i = 0; i < batch.size; i++) {
    const { source, base, g } = batch.pairs[i] as { source: number; base: number; g: number };
    expect(batch.g[i]).toBe(g);
    expect(Array.from(batch.x.subarray(i * pixels, (i + 1) * pixels))).toEqual(Array.from(rolled(source, 2 * base)));
    expect(Array.from(batch.gx.subarray(i * pixels, (i + 1) * pixels))).toEqual(Array.from(rolled(source, 2 * ((base + g) % 8))));
  }
  // Test patterns never reach training.
  const held = new Set(dataset.part('test'));
  expect(held.size).toBe(16);
  for (const spec of dataset.sampler({ part: 'train', batchSize: 48, seed: 1 }).nextSpecs()) expect(held.has((spec as { source: number }).source)).toBe(false);
});

test('trained a few steps and evaluated per element through the entry, then served as a grid of images', async () => {
  await T.withBackend(cpu, async () => {
    const entry = datasetEntry('bars');
    const config = configure('latent-action', 'tiny', { group: groupFromName('c8', [1]), imageSize: BARS_SIZE, channels: 1 });
    const data = parseRunData({ dataset: 'bars', group: 'c8', limit: 16 }, config);
    const model = await createModel(config, 0);
    const stream = await entry.training(data, { batchSize: 8, seed: 1 }, model);
    expect(stream.sampler.epochSize).toBe(16);
    const optimizer = T.adam(model.parameters(), { lr: 1e-3 });
    const rng = new T.Rng(2);
    const first = [...model.parameters().values()][0];
    const before = await first.data();
    for (let step = 0; step < 4; step++) {
      const terms = T.tidy(() => trainStep(model, stream.upload(stream.sampler.next()), optimizer, rng));
      expect(Number.isFinite(await terms.loss.item())).toBe(true);
      for (const t of Object.values(terms)) t.dispose();
    }
    expect(Array.from(await first.data())).not.toEqual(Array.from(before));
    const metrics = (await entry.evaluate(model, data, { part: 'test', count: 16 })) as PairEvalMetrics;
    expect(metrics.images).toBe(16);
    expect(metrics.buckets.map((b) => b.name)).toEqual(['j=0', 'j=1', 'j=2', 'j=3', 'j=4', 'j=5', 'j=6', 'j=7']);
    expect(metrics.buckets.every((b) => b.images === 2 && Number.isFinite(b.psnr))).toBe(true);
    optimizer.dispose();
    model.dispose();
  });
  const images = await datasetEntry('bars').images({ dataset: 'bars', group: 'c8', limit: null });
  expect(images.count).toBe(64 * 8);
  expect(images.info()).toMatchObject({ kind: 'pairs', dataset: 'bars', group: { kind: 'cyclic', n: 8 }, steps: 8, imageSize: 16, index: 'pattern·n + shift' });
  const samples = images.samples('test', 4, 0);
  expect(samples).toHaveLength(4);
  const index = samples[0];
  const { pattern, shift } = images.factorsOf(index) as { pattern: number; shift: number };
  expect([pattern, shift]).toEqual([Math.floor(index / 8), index % 8]);
  expect(Array.from(images.source.render([index]))).toEqual(Array.from(rolled(pattern, 2 * shift)));
});
