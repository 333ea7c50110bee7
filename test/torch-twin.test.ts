// python/maga_torch against @maga/model: for each of the models a tiny run is trained with
// `cli train --preset tiny`, loaded on our cpu backend and, in Python, with maga_torch.load_run;
// `python -m maga_torch reconstruct` must give our reconstructions within 1e-4 per pixel, and
// (test/torch_twin.py) the same D(e, x), group laws (D(e, x), D(g₂, D(g₁, x)), D(g₂g₁, x),
// D(g₁⁻¹, D(g₁, x))) and loss terms; the ONNX export is checked where the onnx module imports.
// Pair models run under SO(2), C_4 and SO(3). Python is MAGA_PYTHON or the first python3 that
// imports torch (bench/torch/python.ts); without one every case is skipped with the reason.
import { describe, expect, test } from 'bun:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isPairData, loadTrainedModel, modelGroup, openRunDataset, readRunConfig } from '@maga/cli';
import {
  configure,
  createModel,
  decodeSafetensors,
  dsprites,
  elementSize,
  encodeModule,
  encodeSafetensors,
  evalIndices,
  Maganet,
  MODEL_KINDS,
  MODELS,
  pivotMode,
  reconstructLogits,
  Sampler,
  trainStep,
  uploadBatch,
  uploadPairs,
  Vae,
  type GroupConfig,
  type Model,
} from '@maga/model';
import * as T from '@maga/tensor';
import { probeTorch, runMagaTorch, runPython } from '../bench/torch/python.ts';
import { testDevice } from '@maga/tensor/testing';
import { cliOk, tempDir } from './support/index.ts';

// The runs train on MAGA_BACKEND, else auto (testDevice).
const { choice: BACKEND } = await testDevice('torch twin tests');

const torch = probeTorch();
if (!torch.ok) console.warn(`[torch twin] skipped: ${torch.reason}`);
else console.log(`[torch twin] ${torch.python} (torch ${torch.version}; ${torch.chosenBy})`);

const TOLERANCE = 1e-4;
const COUNT = 6;
const tmp = tempDir('twin');

type Tensors = Record<string, { shape: number[]; data: Float32Array }>;
const readTensors = (file: string) => decodeSafetensors(new Uint8Array(fs.readFileSync(file))).tensors;

function maxDelta(ours: Float32Array, theirs: { shape: number[]; data: Float32Array }, what: string): number {
  expect(theirs.data.length, `${what}: sizes`).toBe(ours.length);
  let m = 0;
  for (let i = 0; i < ours.length; i++) m = Math.max(m, Math.abs(ours[i] - theirs.data[i]));
  expect(Number.isFinite(m), `${what}: finite`).toBe(true);
  return m;
}

/** Host values of a device tensor, disposed. */
async function host(t: T.Tensor): Promise<Float32Array> {
  const data = await t.data();
  t.dispose();
  return data;
}

/** g of each pair in reverse order: a second element per image for the composition law. */
function reversedElements(g: Float32Array, size: number): Float32Array {
  const n = g.length / size;
  const out = new Float32Array(g.length);
  for (let i = 0; i < n; i++) out.set(g.subarray((n - 1 - i) * size, (n - i) * size), i * size);
  return out;
}

function identityElements(group: GroupConfig, n: number): Float32Array {
  const size = elementSize(group);
  const g = new Float32Array(n * size);
  if (size === 4) for (let i = 0; i < n; i++) g[i * 4] = 1;
  return g;
}

interface Ours {
  inputs: Tensors;
  reconstruction: Float32Array;
  laws: Record<string, Float32Array>;
  identity?: Float32Array;
  losses: Record<string, number>;
}

/** Each term's value; a tensor two terms share (flow-action's loss is its reconstruction) is read and disposed once. */
async function lossValues(terms: Record<string, T.Tensor>): Promise<Record<string, number>> {
  const values = new Map<T.Tensor, number>();
  for (const t of new Set(Object.values(terms))) values.set(t, (await host(t))[0]);
  return Object.fromEntries(Object.entries(terms).map(([name, t]) => [name, values.get(t)!]));
}

