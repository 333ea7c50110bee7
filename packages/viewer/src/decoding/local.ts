// Decoding in the browser: the run's checkpoint is loaded into the same model code the server
// runs (packages/model on packages/tensor), on the browser's WebGPU device, and answered by the
// same trained-model operations (packages/model's Inference). This module is imported lazily so
// that the tensor and model packages load only when they are used.
//
// Images: a run's images (dSprites, MNIST digits, contrast phantoms, the 3-D objects in colour)
// are fetched from the server's data set routes before each computation (`RunImages` below) and
// kept: the MNIST digits are not shipped to the browser, and every data set is fetched alike.
import * as T from '@maga/tensor';
import { Inference, createModel, loadModule, parseModelConfig, type Model, type ModelConfig } from '@maga/model';
import { modelConfigCandidates } from '../lib/config.ts';
import type { Img } from '../lib/images.ts';
import { adapterName, type Decoder } from './decoder.ts';

/** Images the decoder renders from: synchronously, once `ensure` has fetched what it needs. */
export interface FetchedImages {
  /** Side of the square images. */
  size: number;
  /** Pixels [channels·size·size] of each image, fetched (e.g. from `GET /api/runs/:id/dataset/images/:index`). */
  fetch(index: number): Promise<Float32Array>;
}

/** An ImageSource over fetched images: `ensure` loads indices, `render` reads them (and refuses any not loaded). */
class RunImages {
  private readonly cache = new Map<number, Float32Array>();
  readonly shape: [number, number, number];

  constructor(
    private readonly images: FetchedImages,
    channels: number,
  ) {
    this.shape = [channels, images.size, images.size];
  }

  async ensure(indices: readonly number[]): Promise<void> {
    const missing = [...new Set(indices)].filter((i) => !this.cache.has(i));
    const fetched = await Promise.all(missing.map((i) => this.images.fetch(i)));
    const pixels = this.shape[0] * this.shape[1] * this.shape[2];
    missing.forEach((i, k) => {
      if (fetched[k].length !== pixels) throw new Error(`image ${i} has ${fetched[k].length} pixels, expected ${pixels} (${this.shape.join('×')})`);
      // Up to 8 MiB of pixels (2048 grey 32×32 images, 170 colour 64×64 ones); beyond that, start over.
      if ((this.cache.size + 1) * pixels > 2 ** 21) this.cache.clear();
      this.cache.set(i, fetched[k]);
    });
  }

  render(indices: readonly number[]): Float32Array {
    const pixels = this.shape[0] * this.shape[1] * this.shape[2];
    const out = new Float32Array(indices.length * pixels);
    indices.forEach((index, i) => {
      const image = this.cache.get(index);
      if (!image) throw new Error(`image ${index} was not fetched before decoding`);
      out.set(image, i * pixels);
    });
    return out;
  }
}

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

/** Flat pixels of n square images of side `size` and `channels` planes ([n, C, size, size]) as Img, raw. */
function toImages(data: Float32Array, size: number, channels: number): Img[] {
  const values = channels * size * size;
  const n = data.length / values;
  return Array.from({ length: n }, (_, i) => {
    const pixels = data.slice(i * values, (i + 1) * values);
    return channels === 1 ? { width: size, height: size, pixels } : { width: size, height: size, channels, pixels };
  });
}


export interface LocalOptions {
  /** The run's id (the decoder says whose model it is). */
  run: string;
  config: unknown;
  checkpoint: Uint8Array;
  onStage?: (stage: string) => void;
  /** The run's images, fetched as the decoder needs them. */
  images: FetchedImages;
  /** Two images to compile the kernels on (a pivot and a varying image). */
  warmup: [number, number];
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
  const size = config.imageSize;
  if (options.images.size !== size) throw new Error(`the run's images are ${options.images.size}×${options.images.size}, its model takes ${size}×${size}`);
  const source = new RunImages(options.images, config.channels);
  const inference = new Inference(model, source);
  /** Fetches the images a computation needs (those not fetched before). */
  const ready = (indices: readonly number[]) => source.ensure(indices);
  const shown = (data: Float32Array): Img[] => toImages(data, size, config.channels).map(clamp01);
  const d = inference.codeDim;
  const decode = async (zs: number[][], pivot: number) => {
    await ready([pivot]);
    return shown(await inference.decode(pivot, Float32Array.from(zs.flat())));
  };

  // A computation in flight when the decoder is disposed (its run's page went) finishes first: the
  // model's buffers are freed after it, and later calls are refused.
  let disposed = false;
  let inFlight: Promise<unknown> = Promise.resolve();
  const guard =
    <A extends unknown[], R>(f: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      if (disposed) return Promise.reject(new Error(`the decoder of run '${options.run}' was disposed`));
      const result = f(...args);
      inFlight = Promise.allSettled([inFlight, result]);
      return result;
    };

  const decoder: Decoder = {
    run: options.run,
    kind: 'webgpu',
    label: `decoding on WebGPU (${name})`,
    model: config.model,
    traits: model.traits,
    latentDim: d,
    code: guard(async (pivot: number, varying: number) => {
      await ready([pivot, varying]);
      const { z, images } = await inference.reconstruct(pivot, [varying]);
      return { z: Array.from(z), image: shown(images)[0] };
    }),
    decode: guard(decode),
    traverse: guard(async (pivot: number, varying: number, range: number, steps: number) => {
      await ready([pivot, varying]);
      const t = await inference.traverse(pivot, varying, range, steps, Array.from({ length: d }, (_, c) => c));
      return { z: Array.from(t.z), values: t.values, images: t.images.map((row) => row.map((image) => shown(image)[0])) };
    }),
    transfer: guard(async (source: { pivot: number; varying: number }, targets: number[]) => {
      await ready([source.pivot, source.varying, ...targets]);
      const { z, images } = await inference.transfer(source, targets);
      return { z: Array.from(z), images: shown(images) };
    }),
    groupLaws: model.traits.groupLaws
      ? guard(async (pivot: number, z1: number[], z2: number[]) => {
          // Errors on the raw decodes (as the server measures them); the images shown are clamped.
          await ready([pivot]);
          const l = await inference.groupLaws(pivot, Float32Array.from(z1), Float32Array.from(z2));
          const [input, identity, sequential, combined, roundTrip] = [l.input, l.identity, l.sequential, l.combined, l.roundTrip].map((p) => shown(p)[0]);
          return { input, identity, identityError: l.identityError, sequential, combined, compositionError: l.compositionError, roundTrip, inverseError: l.inverseError };
        })
      : undefined,
    swap: model.traits.latentParts
      ? guard(async (pairsOf: [number, number][]) => {
          await ready(pairsOf.flat());
          const r = await inference.swap(pairsOf);
          return { aWithB: shown(r.aWithB), bWithA: shown(r.bWithA) };
        })
      : undefined,
    dispose() {
      if (disposed) return;
      disposed = true;
      void inFlight.then(() => {
        inference.dispose();
        model.dispose();
      });
    },
  };

  // Compile the decode's kernels now (the first dispatch of each pipeline is slow on software
  // adapters), so the first slider move is as quick as the rest.
  options.onStage?.('compiling kernels');
  await decoder.code(...options.warmup);
  return decoder;
}
