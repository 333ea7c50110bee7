// The in-browser decoder's logic, run under Bun on the same WebGPU backend (Dawn) as the server:
// it must give what the model gives directly, whatever pivot its cache holds.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import * as T from '@maga/tensor';
import { testDevice } from '@maga/tensor/testing';
import { Maganet, Vae, createModel, defaultConfig, dsprites, encodeModule, type ModelConfig } from '@maga/model';
import { localDecoder } from '../src/decoding/local.ts';
import type { Decoder } from '../src/decoding/decoder.ts';
import { maxAbsDiff } from '../src/lib/images.ts';

// The in-browser decoder is WebGPU's: without an adapter these tests are skipped, saying why.
const { describe: withGpu } = await testDevice('viewer local decoder tests', 'webgpu');

const PIVOT = dsprites.FIXED_PIVOT.index;
const OTHER_PIVOT = 123_530;
/** dSprites rendered here, as the server would send them. */
const DSPRITES_HERE = { size: 64, fetch: async (index: number) => dsprites.render(index) };
const images = (indices: number[]) => T.tensor(dsprites.renderBatch(indices), [indices.length, 1, 64, 64]);

/** A tensor's values, clamped to [0, 1] as the decoder's (and the API's) images are. */
async function pixels(t: T.Tensor): Promise<Float32Array> {
  const data = await t.data();
  t.dispose();
  return data.map((v) => Math.min(1, Math.max(0, v)));
}