async function lawImages(laws: Record<string, T.Tensor>): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const [name, t] of Object.entries(laws)) if (name !== 'input') out[name] = await host(t);
  return out;
}

/** Our outputs on the run's test images (dSprites with the run's pivots, or the pair set's evaluation pairs). */
async function ours(dir: string, model: Model): Promise<Ours> {
  const config = readRunConfig(dir);
  const data = config.data;
  if (isPairData(data)) {
    const dataset = await openRunDataset(config);
    const batch = dataset.renderPairs(dataset.evaluationSet({ pairs: COUNT }).specs);
    const group = modelGroup(model);
    const size = elementSize(group);
    const [c, h, w] = dataset.imageShape;
    const shape = [batch.size, c, h, w];
    const g2 = reversedElements(batch.g, size);
    const gShape = size === 1 ? [batch.size] : [batch.size, size];
    const inputs: Tensors = { x: { shape, data: batch.x }, gx: { shape, data: batch.gx }, g: { shape: gShape, data: batch.g }, g1: { shape: gShape, data: batch.g }, g2: { shape: gShape, data: g2 } };
    return T.noGrad(async () => {
      const reconstruction = await host(T.tidy(() => T.sigmoid(reconstructLogits(model, uploadPairs(batch, dataset.imageShape, group)))));
      const identity = await host(T.tidy(() => T.sigmoid(reconstructLogits(model, uploadPairs({ ...batch, g: identityElements(group, batch.size) }, dataset.imageShape, group)))));
      const laws = await lawImages(T.tidy(() => ({ ...model.groupLaws!(T.tensor(batch.x, shape), T.tensor(batch.g, [batch.size, size]), T.tensor(g2, [batch.size, size])) })));
      const losses = await lossValues(T.tidy(() => ({ ...model.lossTerms(uploadPairs(batch, dataset.imageShape, group), new T.Rng(1)) })));
      return { inputs, reconstruction, identity, laws, losses };
    });
  }
  const { pivot, varying } = evalIndices(model, { split: data.split, part: 'test', count: COUNT });
  const latentDim = model.codeDim;
  const noise = new T.Rng(11).normal([varying.length, latentDim]);
  const inputs: Tensors = { varying: { shape: [varying.length, 1, 64, 64], data: dsprites.renderBatch(varying) }, noise: { shape: [varying.length, latentDim], data: await noise.data() } };
  if (pivot.length > 0) inputs.pivot = { shape: [pivot.length, 1, 64, 64], data: dsprites.renderBatch(pivot) };
  return T.noGrad(async () => {
    const batch = () => uploadBatch(pivot, varying);
    const reconstruction = await host(T.tidy(() => T.sigmoid(reconstructLogits(model, batch()))));
    let laws: Record<string, Float32Array> = {};
    let losses: Record<string, number>;
    if (model instanceof Maganet) {
      const z1 = await host(T.tidy(() => model.code(batch().varying, batch().pivot!)));
      const z2 = reversedElements(z1, latentDim);
      inputs.z1 = { shape: [varying.length, latentDim], data: z1 };
      inputs.z2 = { shape: [varying.length, latentDim], data: z2 };
      laws = await lawImages(T.tidy(() => ({ ...model.groupLaws(batch().pivot!, T.tensor(z1, [varying.length, latentDim]), T.tensor(z2, [varying.length, latentDim])) })));
      losses = await lossValues(T.tidy(() => ({ ...model.losses(batch().pivot!, batch().varying, noise) })));
    } else {
      losses = await lossValues(T.tidy(() => ({ ...(model as Vae).losses(batch().varying, noise) })));
    }
    noise.dispose();
    return { inputs, reconstruction, laws, losses };
  });
}

