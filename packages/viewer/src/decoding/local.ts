// Decoding in the browser: the run's checkpoint is loaded into the same model code the server
// runs (packages/model on packages/tensor), on the browser's WebGPU device. This module is
// imported lazily so that the tensor and model packages load only when they are used.
import * as T from '@maga/tensor';
import { Maganet, createModel, dsprites, loadModule, logitsToPixels, parseModelConfig, type Model, type ModelConfig } from '@maga/model';
import { modelConfigCandidates } from '../lib/config.ts';
import { maxAbsDiff, type Img } from '../lib/images.ts';
import { adapterName, traversalCodes, type Decoder } from './decoder.ts';

const SIZE = 64;

function parseConfig(config: unknown): ModelConfig {
  let firstError: unknown = null;
  for (const candidate of modelConfigCandidates(config)) {
    try {
      return parseModelConfig(candidate);
    } catch (e) {
      firstError ??= e;
    }
  }
  throw firstError instanceof Error ? firstError : new Error('the run has no model configuration');
}

/** Decoded pixels overshoot [0, 1] by up to about ε of the pixel squashing; images, as the API's, are clamped. */
const clamp01 = (img: Img): Img => ({ ...img, pixels: img.pixels.map((v) => Math.min(1, Math.max(0, v))) });

async function toImages(pixels: T.Tensor): Promise<Img[]> {
  const n = pixels.shape[0];
  const data = await pixels.data();
  return Array.from({ length: n }, (_, i) => ({ width: SIZE, height: SIZE, pixels: data.slice(i * SIZE * SIZE, (i + 1) * SIZE * SIZE) }));
}

/** Dataset images rendered here, as a [n, 1, 64, 64] tensor. */
function images(indices: readonly number[]): T.Tensor {
  return T.tensor(dsprites.renderBatch(indices), [indices.length, 1, SIZE, SIZE]);
}

/** Runs `f` without a tape, frees its intermediates and reads its result back (unclamped). */
async function computeRaw(f: () => T.Tensor): Promise<Img[]> {
  const out = T.noGrad(() => T.tidy(f));
  try {
    return await toImages(out);
  } finally {
    out.dispose();
  }
}

const compute = async (f: () => T.Tensor): Promise<Img[]> => (await computeRaw(f)).map(clamp01);

async function vectors(f: () => T.Tensor): Promise<number[][]> {
  const out = T.noGrad(() => T.tidy(f));
  try {
    const data = await out.data();
    const [n, d] = out.shape;
    return Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * d, (i + 1) * d)));
  } finally {
    out.dispose();
  }
}

export interface LocalOptions {
  config: unknown;
  checkpoint: Uint8Array;
  onStage?: (stage: string) => void;
}

/** Builds the model from the run's config and checkpoint on the browser's WebGPU device. Throws when that is not possible. */
export async function localDecoder(options: LocalOptions): Promise<Decoder> {
  options.onStage?.('starting WebGPU');
  const backend = await T.init({ backend: 'webgpu', quiet: true });
  if (!(backend instanceof T.WebGpuBackend)) throw new Error('no WebGPU adapter');
  const name = adapterName(backend.adapterInfo);
  options.onStage?.('building the model');
  const config = parseConfig(options.config);
  const model: Model = await createModel(config, 0);
  try {
    loadModule(model, options.checkpoint);
  } catch (e) {
    model.dispose();
    throw e;
  }

  // MAGANet's flow latent f(ℓ(pivot)) is the same for every z: keep the last pivot's so a slider
  // drag runs only f⁻¹(u + M·z).
  let pivotCache: { index: number; latent: T.Tensor } | null = null;
  const pivotLatent = (maganet: Maganet, index: number): T.Tensor => {
    if (pivotCache?.index !== index) {
      pivotCache?.latent.dispose();
      const latent = T.keep(T.noGrad(() => T.tidy(() => maganet.decoder.flowLatent(images([index])))));
      pivotCache = { index, latent };
    }
    return pivotCache.latent;
  };

  /** D(z, pivot) as a tensor; pivots: one index (broadcast) or one per z. */
  const decodeTensor = (zs: T.Tensor, pivots: number[]): T.Tensor => {
    if (model instanceof Maganet) {
      const u = pivots.length === 1 ? pivotLatent(model, pivots[0]) : model.decoder.flowLatent(images(pivots));
      return logitsToPixels(model.decoder.flow.inverse(model.decoder.action.act(zs, u)), model.config.epsilon);
    }
    return model.decode(zs);
  };

  const codes = (pivot: number, varying: number[]): Promise<number[][]> =>
    vectors(() => (model instanceof Maganet ? model.transformation(images([pivot]), images(varying)).mu : model.encode(images(varying)).mu));

  const decode = (zs: number[][], pivot: number) => compute(() => decodeTensor(T.tensor(zs.flat(), [zs.length, config.latentDim]), [pivot]));

  const decoder: Decoder = {
    kind: 'webgpu',
    label: `decoding on WebGPU (${name})`,
    model: config.model,
    latentDim: config.latentDim,
    async code(pivot, varying) {
      const [z] = await codes(pivot, [varying]);
      const [image] = await decode([z], pivot);
      return { z, image };
    },
    decode,
    async traverse(pivot, varying, range, steps) {
      const [z] = await codes(pivot, [varying]);
      const grid = traversalCodes(z, range, steps);
      const flat = await decode(grid.codes, pivot);
      return { z, values: grid.values, images: grid.values.map((_, i) => flat.slice(i * steps, (i + 1) * steps)) };
    },
    async transfer(source, targets) {
      if (model instanceof Maganet) {
        const [z] = await codes(source.pivot, [source.varying]);
        const out = await compute(() => decodeTensor(T.tensor(targets.flatMap(() => z), [targets.length, config.latentDim]), targets));
        return { z, images: out };
      }
      const mu = await vectors(() => model.encode(images([source.pivot, source.varying, ...targets])).mu);
      const z = mu[1].map((v, k) => v - mu[0][k]);
      return { z, images: await decode(mu.slice(2).map((m) => m.map((v, k) => v + z[k])), source.pivot) };
    },
    groupLaws:
      model instanceof Maganet
        ? async (pivot, z1, z2) => {
            const m = model as Maganet;
            const d = config.latentDim;
            const x = images([pivot]);
            // Errors on the raw decodes (as the server measures them); the images shown are clamped.
            const [input, identity, sequential, combined, roundTrip] = await computeRaw(() => {
              const laws = m.groupLaws(x, T.tensor(z1, [1, d]), T.tensor(z2, [1, d]));
              return T.concat([laws.input, laws.identity, laws.sequential, laws.combined, laws.roundTrip], 0);
            });
            x.dispose();
            return {
              input: clamp01(input),
              identity: clamp01(identity),
              identityError: maxAbsDiff(identity, input),
              sequential: clamp01(sequential),
              combined: clamp01(combined),
              compositionError: maxAbsDiff(sequential, combined),
              roundTrip: clamp01(roundTrip),
              inverseError: maxAbsDiff(roundTrip, input),
            };
          }
        : undefined,
    dispose() {
      pivotCache?.latent.dispose();
      pivotCache = null;
      model.dispose();
    },
  };

  // Compile the decode's kernels now (the first dispatch of each pipeline is slow on software
  // adapters), so the first slider move is as quick as the rest.
  options.onStage?.('compiling kernels');
  await decoder.code(0, 1);
  return decoder;
}
