// One training step per model, evaluation on a split's images, and reconstructions: the
// functions the CLI and the server call. Loss terms come back by name as device scalars, so a
// caller reads them only when it wants to (every N steps).
import * as T from '@maga/tensor';
import { FIXED_PIVOT, renderBatch } from './data/dsprites.ts';
import type { PairDataset } from './data/pair-set.ts';
import { Sampler, type PivotMode } from './data/sampler.ts';
import type { SplitName, SplitPart } from './data/splits.ts';
import { bceSum, bceWithLogitsSum, msSsim, mse, psnr, ssim } from './metrics.ts';
import { checkElements, elementSize, groupName, isIdentityElement, type GroupConfig } from './groups/registry.ts';
import type { Batch, GroupPairBatch, LossTerms, Model, PairBatch, TrainingBatch } from './models/model.ts';
import type { DataParallel } from './parallel.ts';

const IMAGE = 64;

export type { Batch };

/** How a dSprites sampler draws pivots for the model. */
export function pivotMode(model: Model): PivotMode {
  return model.pivots;
}

/** Renders and uploads a batch of indices. */
export function uploadBatch(pivot: ArrayLike<number>, varying: ArrayLike<number>): Batch {
  return {
    pivot: pivot.length > 0 ? T.tensor(renderBatch(pivot), [pivot.length, 1, IMAGE, IMAGE]) : null,
    varying: T.tensor(renderBatch(varying), [varying.length, 1, IMAGE, IMAGE]),
  };
}

/**
 * Uploads a host batch of pairs (x, g·x, g) of images shaped [channels, height, width], checking
 * its sizes and that each g is an element of `group` (the model's: an error names the bad one).
 * g holds elementSize(group) numbers per pair and goes up as [N] (SO(2), C_n) or [N, 4] (SO(3)).
 */
export function uploadPairs(batch: GroupPairBatch, shape: readonly [number, number, number], group: GroupConfig): PairBatch {
  const [c, h, w] = shape;
  const n = batch.size;
  const k = elementSize(group);
  for (const [name, values, size] of [['x', batch.x, n * c * h * w], ['gx', batch.gx, n * c * h * w], ['g', batch.g, n * k]] as const) {
    const per = name === 'g' ? `${k === 1 ? 'one number' : `${k} numbers`} per ${groupName(group)} element` : `${c}×${h}×${w} images`;
    if (values.length !== size) throw new Error(`pair batch: ${name} holds ${values.length} values, expected ${size} for ${n} pairs of ${per}`);
  }
  checkElements(group, batch.g, `pair batch for ${groupName(group)}`);
  return { x: T.tensor(batch.x, [n, c, h, w]), gx: T.tensor(batch.gx, [n, c, h, w]), g: T.tensor(batch.g, k === 1 ? [n] : [n, k]) };
}

/** The loss and its terms for a batch (averaged per image), with fresh noise where the model needs it. */
export function lossTerms(model: Model, batch: TrainingBatch, rng: T.Rng): LossTerms {
  return model.lossTerms(batch, rng);
}

/**
 * One optimisation step: loss, backward, clipped update. Returns the loss terms as device scalars
 * that outlive the step's scope (the caller disposes them). With `parallel` (DataParallel for this
 * model) the batch's shards are computed on its threads, to the same losses within float32
 * reduction order.
 */
export function trainStep(model: Model, batch: TrainingBatch, optimizer: T.Optimizer, rng: T.Rng, parallel: DataParallel | null = null): Record<string, T.Tensor> {
  if (parallel) {
    if (parallel.model !== model) throw new Error('trainStep: the DataParallel given was made for another model');
    return T.tidy(() => parallel.trainStep(batch, optimizer, rng));
  }
  return T.tidy(() => {
    const terms = lossTerms(model, batch, rng);
    T.backward(terms.loss);
    optimizer.update();
    optimizer.zeroGrad();
    return terms;
  });
}

