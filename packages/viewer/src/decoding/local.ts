// Decoding in the browser: the run's checkpoint is loaded into the same model code the server
// runs (packages/model on packages/tensor), on the browser's WebGPU device, and answered by the
// same trained-model operations (packages/model's Inference). This module is imported lazily so
// that the tensor and model packages load only when they are used.
import * as T from '@maga/tensor';
import { Inference, createModel, dsprites, loadModule, parseModelConfig, type Model, type ModelConfig } from '@maga/model';
import { modelConfigCandidates } from '../lib/config.ts';
import type { Img } from '../lib/images.ts';
import { adapterName, type Decoder } from './decoder.ts';

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

/** Flat pixels of n images as Img, raw. */
function toImages(data: Float32Array): Img[] {
  const n = data.length / (SIZE * SIZE);
  return Array.from({ length: n }, (_, i) => ({ width: SIZE, height: SIZE, pixels: data.slice(i * SIZE * SIZE, (i + 1) * SIZE * SIZE) }));
}

const shown = (data: Float32Array): Img[] => toImages(data).map(clamp01);


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

  // Inference keeps the decoder fixed to the last pivot (MAGANet's flow latent f(ℓ(pivot)) is the
  // same for every z), so a slider drag runs only f⁻¹(u + M·z).
  const inference = new Inference(model, { shape: [config.channels, SIZE, SIZE], render: (indices) => dsprites.renderBatch(indices) });
  const d = inference.codeDim;
  const decode = async (zs: number[][], pivot: number) => shown(await inference.decode(pivot, Float32Array.from(zs.flat())));

  const decoder: Decoder = {
    kind: 'webgpu',
    label: `decoding on WebGPU (${name})`,
    model: config.model,
    traits: model.traits,
    latentDim: d,
    async code(pivot, varying) {
      const { z, images } = await inference.reconstruct(pivot, [varying]);
      return { z: Array.from(z), image: shown(images)[0] };
    },
    decode,
    async traverse(pivot, varying, range, steps) {
      const t = await inference.traverse(pivot, varying, range, steps, Array.from({ length: d }, (_, c) => c));
      return { z: Array.from(t.z), values: t.values, images: t.images.map((row) => row.map((image) => shown(image)[0])) };
    },
    async transfer(source, targets) {
      const { z, images } = await inference.transfer(source, targets);
      return { z: Array.from(z), images: shown(images) };
    },
    groupLaws: model.traits.groupLaws
      ? async (pivot, z1, z2) => {
          // Errors on the raw decodes (as the server measures them); the images shown are clamped.
          const l = await inference.groupLaws(pivot, Float32Array.from(z1), Float32Array.from(z2));
          const [input, identity, sequential, combined, roundTrip] = [l.input, l.identity, l.sequential, l.combined, l.roundTrip].map((p) => shown(p)[0]);
          return { input, identity, identityError: l.identityError, sequential, combined, compositionError: l.compositionError, roundTrip, inverseError: l.inverseError };
        }
      : undefined,
    dispose() {
      inference.dispose();
      model.dispose();
    },
  };

  // Compile the decode's kernels now (the first dispatch of each pipeline is slow on software
  // adapters), so the first slider move is as quick as the rest.
  options.onStage?.('compiling kernels');
  await decoder.code(0, 1);
  return decoder;
}