/** A tiny MAGANet with affine coupling (no CLI flag reaches it), trained a few steps through the library, written as a run. */
async function affineRun(template: string): Promise<string> {
  T.setBackend(new T.CpuBackend());
  const config = configure('maganet', 'tiny', {});
  (config as { glow: { coupling: string } }).glow.coupling = 'affine';
  const model = await createModel(config, 3);
  const sampler = new Sampler({ split: 'to-range', part: 'train', batchSize: 8, pivots: pivotMode(model), seed: 0 });
  const rng = new T.Rng(5);
  const optimizer = T.adam(model.parameters(), { lr: 3e-3, clipNorm: 1 });
  const first = sampler.next();
  T.tidy(() => model.initializeFromData(uploadBatch(first.pivot, first.varying)));
  for (let i = 0; i < 4; i++) {
    const b = sampler.next();
    for (const t of Object.values(trainStep(model, uploadBatch(b.pivot, b.varying), optimizer, rng))) t.dispose();
  }
  optimizer.dispose();
  const dir = path.join(tmp, 'maganet-affine');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...readRunConfig(template), model: config }));
  fs.writeFileSync(path.join(dir, 'model.safetensors'), await encodeModule(model, { step: '4' }));
  model.dispose();
  return dir;
}

/**
 * Winter et al.'s ψ = atan2(v) is ill-conditioned in a 4-step run: the orbit average cancels the
 * head's biases, |v| ≈ 1e-3 (less for a decoded, smooth image), so float rounding of the
 * convolutions (ours against torch's) moves ψ and every turned pixel with it. Measured: D(g, x)
 * and D(e, x) agree to ~1e-4, the laws that re-encode a decoded image to ~3e-3. Its images are
 * compared at this tolerance (a wrong turn or sign differs by ~0.5); its loss at the common one.
 */
const WINTER_PIXEL_TOLERANCE = 2e-2;

const CASES: { label: string; args?: string[]; affine?: true; pixelTolerance?: number }[] = [
  { label: 'MAGANet', args: ['--model', 'maganet'] },
  { label: 'MAGANet (affine coupling)', affine: true },
  { label: 'β-VAE', args: ['--model', 'vae'] },
  { label: 'latent-action, SO(2) (rotated-mnist)', args: ['--model', 'latent-action'] },
  { label: 'latent-action, C_4 (contrast)', args: ['--model', 'latent-action', '--dataset', 'contrast'] },
  { label: 'latent-action, SO(3) (objects3d)', args: ['--model', 'latent-action', '--dataset', 'objects3d'] },
  { label: 'flow-action, C_4 (rotated-mnist)', args: ['--model', 'flow-action', '--group', 'c4'] },
  { label: 'flow-action, SO(2) (rotated-blocked-mnist)', args: ['--model', 'flow-action', '--dataset', 'rotated-blocked-mnist'] },
  // Issue 24: the skip modes and loss terms of latent-action, Winter et al., and the models without parameters.
  { label: 'latent-action, spatial skips, SO(2) (rotated-blocked-mnist)', args: ['--model', 'latent-action', '--dataset', 'rotated-blocked-mnist', '--skips', 'spatial', '--beta-skip', '1', '--equivariance', 'relative', '--frequencies', '3'] },
  { label: 'latent-action, spatial skips, C_4 (rotated-mnist)', args: ['--model', 'latent-action', '--group', 'c4', '--skips', 'spatial', '--beta-skip', '1'] },
  { label: 'latent-action, invariant skips, C_4 (contrast)', args: ['--model', 'latent-action', '--dataset', 'contrast', '--skips', 'invariant', '--beta-skip', '1', '--equivariance', 'relative'] },
  { label: 'winter, SO(2) (rotated-blocked-mnist)', args: ['--model', 'winter', '--dataset', 'rotated-blocked-mnist'], pixelTolerance: WINTER_PIXEL_TOLERANCE },
  { label: 'winter, C_4 (rotated-mnist)', args: ['--model', 'winter', '--group', 'c4'], pixelTolerance: WINTER_PIXEL_TOLERANCE },
  { label: 'rotate-x, SO(2) (rotated-blocked-mnist)', args: ['--model', 'rotate-x', '--dataset', 'rotated-blocked-mnist'] },
  { label: 'copy-x, SO(3) (objects3d)', args: ['--model', 'copy-x', '--dataset', 'objects3d'] },
];