/** Deterministic logits of what the model is trained to output (z = μ): the varying images, or g·x. */
export function reconstructLogits(model: Model, batch: TrainingBatch, parallel: DataParallel | null = null): T.Tensor {
  if (parallel) {
    if (parallel.model !== model) throw new Error('reconstructLogits: the DataParallel given was made for another model');
    return T.noGrad(() => T.tidy(() => parallel.predictLogits(batch)));
  }
  return T.noGrad(() => T.tidy(() => model.predictLogits(batch)));
}

function dspritesOnly(model: Model, what: string): void {
  if (model.traits.batch !== 'dsprites') throw new Error(`${what}: evaluates on dSprites, and a ${model.traits.label} model trains on pairs (x, g·x) of another data set`);
}

/** What every evaluation takes beside its data. */
interface EvaluationRun {
  batchSize?: number;
  seed?: number;
  /** Called after each batch with the number of images (or pairs) done. */
  onProgress?: (done: number, total: number) => void;
  /** Shards each batch's reconstruction over DataParallel's threads. */
  parallel?: DataParallel | null;
}

export interface EvalOptions extends EvaluationRun {
  split: SplitName;
  part: SplitPart;
  /** Number of images evaluated (a fixed, seeded sample of the part; all of it when larger). */
  count: number;
}

export interface EvalMetrics {
  images: number;
  /** Per image: BCE summed over pixels, mean squared error, PSNR (dB, capped at 100), SSIM. */
  bce: number;
  mse: number;
  psnr: number;
  ssim: number;
  /** Colour pair runs only: MS-SSIM (metrics.msSsim, averaged over the channels). */
  msssim?: number;
}

/** The images an evaluation uses: indices of varying images and their pivots. */
export function evalIndices(model: Model, options: EvalOptions): { pivot: Int32Array; varying: Int32Array } {
  dspritesOnly(model, 'evalIndices');
  const seed = options.seed ?? 0;
  const sampler = new Sampler({ split: options.split, part: options.part, batchSize: 1, pivots: 'none', seed });
  const count = Math.min(options.count, sampler.epochSize);
  const varying = new Int32Array(count);
  for (let i = 0; i < count; i++) varying[i] = sampler.next().varying[0];
  const mode = pivotMode(model);
  let pivot = new Int32Array(0);
  if (mode === 'fixed') pivot = Int32Array.of(FIXED_PIVOT.index);
  else if (mode === 'random') {
    // Random pivots come from the training part, as in training.
    const pivots = new Sampler({ split: options.split, part: 'train', batchSize: 1, pivots: 'none', seed: seed + 1 });
    pivot = Int32Array.from({ length: count }, () => pivots.next().varying[0]);
  }
  return { pivot, varying };
}

/** Reconstruction probabilities σ(logits) of the given images, [n·64·64] on the host. */
export async function reconstructions(model: Model, pivot: Int32Array, varying: Int32Array, batchSize = 64): Promise<Float32Array> {
  const out = new Float32Array(varying.length * IMAGE * IMAGE);
  for (let start = 0; start < varying.length; start += batchSize) {
    const v = varying.subarray(start, start + batchSize);
    const p = pivot.length <= 1 ? pivot : pivot.subarray(start, start + batchSize);
    const probs = T.tidy(() => T.sigmoid(reconstructLogits(model, uploadBatch(p, v))));
    out.set(await probs.data(), start * IMAGE * IMAGE);
    probs.dispose();
  }
  return out;
}