withGpu('in-browser decoder logic', () => {
  let previous: T.Backend | null = null;
  beforeAll(() => {
    previous = T.hasBackend() ? T.backend() : null;
  });
  afterAll(() => {
    if (previous) T.setBackend(previous);
  });

  async function setup(config: ModelConfig): Promise<{ model: Maganet | Vae; decoder: Decoder }> {
    await T.init({ backend: 'webgpu', quiet: true });
    const model = (await createModel(config, 3)) as Maganet | Vae;
    if (model instanceof Maganet) model.initialize(images([1, 5000, 90_000, 300_000, 600_000, 700_000]));
    const checkpoint = await encodeModule(model);
    // As the CLI writes config.json: the model's configuration under "model".
    const decoder = await localDecoder({ run: 'test-run', config: { format: 1, model: config, data: { split: 'to-range' } }, checkpoint, images: DSPRITES_HERE, warmup: [PIVOT, 42] });
    return { model, decoder };
  }

  test('MAGANet: codes, decodes, transfers and group laws match the model', async () => {
    const config = { ...defaultConfig('maganet'), encoder: { width: 8, hidden: 32 }, glow: { levels: 2, steps: 1, coupling: 'additive', hidden: 8 } } as ModelConfig;
    const { model, decoder } = await setup(config);
    const maganet = model as Maganet;
    expect(decoder.kind).toBe('webgpu');
    expect(decoder.label).toStartWith('decoding on WebGPU (');
    expect(decoder.latentDim).toBe(10);

    const code = await decoder.code(PIVOT, 42);
    const mu = await (T.noGrad(() => T.tidy(() => maganet.transformation(images([PIVOT]), images([42])).mu))).data();
    expect(maxAbsDiff(Float32Array.from(code.z), mu)).toBeLessThan(1e-6);

    const zs = [code.z, code.z.map((v, i) => v + (i === 0 ? 1.5 : 0))];
    // Decode from one pivot, then another, then the first again: the cache must follow.
    for (const pivot of [PIVOT, OTHER_PIVOT, PIVOT]) {
      const got = await decoder.decode(zs, pivot);
      const want = await pixels(T.noGrad(() => T.tidy(() => maganet.decode(T.tensor(zs.flat(), [2, 10]), images([pivot])))));
      expect(maxAbsDiff(got[0], want.subarray(0, 4096))).toBeLessThan(1e-5);
      expect(maxAbsDiff(got[1], want.subarray(4096))).toBeLessThan(1e-5);
    }

    const transfer = await decoder.transfer({ pivot: PIVOT, varying: 42 }, [OTHER_PIVOT, 7]);
    const want = await pixels(T.noGrad(() => T.tidy(() => maganet.decode(T.tensor([...code.z, ...code.z], [2, 10]), images([OTHER_PIVOT, 7])))));
    expect(maxAbsDiff(transfer.images[1], want.subarray(4096))).toBeLessThan(1e-5);

    const grid = await decoder.traverse(PIVOT, 42, 2, 3);
    expect(grid.images).toHaveLength(10);
    expect(grid.images[0]).toHaveLength(3);
    expect(grid.values[4]).toEqual([code.z[4] - 2, code.z[4], code.z[4] + 2]);
    expect(maxAbsDiff(grid.images[4][1], code.image)).toBeLessThan(1e-5);

    const laws = await decoder.groupLaws!(PIVOT, code.z, zs[1]);
    expect(laws.identityError).toBeLessThan(1e-4);
    expect(laws.compositionError).toBeLessThan(1e-3);
    expect(laws.inverseError).toBeLessThan(1e-3);
    decoder.dispose();
    model.dispose();
  }, 120_000);

  test('VAE: decodes ignore the pivot; transfer is latent arithmetic', async () => {
    const config = { ...defaultConfig('vae'), widths: [8, 8, 16, 16] } as ModelConfig;
    const { model, decoder } = await setup(config);
    const vae = model as Vae;
    expect(decoder.groupLaws).toBeUndefined();
    const code = await decoder.code(PIVOT, 42);
    const [a] = await decoder.decode([code.z], PIVOT);
    const [b] = await decoder.decode([code.z], OTHER_PIVOT);
    expect(maxAbsDiff(a, b)).toBe(0);
    const r = await decoder.transfer({ pivot: 1, varying: 2 }, [3]);
    const mu = await T.noGrad(() => T.tidy(() => vae.encode(images([1, 2, 3])).mu)).data();
    const expected = Array.from({ length: 10 }, (_, k) => mu[20 + k] + mu[10 + k] - mu[k]);
    const want = await pixels(T.noGrad(() => T.tidy(() => vae.decode(T.tensor(expected, [1, 10])))));
    expect(maxAbsDiff(r.images[0], want)).toBeLessThan(1e-5);
    decoder.dispose();
    model.dispose();
  }, 120_000);

  test('disposed while it decodes (its run’s page went): the decode in flight finishes, later calls are refused', async () => {
    const config = { ...defaultConfig('maganet'), encoder: { width: 8, hidden: 32 }, glow: { levels: 2, steps: 1, coupling: 'additive', hidden: 8 } } as ModelConfig;
    const { model, decoder } = await setup(config);
    expect(decoder.run).toBe('test-run');
    const inFlight = decoder.decode([new Array(10).fill(0.5)], PIVOT);
    decoder.dispose();
    const [image] = await inFlight;
    expect(image.pixels).toHaveLength(64 * 64);
    expect(image.pixels.every(Number.isFinite)).toBe(true);
    const refused = await decoder.code(PIVOT, 42).catch((e: Error) => e);
    expect((refused as Error).message).toBe("the decoder of run 'test-run' was disposed");
    model.dispose();
  }, 120_000);

  test('a checkpoint that does not fit the configuration is refused, naming what does not fit', async () => {
    await T.init({ backend: 'webgpu', quiet: true });
    const vae = await createModel({ ...defaultConfig('vae'), widths: [8, 8, 16, 16] } as ModelConfig, 1);
    const checkpoint = await encodeModule(vae);
    const vaeNames = Object.keys(Object.fromEntries(vae.state()));
    vae.dispose();
    const error = await localDecoder({ run: 'test-run', config: { model: defaultConfig('maganet') }, checkpoint, images: DSPRITES_HERE, warmup: [PIVOT, 42] }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/^checkpoint does not match the model \(\d+ problems\)/);
    // MAGANet's flow is missing from a VAE's checkpoint, and the VAE's parameters are not MAGANet's.
    expect(message).toMatch(/missing from checkpoint: decoder\.\S+ \[/);
    expect(message).toContain(`unexpected in checkpoint (not a model parameter): ${vaeNames.sort()[0]}`);
    const bad = await localDecoder({ run: 'test-run', config: { something: 'else' }, checkpoint, images: DSPRITES_HERE, warmup: [PIVOT, 42] }).catch((e: Error) => e);
    expect((bad as Error).message).toBe('config: missing model');
  }, 60_000);
});
