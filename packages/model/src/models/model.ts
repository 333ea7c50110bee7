// The one interface every model implements, and the batches they train on. The CLI, the server
// and the viewer use a model only through this (and the registry's entry for its kind), so a new
// model is its own files plus one registry entry.
//
// Two kinds of group element reach a decoder: a *learned* z, which the encoder infers from images
// (MAGANet's transformation from a pivot, a VAE's code), and a *known* g, which comes with the
// data (the angle or the cyclic step of a pair (x, g·x), Jin et al.). Either way the decoder takes
// rows of `codeDim` numbers, D(z, x) with x the image acted on (the pivot), or D(z) alone.
import type * as T from '@maga/tensor';
import type { PivotMode } from '../data/sampler.ts';
import type { Module } from '../nn/module.ts';

/** What a model is, as the CLI, the server's API and the viewer need to know without loading it. */
export interface ModelTraits {
  /** The model's name in prose, e.g. "MAGANet". */
  label: string;
  /** 'learned': z is inferred by the encoder; 'known': the group element g comes with the data. */
  element: 'learned' | 'known';
  /** Whether the decoder acts on an image, D(z, x), rather than decoding a code alone, D(z). */
  pivot: boolean;
  /**
   * How one pair's transformation carries over to other images: 'action', D(z, target); the
   * latent arithmetic 'arithmetic', D(μ(target) + μ(varying) − μ(pivot)); or 'none'.
   */
  transfer: 'action' | 'arithmetic' | 'none';
  /** Whether the decoder has group laws to show (identity, composition, inverse). */
  groupLaws: boolean;
  /**
   * Where those laws hold exactly, so that a viewer states them truly: 'flow', chained in ℓ-space
   * through an invertible flow, exact but for the flow's float32 round trip f(f⁻¹(v)) (to ≈ 1e-3
   * in pixels, 1e-12 in float64: docs/group-laws.md); 'latent', exact on the latent, where ρ is a
   * representation, while the images compared pass through the decoder and, for a chained action,
   * the encoder again (they measure reconstruction, not ρ); 'pixels', the action is an operation on
   * the images themselves with no latent (rotate-x's turn of the pixels, copy-x's copy): the laws
   * are that operation's, exact where it is (copying, quarter turns) and otherwise off by its
   * resampling; null without group laws.
   */
  lawsHold: 'flow' | 'latent' | 'pixels' | null;
  /** Whether the latent has an invariant and a varying part (the recombination's swap). */
  latentParts: boolean;
  /** The batches it trains on: dSprites images (with pivots or not), or pairs (x, g·x) with g known. */
  batch: 'dsprites' | 'group-pairs';
}

/**
 * The traits of a model of a known group trained on pairs (x, g·x, g): the decoder acts on x and has
 * group laws to show, and nothing transfers to other images.
 */
export function knownGroupTraits(label: string, { latentParts, lawsHold }: Pick<ModelTraits, 'latentParts' | 'lawsHold'>): ModelTraits {
  return { label, element: 'known', pivot: true, transfer: 'none', groupLaws: true, lawsHold, latentParts, batch: 'group-pairs' };
}

/** The data a model's batches come from, in words, by ModelTraits.batch (messages). */
export const BATCH_DATA: Readonly<Record<ModelTraits['batch'], string>> = Object.freeze({ dsprites: 'dsprites', 'group-pairs': 'a pair data set' });

/** A dSprites batch on the device: the varying images, and for pivot models the pivots (1 or N). */
export interface Batch {
  pivot: T.Tensor | null;
  varying: T.Tensor;
}

/**
 * A batch of pairs on the host, as the pair sampler of the rotated-MNIST and contrast data sets
 * gives it: x and g·x [B·C·H·W] each, and g [B] (an angle in radians for SO(2), an integer
 * j ∈ [0, n) for C_n).
 */
export interface GroupPairBatch {
  size: number;
  x: Float32Array;
  gx: Float32Array;
  g: Float32Array;
  factors?: unknown;
}

/** A batch of pairs on the device: x, g·x [B, C, H, W] and g [B]. */
export interface PairBatch {
  x: T.Tensor;
  gx: T.Tensor;
  g: T.Tensor;
}

export type TrainingBatch = Batch | PairBatch;

export const isPairBatch = (batch: TrainingBatch): batch is PairBatch => 'gx' in batch;

/** The loss (what is minimised) and its named terms, scalars averaged per image. */
export type LossTerms = { loss: T.Tensor } & Record<string, T.Tensor>;

/** The encoder's output for images: a Gaussian (μ, log σ²), or a deterministic latent (logVar null). */
export interface Encoding {
  mu: T.Tensor;
  logVar: T.Tensor | null;
}

