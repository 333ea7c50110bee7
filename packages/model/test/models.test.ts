// The models: architecture sizes, losses, learning on a small dSprites subset on both backends,
// determinism, checkpoints, and the batch sampler.
import { expect, test } from 'bun:test';
import * as T from '@maga/tensor';
import {
  CheckpointError,
  MAGANET_DEFAULTS,
  Maganet,
  Sampler,
  VAE_DEFAULTS,
  Vae,
  createModel,
  defaultConfig,
  dsprites,
  encodeModule,
  encodeOptimizer,
  loadModule,
  loadOptimizer,
  parseModelConfig,
  splitIndices,
  trainStep,
  uploadBatch,
  type MaganetConfig,
  type Model,
  type ModelConfig,
} from '../index.ts';
import { cpu, describeEachBackend, expectClose } from '@maga/tensor/testing';

/** A MAGANet small enough to train a few hundred steps in a test. */
const SMALL_MAGANET: MaganetConfig = {
  ...MAGANET_DEFAULTS,
  encoder: { width: 8, hidden: 32 },
  glow: { levels: 2, steps: 1, coupling: 'additive', hidden: 'half' },
  betaLatent: 10,
};

test('the default MAGANet encoder has the blog encoder\'s 252,052 parameters', async () => {
  await T.withBackend(cpu, async () => {
    const model = await Maganet.create(MAGANET_DEFAULTS, new T.Rng(0));
    // conv1 (1→32, 4×4) + conv2..4 (32→32, 4×4) + fc 512→256→256→2·10, each with biases.
    const w = 32;
    const formula = (w * 1 * 16 + w) + 3 * (w * w * 16 + w) + (512 * 256 + 256) + (256 * 256 + 256) + (256 * 20 + 20);
    expect(model.encoder.parameterCount()).toBe(formula);
    expect(formula).toBe(252_052);
    // M maps d = 10 to C·H·W = 4096 without a bias.
    expect(model.decoder.action.parameters().get('M.weight')?.shape).toEqual([4096, 10]);
    expect(model.decoder.action.parameters().has('M.bias')).toBe(false);
    model.dispose();
  });
});

test('the β-VAE has the blog\'s encoder/decoder shapes and decodes to 64×64 logits', async () => {
  await T.withBackend(cpu, async () => {
    const vae = new Vae(VAE_DEFAULTS, new T.Rng(0));
    const names = [...vae.parameters().keys()];
    expect(names).toContain('enc4.weight');
    expect(vae.parameters().get('enc4.weight')?.shape).toEqual([256, 128, 4, 4]);
    expect(vae.parameters().get('dec4.weight')?.shape).toEqual([32, 1, 4, 4]);
    const z = T.zeros([2, 10]);
    expect([...vae.decodeLogits(z).shape]).toEqual([2, 1, 64, 64]);
    vae.dispose();
  });
});

test('configurations read back from JSON are validated field by field', () => {
  for (const kind of ['maganet', 'vae'] as const) {
    const config = defaultConfig(kind);
    expect(parseModelConfig(JSON.parse(JSON.stringify(config)))).toEqual(config);
  }
  expect(() => parseModelConfig({ ...MAGANET_DEFAULTS, latentDim: 0 })).toThrow(/latentDim must be a positive integer, got 0/);
  expect(() => parseModelConfig({ ...MAGANET_DEFAULTS, glow: { ...MAGANET_DEFAULTS.glow, coupling: 'spline' } })).toThrow(/glow.coupling must be one of additive, affine, got "spline"/);
  expect(() => parseModelConfig({ model: 'gan' })).toThrow(/model must be one of maganet, vae/);
  expect(() => parseModelConfig({ ...MAGANET_DEFAULTS, imageSize: 40 })).toThrow(/divisible by 16/);
  expect(() => parseModelConfig('maganet')).toThrow(/must be an object/);
});

async function trainLosses(model: Model, steps: number, seed: number, batchSize = 16): Promise<number[]> {
  const sampler = new Sampler({ split: 'to-range', part: 'train', batchSize, pivots: model instanceof Maganet ? 'fixed' : 'none', seed, limit: 256 });
  const rng = new T.Rng(seed + 1);
  const first = sampler.next();
  if (model instanceof Maganet) T.tidy(() => model.initialize(uploadBatch(first.pivot, first.varying).varying));
  const optimizer = T.adam(model.parameters(), { lr: 2e-3, clipNorm: 1 });
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const indices = step === 0 ? first : sampler.next();
    const terms = T.tidy(() => trainStep(model, uploadBatch(indices.pivot, indices.varying), optimizer, rng));
    losses.push(await terms.bce.item());
    for (const t of Object.values(terms)) t.dispose();
  }
  optimizer.dispose();
  return losses;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describeEachBackend('training', (backend) => {
  // The cpu backend is the reference, not the fast path: it trains on smaller batches here.
  test('MAGANet on a small dSprites subset lowers its reconstruction loss clearly in 100 steps', async () => {
    const model = await createModel(SMALL_MAGANET, 1);
    const losses = await trainLosses(model, 100, 2, backend.kind === 'cpu' ? 8 : 16);
    const [start, end] = [mean(losses.slice(0, 10)), mean(losses.slice(-10))];
    expect(end).toBeLessThan(0.5 * start);
    model.dispose();
  }, 300_000);
  test('the β-VAE lowers its reconstruction loss clearly in 60 steps', async () => {
    const model = await createModel({ ...VAE_DEFAULTS, widths: [8, 8, 16, 16] }, 3);
    const losses = await trainLosses(model, 60, 4);
    expect(mean(losses.slice(-5))).toBeLessThan(0.7 * mean(losses.slice(0, 5)));
    model.dispose();
  });
});