describe('maga_torch.load_run reproduces our reconstructions, group laws and losses', () => {
  let template = '';
  for (const { label, args, affine, pixelTolerance = TOLERANCE } of CASES) {
    test.skipIf(!torch.ok)(label, async () => {
      let dir: string;
      if (affine) {
        dir = await affineRun(template);
      } else {
        dir = path.join(tmp, label.replace(/[^A-Za-z0-9]+/g, '-'));
        await cliOk(['train', '--preset', 'tiny', ...args!, '--out', dir, '--quiet'], { MAGA_BACKEND: BACKEND });
        if (!template) template = dir;
      }
      T.setBackend(new T.CpuBackend());
      const { model } = await loadTrainedModel(dir);
      const mine = await ours(dir, model);
      model.dispose();
      const file = (name: string) => path.join(dir, name);
      fs.writeFileSync(file('inputs.safetensors'), encodeSafetensors(mine.inputs));

      // The command line a user runs: reconstructions of the images in a file.
      runMagaTorch(['reconstruct', dir, '--images', file('inputs.safetensors'), '--out', file('torch-reconstruction.safetensors')]);
      const reconstruction = maxDelta(mine.reconstruction, readTensors(file('torch-reconstruction.safetensors')).reconstruction, 'reconstruction');
      // It must depend on the weights: more than a blank or a copy of one value.
      expect(Math.max(...mine.reconstruction) - Math.min(...mine.reconstruction)).toBeGreaterThan(1e-3);
      const report: string[] = [`reconstruction ${reconstruction.toExponential(2)}`];
      expect(reconstruction).toBeLessThanOrEqual(pixelTolerance);

      const json = JSON.parse(runPython([path.join(import.meta.dir, 'torch_twin.py'), dir, file('inputs.safetensors'), file('torch-out.safetensors'), file('onnx')]).trim().split('\n').at(-1)!) as {
        step: number;
        losses: Record<string, number>;
        onnx: { skipped: string } | Record<string, { inputs: string[]; outputs: string[]; batch: string[] }>;
        onnxruntime?: { skipped: string } | { maxDelta: number; batch: number };
      };
      // The tiny preset's 4 steps; 0 for a model with nothing to train (rotate-x, copy-x).
      expect(json.step).toBe(readRunConfig(dir).training.steps);
      const theirs = readTensors(file('torch-out.safetensors'));
      if (mine.identity) {
        const d = maxDelta(mine.identity, theirs.identity, 'D(e, x)');
        report.push(`D(e, x) ${d.toExponential(2)}`);
        expect(d).toBeLessThanOrEqual(pixelTolerance);
      }
      expect(Object.keys(theirs).filter((k) => k.startsWith('law_')).sort()).toEqual(Object.keys(mine.laws).map((k) => `law_${k}`).sort());
      for (const [name, values] of Object.entries(mine.laws)) {
        const d = maxDelta(values, theirs[`law_${name}`], `law ${name}`);
        report.push(`${name} ${d.toExponential(2)}`);
        expect(d).toBeLessThanOrEqual(pixelTolerance);
      }
      expect(Object.keys(json.losses).sort()).toEqual(Object.keys(mine.losses).sort());
      for (const [name, value] of Object.entries(mine.losses)) {
        report.push(`${name} ${value.toPrecision(6)}/${json.losses[name].toPrecision(6)}`);
        expect(Math.abs(value - json.losses[name])).toBeLessThanOrEqual(TOLERANCE * Math.max(1, Math.abs(value)));
      }
      console.log(`[torch twin] ${label}: max |Δ| ${report.join(', ')}`);

      if ('skipped' in json.onnx) {
        console.warn(`[torch twin] ${label}: ONNX export not checked: ${json.onnx.skipped}`);
      } else {
        expect(Object.keys(json.onnx).sort()).toEqual(['decoder', 'encoder']);
        for (const part of Object.values(json.onnx)) expect(part.batch.every((b) => b === 'batch')).toBe(true);
        expect(json.onnx.encoder.inputs).toEqual(['x']);
        expect(fs.existsSync(file('onnx/encoder.onnx')) && fs.existsSync(file('onnx/decoder.onnx'))).toBe(true);
        // Run where onnxruntime imports (not a Debian package): the graphs compute what the model does, at another batch size.
        if (json.onnxruntime && 'maxDelta' in json.onnxruntime) {
          console.log(`[torch twin] ${label}: ONNX (onnxruntime, batch ${json.onnxruntime.batch}) max |Δ| ${json.onnxruntime.maxDelta.toExponential(2)} from torch`);
          expect(json.onnxruntime.maxDelta).toBeLessThanOrEqual(TOLERANCE);
        } else {
          console.warn(`[torch twin] ${label}: ONNX graphs checked, not run: ${json.onnxruntime?.skipped}`);
        }
      }
    });
  }
});

