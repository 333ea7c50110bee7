// What a trained model does with dSprites images, on the host side of the device: encode them,
// reconstruct them, decode a latent applied to a pivot, sweep latent components, carry one
// pair's transformation over to other pivots, and check the group laws. `render` draws these and
// `serve` answers with them. Images come back as flat Float32Arrays of 64×64 pixels in [0, 1].
//
// MAGANet's z is the transformation from a pivot to an image, z = μ(E(x)) − μ(E(pivot)), and
// D(z, pivot) = f⁻¹(f(ℓ(pivot)) + M z) in pixel space, so D(0, pivot) = pivot exactly. A VAE's z
// is μ(E(x)) and its decoder ignores pivots.
import { dsprites, Maganet, type Model } from '@maga/model';
import * as T from '@maga/tensor';

export const IMAGE = 64;
export const PIXELS = IMAGE * IMAGE;
/** Images per device batch: bounds device memory whatever a request asks for. */
const CHUNK = 64;

/** The pivot a MAGANet run uses by default: the blog's fixed pivot (a heart). */
export const DEFAULT_PIVOT = dsprites.FIXED_PIVOT.index;

export const isMaganet = (model: Model): model is Maganet => model instanceof Maganet;

function images(indices: ArrayLike<number>): T.Tensor {
  return T.tensor(dsprites.renderBatch(indices), [indices.length, 1, IMAGE, IMAGE]);
}

/** Decoded pixels can overshoot [0, 1] by about ε of the pixel squashing; images are clamped. */
export const clamp01 = (pixels: Float32Array) => pixels.map((v) => Math.min(1, Math.max(0, v)));

async function read(t: T.Tensor): Promise<Float32Array> {
  try {
    return await t.data();
  } finally {
    t.dispose();
  }
}

/** Runs `compute` on successive chunks of `count` items and concatenates the host results. */
async function chunked(count: number, width: number, compute: (start: number, end: number) => T.Tensor): Promise<Float32Array> {
  const out = new Float32Array(count * width);
  for (let start = 0; start < count; start += CHUNK) {
    const end = Math.min(count, start + CHUNK);
    out.set(await read(T.noGrad(() => T.tidy(() => compute(start, end)))), start * width);
  }
  return out;
}

/** The encoder's Gaussian for each image: μ and log σ², [n·d] each. */
export async function encode(model: Model, indices: ArrayLike<number>): Promise<{ mu: Float32Array; logVar: Float32Array }> {
  const d = model.config.latentDim;
  const both = await chunked(indices.length, 2 * d, (start, end) => {
    const { mu, logVar } = model.encode(images(Array.from(indices).slice(start, end)));
    return T.concat([mu, logVar], 1);
  });
  const mu = new Float32Array(indices.length * d);
  const logVar = new Float32Array(indices.length * d);
  for (let i = 0; i < indices.length; i++) {
    mu.set(both.subarray(i * 2 * d, i * 2 * d + d), i * d);
    logVar.set(both.subarray(i * 2 * d + d, (i + 1) * 2 * d), i * d);
  }
  return { mu, logVar };
}

/** Each image's code z, [n·d]: MAGANet's transformation from `pivot` (its mean), the VAE's μ. */
export async function codes(model: Model, pivot: number, indices: ArrayLike<number>): Promise<Float32Array> {
  const d = model.config.latentDim;
  const list = Array.from(indices);
  return chunked(list.length, d, (start, end) => {
    const varying = images(list.slice(start, end));
    return isMaganet(model) ? model.transformation(images([pivot]), varying).mu : model.encode(varying).mu;
  });
}

/** D(z, pivot) for each row of z ([n·d]), in pixels clamped to [0, 1]: [n·64·64]. */
export async function decode(model: Model, pivot: number, z: Float32Array): Promise<Float32Array> {
  const d = model.config.latentDim;
  const n = z.length / d;
  if (!Number.isInteger(n)) throw new Error(`decode: ${z.length} values are not a whole number of ${d}-dimensional codes`);
  const out = await chunked(n, PIXELS, (start, end) => {
    const rows = T.tensor(z.subarray(start * d, end * d), [end - start, d]);
    return isMaganet(model) ? model.decode(rows, images([pivot])) : model.decode(rows);
  });
  return clamp01(out);
}

