// The PyTorch twin (bench/torch) against @maga/model: a MAGANet and a β-VAE are trained a few
// steps on the cpu backend (so ActNorm is initialised from data and no weight is at its init),
// saved with the project's own checkpoint functions, and the twin, loading that model.safetensors,
// must reconstruct the same dSprites test images within 1e-4 per pixel and form the same losses.
// Without Debian's python3-torch the cases are skipped and the reason printed.
import { describe, expect, test } from 'bun:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  MAGANET_DEFAULTS,
  Maganet,
  Sampler,
  VAE_DEFAULTS,
  createModel,
  decodeSafetensors,
  dsprites,
  encodeModule,
  encodeSafetensors,
  evalIndices,
  pivotMode,
  reconstructions,
  trainStep,
  uploadBatch,
  Vae,
  type MaganetConfig,
  type Model,
  type VaeConfig,
} from '@maga/model';

/** The two dSprites models the twin mirrors. */
type ModelConfig = MaganetConfig | VaeConfig;
import * as T from '@maga/tensor';
import { probeTorch, runTwin } from '../bench/torch/python.ts';
import { tempDir } from './support/index.ts';

const torch = probeTorch();
if (!torch.ok) console.warn(`[torch twin] skipped: ${torch.reason}`);

const PIXELS = 64 * 64;
const tmp = tempDir('twin');

// Reduced so that training on the cpu backend takes seconds; the affine coupling is the branch
// the default (additive) does not reach.
const CASES: { label: string; config: ModelConfig }[] = [
  {
    label: 'MAGANet (affine coupling)',
    config: { ...MAGANET_DEFAULTS, encoder: { width: 8, hidden: 32 }, glow: { levels: 3, steps: 2, coupling: 'affine', hidden: 'half' } },
  },
  { label: 'MAGANet (additive coupling)', config: { ...MAGANET_DEFAULTS, encoder: { width: 8, hidden: 32 }, glow: { levels: 2, steps: 1, coupling: 'additive', hidden: 8 } } },
  { label: 'β-VAE', config: { ...VAE_DEFAULTS, widths: [8, 16, 16, 32] } },
];

const write = (file: string, tensors: Record<string, { shape: number[]; data: Float32Array }>) => fs.writeFileSync(file, encodeSafetensors(tensors));

async function trained(config: ModelConfig): Promise<Model> {
  const model = await createModel(config, 3);
  const sampler = new Sampler({ split: 'to-range', part: 'train', batchSize: 8, pivots: pivotMode(model), seed: 0 });
  const rng = new T.Rng(5);
  const optimizer = T.adam(model.parameters(), { lr: 3e-3, clipNorm: 1 });
  const first = sampler.next();
  if (model instanceof Maganet) T.tidy(() => model.initialize(uploadBatch(first.pivot, first.varying).varying));
  for (let i = 0; i < 4; i++) {
    const b = sampler.next();
    for (const t of Object.values(trainStep(model, uploadBatch(b.pivot, b.varying), optimizer, rng))) t.dispose();
  }
  optimizer.dispose();
  return model;
}

describe('the PyTorch twin loads our model.safetensors and reproduces our reconstructions', () => {
  for (const { label, config } of CASES) {
    test.skipIf(!torch.ok)(label, async () => {
      T.setBackend(new T.CpuBackend());
      const model = await trained(config);
      const dir = fs.mkdtempSync(path.join(tmp, `${config.model}-`));
      const file = (name: string) => path.join(dir, name);
      fs.writeFileSync(file('config.json'), JSON.stringify(config));
      fs.writeFileSync(file('model.safetensors'), await encodeModule(model));

      // Test images of the split, with the fixed pivot for MAGANet, as `cli eval` picks them.
      const { pivot, varying } = evalIndices(model, { split: 'to-range', part: 'test', count: 6 });
      const noise = new T.Rng(11).normal([varying.length, config.latentDim]);
      const noiseData = await noise.data();
      const images: Record<string, { shape: number[]; data: Float32Array }> = {
        varying: { shape: [varying.length, 1, 64, 64], data: dsprites.renderBatch(varying) },
        noise: { shape: [varying.length, config.latentDim], data: noiseData },
      };
      if (pivot.length > 0) images.pivot = { shape: [pivot.length, 1, 64, 64], data: dsprites.renderBatch(pivot) };
      write(file('images.safetensors'), images);

      const ours = await reconstructions(model, pivot, varying);
      const common = ['--config', file('config.json'), '--checkpoint', file('model.safetensors'), '--images', file('images.safetensors')];
      runTwin(['reconstruct', ...common, '--out', file('twin.safetensors')]);
      const theirs = decodeSafetensors(new Uint8Array(fs.readFileSync(file('twin.safetensors')))).tensors.reconstruction;
      expect(theirs.shape).toEqual([varying.length, 1, 64, 64]);
      expect(theirs.data.length).toBe(varying.length * PIXELS);
      let maxDelta = 0;
      for (let i = 0; i < ours.length; i++) maxDelta = Math.max(maxDelta, Math.abs(ours[i] - theirs.data[i]));
      // The reconstruction must be more than the pivot or a blank: it has to depend on the weights.
      let spread = 0;
      for (let i = 0; i < ours.length; i++) spread = Math.max(spread, Math.abs(ours[i] - ours[0]));
      console.log(`[torch twin] ${label}: max |Δpixel| = ${maxDelta.toExponential(3)} over ${varying.length} test images (torch ${torch.ok ? torch.version : ''})`);
      expect(Number.isFinite(maxDelta)).toBe(true);
      expect(spread).toBeGreaterThan(1e-3);
      expect(maxDelta).toBeLessThanOrEqual(1e-4);

      // The same loss terms for the same images and reparameterisation noise.
      const oursTerms = T.noGrad(() =>
        T.tidy(() => {
          const batch = uploadBatch(pivot, varying);
          return model instanceof Maganet ? { ...model.losses(batch.pivot!, batch.varying, noise) } : { ...(model as Vae).losses(batch.varying, noise) };
        }),
      );
      const theirsTerms = JSON.parse(runTwin(['losses', ...common])) as Record<string, number>;
      expect(Object.keys(theirsTerms).sort()).toEqual(Object.keys(oursTerms).sort());
      const report: string[] = [];
      for (const [name, t] of Object.entries(oursTerms)) {
        const value = (await t.data())[0];
        t.dispose();
        report.push(`${name} ${value.toPrecision(7)} vs ${theirsTerms[name].toPrecision(7)}`);
        expect(Math.abs(value - theirsTerms[name])).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(value)));
      }
      console.log(`[torch twin] ${label}: losses (ours vs twin) ${report.join(', ')}`);
      noise.dispose();
      model.dispose();
    });
  }
});