describe('maga_torch reads every configuration field of every model', () => {
  // A field added to a model (or a model added) without its twin fails here, naming it.
  test.skipIf(!torch.ok)('the fields of each MODELS entry, its defaults and presets, are the fields maga_torch reads', () => {
    const known = JSON.parse(runMagaTorch(['fields'])) as Record<string, string[]>;
    expect(Object.keys(known).sort(), 'models without a twin in python/maga_torch/models').toEqual([...MODEL_KINDS].sort());
    const leaves = (v: unknown, prefix = ''): string[] =>
      Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => (x && typeof x === 'object' && !Array.isArray(x) && k !== 'group' ? leaves(x, `${prefix}${k}.`) : [prefix + k]));
    for (const kind of MODEL_KINDS) {
      const ours = new Set([...leaves(MODELS[kind].defaults), ...(['tiny', 'quick', 'paper'] as const).flatMap((size) => leaves(configure(kind, size)))]);
      const missing = [...ours].filter((f) => !known[kind].includes(f));
      expect(missing, `${kind} fields maga_torch does not read (add them to python/maga_torch/models/)`).toEqual([]);
    }
  });
});

describe('python -m maga_torch names the file when a run cannot be used', () => {
  test.skipIf(!torch.ok)('a missing run, a corrupt checkpoint, a config of another model: exit 1 naming the file', async () => {
    const dir = path.join(tmp, 'broken');
    await cliOk(['train', '--preset', 'tiny', '--model', 'vae', '--steps', '1', '--out', dir, '--quiet'], { MAGA_BACKEND: BACKEND });
    const fail = (args: string[]) => {
      try {
        runMagaTorch(args);
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error(`python -m maga_torch ${args.join(' ')} succeeded`);
    };
    expect(fail(['info', path.join(tmp, 'nowhere')])).toMatch(/exited with 1:\nerror: .*nowhere\/config\.json does not exist/);
    const weights = path.join(dir, 'model.safetensors');
    const bytes = fs.readFileSync(weights);
    bytes[bytes.length - 5] ^= 0xff; // a value, not the header: only the checksum sees it
    fs.writeFileSync(weights, bytes);
    expect(fail(['info', dir])).toMatch(new RegExp(`exited with 1:\\nerror: ${weights}: the values do not match the file's checksum`));
    bytes[bytes.length - 5] ^= 0xff;
    fs.writeFileSync(weights, bytes);
    expect(JSON.parse(runMagaTorch(['info', dir])).model).toBe('vae');
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    config.model.widths = [8, 8, 16, 32];
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
    expect(fail(['info', dir])).toMatch(/does not fit the vae model of the config:\n {2}dec1\.weight: checkpoint \[16, 16, 4, 4\], model \[32, 16, 4, 4\]/);
  });
});