/** Metrics of deterministic reconstructions on a sample of a split's part. */
export async function evaluate(model: Model, options: EvalOptions): Promise<EvalMetrics> {
  const { pivot, varying } = evalIndices(model, options);
  const batchSize = options.batchSize ?? 64;
  const totals = { bce: 0, mse: 0, psnr: 0, ssim: 0 };
  for (let start = 0; start < varying.length; start += batchSize) {
    const v = varying.subarray(start, start + batchSize);
    const p = pivot.length <= 1 ? pivot : pivot.subarray(start, start + batchSize);
    const logitsTensor = T.tidy(() => reconstructLogits(model, uploadBatch(p, v), options.parallel));
    const logits = await logitsTensor.data();
    logitsTensor.dispose();
    const targets = renderBatch(v);
    for (let i = 0; i < v.length; i++) {
      const l = logits.subarray(i * IMAGE * IMAGE, (i + 1) * IMAGE * IMAGE);
      const t = targets.subarray(i * IMAGE * IMAGE, (i + 1) * IMAGE * IMAGE);
      const probs = l.map((x) => 1 / (1 + Math.exp(-x)));
      totals.bce += bceWithLogitsSum(l, t);
      totals.mse += mse(probs, t);
      totals.psnr += Math.min(100, psnr(probs, t));
      totals.ssim += ssim(probs, t, IMAGE, IMAGE);
    }
    options.onProgress?.(Math.min(start + batchSize, varying.length), varying.length);
  }
  const n = varying.length;
  return { images: n, bce: totals.bce / n, mse: totals.mse / n, psnr: totals.psnr / n, ssim: totals.ssim / n };
}

export interface PairEvalOptions extends EvaluationRun {
  part: SplitPart;
  /** Pairs evaluated: a fixed, seeded set (evaluationSet), g stratified over the buckets. */
  count: number;
}

/**
 * Metrics of a subset of the pairs (one bucket of g, or the pairs with g ≠ e): per-image means of
 * MSE, PSNR (dB, each capped at 100) and SSIM, and `psnrSet`, the PSNR of the subset as a whole,
 * 10·log10(1/MSE) with MSE the mean over all its pixels — which, unlike the mean of per-image dB,
 * no bucket of near-exact images (a flow at g = e, 62.8 dB) can dominate.
 */
export interface BucketMetrics {
  name: string;
  images: number;
  mse: number;
  psnrSet: number;
  psnr: number;
  ssim: number;
  /** Colour pair runs only. */
  msssim?: number;
}

export interface PairEvalMetrics extends EvalMetrics {
  /** The headline: PSNR of the whole set from its mean MSE (every image has the same pixels, so the mean of per-image MSEs). */
  psnrSet: number;
  /** The pairs whose g is not the identity (under SO(2) all of them: g = e has probability 0). */
  notIdentity: BucketMetrics;
  buckets: BucketMetrics[];
}

/** PSNR (dB) of a mean squared error of pixels in [0, 1]: 10·log10(1/MSE), capped at 100 like the per-image one. */
export const psnrOfMse = (mse: number) => (mse > 0 ? Math.min(100, 10 * Math.log10(1 / mse)) : 100);

export { isIdentityElement } from './groups/registry.ts';

/**
 * Metrics of D(g, x) against g·x on a fixed, seeded set of pairs of `dataset` (the model sees only x
 * and g, never g·x): overall, for the pairs with g ≠ e, and per bucket of g.
 */