/** Deterministic reconstructions of `indices` (z = the code's mean) and their codes. */
export async function reconstruct(model: Model, pivot: number, indices: ArrayLike<number>): Promise<{ z: Float32Array; images: Float32Array }> {
  const z = await codes(model, pivot, indices);
  return { z, images: await decode(model, pivot, z) };
}

export interface Traversal {
  /** The base code of the image. */
  z: Float32Array;
  /** Per component: the swept values. */
  values: number[][];
  /** Per component, per value: the decoded image. */
  images: Float32Array[][];
}

/** Sweeps each of `components` over `steps` values within ±range of its value, the others fixed. */
export async function traverse(model: Model, pivot: number, index: number, range: number, steps: number, components: number[]): Promise<Traversal> {
  const d = model.config.latentDim;
  const z = await codes(model, pivot, [index]);
  const values = components.map((c) => Array.from({ length: steps }, (_, k) => z[c] - range + (steps === 1 ? range : (2 * range * k) / (steps - 1))));
  const rows = new Float32Array(components.length * steps * d);
  components.forEach((c, i) =>
    values[i].forEach((value, k) => {
      const row = rows.subarray((i * steps + k) * d, (i * steps + k + 1) * d);
      row.set(z);
      row[c] = value;
    }),
  );
  const decoded = await decode(model, pivot, rows);
  const grid = components.map((_, i) => Array.from({ length: steps }, (_, k) => decoded.slice((i * steps + k) * PIXELS, (i * steps + k + 1) * PIXELS)));
  return { z, values, images: grid };
}

/** D(z, x) for one code z ([d]) and each of `pivots` as x (MAGANet), unclamped. */
export async function actOn(model: Maganet, z: Float32Array, pivots: number[]): Promise<Float32Array> {
  const d = model.config.latentDim;
  return chunked(pivots.length, PIXELS, (start, end) => model.decode(T.tensor(z, [1, d]), images(pivots.slice(start, end))));
}

/** The transformation of the pair (pivot → varying) applied to each target as pivot (MAGANet). */
export async function recombine(model: Maganet, source: { pivot: number; varying: number }, targets: number[]): Promise<{ z: Float32Array; images: Float32Array }> {
  const z = await codes(model, source.pivot, [source.varying]);
  return { z, images: clamp01(await actOn(model, z, targets)) };
}

export interface GroupLaws {
  identity: { input: Float32Array; output: Float32Array; maxError: number };
  composition: { sequential: Float32Array; combined: Float32Array; maxError: number };
  inverse: { roundTrip: Float32Array; maxError: number };
}

const maxDifference = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

/** D(0, x) vs x; D(z₂, D(z₁, x)) vs D(z₁ + z₂, x); D(−z₁, D(z₁, x)) vs x, on the device in float32. */
export async function groupLaws(model: Maganet, pivot: number, z1: Float32Array, z2: Float32Array): Promise<GroupLaws> {
  const d = model.config.latentDim;
  const [input, identity, sequential, combined, roundTrip] = await Promise.all(
    T.noGrad(() =>
      T.tidy(() => {
        const code = (values: ArrayLike<number>) => T.tensor(values, [1, d]);
        const laws = model.groupLaws(images([pivot]), code(z1), code(z2));
        return [laws.input, laws.identity, laws.sequential, laws.combined, laws.roundTrip];
      }),
    ).map(read),
  );
  return {
    identity: { input, output: identity, maxError: maxDifference(identity, input) },
    composition: { sequential, combined, maxError: maxDifference(sequential, combined) },
    inverse: { roundTrip, maxError: maxDifference(roundTrip, input) },
  };
}
