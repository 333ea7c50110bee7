// What a trained model does with a data set's images, for `render` and `serve`: the library's
// Inference (packages/model, shared with the viewer's in-browser decoder) over images rendered on
// the host — dSprites (64×64) unless `images` names another source, such as a pair run's data set
// (server/pairs.ts, 32×32). Images come back as flat Float32Arrays; `decode`, `reconstruct` and
// `recombine` clamp them to [0, 1], the rest are raw (errors are measured on raw decodes).
//
// A learned z (MAGANet's transformation from a pivot, z = μ(E(x)) − μ(E(pivot)), with
// D(z, pivot) = f⁻¹(f(ℓ(pivot)) + M z), so D(0, pivot) = pivot exactly; a VAE's μ(E(x)), its
// decoder ignoring pivots) or a known g (an angle or a step of C_n acting on the pivot's latent):
// each model says which through its traits.
import { dsprites, Inference, type GroupLawResult, type ImageSource, type Model, type TraversalResult } from '@maga/model';

export const IMAGE = 64;
export const PIXELS = IMAGE * IMAGE;

/** The pivot a MAGANet run uses by default: the blog's fixed pivot (a heart). */
export const DEFAULT_PIVOT = dsprites.FIXED_PIVOT.index;

export const DSPRITES_IMAGES: ImageSource = { shape: [1, IMAGE, IMAGE], render: (indices) => dsprites.renderBatch(indices) };

/** Decoded pixels can overshoot [0, 1] by about ε of the pixel squashing; images are clamped. */
export const clamp01 = (pixels: Float32Array) => pixels.map((v) => Math.min(1, Math.max(0, v)));

/** Runs `f` with an Inference over `images` (dSprites by default) for `model`, freeing its cached pivot afterwards. */
async function using<R>(model: Model, f: (inference: Inference) => Promise<R>, images: ImageSource = DSPRITES_IMAGES): Promise<R> {
  const inference = new Inference(model, images);
  try {
    return await f(inference);
  } finally {
    inference.dispose();
  }
}

/** The encoder's output for each image: μ and (for a Gaussian encoder) log σ², [n·dim] each. */
export const encode = (model: Model, indices: ArrayLike<number>, images?: ImageSource) => using(model, (i) => i.encode(Array.from(indices)), images);

/** Each image's code z, [n·codeDim]: MAGANet's transformation from `pivot` (its mean), the VAE's μ. */
export const codes = (model: Model, pivot: number, indices: ArrayLike<number>, images?: ImageSource) => using(model, (i) => i.codes(pivot, Array.from(indices)), images);

/** D(z, pivot) for each row of z ([n·codeDim]), in pixels clamped to [0, 1]: [n·pixels]. */
export const decode = async (model: Model, pivot: number, z: Float32Array, images?: ImageSource) => clamp01(await using(model, (i) => i.decode(pivot, z), images));

/** Deterministic reconstructions of `indices` (z = the code's mean) and their codes. */
export async function reconstruct(model: Model, pivot: number, indices: ArrayLike<number>, images?: ImageSource): Promise<{ z: Float32Array; images: Float32Array }> {
  const r = await using(model, (i) => i.reconstruct(pivot, Array.from(indices)), images);
  return { z: r.z, images: clamp01(r.images) };
}

export type Traversal = TraversalResult;

/** Sweeps each of `components` over `steps` values within ±range of its value, the others fixed. */
export async function traverse(model: Model, pivot: number, index: number, range: number, steps: number, components: number[], images?: ImageSource): Promise<Traversal> {
  const t = await using(model, (i) => i.traverse(pivot, index, range, steps, components), images);
  return { ...t, images: t.images.map((row) => row.map(clamp01)) };
}

/** D(z, x) for one code z ([codeDim]) and each of `pivots` as x, unclamped. */
export const actOn = (model: Model, z: Float32Array, pivots: number[], images?: ImageSource) => using(model, (i) => i.decodeEach(pivots, z), images);

/** The transformation of the pair (pivot → varying) carried over to each target (see Inference.transfer). */
export async function recombine(model: Model, source: { pivot: number; varying: number }, targets: number[], images?: ImageSource): Promise<{ z: Float32Array; images: Float32Array }> {
  const r = await using(model, (i) => i.transfer(source, targets), images);
  return { z: r.z, images: clamp01(r.images) };
}

export interface GroupLaws {
  identity: { input: Float32Array; output: Float32Array; maxError: number };
  composition: { sequential: Float32Array; combined: Float32Array; maxError: number };
  inverse: { roundTrip: Float32Array; maxError: number };
}

/** D(e, x) vs x; D(z₂, D(z₁, x)) vs D(z₂·z₁, x); D(z₁⁻¹, D(z₁, x)) vs x, on the device in float32. */
export async function groupLaws(model: Model, pivot: number, z1: Float32Array, z2: Float32Array, images?: ImageSource): Promise<GroupLaws> {
  const l: GroupLawResult = await using(model, (i) => i.groupLaws(pivot, z1, z2), images);
  return {
    identity: { input: l.input, output: l.identity, maxError: l.identityError },
    composition: { sequential: l.sequential, combined: l.combined, maxError: l.compositionError },
    inverse: { roundTrip: l.roundTrip, maxError: l.inverseError },
  };
}

/**
 * The recombination's swap for each pair (a, b): decoded from a's invariant part with b's varying
 * part (aWithB), and from b's invariant part with a's varying part (bWithA), clamped.
 */
export async function swap(model: Model, pairs: (readonly [number, number])[], images?: ImageSource): Promise<{ aWithB: Float32Array; bWithA: Float32Array }> {
  const r = await using(model, (i) => i.swap(pairs), images);
  return { aWithB: clamp01(r.aWithB), bWithA: clamp01(r.bWithA) };
}