test('the same seed gives the same loss curve on the cpu backend', async () => {
  await T.withBackend(cpu, async () => {
    const run = async () => {
      const model = await createModel(SMALL_MAGANET, 11);
      const losses = await trainLosses(model, 5, 12);
      model.dispose();
      return losses;
    };
    expect(await run()).toEqual(await run());
  });
});

describeEachBackend('checkpoints', () => {
  test('a model saved and loaded into another seed\'s model decodes identically', async () => {
    const config: ModelConfig = SMALL_MAGANET;
    const a = (await createModel(config, 21)) as Maganet;
    a.initialize(uploadBatch([], splitIndices('to-range', 'train').slice(0, 8)).varying);
    const bytes = await encodeModule(a, { step: '7' });
    const b = (await createModel(config, 22)) as Maganet;
    expect(loadModule(b, bytes).step).toBe('7');
    const pivot = T.tensor(dsprites.render(dsprites.FIXED_PIVOT.index), [1, 1, 64, 64]);
    const z = T.tensor([0.3, -0.2, 0.1, 0, 0.5, -0.4, 0.2, 0.1, -0.1, 0.05], [1, 10]);
    expectClose(await T.noGrad(() => b.decodeLogits(z, pivot)).data(), await T.noGrad(() => a.decodeLogits(z, pivot)).data(), 1e-6);
    a.dispose();
    b.dispose();
  });
  test('wrong architectures and corrupt bytes are refused with clear errors', async () => {
    const small = await createModel(SMALL_MAGANET, 1);
    const bytes = await encodeModule(small);
    const other = await createModel({ ...SMALL_MAGANET, latentDim: 4 }, 1);
    expect(() => loadModule(other, bytes)).toThrow(CheckpointError);
    expect(() => loadModule(other, bytes)).toThrow(/decoder\.action\.M\.weight: checkpoint \[4096,10\], model \[4096,4\]/);
    expect(() => loadModule(small, bytes.slice(0, bytes.length - 10))).toThrow(CheckpointError);
    const vae = await createModel({ ...VAE_DEFAULTS, widths: [8, 8, 16, 16] }, 1);
    expect(() => loadModule(vae, bytes)).toThrow(/missing/);
    for (const m of [small, other, vae]) m.dispose();
  });
  test('optimizer state round-trips and resumes the same update', async () => {
    const p = T.keep(T.tensor([0.5, -0.5], [2])).requireGrad();
    const opt = T.adam(new Map([['p', p]]), { lr: 0.1 });
    T.tidy(() => T.backward(T.sum(T.square(p))));
    opt.update();
    opt.zeroGrad();
    const bytes = await encodeOptimizer(opt);
    const q = T.keep(T.tensor(await p.data(), [2])).requireGrad();
    const restored = T.adam(new Map([['p', q]]), { lr: 0.1 });
    loadOptimizer(restored, bytes);
    expect(restored.step).toBe(1);
    for (const [param, optimizer] of [[p, opt], [q, restored]] as const) {
      T.tidy(() => T.backward(T.sum(T.square(param))));
      optimizer.update();
      optimizer.zeroGrad();
    }
    expect(Array.from(await q.data())).toEqual(Array.from(await p.data()));
    expect(() => loadOptimizer(T.sgd(new Map([['p', q]]), { lr: 1 }), bytes)).toThrow(/state is for 'adam'/);
  });
});

test('the sampler: deterministic epochs, exact resume, fixed and random pivots', () => {
  const options = { split: 'to-element' as const, part: 'train' as const, batchSize: 7, pivots: 'random' as const, seed: 3, limit: 50 };
  const a = new Sampler(options);
  const b = new Sampler(options);
  const seen: number[] = [];
  for (let i = 0; i < 20; i++) {
    const batch = a.next();
    expect(Array.from(batch.varying)).toEqual(Array.from(b.next().varying));
    expect(batch.pivot.length).toBe(7);
    seen.push(...batch.varying);
  }
  // Every image of the (limited) part appears within an epoch's worth of batches.
  expect(new Set(seen.slice(0, 49)).size).toBe(49);
  const state = a.state();
  const resumed = new Sampler(options);
  resumed.restore(state);
  for (let i = 0; i < 10; i++) expect(Array.from(resumed.next().varying)).toEqual(Array.from(a.next().varying));
  const fixed = new Sampler({ ...options, pivots: 'fixed' });
  expect(Array.from(fixed.next().pivot)).toEqual([dsprites.FIXED_PIVOT.index]);
  expect(() => new Sampler({ ...options, batchSize: 0 })).toThrow(/batch size must be a positive integer/);
  expect(() => resumed.restore({ epoch: -1, position: 0 })).toThrow(/invalid state/);
  const test = new Sampler({ ...options, part: 'test', limit: undefined, batchSize: 64 });
  for (let i = 0; i < 5; i++) for (const index of test.next().varying) expect(dsprites.factorsOf(index).values.shape).toBe('ellipse');
});