export async function evaluatePairs(model: Model, dataset: PairDataset, group: GroupConfig, options: PairEvalOptions): Promise<PairEvalMetrics> {
  if (model.traits.batch !== 'group-pairs') throw new Error(`evaluatePairs: a ${model.traits.label} model trains on dSprites images, not on pairs (x, g·x)`);
  const set = dataset.evaluationSet({ pairs: options.count, seed: options.seed ?? 0, part: options.part });
  const [c, h, w] = dataset.imageShape;
  const pixels = c * h * w;
  const k = elementSize(group);
  const batchSize = options.batchSize ?? 64;
  // MS-SSIM for colour images (the 3-D sets, the perceptual stand-in docs/objects3d.md describes).
  const colour = c === 3;
  const sums = (name: string) => ({ name, images: 0, bce: 0, mse: 0, psnr: 0, ssim: 0, msssim: 0 });
  const all = sums('all');
  const moved = sums('g ≠ e');
  const buckets = set.bucketNames.map(sums);
  for (let start = 0; start < set.specs.length; start += batchSize) {
    const host = dataset.renderPairs(set.specs.slice(start, start + batchSize));
    const batch = uploadPairs(host, dataset.imageShape, group);
    const probs = await predictPixels(model, batch, options.parallel ?? null);
    for (const t of [batch.x, batch.gx, batch.g]) t.dispose();
    for (let i = 0; i < host.size; i++) {
      const p = probs.pixels.subarray(i * pixels, (i + 1) * pixels);
      const t = host.gx.subarray(i * pixels, (i + 1) * pixels);
      const bce = probs.logits ? bceWithLogitsSum(probs.logits.subarray(i * pixels, (i + 1) * pixels), t) : bceSum(p, t);
      const m = { bce, mse: mse(p, t), psnr: Math.min(100, psnr(p, t)), ssim: perChannel(ssim, p, t, c, h, w), msssim: colour ? perChannel(msSsim, p, t, c, h, w) : 0 };
      const into = [all, buckets[set.buckets[start + i]]];
      if (!isIdentityElement(group, host.g.subarray(i * k, (i + 1) * k))) into.push(moved);
      for (const b of into) {
        b.images++;
        b.bce += m.bce;
        b.mse += m.mse;
        b.psnr += m.psnr;
        b.ssim += m.ssim;
        b.msssim += m.msssim;
      }
    }
    options.onProgress?.(Math.min(start + batchSize, set.specs.length), set.specs.length);
  }
  const mean = ({ bce: _bce, msssim, ...b }: ReturnType<typeof sums>): BucketMetrics => {
    const n = b.images;
    const out = n ? { ...b, mse: b.mse / n, psnrSet: psnrOfMse(b.mse / n), psnr: b.psnr / n, ssim: b.ssim / n } : { ...b, psnrSet: 0 };
    return colour ? { ...out, msssim: n ? msssim / n : 0 } : out;
  };
  const overall = mean(all);
  const n = all.images;
  return {
    images: n,
    bce: all.bce / n,
    mse: overall.mse,
    psnr: overall.psnr,
    ssim: overall.ssim,
    ...(colour ? { msssim: overall.msssim } : {}),
    psnrSet: overall.psnrSet,
    notIdentity: mean(moved),
    buckets: buckets.map(mean),
  };
}

/**
 * What a pair model predicts for a batch, on the host: pixels in [0, 1], and the logits where the
 * model has them (Bernoulli decoders; models that output pixels directly — rotate-x, winter — have
 * none, and their BCE is taken from the pixels, clamped to [1e-7, 1 − 1e-7]).
 */
export async function predictPixels(model: Model, batch: PairBatch, parallel: DataParallel | null = null): Promise<{ pixels: Float32Array; logits: Float32Array | null }> {
  if (model.predictPixels) {
    const out = T.noGrad(() => T.tidy(() => model.predictPixels!(batch)));
    const pixels = (await out.data()) as Float32Array;
    out.dispose();
    return { pixels: Float32Array.from(pixels), logits: null };
  }
  const logitsTensor = T.tidy(() => reconstructLogits(model, batch, parallel));
  const logits = Float32Array.from(await logitsTensor.data());
  logitsTensor.dispose();
  return { pixels: logits.map((x) => 1 / (1 + Math.exp(-x))), logits };
}

type ImageMetric = (a: Float32Array, b: Float32Array, width: number, height: number) => number;

/** A single-channel metric averaged over an image's channels. */
function perChannel(metric: ImageMetric, a: Float32Array, b: Float32Array, channels: number, height: number, width: number): number {
  let total = 0;
  for (let ch = 0; ch < channels; ch++) {
    const range = [ch * height * width, (ch + 1) * height * width] as const;
    total += metric(a.subarray(...range), b.subarray(...range), width, height);
  }
  return total / channels;
}

/** The blog's "to-diff": BCE per image between two models' reconstructions of the same images. */
export function reconstructionDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`to-diff: reconstructions differ in size (${a.length} vs ${b.length})`);
  const n = a.length / (IMAGE * IMAGE);
  let total = 0;
  const eps = 1e-7;
  for (let i = 0; i < a.length; i++) {
    const p = Math.min(1 - eps, Math.max(eps, b[i]));
    total -= a[i] * Math.log(p) + (1 - a[i]) * Math.log(1 - p);
  }
  return total / n;
}