/** The decoder fixed to one pivot (or none), so that many codes decode without redoing the pivot's work. */
export interface PreparedDecoder {
  /** Pixels [N, C, H, W] of D(z, pivot) for codes z [N, codeDim] (a pivot of 1 image broadcasts). */
  decode(z: T.Tensor): T.Tensor;
  dispose(): void;
}

/** The group laws on a pivot, as pixel images to compare (see each model). */
export interface GroupLawImages {
  input: T.Tensor;
  identity: T.Tensor;
  sequential: T.Tensor;
  combined: T.Tensor;
  roundTrip: T.Tensor;
}

/**
 * The group laws measured through a model's own encoder and decoder: D(e, x) against x,
 * D(g₂, E(D(g₁, x))) against D(g₂g₁, x), and D(g₁⁻¹, E(D(g₁, x))) against x, with the law's
 * identity, composition and inverse. Encoding a decoded image again is what makes them measured,
 * not assumed.
 */
export function measuredGroupLaws<Code>(
  law: { identity(n: number): T.Tensor; compose(a: T.Tensor, b: T.Tensor): T.Tensor; inverse(a: T.Tensor): T.Tensor },
  pivot: T.Tensor,
  g1: T.Tensor,
  g2: T.Tensor,
  encode: (x: T.Tensor) => Code,
  decode: (g: T.Tensor, code: Code) => T.Tensor,
): GroupLawImages {
  const code = encode(pivot);
  const once = decode(g1, code);
  const onceCode = encode(once);
  return {
    input: pivot,
    identity: decode(law.identity(1), code),
    sequential: decode(g2, onceCode),
    combined: decode(law.compose(g2, g1), code),
    roundTrip: decode(law.inverse(g1), onceCode),
  };
}

export interface Model extends Module {
  readonly config: { model: string; imageSize: number; channels: number };
  readonly traits: ModelTraits;
  /** Numbers per code z or group element g, as the decoder takes them (rows of [N, codeDim]). */
  readonly codeDim: number;
  /** How a dSprites sampler pairs images for this model ('none': no pivots, or not a dSprites model). */
  readonly pivots: PivotMode;
  /** Data-dependent initialisation (ActNorm) from the first training batch; a no-op for most models. */
  initializeFromData(batch: TrainingBatch): void;
  /** The training loss of a batch; `rng` draws whatever noise the loss needs. */
  lossTerms(batch: TrainingBatch, rng: T.Rng): LossTerms;
  /** Deterministic logits of what the model is trained to output for the batch (the varying images, or g·x). */
  predictLogits(batch: TrainingBatch): T.Tensor;
  /**
   * Models whose output is pixels rather than Bernoulli logits (rotate-x, winter: an image turned in
   * pixel space, zero outside): the pixels in [0, 1]. Where present, evaluation uses this, not
   * σ(predictLogits), which would lose exact 0s and 1s.
   */
  predictPixels?(batch: TrainingBatch): T.Tensor;
  /** The encoder's output for images x [N, C, H, W]. */
  encode(x: T.Tensor): Encoding;
  /**
   * Each image's code [N, codeDim]: for a learned z, the transformation from `pivot` to x (or x's
   * code); for a known g, the identity (x is then the pivot it acts on).
   */
  code(x: T.Tensor, pivot: T.Tensor | null): T.Tensor;
  /** The decoder fixed to a pivot [1 or N, C, H, W] (ignored by models with `traits.pivot` false). */
  prepare(pivot: T.Tensor | null): PreparedDecoder;
  /** The group element composition of codes, for the group-laws view (when `traits.groupLaws`). */
  groupLaws?(pivot: T.Tensor, z1: T.Tensor, z2: T.Tensor): GroupLawImages;
  /** The invariant and varying sizes of `encode`'s latent (when `traits.latentParts`). */
  latentParts?(): { invariant: number; varying: number };
  /**
   * Pixels decoded from the invariant part of `invariantFrom`'s latent with the varying part of
   * `varyingFrom`'s, pairwise (when `traits.latentParts`; the recombination view's swap).
   */
  swapParts?(invariantFrom: T.Tensor, varyingFrom: T.Tensor): T.Tensor;
}

/** The batch as dSprites images, or an error naming the model that needs them. */
export function imageBatch(batch: TrainingBatch, who: string): Batch {
  if (isPairBatch(batch)) throw new Error(`${who} trains on dSprites images (pivot, varying), not on pairs (x, g·x, g)`);
  return batch;
}

/** The batch as pairs (x, g·x, g), or an error naming the model that needs them. */
export function pairBatch(batch: TrainingBatch, who: string): PairBatch {
  if (!isPairBatch(batch)) throw new Error(`${who} trains on pairs (x, g·x) with a known g, not on dSprites images (pivot, varying)`);
  return batch;
}
